# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report playbook of the installed collection (ansible-playbook kmsops.kms.report) against
a real named on loopback: what a client of the site finds, a rogue and a decommissioned SRV value
flagged, the task the report prints removes exactly them (read back with dig), and the HTML page
of this real report is drawn in headless Chromium."""

from __future__ import annotations

import json
import os
import socket
import sys

import pytest
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "browser"))

import check_report  # noqa: E402 pylint: disable=wrong-import-position
from ansible_run import run_playbook  # noqa: E402 pylint: disable=wrong-import-position
from named_server import NamedServer  # noqa: E402 pylint: disable=wrong-import-position


@pytest.fixture
def ports():
    up = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    up.bind(("127.0.0.1", 0))
    up.listen(16)
    down = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    down.bind(("127.0.0.1", 0))  # bound, never listening: connects are refused
    yield up.getsockname()[1], down.getsockname()[1]
    up.close()
    down.close()


def _run_report(inventory, collection, out):
    proc = run_playbook(
        "kmsops.kms.report", inventory, collection, json_output=False, extra_vars={"kms_report_dir": out}, timeout=300
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return json.loads((out / "kms-report.json").read_text())


def _inventory(path, named, site, up, down):
    inventory = {
        "all": {
            "vars": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable},
            "children": {
                "kms_core_sites": {
                    "children": {
                        "hq": {
                            "hosts": {"kms1": None, "kms2": None, "pc1": None},
                            # the site's variables under the shared names of the topology roles (kms_*) and
                            # under the core role's former ones, so the test holds across the renaming
                            "vars": {
                                "kms_site_group": "hq",
                                "core_network_site": "hq",
                                "kms_site_domains": [site],
                                "core_network_domains": [site],
                                "kms_dns_server": named.address,
                                "core_network_dns_server": named.address,
                                "kms_dns_port": named.port,
                                "core_network_dns_port": named.port,
                                "kms_dns_key_file": named.key_files["kms-publisher"],
                                "core_network_dns_key_file": named.key_files["kms-publisher"],
                            },
                        }
                    }
                },
                "kms_hosts": {
                    "hosts": {
                        "kms1": {"kms_host_fqdn": f"kms1.{site}", "kms_host_port": up},
                        "kms2": {"kms_host_fqdn": f"kms2.{site}", "kms_host_port": down},
                    }
                },
                "kms_clients": {"hosts": {"pc1": None}},
            },
        }
    }
    path.write_text(yaml.safe_dump(inventory))


def test_report_flags_foreign_values_and_its_task_removes_only_them(named, site, collection, run_play, ports, tmp_path):
    up, down = ports
    named.nsupdate(
        "admin",
        "\n".join(
            [
                f"update add _vlmcs._tcp.{site}. 3600 SRV 0 60 {up} kms1.{site}.",
                f"update add _vlmcs._tcp.{site}. 3600 SRV 0 40 {down} kms2.{site}.",
                # a machine given a KMS host key publishes itself; a retired host left its value behind
                f"update add _vlmcs._tcp.{site}. 3600 SRV 0 0 {up} kms3.{site}.",
                f"update add _vlmcs._tcp.{site}. 3600 SRV 5 0 1688 kms4.{site}.",
                f"update add kms1.{site}. 3600 A 127.0.0.1",
                f"update add kms2.{site}. 3600 A 127.0.0.1",
                f"update add kms3.{site}. 3600 A 127.0.0.1",
                # the owner registry kms_publish writes beside its values (owner: central)
                f"update add _vlmcs._tcp.{site}. 3600 TXT "
                f'"heritage=kmsops.kms,owner=central,srv=0 60 {up} kms1.{site}."',
            ]
        ),
    )
    inventory = tmp_path / "hosts.yml"
    _inventory(inventory, named, site, up, down)
    out = tmp_path / "report"
    model = _run_report(inventory, collection, out)
    (hq,) = model["sites"]
    assert hq["discovery_host"] == "pc1" and hq["dns_port"] == named.port
    states = {c["target"]: c["state"] for c in hq["candidates"]}
    assert states == {
        f"kms1.{site}": "reachable",
        f"kms2.{site}": "unreachable",
        f"kms3.{site}": "foreign",
        f"kms4.{site}": "foreign",
    }
    assert hq["selected"] in (f"kms1.{site}", f"kms3.{site}")
    # each value's owner as recorded in DNS (kms_discover owners=true); none for the others
    assert {c["target"]: c["owners"] for c in hq["candidates"]} == {
        f"kms1.{site}": ["central"],
        f"kms2.{site}": [],
        f"kms3.{site}": [],
        f"kms4.{site}": [],
    }
    (flag,) = hq["flags"]
    notes = {t["target"]: t["note"] for t in flag["targets"]}
    assert "rogue KMS host" in notes[f"kms3.{site}"] and "decommissioned" in notes[f"kms4.{site}"]
    text = (out / "kms-report.txt").read_text()
    assert flag["task"].splitlines()[1].strip() in text and "== Site hq (core)" in text
    assert "owner (recorded in DNS): central" in text

    # the printed task, run as printed: check mode shows it, then it removes only the two values
    task = flag["task"]
    assert run_play(task, check=True)[0]["changed"] is True
    assert len(named.dig(f"_vlmcs._tcp.{site}", "SRV")) == 4
    assert run_play(task)[0]["changed"] is True
    assert named.dig(f"_vlmcs._tcp.{site}", "SRV") == sorted([f"0 60 {up} kms1.{site}.", f"0 40 {down} kms2.{site}."])
    assert named.dig(f"kms3.{site}", "A") == ["127.0.0.1"]  # address records left alone
    assert run_play(task)[0]["changed"] is False

    # the real report page is drawn in a browser
    problems = check_report.check(str(out / "kms-report.html"), ["hq"], str(out / "kms-report.png"))[0]
    assert problems == []


@pytest.fixture(scope="module")
def windows_like_named():
    """A named whose zones hold names that are not host names (check-names warn), as Windows DNS
    does: an SRV value naming old_kms.<zone> can exist there, and must be removable."""
    server = NamedServer(sites=2, check_names="warn").start()
    yield server
    server.stop()


def test_printed_task_removes_exactly_the_flagged_values_whatever_their_names(
    windows_like_named, collection, run_play, ports, tmp_path
):
    named, site = windows_like_named, "site01.example"
    up, down = ports
    odd = "{{7*7}}x"  # a label DNS can hold; Ansible would template it into 49x
    named.nsupdate(
        "admin",
        "\n".join(
            [
                "check-names no",
                # an inventory host with two values on two ports: kept as they are
                f"update add _vlmcs._tcp.{site}. 3600 SRV 0 60 {up} kms1.{site}.",
                f"update add _vlmcs._tcp.{site}. 3600 SRV 10 5 {down} kms1.{site}.",
                f"update add _vlmcs._tcp.{site}. 3600 SRV 0 40 {down} kms2.{site}.",
                # a retired host with two values on two ports and a name that is not a host name
                f"update add _vlmcs._tcp.{site}. 3600 SRV 0 0 1688 old_kms.{site}.",
                f"update add _vlmcs._tcp.{site}. 3600 SRV 5 3 1690 old_kms.{site}.",
                f"update add _vlmcs._tcp.{site}. 3600 SRV 7 0 {up} {odd}.{site}.",
                f"update add kms1.{site}. 3600 A 127.0.0.1",
                f"update add kms2.{site}. 3600 A 127.0.0.1",
                f"update add old_kms.{site}. 3600 A 127.0.0.1",
            ]
        ),
    )
    kept = sorted([f"0 60 {up} kms1.{site}.", f"10 5 {down} kms1.{site}.", f"0 40 {down} kms2.{site}."])
    flagged = sorted([f"0 0 1688 old_kms.{site}.", f"5 3 1690 old_kms.{site}.", f"7 0 {up} {odd}.{site}."])
    assert named.dig(f"_vlmcs._tcp.{site}", "SRV") == sorted(kept + flagged)
    inventory = tmp_path / "hosts.yml"
    _inventory(inventory, named, site, up, down)
    out = tmp_path / "report"
    model = _run_report(inventory, collection, out)
    (hq,) = model["sites"]
    (flag,) = hq["flags"]
    assert {t["target"]: t["srv_values"] for t in flag["targets"]} == {
        f"old_kms.{site}": [f"0 0 1688 old_kms.{site}.", f"5 3 1690 old_kms.{site}."],
        f"{odd}.{site}": [f"7 0 {up} {odd}.{site}."],
    }
    assert model["summary"]["flagged_values"] == 3
    # what DNS holds is printed as it is, never templated, in every form of the report
    for name in ("kms-report.txt", "kms-report.html", "kms-report.json"):
        text = (out / name).read_text()
        assert f"{odd}.{site}" in text and f"49x.{site}" not in text, name
    assert f"target: !unsafe '{odd}.{site}.'" in flag["task"]
    assert flag["task"] in (out / "kms-report.txt").read_text().replace("\n       ", "\n")

    # the printed task, as printed: check mode changes nothing, then exactly the flagged values go
    check = run_play(flag["task"], check=True, diff=True)
    assert check.rc == 0 and check[0]["changed"] is True, check
    assert named.dig(f"_vlmcs._tcp.{site}", "SRV") == sorted(kept + flagged)
    applied = run_play(flag["task"])
    assert applied.rc == 0 and applied[0]["changed"] is True, applied
    assert named.dig(f"_vlmcs._tcp.{site}", "SRV") == kept
    assert named.dig(f"old_kms.{site}", "A") == ["127.0.0.1"]  # address records left alone
    again = run_play(flag["task"])
    assert again.rc == 0 and again[0]["changed"] is False, again

    # a report run now finds nothing to flag
    assert _run_report(inventory, collection, tmp_path / "report2")["sites"][0]["flags"] == []
