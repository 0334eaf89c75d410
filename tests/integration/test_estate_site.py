# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The estate model through ``ansible-playbook kmsops.kms.site`` and ``kmsops.kms.report``
against a real named, with multi-site inventories.

The shared inventory: two core sites (two datacenters, ``dc1`` with kms1 and kms2, ``dc2`` with
kms3) publishing into one domain with ``kms_prune: true``, and two branch sites (``br1`` with its
own KMS host, ``br2`` without) publishing into one branch domain with ``dc1`` as fallback. Every
host is local; KMS hosts are TCP listeners on loopback addresses, so the discovery check proves
reachability for real. Records are read back with ``dig``.
"""

from __future__ import annotations

import copy
import json
import socket
import sys

import pytest
import yaml
from ansible_run import run_playbook
from silent_listeners import silent_listeners

# loopback addresses of the stand-in KMS hosts (Linux routes all of 127/8 to lo)
DC1_KMS1, DC1_KMS2, DC2_KMS3, BR1_KMS1 = "127.0.0.51", "127.0.0.52", "127.0.0.53", "127.0.0.54"
PUBLISH = "kmsops.kms.kms_publish"
DISCOVER = "kmsops.kms.kms_discover"


@pytest.fixture
def kms_port():
    """Silent TCP listeners on the stand-in KMS host addresses, all on one free port."""
    with silent_listeners((DC1_KMS1, DC1_KMS2, DC2_KMS3, BR1_KMS1)) as port:
        yield port


@pytest.fixture
def closed_port():
    """A port on loopback that refuses connections (bound, never listening)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    yield sock.getsockname()[1]
    sock.close()


def _kms(address, port, weight=0):
    return {"kms_host_addresses": [address], "kms_host_port": port, "kms_host_weight": weight}


def shared_inventory(named, site, port):
    """The multi-site inventory of the module docstring, as data."""
    branch = f"branch.{site}"
    _algorithm, secret = named.keys["kms-publisher"]
    dns = {
        "kms_dns_server": named.address,
        "kms_dns_port": named.port,
        "kms_dns_key_name": "kms-publisher",
        "kms_dns_key_secret": secret,
        "kms_prune": True,
    }
    return {
        "all": {
            "vars": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable},
            "children": {
                "kms_hosts": {
                    "hosts": {f"kms1.{site}": None, f"kms2.{site}": None, f"kms3.{site}": None, f"kms1.{branch}": None}
                },
                "kms_clients": {
                    "hosts": {
                        f"client.dc1.{site}": None,
                        f"client.dc2.{site}": None,
                        f"client.br1.{site}": None,
                        f"client.br2.{site}": None,
                    }
                },
                "kms_core_sites": {
                    "children": {
                        "dc1": {
                            "hosts": {
                                f"kms1.{site}": _kms(DC1_KMS1, port, 60),
                                f"kms2.{site}": _kms(DC1_KMS2, port, 40),
                                f"client.dc1.{site}": None,
                            },
                            "vars": dict(dns, kms_site_group="dc1", kms_site_domains=[site]),
                        },
                        "dc2": {
                            "hosts": {f"kms3.{site}": _kms(DC2_KMS3, port), f"client.dc2.{site}": None},
                            "vars": dict(dns, kms_site_group="dc2", kms_site_domains=[site]),
                        },
                    }
                },
                "kms_branch_sites": {
                    "children": {
                        "br1": {
                            "hosts": {f"kms1.{branch}": _kms(BR1_KMS1, port), f"client.br1.{site}": None},
                            "vars": dict(dns, kms_site_group="br1", kms_site_domains=[branch], kms_fallback_site="dc1"),
                        },
                        "br2": {
                            "hosts": {f"client.br2.{site}": None},
                            "vars": dict(dns, kms_site_group="br2", kms_site_domains=[branch], kms_fallback_site="dc1"),
                        },
                    }
                },
            },
        }
    }


def write(tmp_path, inventory, name="hosts.yml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(inventory, sort_keys=False))
    return path


def srv(named, domain):
    return named.dig(f"_vlmcs._tcp.{domain}", "SRV")


def site_vars(inventory, site):
    for topology in ("kms_core_sites", "kms_branch_sites", "kms_isolated_sites"):
        children = inventory["all"]["children"].get(topology, {}).get("children", {})
        if site in children:
            return children[site]
    raise KeyError(site)


def checks(run):
    """The messages of the discovery check (one per site that ran it), on success and failure."""
    messages = []
    for task in run.tasks:
        if not task["name"].endswith("Check that every published KMS host is found and one answers"):
            continue
        for item in (item for result in task["hosts"].values() for item in result.get("results") or []):
            messages.append(str(item.get("msg")))
    return messages


def test_sites_sharing_domains_publish_the_union_once_and_a_second_run_changes_nothing(
    named, site, kms_port, collection, tmp_path
):
    branch = f"branch.{site}"
    inventory = write(tmp_path, shared_inventory(named, site, kms_port))

    first = run_playbook("kmsops.kms.site", inventory, collection, cwd=tmp_path)
    assert first.rc == 0, first
    # both datacenters' hosts in the core domain (neither pruned the other), the branch domain
    # holds br1's own host first and dc1's hosts as fallback, written once for both branches
    assert srv(named, site) == [
        f"0 0 {kms_port} kms3.{site}.",
        f"0 40 {kms_port} kms2.{site}.",
        f"0 60 {kms_port} kms1.{site}.",
    ]
    assert srv(named, branch) == [
        f"0 0 {kms_port} kms1.{branch}.",
        f"10 40 {kms_port} kms2.{site}.",
        f"10 60 {kms_port} kms1.{site}.",
    ]
    published = [result for _host, result in first.results(action=PUBLISH) if not result.get("skipped")]
    assert len(published) == 1, "the estate is published by one task, run once"
    assert len(published[0]["results"]) == 1, "one kms_publish for the one DNS server and update host"
    # every site checked discovery and said what it expected and found
    messages = checks(first)
    assert len(messages) == 4, messages
    dc1 = next(m for m in messages if m.startswith(f"From client.dc1.{site}:"))
    assert dc1.startswith(f"From client.dc1.{site}: expected kms1.{site}, kms2.{site}, kms3.{site} in {site}; found ")
    assert "selected kms" in dc1

    serials = {zone: named.serial(zone) for zone in (site, branch)}
    second = run_playbook("kmsops.kms.site", inventory, collection, cwd=tmp_path)
    assert second.rc == 0, second
    assert second.changed_hosts() == {}
    assert {zone: named.serial(zone) for zone in serials} == serials

    # the report is a view of the same estate: every value found is a KMS host of the inventory
    out = tmp_path / "report"
    report = run_playbook(
        "kmsops.kms.report", inventory, collection, json_output=False, extra_vars={"kms_report_dir": out}, cwd=tmp_path
    )
    assert report.rc == 0, report.output[-3000:]
    data = json.loads((out / "kms-report.json").read_text())
    assert [s["name"] for s in data["sites"]] == ["dc1", "dc2", "br1", "br2"]
    assert all(c["in_inventory"] for s in data["sites"] for c in s["candidates"])
    assert data["summary"]["flagged_values"] == 0


def _refused(named, site, collection, tmp_path, data, *expected):
    """Run site.yml and the report on DATA: both fail before anything is written, with EXPECTED."""
    inventory = write(tmp_path, data)
    serials = {zone: named.serial(zone) for zone in (site, f"branch.{site}")}
    run = run_playbook("kmsops.kms.site", inventory, collection, cwd=tmp_path)
    assert run.rc != 0, run
    message = " ".join(run.failures())
    for text in expected:
        assert text in message, message
    assert not [r for _h, r in run.results(action=PUBLISH) if not r.get("skipped")], "something was published"
    assert {zone: named.serial(zone) for zone in serials} == serials
    assert srv(named, site) == [] and srv(named, f"branch.{site}") == []
    report = run_playbook(
        "kmsops.kms.report", inventory, collection, extra_vars={"kms_report_dir": tmp_path / "r"}, cwd=tmp_path
    )
    assert report.rc != 0 and all(text in " ".join(report.failures()) for text in expected), report
    return message


def test_a_host_in_two_sites_fails_before_anything_is_written(named, site, kms_port, collection, tmp_path):
    data = shared_inventory(named, site, kms_port)
    site_vars(data, "dc2")["hosts"][f"client.br1.{site}"] = None
    _refused(
        named, site, collection, tmp_path, data, "kms_site_group: the host is in two sites", f"host client.br1.{site}"
    )


def test_sites_with_different_ttls_in_one_domain_fail_before_anything_is_written(
    named, site, kms_port, collection, tmp_path
):
    data = shared_inventory(named, site, kms_port)
    site_vars(data, "dc2")["vars"]["kms_dns_ttl"] = 60
    _refused(
        named,
        site,
        collection,
        tmp_path,
        data,
        f"kms_dns_ttl: sites dc1 and dc2 both publish into {site} with different values (3600 and 60)",
        f"(site dc2, host kms3.{site})",
    )


def test_a_mistyped_topology_group_fails_before_anything_is_written(named, site, kms_port, collection, tmp_path):
    data = shared_inventory(named, site, kms_port)
    children = data["all"]["children"]
    children["kms_brnch_sites"] = children.pop("kms_branch_sites")
    _refused(
        named,
        site,
        collection,
        tmp_path,
        data,
        "the inventory group kms_brnch_sites looks like the topology group kms_branch_sites",
    )


def test_a_fallback_naming_the_site_itself_fails_naming_the_variable(named, site, kms_port, collection, tmp_path):
    data = shared_inventory(named, site, kms_port)
    site_vars(data, "br1")["vars"]["kms_fallback_site"] = "br1"
    _refused(
        named, site, collection, tmp_path, data, "kms_fallback_site: names the site itself (br1)", "(site br1, host"
    )


def test_a_site_under_two_topology_groups_fails_before_anything_is_written(named, site, kms_port, collection, tmp_path):
    data = shared_inventory(named, site, kms_port)
    data["all"]["children"]["kms_isolated_sites"] = {"children": {"br2": copy.deepcopy(site_vars(data, "br2"))}}
    _refused(
        named,
        site,
        collection,
        tmp_path,
        data,
        "kms_site_group: the site br2 is under two topology groups, kms_branch_sites and kms_isolated_sites",
    )


def test_when_no_kms_host_answers_the_check_says_what_it_expected_and_found(
    named, site, closed_port, collection, tmp_path
):
    """A closed KMS port and a host without addresses: the designed message, not a template error."""
    _algorithm, secret = named.keys["kms-publisher"]
    data = {
        "all": {
            "vars": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable},
            "children": {
                "kms_hosts": {"hosts": {f"kms1.{site}": None, f"kms2.{site}": None}},
                "kms_clients": {"hosts": {f"client.{site}": None}},
                "kms_core_sites": {
                    "children": {
                        "hq": {
                            "hosts": {
                                f"kms1.{site}": {"kms_host_addresses": ["127.0.0.1"], "kms_host_port": closed_port},
                                f"kms2.{site}": {"kms_host_addresses": [], "kms_host_port": closed_port},
                                f"client.{site}": None,
                            },
                            "vars": {
                                "kms_site_group": "hq",
                                "kms_site_domains": [site],
                                "kms_dns_server": named.address,
                                "kms_dns_port": named.port,
                                "kms_dns_key_name": "kms-publisher",
                                "kms_dns_key_secret": secret,
                            },
                        }
                    }
                },
            },
        }
    }
    run = run_playbook("kmsops.kms.site", write(tmp_path, data), collection, cwd=tmp_path)
    assert run.rc != 0, run
    messages = checks(run)
    assert len(messages) == 1, run
    message = messages[0]
    assert "NoneType" not in run.output
    assert message.startswith(f"From client.{site}: expected kms1.{site}, kms2.{site} in {site}; found "), message
    assert "; selected none." in message and "no KMS host found answers" in message, message
    assert f"kms1.{site}: 127.0.0.1 port {closed_port}" in message, message
    assert f"kms2.{site}: " in message, message


def test_an_overridden_kms_hosts_group_is_published_by_the_roles_and_known_to_the_report(
    named, site, kms_port, collection, tmp_path
):
    data = shared_inventory(named, site, kms_port)
    children = data["all"]["children"]
    children["my_kms"] = children.pop("kms_hosts")
    data["all"]["vars"]["kms_hosts_group"] = "my_kms"
    inventory = write(tmp_path, data)
    run = run_playbook("kmsops.kms.site", inventory, collection, cwd=tmp_path)
    assert run.rc == 0, run
    assert f"0 60 {kms_port} kms1.{site}." in srv(named, site)

    out = tmp_path / "report"
    report = run_playbook(
        "kmsops.kms.report", inventory, collection, json_output=False, extra_vars={"kms_report_dir": out}, cwd=tmp_path
    )
    assert report.rc == 0, report.output[-3000:]
    model = json.loads((out / "kms-report.json").read_text())
    dc1 = next(s for s in model["sites"] if s["name"] == "dc1")
    assert {c["target"] for c in dc1["candidates"]} == {f"kms1.{site}", f"kms2.{site}", f"kms3.{site}"}
    assert all(c["in_inventory"] for c in dc1["candidates"]), dc1["candidates"]
    assert dc1["flags"] == [] and model["summary"]["flagged_values"] == 0


def test_an_unresolvable_dns_server_is_reported_naming_kms_dns_server(named, site, kms_port, collection, tmp_path):
    data = shared_inventory(named, site, kms_port)
    for name in ("dc1", "dc2", "br1", "br2"):
        site_vars(data, name)["vars"]["kms_dns_server"] = "ns.nowhere.invalid"
    run = run_playbook("kmsops.kms.site", write(tmp_path, data), collection, cwd=tmp_path)
    assert run.rc != 0, run
    message = " ".join(run.failures())
    assert (
        f"kms_dns_server / kms_dns_port (ns.nowhere.invalid port {named.port}) of site(s) dc1, dc2, br1, br2" in message
    ), message
    assert "sent from localhost" in message, message
