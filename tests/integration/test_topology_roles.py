# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The topology roles through ``ansible-playbook kmsops.kms.site`` against a real named.

One generated inventory holds a core site (zone ``siteNN.example``), a branch site (child zone
``branch.siteNN.example``, a local KMS host and the core site as fallback) and an isolated site
(a second zone ``siteMM.example`` whose DNS updates are delegated to an inventory host of its
own). Every host is local; KMS hosts are stood in for by TCP listeners on loopback addresses, so
the discovery check of the roles (kms_discover with a TCP probe) proves reachability for real.
Records are read back with ``dig``.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

import pytest
import yaml
from ansible_run import run_playbook
from conftest import REPO, _tool
from silent_listeners import silent_listeners

# Loopback addresses of the stand-in KMS hosts (Linux routes all of 127/8 to lo).
CORE1, CORE2, BRANCH1, ISO1 = "127.0.0.11", "127.0.0.12", "127.0.0.21", "127.0.0.31"
KEY = "BCDFG-HJKMP-QRTVW-XY234-6789B"  # format-valid, not a real key

# Tasks are told apart by the module they run (the "action" of each result), not by their names.
PUBLISH = "kmsops.kms.kms_publish"
KMS_HOST = "kmsops.kms.kms_host"
KMS_CLIENT = "kmsops.kms.kms_client"
DISCOVER = "kmsops.kms.kms_discover"
SETUP = "ansible.builtin.setup"

EXAMPLE = os.path.join(REPO, "inventories", "example")
TOPOLOGIES = {
    "kms_core_sites": "core_network",
    "kms_branch_sites": "branch_office",
    "kms_isolated_sites": "isolated_network",
}


@pytest.fixture
def kms_port():
    """Silent TCP listeners on the stand-in KMS host addresses, all on one free port."""
    with silent_listeners((CORE1, CORE2, BRANCH1, ISO1)) as port:
        yield port


@pytest.fixture
def topology(named, site, kms_port, dns_defaults, tmp_path):
    """Write the inventory of a core + branch + isolated deployment; return what tests need."""
    isolated = named.allocate_site()
    branch = f"branch.{site}"
    # The isolated site's DNS-update host runs Python through a wrapper that leaves a mark, so
    # the test sees which host sent the update.
    marker = tmp_path / "updater-ran"
    wrapper = tmp_path / "updater-python"
    wrapper.write_text(f"#!/bin/sh\ntouch '{marker}'\nexec '{sys.executable}' \"$@\"\n")
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    core_dns = dns_defaults("kms-publisher")

    def kms(address, weight=0, **extra):
        data = {"kms_host_addresses": [address], "kms_host_port": kms_port, "kms_host_weight": weight}
        data.update(extra)
        return data

    inventory = {
        "all": {
            "vars": {
                "ansible_connection": "local",
                "ansible_python_interpreter": sys.executable,
            },
            "hosts": {
                "updater.isolated": {"ansible_python_interpreter": str(wrapper)},
            },
            "children": {
                "kms_hosts": {
                    "hosts": {
                        f"kms1.{site}": None,
                        f"kms2.{site}": None,
                        f"kms1.{branch}": None,
                        f"kms1.{isolated}": None,
                    }
                },
                "kms_clients": {
                    "hosts": {f"client.{site}": None, f"client.{branch}": None, f"client.{isolated}": None}
                },
                "kms_core_sites": {
                    "children": {
                        "core": {
                            "hosts": {
                                f"kms1.{site}": kms(CORE1, 60, kms_host_key=KEY),
                                f"kms2.{site}": kms(CORE2, 40),
                                f"client.{site}": None,
                            },
                            "vars": {
                                "kms_site_group": "core",
                                "kms_site_domains": [site],
                                "kms_dns_server": named.address,
                                "kms_dns_port": named.port,
                                "kms_dns_key_name": "kms-publisher",
                                "kms_dns_key_secret": core_dns["key_secret"],
                                "kms_prune": True,
                            },
                        }
                    }
                },
                "kms_branch_sites": {
                    "children": {
                        "branch": {
                            "hosts": {f"kms1.{branch}": kms(BRANCH1), f"client.{branch}": None},
                            "vars": {
                                "kms_site_group": "branch",
                                "kms_site_domains": [branch],
                                "kms_fallback_site": "core",
                                "kms_fallback_priority": 10,
                                "kms_dns_server": named.address,
                                "kms_dns_port": named.port,
                                "kms_dns_key_file": named.key_files["kms-publisher"],
                            },
                        }
                    }
                },
                "kms_isolated_sites": {
                    "children": {
                        "isolated": {
                            "hosts": {f"kms1.{isolated}": kms(ISO1), f"client.{isolated}": None},
                            "vars": {
                                "kms_site_group": "isolated",
                                "kms_site_domains": [isolated],
                                "kms_dns_server": named.address,
                                "kms_dns_port": named.port,
                                "kms_dns_key_file": named.key_files["kms-publisher"],
                                "kms_dns_update_host": "updater.isolated",
                            },
                        }
                    }
                },
            },
        }
    }
    path = tmp_path / "hosts.yml"
    path.write_text(yaml.safe_dump(inventory, sort_keys=False))
    return {
        "inventory": path,
        "inventory_data": inventory,
        "core": site,
        "branch": branch,
        "isolated": isolated,
        "marker": marker,
    }


@pytest.fixture
def run_site(collection, tmp_path):
    """run_site(inventory, check=False): ansible-playbook kmsops.kms.site from the built collection.

    Returns (rc, stats per host, {module: [(host, result), ...]}, raw output)."""

    def run(inventory, check=False, verbosity=0):
        result = run_playbook("kmsops.kms.site", inventory, collection, check=check, verbosity=verbosity, cwd=tmp_path)
        if result.data is None:
            raise AssertionError("ansible-playbook did not print JSON:\n" + result.output)
        return result.rc, result.stats, result.by_action(), result.output

    return run


def srv(named, domain):
    return named.dig(f"_vlmcs._tcp.{domain}", "SRV")


def test_site_publishes_every_topology_then_is_idempotent(named, topology, run_site, kms_port):
    core, branch, isolated = topology["core"], topology["branch"], topology["isolated"]
    serials = {zone: named.serial(zone) for zone in (core, branch, isolated)}

    # check mode: reports the changes, writes nothing, does not fail
    rc, stats, results, output = run_site(topology["inventory"], check=True)
    assert rc == 0, output[-4000:]
    assert any(result.get("changed") for _host, result in results[PUBLISH])
    assert {zone: named.serial(zone) for zone in serials} == serials, "check mode sent an UPDATE"
    assert srv(named, core) == [] and srv(named, branch) == [] and srv(named, isolated) == []

    topology["marker"].unlink(missing_ok=True)
    rc, stats, results, output = run_site(topology["inventory"])
    assert rc == 0, output[-4000:]

    # core: both core hosts in the core domain with their weights, and their addresses
    assert srv(named, core) == [f"0 40 {kms_port} kms2.{core}.", f"0 60 {kms_port} kms1.{core}."]
    assert named.dig(f"kms1.{core}", "A") == [CORE1]
    assert named.dig(f"kms2.{core}", "A") == [CORE2]
    # branch: the local host at the best priority, the core hosts as fallback (SRV only)
    assert srv(named, branch) == [
        f"0 0 {kms_port} kms1.{branch}.",
        f"10 40 {kms_port} kms2.{core}.",
        f"10 60 {kms_port} kms1.{core}.",
    ]
    assert named.dig(f"kms1.{branch}", "A") == [BRANCH1]
    # isolated: written by the delegated update host
    assert srv(named, isolated) == [f"0 0 {kms_port} kms1.{isolated}."]
    assert named.dig(f"kms1.{isolated}", "A") == [ISO1]
    assert topology["marker"].exists(), "the isolated site's update was not sent by its update host"
    # the estate was published once (one task, run once), one kms_publish per DNS server and
    # update host and signing settings: the core site signs with a secret, the branch with a key
    # file, the isolated site sends from its own update host
    published = [result for _host, result in results[PUBLISH] if not result.get("skipped")]
    assert len(published) == 1, published
    units = {tuple(item["item"]["domains"]): item for item in published[0]["results"] if "item" in item}
    assert len(published[0]["results"]) == 3, "one task per unit"
    assert sorted(units) == sorted([(branch,), (isolated,)])  # the core unit signs with a secret: no_log
    assert all(item["changed"] is True for item in units.values())
    assert units[(isolated,)]["item"]["update_host"] == "updater.isolated"
    assert [(zone["zone"].rstrip("."), zone["update_sent"]) for zone in units[(isolated,)]["zones"]] == [
        (isolated, True)
    ]

    # the discovery check ran once per site, from each site's client, and found a reachable host
    runs = [result for _host, result in results[DISCOVER] if not result.get("skipped")]
    assert len(runs) == 3
    found = {item["item"]: item for result in runs for item in result["results"]}
    assert sorted(found) == sorted([f"client.{core}", f"client.{branch}", f"client.{isolated}"])
    assert found[f"client.{branch}"]["candidates"][0]["target"] == f"kms1.{branch}"
    assert found[f"client.{branch}"]["selected"]["target"] == f"kms1.{branch}"
    assert {c["target"] for c in found[f"client.{branch}"]["candidates"]} == {
        f"kms1.{branch}",
        f"kms1.{core}",
        f"kms2.{core}",
    }
    assert found[f"client.{core}"]["selected"]["reachable"] is True
    assert found[f"client.{isolated}"]["selected"]["target"] == f"kms1.{isolated}"

    # the OS family was read on every host of every site, and no host is Windows here
    facts = dict(results[SETUP])
    assert len(facts) == 7 and not any(result.get("skipped") or result.get("failed") for result in facts.values())
    assert all(result["ansible_facts"]["ansible_os_family"] != "Windows" for result in facts.values())
    # so kms_host and kms_client ran nowhere
    for action in (KMS_HOST, KMS_CLIENT):
        assert results[action], action
        assert all(result.get("skipped") for _host, result in results[action]), action

    # second run: nothing changes
    serials = {zone: named.serial(zone) for zone in serials}
    rc, stats, results, output = run_site(topology["inventory"])
    assert rc == 0, output[-4000:]
    assert {host: counts["changed"] for host, counts in stats.items() if counts["changed"]} == {}
    assert {zone: named.serial(zone) for zone in serials} == serials

    # and check mode on a converged deployment reports nothing to change
    rc, stats, results, output = run_site(topology["inventory"], check=True)
    assert rc == 0, output[-4000:]
    assert {host: counts["changed"] for host, counts in stats.items() if counts["changed"]} == {}


def test_prune_removes_a_decommissioned_core_host(named, topology, run_site, kms_port):
    core = topology["core"]
    rc, _stats, _tasks, output = run_site(topology["inventory"], verbosity=3)
    assert rc == 0, output[-4000:]
    secret = topology["inventory_data"]["all"]["children"]["kms_core_sites"]["children"]["core"]["vars"][
        "kms_dns_key_secret"
    ]
    assert secret not in output, "the TSIG secret leaked into the output"
    assert KEY not in output, "the KMS host key leaked into the output"
    assert len(srv(named, core)) == 2
    # every value is recorded as the inventory's (kms_dns_owner, default kmsops) beside it
    assert named.dig(f"_vlmcs._tcp.{core}", "TXT") == sorted(
        f'"heritage=kmsops.kms,owner=kmsops,srv={value}"' for value in srv(named, core)
    )

    data = topology["inventory_data"]
    children = data["all"]["children"]
    del children["kms_core_sites"]["children"]["core"]["hosts"][f"kms2.{core}"]
    del children["kms_hosts"]["hosts"][f"kms2.{core}"]
    topology["inventory"].write_text(yaml.safe_dump(data, sort_keys=False))

    rc, _stats, _tasks, output = run_site(topology["inventory"])
    assert rc == 0, output[-4000:]
    assert srv(named, core) == [f"0 60 {kms_port} kms1.{core}."]
    assert named.dig(f"_vlmcs._tcp.{core}", "TXT") == [
        f'"heritage=kmsops.kms,owner=kmsops,srv=0 60 {kms_port} kms1.{core}."'
    ]


def test_key_on_too_many_hosts_fails_before_anything_changes(named, topology, run_site):
    data = topology["inventory_data"]
    # seven more hosts, outside any site, hold the same KMS host key as kms1 of the core site
    for index in range(7):
        data["all"]["children"]["kms_hosts"]["hosts"][f"extra{index}.example"] = {"kms_host_key": KEY}
    topology["inventory"].write_text(yaml.safe_dump(data, sort_keys=False))
    serials = {zone: named.serial(zone) for zone in (topology["core"], topology["branch"], topology["isolated"])}

    rc, _stats, results, output = run_site(topology["inventory"], verbosity=3)
    assert rc != 0
    assert "is assigned to 8 hosts" in output
    assert KEY not in output, "the KMS host key leaked into the output"
    assert KEY[-5:] in output
    assert all(result.get("skipped") for _host, result in results.get(PUBLISH, []))
    assert {zone: named.serial(zone) for zone in serials} == serials


def test_example_inventory_follows_the_documented_model(collection):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collection)
    listed = json.loads(
        subprocess.run(
            [_tool("ansible-inventory"), "-i", EXAMPLE, "--list"], check=True, capture_output=True, text=True, env=env
        ).stdout
    )
    sites = {site: topology for topology in TOPOLOGIES for site in listed[topology]["children"]}
    assert sorted(sites) == ["branch1", "branch2", "hq", "lab"]
    hostvars = listed["_meta"]["hostvars"]
    for site in sites:
        for host in listed[site]["hosts"]:
            # every site host names its own site group, and is a KMS host or a client
            assert hostvars[host]["kms_site_group"] == site, host
            assert isinstance(hostvars[host]["kms_site_domains"], list), host
            assert (host in listed["kms_hosts"]["hosts"]) != (host in listed["kms_clients"]["hosts"]), host
    assert hostvars["kms1.corp.example"]["kms_host_weight"] == 60
    assert hostvars["kms.lab.example"]["kms_dns_update_host"] == "ns.lab.example"
    syntax = run_playbook(
        os.path.join(REPO, "site.yml"), EXAMPLE, collection, json_output=False, args=["--syntax-check"]
    )
    assert syntax.returncode == 0, syntax.output
