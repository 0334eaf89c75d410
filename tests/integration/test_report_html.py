# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The discovery report page in a real browser (headless Chromium from Debian's packages):
every site's picture is laid out and painted; the screenshot is kept in tests/output/report/.
The page comes from the report templates and a fixed sample model (no lab needed); lab/up.sh
runs the same check on the lab's real report."""

from __future__ import annotations

import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "unit", "plugins", "filter"))
sys.path.insert(0, os.path.join(REPO, "tests", "browser"))

import check_report  # noqa: E402 pylint: disable=wrong-import-position
import kms_report_sample as sample  # noqa: E402 pylint: disable=wrong-import-position

OUTPUT = os.path.join(REPO, "tests", "output", "report")
SITES = ["hq", "br", "iso"]


@pytest.fixture(scope="module")
def page():
    os.makedirs(OUTPUT, exist_ok=True)
    path = os.path.join(OUTPUT, "sample-report.html")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(sample.render("kms-report.html", sample.model()))
    return path


def test_every_site_picture_is_drawn_and_a_screenshot_is_kept(page):
    png = os.path.join(OUTPUT, "sample-report.png")
    problems, layout = check_report.check(page, SITES, png)
    assert problems == []
    assert [entry["site"] for entry in layout["sites"]] == SITES
    # what the browser laid out is what the model holds: every KMS host box, in order
    model = sample.model()
    for entry, site in zip(layout["sites"], model["sites"]):
        kms_boxes = [box for box in entry["boxes"] if "kms" in box["cls"].split()]
        assert len(kms_boxes) == len(site["candidates"])
        assert [t for t in entry["texts"] if t in [c["target"] for c in site["candidates"]]] == [
            c["target"] for c in site["candidates"]
        ]
    with open(png, "rb") as handle:
        assert handle.read(8) == b"\x89PNG\r\n\x1a\n"


def test_a_missing_and_an_unpainted_picture_are_found(page, tmp_path):
    with open(page, encoding="utf-8") as handle:
        html = handle.read()
    start = html.index('<svg class="site-map" data-site="br"')
    html = html[:start] + html[html.index("</svg>", start) + len("</svg>") :]
    # the iso picture is laid out, but its DNS box outline is painted white
    html = html.replace("</style>", "#site-iso svg .dns { stroke: #ffffff; }\n</style>")
    broken = tmp_path / "broken.html"
    broken.write_text(html, encoding="utf-8")
    problems = check_report.check(str(broken), SITES, str(tmp_path / "broken.png"))[0]
    assert problems == [
        "site br has no picture (svg.site-map data-site=br)",
        "site iso: no dns outline is painted in the screenshot",
    ]
