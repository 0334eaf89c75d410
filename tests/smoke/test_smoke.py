# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Smoke test of the DNS modules on one ansible-core version (the version matrix, noxfile.py).

A real ``named`` on loopback (tests/integration/named_server.py), the collection built and
installed with this ansible-core's ``ansible-galaxy``, one ``ansible-playbook`` run that uses
``kms_publish`` (check mode, apply, re-run), ``dns_record`` (apply, re-run), the ``kms_discover``
module with a TCP probe and the ``kms_discover`` lookup. Results are read back with ``dig``.

Only ansible-core and the collection's own requirements are needed (no community collection:
the play writes its registered results to a JSON file with ansible.builtin.copy), so the same
file runs on every ansible-core the collection claims. The whole integration suite runs once, in
the ``integration`` stage, on the development version.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile

import pytest
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))

from ansible_run import ansible_env, make_tree, run_playbook, tool  # noqa: E402 pylint: disable=wrong-import-position
from named_server import NamedServer  # noqa: E402 pylint: disable=wrong-import-position


@pytest.fixture(scope="module")
def named():
    server = NamedServer(sites=2).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def collection():
    work = tempfile.mkdtemp(prefix="kmsops-smoke-")
    yield make_tree(os.path.join(work, "collections"), "install")
    shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="module")
def kms_port():
    """A listening TCP socket that stands in for a reachable KMS host (it accepts, says nothing)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    yield listener.getsockname()[1]
    listener.close()


def ansible_version():
    out = subprocess.run([tool("ansible"), "--version"], capture_output=True, text=True, check=True).stdout
    return out.splitlines()[0]


@pytest.fixture(scope="module")
def results(named, collection, kms_port, tmp_path_factory):
    """Run the smoke play once; return the registered results by name, and site, named, port."""
    site = named.allocate_site()
    algorithm, secret = named.keys["kms-publisher"]
    admin_algorithm, admin_secret = named.keys["admin"]
    server = {"server": named.address, "server_port": named.port}
    publisher = dict(server, key_name="kms-publisher", key_secret=secret, key_algorithm=algorithm)
    admin = dict(server, key_name="admin", key_secret=admin_secret, key_algorithm=admin_algorithm)
    hosts = [
        {
            "name": f"kms1.{site}",
            "addresses": ["127.0.0.1"],
            "port": kms_port,
            "publish": [{"domain": site, "priority": 0, "weight": 60}, {"domain": f"branch.{site}", "priority": 10}],
        },
        {
            "name": f"kms2.{site}",
            "addresses": ["127.0.0.1", "::1"],
            "port": kms_port,
            "publish": [{"domain": site, "priority": 0, "weight": 40}],
        },
    ]
    publish = dict(publisher, hosts=hosts)
    record = dict(admin, zone=site, name=f"smoke.{site}", type="TXT", values=['"smoke test"'])
    discover = {
        "nameservers": [named.address],
        "dns_port": named.port,
        "timeout": 3,
        "domains": [f"branch.{site}", site],
        "probe": True,
        "seed": 7,
    }
    lookup = (
        "{{ lookup('kmsops.kms.kms_discover', 'branch.%s', '%s', nameservers=['%s'], dns_port=%d, "
        "timeout=3, probe=true, seed=7) }}" % (site, site, named.address, named.port)
    )
    work = tmp_path_factory.mktemp("smoke")
    out = work / "results.json"
    names = ["publish_check", "publish", "publish_again", "record", "record_again", "discovered", "looked_up"]
    tasks = [
        {
            "name": "kms_publish in check mode",
            "kmsops.kms.kms_publish": publish,
            "check_mode": True,
            "diff": True,
            "register": "publish_check",
        },
        {"name": "kms_publish", "kmsops.kms.kms_publish": publish, "register": "publish"},
        {"name": "kms_publish again", "kmsops.kms.kms_publish": publish, "register": "publish_again"},
        {"name": "dns_record", "kmsops.kms.dns_record": record, "register": "record"},
        {"name": "dns_record again", "kmsops.kms.dns_record": record, "register": "record_again"},
        {"name": "kms_discover module", "kmsops.kms.kms_discover": discover, "register": "discovered"},
        {"name": "kms_discover lookup", "ansible.builtin.set_fact": {"looked_up": lookup}},
        {
            "name": "write the results",
            "ansible.builtin.copy": {
                "dest": str(out),
                "mode": "0600",
                "content": "{{ {%s} | to_json }}" % ", ".join(f"'{name}': {name}" for name in names),
            },
        },
    ]
    playbook = work / "smoke.yml"
    playbook.write_text(
        yaml.safe_dump(
            [
                {
                    "name": "kmsops.kms smoke",
                    "hosts": "localhost",
                    "connection": "local",
                    "gather_facts": False,
                    "tasks": tasks,
                }
            ],
            sort_keys=False,
        )
    )
    env = ansible_env(collection, json_output=False, extra={"ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.default"})
    proc = run_playbook(playbook, "localhost,", collection, json_output=False, env=env, timeout=300)
    output = proc.stdout + proc.stderr
    print(ansible_version())
    assert proc.returncode == 0, output
    return {"site": site, "named": named, "port": kms_port, **json.loads(out.read_text())}


def test_kms_publish_check_mode_apply_and_rerun(results):
    res = results
    site, named, port = res["site"], res["named"], res["port"]
    checked, applied, again = res["publish_check"], res["publish"], res["publish_again"]
    assert checked["changed"] is True and checked["updates_sent"] == 0, checked
    assert f"kms1.{site}." in checked["diff"]["after"], checked
    assert applied["changed"] is True and applied["updates_sent"] == 2, applied  # one UPDATE per zone
    assert again["changed"] is False and again["updates_sent"] == 0, again
    assert named.dig(f"_vlmcs._tcp.{site}", "SRV") == [f"0 40 {port} kms2.{site}.", f"0 60 {port} kms1.{site}."]
    assert named.dig(f"_vlmcs._tcp.branch.{site}", "SRV") == [f"10 0 {port} kms1.{site}."]
    assert named.dig(f"kms2.{site}", "AAAA") == ["::1"]


def test_dns_record_apply_and_rerun(results):
    res = results
    site, named = res["site"], res["named"]
    assert res["record"]["changed"] is True, res["record"]
    assert res["record_again"]["changed"] is False, res["record_again"]
    assert named.dig(f"smoke.{site}", "TXT") == ['"smoke test"']


def test_kms_discover_module_and_lookup_agree(results):
    res = results
    site = res["site"]
    module, looked_up = res["discovered"], res["looked_up"]
    assert module["changed"] is False and module["errors"] == [], module
    # the branch zone lists only its fallback host (priority 10): it comes first, in search order
    assert next((c["domain"], c["target"]) for c in module["candidates"]) == (f"branch.{site}", f"kms1.{site}")
    assert module["selected"]["reachable"] is True and module["selected"]["reached_address"] == "127.0.0.1"
    assert looked_up["selected"] == module["selected"]
    assert [c["target"] for c in looked_up["candidates"]] == [c["target"] for c in module["candidates"]]
