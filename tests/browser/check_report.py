# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Open the KMS discovery report page (kms-report.html) in headless Chromium and check that the
picture of every site is drawn; keep a screenshot.

    python tests/browser/check_report.py HTML --screenshot PNG (--site NAME ... | --inventory INVENTORY)

1. The browser lays the page out: a copy of the page with a probe script appended is loaded
   with --dump-dom; the probe reports, for every ``svg.site-map``, its box on the page, the
   bounding box of what is drawn inside it and the classes of its boxes.
2. The browser paints the page: --screenshot of the page as it is (no probe), as tall as the
   page. In the screenshot, inside each site's picture, the outline colours of the DNS box and
   of every KMS host box the DOM holds must be painted.

Expected sites: given with --site, or the child groups of kms_core_sites, kms_branch_sites and
kms_isolated_sites of an inventory (``ansible-inventory --list``). Exit status 0 when every site
is drawn, 1 otherwise (with the reasons), 2 when the browser cannot run.
Chromium comes from Debian's packages (tests/setup.sh browser).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

TOPOLOGY_GROUPS = ("kms_core_sites", "kms_branch_sites", "kms_isolated_sites")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
    "--mute-audio",
)
WIDTH = 1100
# outline colours of the page's CSS (kms-report.html.j2), by box class
COLOURS = {
    "dns": (0x6A, 0x4F, 0xB0),
    "reachable": (0x2E, 0x7D, 0x32),
    "unreachable": (0xC6, 0x28, 0x28),
    "none": (0xC6, 0x28, 0x28),
    "foreign": (0xEF, 0x8F, 0x00),
    "unprobed": (0x77, 0x77, 0x77),
}

PROBE = """
<pre id="kmsops-probe"></pre>
<script>
(function () {
  var out = {height: document.documentElement.scrollHeight, sites: []};
  document.querySelectorAll('svg.site-map').forEach(function (svg) {
    var page = svg.getBoundingClientRect(), drawn = svg.getBBox();
    out.sites.push({
      site: svg.getAttribute('data-site'),
      page: {x: page.left + window.scrollX, y: page.top + window.scrollY, w: page.width, h: page.height},
      drawn: {w: drawn.width, h: drawn.height},
      boxes: Array.prototype.map.call(svg.querySelectorAll('rect'), function (r) {
        var b = r.getBBox(); return {cls: r.getAttribute('class'), w: b.width, h: b.height};
      }),
      texts: Array.prototype.map.call(svg.querySelectorAll('text'), function (t) { return t.textContent; })
    });
  });
  document.getElementById('kmsops-probe').textContent = JSON.stringify(out);
})();
</script>
"""


class BrowserError(Exception):
    """Chromium could not be run."""


def find_chromium():
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    raise BrowserError("chromium not found: install it with tests/setup.sh browser (apt-get install chromium)")


def _chromium(args, timeout=90):
    profile = tempfile.mkdtemp(prefix="kmsops-chromium-")
    try:
        proc = subprocess.run(
            [find_chromium(), *CHROMIUM_FLAGS, "--user-data-dir=" + profile, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise BrowserError("chromium did not finish within %d s" % timeout) from None
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    if proc.returncode != 0:
        raise BrowserError("chromium exited with %d: %s" % (proc.returncode, proc.stderr[-2000:]))
    return proc.stdout


def probe_layout(html_path):
    """What the browser laid out: the probe's JSON (see PROBE)."""
    with open(html_path, encoding="utf-8") as handle:
        page = handle.read()
    if "</body>" not in page:
        raise BrowserError("%s has no </body>: not a report page" % html_path)
    work = tempfile.mkdtemp(prefix="kmsops-probe-")
    try:
        copy = os.path.join(work, "probe.html")
        with open(copy, "w", encoding="utf-8") as handle:
            handle.write(page.replace("</body>", PROBE + "</body>", 1))
        dom = _chromium(["--window-size=%d,1000" % WIDTH, "--dump-dom", "file://" + copy])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    match = re.search(r'<pre id="kmsops-probe">(.*?)</pre>', dom, re.S)
    if not match or not match.group(1).strip():
        raise BrowserError("the probe script did not run in chromium")
    text = match.group(1).replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return json.loads(text)


def screenshot(html_path, png_path, height):
    os.makedirs(os.path.dirname(os.path.abspath(png_path)), exist_ok=True)
    if os.path.exists(png_path):
        os.unlink(png_path)
    _chromium(
        [
            "--window-size=%d,%d" % (WIDTH, max(600, int(height) + 20)),
            "--screenshot=" + os.path.abspath(png_path),
            "file://" + os.path.abspath(html_path),
        ]
    )
    if not os.path.exists(png_path):
        raise BrowserError("chromium wrote no screenshot")


def _painted(image, area, colour, tolerance=12):
    """Number of pixels of COLOUR (within TOLERANCE per channel) inside AREA of IMAGE."""
    x, y, w, h = (round(v) for v in (area["x"], area["y"], area["w"], area["h"]))
    region = image.crop((x, y, min(x + w, image.width), min(y + h, image.height)))
    colours = region.getcolors(maxcolors=max(1, region.width * region.height)) or []
    return sum(count for count, pixel in colours if all(abs(pixel[i] - colour[i]) <= tolerance for i in range(3)))


def check(html_path, sites, png_path):
    """Return (problems, layout): problems is a list of sentences, empty when every site is drawn."""
    from PIL import Image  # pylint: disable=import-outside-toplevel

    layout = probe_layout(html_path)
    problems = []
    by_site = {}
    for entry in layout["sites"]:
        if entry["site"] in by_site:
            problems.append("site %s has two pictures" % entry["site"])
        by_site[entry["site"]] = entry
    for site in sites:
        entry = by_site.get(site)
        if entry is None:
            problems.append("site %s has no picture (svg.site-map data-site=%s)" % (site, site))
            continue
        if entry["page"]["w"] < 100 or entry["page"]["h"] < 60:
            problems.append(
                "site %s: the picture takes %.0fx%.0f px on the page" % (site, entry["page"]["w"], entry["page"]["h"])
            )
        if entry["drawn"]["w"] < 100 or entry["drawn"]["h"] < 60:
            problems.append(
                "site %s: what is drawn measures %.0fx%.0f" % (site, entry["drawn"]["w"], entry["drawn"]["h"])
            )
        kms = [b for b in entry["boxes"] if "kms" in (b["cls"] or "").split()]
        if not kms or not any("dns" in (b["cls"] or "").split() for b in entry["boxes"]):
            problems.append("site %s: the picture lacks the DNS box or the KMS host boxes" % site)
        if any(b["w"] <= 0 or b["h"] <= 0 for b in entry["boxes"]):
            problems.append("site %s: a box of the picture has no size" % site)
    extra = sorted(set(by_site) - set(sites))
    if extra and sites:
        problems.append("pictures of sites that are not in the inventory: %s" % ", ".join(extra))
    screenshot(html_path, png_path, layout["height"])
    with Image.open(png_path) as image:
        image = image.convert("RGB")
        for site in sites:
            entry = by_site.get(site)
            if entry is None:
                continue
            wanted = {"dns"}
            for box in entry["boxes"]:
                classes = (box["cls"] or "").split()
                if "kms" in classes:
                    wanted.update(c for c in classes if c in COLOURS)
            for name in sorted(wanted):
                if _painted(image, entry["page"], COLOURS[name]) < 20:
                    problems.append("site %s: no %s outline is painted in the screenshot" % (site, name))
    return problems, layout


def inventory_sites(inventory):
    """The site groups of an inventory: the children of the topology groups."""
    tool = shutil.which("ansible-inventory") or "ansible-inventory"
    proc = subprocess.run([tool, "-i", inventory, "--list"], capture_output=True, text=True, check=True)
    data = json.loads(proc.stdout)
    sites = []
    for group in TOPOLOGY_GROUPS:
        sites.extend(data.get(group, {}).get("children", []))
    return sites


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("html")
    parser.add_argument("--screenshot", required=True)
    parser.add_argument("--site", action="append", default=[])
    parser.add_argument("--inventory")
    args = parser.parse_args(argv)
    sites = list(args.site)
    if args.inventory:
        sites.extend(inventory_sites(args.inventory))
    if not sites:
        parser.error("give the expected sites with --site or --inventory")
    try:
        problems, _layout = check(args.html, sites, args.screenshot)
    except BrowserError as exc:
        print("check_report: %s" % exc, file=sys.stderr)
        return 2
    for problem in problems:
        print("check_report: %s" % problem, file=sys.stderr)
    if problems:
        return 1
    print(
        "check_report: %d site picture(s) drawn in chromium (%s); screenshot %s"
        % (len(sites), ", ".join(sites), args.screenshot)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
