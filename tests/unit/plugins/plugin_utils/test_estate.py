# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The estate model (plugins/plugin_utils/_estate.py): the one table of the inventory variables,
the reader, the checks of the whole estate, publishing per domain, the discovery verdict."""

from __future__ import annotations

import copy
import os
import re

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.kmsops.kms.plugins.filter.kms_estate import FilterModule, kms_estate
from ansible_collections.kmsops.kms.plugins.module_utils.common._errors import KmsOpsError
from ansible_collections.kmsops.kms.plugins.plugin_utils import _estate
from ansible_collections.kmsops.kms.plugins.plugin_utils._estate import (
    HOST,
    REQUIRED,
    SITE,
    VARIABLES,
    EstateError,
    discovery_verdict,
    host_view,
    key_assignments,
    publish_error,
    read_estate,
    unit_secret,
)
from ansible_collections.kmsops.kms.plugins.plugin_utils.kms._ledger import check_key_assignments

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
KEY = "BCDFG-HJKMP-QRTVW-XY234-6789B"  # format-valid, not a real key


# -- the one table -------------------------------------------------------------------------------


def _role_options(role):
    with open(os.path.join(REPO, "roles", role, "meta", "argument_specs.yml"), encoding="utf-8") as handle:
        return yaml.safe_load(handle)["argument_specs"]["main"]["options"]


def test_the_table_holds_every_role_option_with_its_default():
    """The kms role documents the shared vocabulary; branch_office adds its fallback."""
    options = dict(_role_options("kms"), **_role_options("branch_office"))
    site_variables = {name for name, (scope, _d) in VARIABLES.items() if scope == SITE}
    assert site_variables == set(options)
    for name, spec in options.items():
        default = VARIABLES[name][1]
        if spec.get("required"):
            assert default is REQUIRED, name
        else:
            assert spec.get("default") == default, name


def test_the_table_holds_the_host_variables_the_readme_documents():
    with open(os.path.join(REPO, "inventories", "README.md"), encoding="utf-8") as handle:
        readme = handle.read()
    documented = set(re.findall(r"`(kms_[a-z_]+)`", readme))
    for name in VARIABLES:
        assert name in documented, f"{name} is not documented in inventories/README.md"
    plugins = {name[:-3] for name in os.listdir(os.path.join(REPO, "plugins", "modules")) if name.endswith(".py")}
    groups = {"kms_hosts", "kms_clients", "kms_core_sites", "kms_branch_sites", "kms_isolated_sites", "kms_dns_servers"}
    unknown = {name for name in documented - set(VARIABLES) - plugins - groups if not name.endswith("_sites")}
    assert not unknown, f"inventories/README.md documents variables the reader does not know: {unknown}"
    host_variables = {name for name, (scope, _d) in VARIABLES.items() if scope == HOST}
    assert host_variables == {
        "kms_host_fqdn",
        "kms_host_addresses",
        "kms_host_port",
        "kms_host_weight",
        "kms_host_key",
        "kms_host_confirmation_id",
    }


def test_the_role_has_no_second_table_of_defaults():
    assert not os.path.exists(os.path.join(REPO, "roles", "kms", "defaults", "main.yml"))


def test_a_null_value_is_the_default():
    assert _estate.read({"kms_dns_ttl": None}, "kms_dns_ttl") == 3600
    assert _estate.read({"kms_dns_ttl": 60}, "kms_dns_ttl") == 60
    with pytest.raises(KeyError):
        _estate.read({}, "kms_not_a_variable")


# -- an inventory --------------------------------------------------------------------------------


def inventory():
    """Core sites hq and dc2 sharing corp.example, a branch br (own KMS host, hq as fallback) and a
    branch br2 without a KMS host sharing br.example... no: br2 has its own domain br2.example."""
    groups = {
        "all": ["kms1", "kms2", "ws1", "win1", "dkms", "bkms", "bws", "b2ws"],
        "kms_hosts": ["kms1", "kms2", "dkms", "bkms"],
        "kms_clients": ["ws1", "win1", "bws", "b2ws"],
        "kms_core_sites": ["kms1", "kms2", "ws1", "win1", "dkms"],
        "kms_branch_sites": ["bkms", "bws", "b2ws"],
        "hq": ["kms1", "kms2", "ws1", "win1"],
        "dc2": ["dkms"],
        "br": ["bkms", "bws"],
        "br2": ["b2ws"],
        "ungrouped": [],
    }
    dns = {
        "kms_dns_server": "192.0.2.53",
        "kms_dns_port": 5353,
        "kms_dns_key_name": "pub",
        "kms_dns_key_secret": "c2VjcmV0",
        "kms_prune": True,
    }
    hq = dict(dns, kms_site_group="hq", kms_site_domains=["corp.example"])
    dc2 = dict(dns, kms_site_group="dc2", kms_site_domains=["Corp.Example."])
    br = dict(dns, kms_site_group="br", kms_site_domains=["br.example"], kms_fallback_site="hq")
    br2 = dict(
        dns, kms_site_group="br2", kms_site_domains=["br2.example"], kms_fallback_site="hq", kms_fallback_priority=20
    )
    hostvars = {
        "kms1": dict(
            hq,
            kms_host_fqdn="KMS1.corp.example",
            kms_host_addresses=["192.0.2.10", "2001:db8::10"],
            kms_host_weight=60,
            kms_host_key=KEY,
        ),
        "kms2": dict(hq, kms_host_addresses=["192.0.2.11"], kms_host_weight="40", kms_host_port=1689),
        "ws1": dict(hq, ansible_facts={"os_family": "Debian"}),
        "win1": dict(hq, ansible_facts={"os_family": "Windows"}),
        "dkms": dict(dc2, kms_host_fqdn="kms.dc2.corp.example", kms_host_addresses=["192.0.2.20"]),
        "bkms": dict(br, kms_host_fqdn="kms.br.example", kms_host_addresses=["198.51.100.10"]),
        "bws": dict(br),
        "b2ws": dict(br2),
    }
    return groups, hostvars


def estate(change=None, **kwargs):
    groups, hostvars = inventory()
    if change:
        change(groups, hostvars)
    return read_estate(groups, hostvars, **kwargs)


def error_of(change):
    with pytest.raises(EstateError) as raised:
        estate(change)
    return raised.value


# -- the reader ----------------------------------------------------------------------------------


def test_sites_topologies_and_hosts_are_read_once():
    model = estate()
    assert model["site_order"] == ["hq", "dc2", "br", "br2"]
    assert {name: site["topology"] for name, site in model["sites"].items()} == {
        "hq": "core",
        "dc2": "core",
        "br": "branch",
        "br2": "branch",
    }
    assert model["hosts"]["kms1"]["site"] == "hq" and model["hosts"]["kms1"]["kms_host"] is True
    assert model["hosts"]["ws1"]["client"] is True and model["hosts"]["kms2"]["port"] == 1689
    assert model["kms_host_names"] == ["kms.br.example", "kms.dc2.corp.example", "kms1.corp.example", "kms2"]
    assert model["windows_hosts"] == ["win1"]


def test_sites_sharing_a_domain_publish_the_union_of_their_hosts():
    model = estate()
    corp = model["domains"]["corp.example"]
    assert corp["sites"] == ["hq", "dc2"]
    assert [(v["target"], v["priority"], v["weight"], v["port"]) for v in corp["values"]] == [
        ("kms1.corp.example", 0, 60, 1688),
        ("kms2", 0, 40, 1689),
        ("kms.dc2.corp.example", 0, 0, 1688),
    ]


def test_a_branch_publishes_its_own_host_and_the_fallback_without_addresses():
    model = estate()
    br = model["domains"]["br.example"]["values"]
    assert [(v["target"], v["priority"], v["addresses"]) for v in br] == [
        ("kms.br.example", 0, True),
        ("kms1.corp.example", 10, False),
        ("kms2", 10, False),
    ]
    assert [(v["target"], v["priority"]) for v in model["domains"]["br2.example"]["values"]] == [
        ("kms1.corp.example", 20),
        ("kms2", 20),
    ]


def test_one_publish_task_per_dns_server_and_update_host():
    model = estate()
    assert len(model["publish"]) == 1
    unit = model["publish"][0]
    assert (unit["server"], unit["port"], unit["update_host"], unit["ttl"], unit["prune"]) == (
        "192.0.2.53",
        5353,
        "localhost",
        3600,
        True,
    )
    # the owner recorded beside the values (kms_publish owner) and prune of unowned values: defaults
    assert (unit["owner"], unit["prune_unowned"]) == ("kmsops", False)
    assert unit["domains"] == ["corp.example", "br.example", "br2.example"]
    assert unit["sites"] == ["hq", "dc2", "br", "br2"]
    by_name = {host["name"]: host for host in unit["hosts"]}
    assert by_name["kms1.corp.example"] == {
        "name": "kms1.corp.example",
        "addresses": ["192.0.2.10", "2001:db8::10"],
        "port": 1688,
        "publish": [
            {"domain": "corp.example", "priority": 0, "weight": 60},
            {"domain": "br.example", "priority": 10, "weight": 60},
            {"domain": "br2.example", "priority": 20, "weight": 60},
        ],
    }
    assert by_name["kms.br.example"]["addresses"] == ["198.51.100.10"]
    assert "c2VjcmV0" not in repr(model), "the TSIG secret must never be in the model"
    assert KEY not in repr(model), "the KMS host key must never be in the model"


def test_sites_on_another_server_get_their_own_task():
    def change(groups, hostvars):
        for host in ("bkms", "bws"):
            hostvars[host]["kms_dns_server"] = "198.51.100.53"

    units = estate(change)["publish"]
    assert [(u["server"], u["domains"]) for u in units] == [
        ("192.0.2.53", ["corp.example", "br2.example"]),
        ("198.51.100.53", ["br.example"]),
    ]


def test_the_secret_is_read_for_the_task_alone():
    groups, hostvars = inventory()
    unit = read_estate(groups, hostvars)["publish"][0]
    assert unit_secret(unit, hostvars) == "c2VjcmV0"
    for host in hostvars.values():
        host.pop("kms_dns_key_secret")
    unit = read_estate(groups, hostvars)["publish"][0]
    assert unit["secret_host"] is None and unit_secret(unit, hostvars) is None


def test_discovery_expects_every_host_the_estate_publishes_in_the_searched_domains():
    model = estate()
    assert model["sites"]["hq"]["discovery"]["expected"] == ["kms1.corp.example", "kms2", "kms.dc2.corp.example"]
    assert model["sites"]["hq"]["discovery"]["hosts"] == ["ws1"]  # win1 is Windows
    assert model["sites"]["dc2"]["discovery"]["hosts"] == ["localhost"]  # no client: the update host
    assert model["sites"]["br"]["discovery"]["nameservers"] == ["192.0.2.53"]


def test_discovery_domains_default_to_the_client_lookup_domain_and_an_empty_list_checks_nothing():
    def lookup(groups, hostvars):
        for host in ("bkms", "bws"):
            hostvars[host]["kms_client_kms_domain"] = "corp.example"

    site = estate(lookup)["sites"]["br"]
    assert site["discovery"]["domains"] == ["corp.example"]
    assert site["discovery"]["expected"] == ["kms1.corp.example", "kms2", "kms.dc2.corp.example"]

    def empty(groups, hostvars):
        for host in ("bkms", "bws"):
            hostvars[host]["kms_discovery_domains"] = []

    site = estate(empty)["sites"]["br"]
    assert site["discovery"]["domains"] == [] and site["discovery"]["expected"] == []


def test_discovery_runs_from_clients_in_the_play():
    model = estate(play_hosts=["kms1", "kms2"])
    assert model["sites"]["hq"]["discovery"]["hosts"] == ["localhost"]


@pytest.mark.parametrize(
    ("topology", "activation", "expected"),
    [
        ("kms_core_sites", None, "online"),
        ("kms_isolated_sites", None, "phone"),
        ("kms_isolated_sites", "none", "none"),
        ("kms_core_sites", "phone", "phone"),
    ],
)
def test_activation_defaults_by_topology(topology, activation, expected):
    groups = {"all": ["k"], "kms_hosts": ["k"], topology: ["k"], "s": ["k"]}
    hostvars = {
        "k": {
            "kms_site_group": "s",
            "kms_site_domains": ["s.example"],
            "kms_dns_server": "ns",
            "kms_activation": activation,
        }
    }
    assert read_estate(groups, hostvars)["sites"]["s"]["activation"] == expected


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (0, 0),
        (2, 2),
        ("3", 3),
        ({"6789B": 4}, 4),
        ({"6789b": 4}, 4),
        ({"ZZZZZ": 4}, 0),
        (None, 0),
    ],
)
def test_extra_hosts_granted_is_the_number_for_the_hosts_key(extra, expected):
    def change(groups, hostvars):
        for host_vars in hostvars.values():
            host_vars["kms_extra_hosts_granted"] = extra

    assert estate(change)["hosts"]["kms1"]["extra_hosts_granted"] == expected


def test_extra_hosts_granted_agrees_with_the_inventory_check():
    extra = {"6789B": 2}
    assignments = {f"h{i}": KEY for i in range(8)}
    assert check_key_assignments(assignments, extra_hosts_granted=extra)[0]["limit"] == 8
    with pytest.raises(KmsOpsError, match="assigned to 8 hosts"):
        check_key_assignments(assignments, extra_hosts_granted={"7689C": 2})


def test_key_assignments_lists_the_kms_hosts_with_a_key():
    groups, hostvars = inventory()
    hostvars["kms2"]["kms_host_key"] = None
    hostvars["ws1"]["kms_host_key"] = KEY  # not a KMS host
    assert key_assignments(groups, hostvars) == {"kms1": KEY}
    groups["my_kms"] = ["kms2"]
    hostvars["kms2"]["kms_host_key"] = KEY
    assert key_assignments(groups, hostvars, "my_kms") == {"kms2": KEY}


def test_an_overridden_kms_hosts_group_is_the_estates():
    def change(groups, hostvars):
        groups["my_kms"] = groups.pop("kms_hosts")
        for host_vars in hostvars.values():
            host_vars["kms_hosts_group"] = "my_kms"

    model = estate(change)
    assert model["kms_hosts_group"] == "my_kms"
    assert "kms1.corp.example" in model["kms_host_names"]
    assert model["hosts"]["kms1"]["kms_host"] is True


def test_host_view_says_what_the_role_does_on_a_host():
    model = estate()
    view = host_view(model, "ws1", "core", play_hosts=["bws", "ws1", "kms1"])
    assert view["site"] == "hq" and view["runs_site_steps"] is True
    assert host_view(model, "kms1", "core", play_hosts=["bws", "ws1", "kms1"])["runs_site_steps"] is False
    with pytest.raises(EstateError, match="branch office role was applied to a site of kms_core_sites"):
        host_view(model, "ws1", "branch")
    with pytest.raises(EstateError, match=r"^kms_site_group: the host is in no site"):
        host_view(model, "nowhere", "core")


# -- the checks of the whole estate --------------------------------------------------------------


def _set(hosts, **values):
    def change(groups, hostvars):
        for host in hosts:
            hostvars[host].update(values)

    return change


def test_a_host_in_two_sites_is_an_error_naming_both():
    def change(groups, hostvars):
        groups["br"].append("kms2")
        groups["kms_branch_sites"].append("kms2")

    error = error_of(change)
    assert error.option == "kms_site_group"
    assert "the host is in two sites, hq and br" in str(error) and "host kms2" in str(error)


def test_a_host_naming_another_site_than_its_group_is_an_error():
    error = error_of(_set(["kms2"], kms_site_group="br"))
    assert error.option == "kms_site_group" and "site hq, host kms2" in str(error)


def test_a_site_under_two_topology_groups_is_an_error():
    def change(groups, hostvars):
        groups["kms_branch_sites"] += groups["dc2"]

    error = error_of(change)
    assert error.option == "kms_site_group"
    assert "the site dc2 is under two topology groups, kms_core_sites and kms_branch_sites" in str(error)
    assert "host dkms" in str(error)


@pytest.mark.parametrize("name", ["kms_brnch_sites", "kms_core_site", "kms_isolated_site", "KMS_Branch_Sites"])
def test_a_group_that_looks_like_a_topology_group_is_an_error(name):
    def change(groups, hostvars):
        groups[name] = groups.pop("kms_branch_sites")

    error = error_of(change)
    assert f"the inventory group {name} looks like the topology group" in str(error)
    assert error.option == "kms_site_group" and "host bkms" in str(error)


def test_other_kms_groups_are_not_taken_for_typos():
    def change(groups, hostvars):
        groups["kms_hosts_old"] = []
        groups["kms_dns_servers"] = []

    estate(change)


@pytest.mark.parametrize(
    ("fallback", "message"),
    [
        ("br", "names the site itself (br)"),
        ("br2", "names br2, which is a branch office site"),
        ("nowhere", "names nowhere, which is not a site of the inventory"),
    ],
)
def test_a_fallback_that_is_not_a_core_site_is_an_error(fallback, message):
    error = error_of(_set(["bkms", "bws"], kms_fallback_site=fallback))
    assert error.option == "kms_fallback_site"
    assert message in str(error) and "(site br, host bkms)" in str(error)


def test_only_a_branch_has_a_fallback():
    error = error_of(_set(["dkms"], kms_fallback_site="hq"))
    assert error.option == "kms_fallback_site" and "only a branch office" in str(error)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("kms_dns_ttl", 60),
        ("kms_dns_server", "198.51.100.53"),
        ("kms_dns_port", 53),
        ("kms_dns_key_name", "other"),
        ("kms_dns_key_file", "/etc/k.key"),
        ("kms_prune", False),
        ("kms_dns_update_host", "ns.corp.example"),
        ("kms_dns_owner", "dc2-team"),
        ("kms_prune_unowned", True),
    ],
)
def test_sites_publishing_into_one_domain_with_settings_that_cannot_both_hold(variable, value):
    error = error_of(_set(["dkms"], **{variable: value}))
    assert error.option == variable
    assert "sites hq and dc2 both publish into corp.example with different values" in str(error)
    assert "(site dc2, host dkms)" in str(error)


@pytest.mark.parametrize("owner", ["", "central team", "a,b", "x" * 64])
def test_a_bad_dns_owner_is_an_error_naming_the_variable(owner):
    error = error_of(_set(["dkms"], kms_dns_owner=owner))
    assert error.option == "kms_dns_owner" and "(site dc2, host dkms)" in str(error)


def test_the_owner_and_prune_unowned_reach_the_publish_task():
    def change(groups, hostvars):
        for host in hostvars.values():
            host.update(kms_dns_owner="central", kms_prune_unowned="yes")

    unit = estate(change)["publish"][0]
    assert (unit["owner"], unit["prune_unowned"]) == ("central", True)


def test_one_host_with_two_priorities_in_one_domain_is_an_error():
    # br2 publishes into br.example too: hq's hosts would be there with priorities 10 and 20
    error = error_of(_set(["b2ws"], kms_site_domains=["br.example"]))
    assert error.option == "kms_fallback_priority" and "two priorities, 10 (site br) and 20" in str(error)


def test_every_site_names_the_same_kms_hosts_group():
    error = error_of(_set(["bkms", "bws"], kms_hosts_group="my_kms"))
    assert error.option == "kms_hosts_group" and "sites hq and br set different values" in str(error)


@pytest.mark.parametrize(
    ("hosts", "variable", "value", "message"),
    [
        (["kms1", "kms2", "ws1", "win1"], "kms_site_domains", [], "at least one"),
        (["kms1", "kms2", "ws1", "win1"], "kms_site_domains", [None], "non-empty text"),
        (["kms1", "kms2", "ws1", "win1"], "kms_site_domains", ["bad domain"], "not a valid domain name"),
        (
            ["kms1", "kms2", "ws1", "win1"],
            "kms_site_domains",
            ["corp.example", "_vlmcs._tcp.corp.example"],
            "begins with the service name _vlmcs._tcp: give the domain clients search ('corp.example')",
        ),
        (["kms1", "kms2", "ws1", "win1"], "kms_discovery_domains", ["_vlmcs._tcp.corp.example"], "the service name"),
        (["kms1", "kms2", "ws1", "win1"], "kms_client_kms_domain", "_tcp.corp.example", "the service label '_tcp'"),
        (["kms1", "kms2", "ws1", "win1"], "kms_site_priority", "first", "integer"),
        (["kms1", "kms2", "ws1", "win1"], "kms_site_priority", True, "integer"),
        (["kms1", "kms2", "ws1", "win1"], "kms_activation", "fax", "one of online, phone, none"),
        (["kms1", "kms2", "ws1", "win1"], "kms_discovery_domains", {"a": 1}, "list of texts"),
        (["bkms", "bws"], "kms_fallback_priority", 70000, "from 0 to 65535"),
        (["kms1", "kms2", "ws1", "win1", "dkms"], "kms_dns_ttl", "soon", "integer"),
        (["kms1", "kms2", "ws1", "win1", "dkms", "bkms", "bws", "b2ws"], "kms_hosts_group", "kms", "not a group"),
        (["kms1", "kms2", "ws1", "win1", "dkms", "bkms", "bws", "b2ws"], "kms_extra_hosts_granted", "many", ""),
    ],
)
def test_bad_site_settings_name_the_variable_and_the_site(hosts, variable, value, message):
    error = error_of(_set(hosts, **{variable: value}))
    assert error.option.startswith(variable)
    assert message in str(error) and str(error).startswith(error.option + ": ")
    assert "site " in str(error)


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("kms_host_port", "http", "integer from 1 to 65535"),
        ("kms_host_port", 0, "from 1 to 65535"),
        ("kms_host_weight", 65536, "from 0 to 65535"),
        ("kms_host_addresses", "192.0.2.10", "list of IPv4/IPv6 addresses"),
        ("kms_host_addresses", ["192.0.2.300"], "not a valid IPv4 or IPv6 address"),
        ("kms_host_addresses", ["::ffff:192.0.2.1"], "IPv4-mapped"),
        ("kms_host_port", "1_0", "integer from 1 to 65535"),
        ("kms_host_fqdn", 5, ""),
    ],
)
def test_bad_kms_host_variables_name_the_variable_the_site_and_the_host(variable, value, message):
    error = error_of(_set(["kms2"], **{variable: value}))
    assert error.option == variable
    assert message in str(error) and "(site hq, host kms2)" in str(error)


def test_a_host_of_a_topology_group_without_a_site_is_an_error():
    def change(groups, hostvars):
        hostvars["dkms"].pop("kms_site_group")

    error = error_of(change)
    assert error.option == "kms_site_group" and "host dkms" in str(error)


# -- the discovery verdict -----------------------------------------------------------------------


def candidate(target, reachable=True, addresses=("192.0.2.10",), error=None):
    return {
        "target": target,
        "domain": "corp.example",
        "port": 1688,
        "priority": 0,
        "weight": 0,
        "addresses": list(addresses),
        "reachable": reachable,
        "error": error,
    }


def test_the_verdict_says_what_was_expected_and_found_on_success():
    found = [candidate("kms1.corp.example"), candidate("kms2.corp.example")]
    verdict = discovery_verdict(
        {"item": "ws1", "candidates": found, "selected": found[0]},
        ["kms1.corp.example", "KMS2.corp.example."],
        ["corp.example"],
    )
    assert verdict == {
        "ok": True,
        "msg": "From ws1: expected kms1.corp.example, kms2.corp.example in corp.example; "
        "found kms1.corp.example -> kms2.corp.example; selected kms1.corp.example.",
    }


def test_the_verdict_when_no_host_answers_says_expected_and_found():
    closed = [candidate("kms1.corp.example", reachable=False, error="192.0.2.10 port 1688: refused")]
    verdict = discovery_verdict(
        {"item": "ws1", "candidates": closed, "selected": None}, ["kms1.corp.example"], ["corp.example"]
    )
    assert verdict["ok"] is False
    assert verdict["msg"].startswith(
        "From ws1: expected kms1.corp.example in corp.example; found kms1.corp.example; selected none."
    )
    assert "no KMS host found answers" in verdict["msg"] and "refused" in verdict["msg"]


def test_the_verdict_for_a_host_without_addresses():
    bare = [candidate("kms1.corp.example", reachable=False, addresses=(), error="no address")]
    verdict = discovery_verdict(
        {"item": "ws1", "candidates": bare, "selected": None}, ["kms1.corp.example"], ["corp.example"]
    )
    assert verdict["ok"] is False and "selected none" in verdict["msg"] and "no address" in verdict["msg"]


def test_the_verdict_names_what_is_missing_and_a_failed_lookup():
    verdict = discovery_verdict(
        {"item": "ws1", "candidates": [], "selected": None, "errors": [{"domain": "corp.example", "msg": "no answer"}]},
        ["kms1.corp.example"],
        ["corp.example"],
    )
    assert verdict["ok"] is False
    assert "found nothing; selected none." in verdict["msg"] and "not found: kms1.corp.example" in verdict["msg"]
    assert "corp.example: no answer" in verdict["msg"]
    failed = discovery_verdict({"item": "ws1", "failed": True, "msg": "nameservers: bad"}, [], ["corp.example"])
    assert failed["ok"] is False and "kms_discover failed: nameservers: bad" in failed["msg"]


def test_the_verdict_of_a_missing_host_fails_even_when_another_answers():
    found = [candidate("kms1.corp.example")]
    verdict = discovery_verdict(
        {"item": "ws1", "candidates": found, "selected": found[0]},
        ["kms1.corp.example", "kms2.corp.example"],
        ["corp.example"],
    )
    assert verdict["ok"] is False and "not found: kms2.corp.example" in verdict["msg"]


# -- publishing errors in the inventory's words --------------------------------------------------


def test_a_server_error_names_kms_dns_server_and_kms_dns_port():
    unit = estate()["publish"][0]
    results = {
        "results": [
            {
                "failed": True,
                "option": "server",
                "item": unit,
                "msg": "server: cannot reach 192.0.2.53 port 5353: timed out",
            }
        ]
    }
    message = publish_error(results)
    assert message.startswith("kms_dns_server / kms_dns_port (192.0.2.53 port 5353) of site(s) hq, dc2, br, br2")
    assert "cannot reach 192.0.2.53 port 5353: timed out" in message and "from localhost" in message


def test_a_key_error_names_the_key_variable():
    unit = estate()["publish"][0]
    message = publish_error({"failed": True, "option": "key_file", "msg": "key_file: no such file"}, unit)
    assert message.startswith("kms_dns_key_file (192.0.2.53 port 5353)") and "no such file" in message


# -- the filters ---------------------------------------------------------------------------------


def test_filters_are_registered_and_turn_errors_into_filter_errors():
    assert set(FilterModule().filters()) == {
        "kms_estate",
        "kms_estate_host",
        "kms_estate_secret",
        "kms_estate_keys",
        "kms_discovery_verdict",
        "kms_publish_error",
    }
    groups, hostvars = inventory()
    hostvars = copy.deepcopy(hostvars)
    hostvars["dkms"]["kms_dns_ttl"] = 5
    with pytest.raises(AnsibleFilterError, match=r"^kms_estate: kms_dns_ttl: sites hq and dc2"):
        kms_estate(groups, hostvars)


def test_every_filter_is_documented():
    for name in FilterModule().filters():
        path = os.path.join(REPO, "plugins", "filter", name + ".yml")
        with open(path, encoding="utf-8") as handle:
            doc = yaml.safe_load(handle)
        assert doc["DOCUMENTATION"]["name"] == name
