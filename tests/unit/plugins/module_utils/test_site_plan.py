# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The site plan (module_utils/site/_site_plan.py) and the dns_bind zone list (_bind_zones.py)."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.kmsops.kms.plugins.filter.kms_site import FilterModule, site_plan
from ansible_collections.kmsops.kms.plugins.module_utils.common._errors import KmsOpsError
from ansible_collections.kmsops.kms.plugins.module_utils.kms._ledger import check_key_assignments
from ansible_collections.kmsops.kms.plugins.module_utils.site._bind_zones import bind_keys, bind_zones
from ansible_collections.kmsops.kms.plugins.module_utils.site._site_plan import (
    SitePlanError,
    key_assignments,
    plan_site,
)

KEY = "BCDFG-HJKMP-QRTVW-XY234-6789B"  # format-valid, not a real key
OTHER_KEY = "BCDFG-HJKMP-QRTVW-XY234-7689C"


def inventory():
    """A core site hq (two KMS hosts, a Linux and a Windows client), a branch br (one KMS host,
    one client) and a branch br2 without a KMS host."""
    groups = {
        "all": ["kms1", "kms2", "ws1", "win1", "bkms", "bws", "b2ws"],
        "kms_hosts": ["kms1", "kms2", "bkms"],
        "kms_clients": ["ws1", "win1", "bws", "b2ws"],
        "hq": ["kms1", "kms2", "ws1", "win1"],
        "br": ["bkms", "bws"],
        "br2": ["b2ws"],
    }
    hostvars = {
        "kms1": {"kms_host_fqdn": "KMS1.corp.example", "kms_host_addresses": ["192.0.2.10", "2001:db8::10"],
                 "kms_host_weight": 60, "kms_host_key": KEY},
        "kms2": {"kms_host_addresses": ["192.0.2.11"], "kms_host_weight": "40", "kms_host_port": 1689},
        "ws1": {"ansible_facts": {"os_family": "Debian"}},
        "win1": {"ansible_facts": {"os_family": "Windows"}},
        "bkms": {"kms_host_fqdn": "kms.br.example", "kms_host_addresses": ["198.51.100.10"]},
        "bws": {},
        "b2ws": {},
    }
    return groups, hostvars


def plan(host, site, domains, **kwargs):
    groups, hostvars = inventory()
    kwargs.setdefault("play_hosts", groups["all"])
    return plan_site(host=host, site=site, domains=domains, groups=kwargs.pop("groups", groups),
                     hostvars=kwargs.pop("hostvars", hostvars), **kwargs)


def test_core_site_publishes_its_kms_hosts_with_addresses_weights_and_ports():
    result = plan("ws1", "hq", ["corp.example"], priority=5)
    assert result["publish_hosts"] == [
        {"name": "kms1.corp.example", "addresses": ["192.0.2.10", "2001:db8::10"], "port": 1688,
         "publish": [{"domain": "corp.example", "priority": 5, "weight": 60}]},
        {"name": "kms2", "addresses": ["192.0.2.11"], "port": 1689,
         "publish": [{"domain": "corp.example", "priority": 5, "weight": 40}]},
    ]
    assert result["expected"] == ["kms1.corp.example", "kms2"]
    assert result["discovery_domains"] == ["corp.example"]
    assert result["first_host"] == "kms1"
    assert (result["client"], result["kms_host"], result["windows"]) == (True, False, False)


def test_every_domain_gets_every_host():
    result = plan("kms1", "hq", ["corp.example", "Other.Example."])
    assert [entry["domain"] for entry in result["publish_hosts"][0]["publish"]] == ["corp.example", "Other.Example."]
    assert result["kms_host"] is True


def test_branch_publishes_its_own_host_first_and_the_fallback_without_addresses():
    result = plan("bws", "br", "br.example", topology="branch", fallback_site="hq", fallback_priority=10)
    assert result["publish_hosts"] == [
        {"name": "kms.br.example", "addresses": ["198.51.100.10"], "port": 1688,
         "publish": [{"domain": "br.example", "priority": 0, "weight": 0}]},
        {"name": "kms1.corp.example", "addresses": [], "port": 1688,
         "publish": [{"domain": "br.example", "priority": 10, "weight": 60}]},
        {"name": "kms2", "addresses": [], "port": 1689,
         "publish": [{"domain": "br.example", "priority": 10, "weight": 40}]},
    ]
    assert result["expected"] == ["kms.br.example", "kms1.corp.example", "kms2"]
    assert result["discovery_hosts"] == ["bws"]


def test_branch_without_a_kms_host_publishes_only_the_fallback():
    result = plan("b2ws", "br2", ["br2.example"], topology="branch", fallback_site="hq")
    assert [host["name"] for host in result["publish_hosts"]] == ["kms1.corp.example", "kms2"]
    assert all(host["addresses"] == [] for host in result["publish_hosts"])


def test_discovery_searches_the_client_lookup_domain_when_set():
    result = plan("bws", "br", ["br.example"], client_kms_domain="corp.example")
    assert result["discovery_domains"] == ["corp.example"]
    assert result["expected"] == []
    explicit = plan("bws", "br", ["br.example"], client_kms_domain="corp.example",
                    discovery_domains=["BR.example."])
    assert explicit["expected"] == ["kms.br.example"]


def test_discovery_runs_on_linux_clients_in_the_play_or_on_the_update_host():
    assert plan("ws1", "hq", ["corp.example"])["discovery_hosts"] == ["ws1"]  # win1 is Windows
    groups, _hostvars = inventory()
    others = [host for host in groups["all"] if host != "ws1"]
    result = plan("kms1", "hq", ["corp.example"], play_hosts=others, dns_update_host="ns.corp.example")
    assert result["discovery_hosts"] == ["ns.corp.example"]
    assert result["first_host"] == "kms1"
    assert plan("win1", "hq", ["corp.example"])["windows"] is True


@pytest.mark.parametrize(("topology", "activation", "expected"), [
    ("core", None, "online"), ("branch", None, "online"), ("isolated", None, "phone"),
    ("isolated", "none", "none"), ("core", "phone", "phone"),
])
def test_activation_defaults_by_topology(topology, activation, expected):
    assert plan("kms1", "hq", ["corp.example"], topology=topology, activation=activation)["activation"] == expected


def test_first_host_is_the_first_of_the_site_in_the_play():
    assert plan("ws1", "hq", ["corp.example"], play_hosts=["bws", "ws1", "kms1"])["first_host"] == "ws1"


@pytest.mark.parametrize(("extra", "expected"), [
    (0, 0), (2, 2), ("3", 3), ({"6789B": 4}, 4), ({"6789b": 4}, 4), ({"ZZZZZ": 4}, 0), (None, 0),
])
def test_extra_hosts_granted_is_the_number_for_the_hosts_key(extra, expected):
    assert plan("kms1", "hq", ["corp.example"], extra_hosts_granted=extra)["extra_hosts_granted"] == expected


def test_extra_hosts_granted_agrees_with_the_inventory_check():
    """A mapping raises the limit of the inventory check and reaches kms_host as the same number."""
    extra = {"6789B": 2}
    assignments = {f"h{i}": KEY for i in range(8)}
    assert check_key_assignments(assignments, extra_hosts_granted=extra)[0]["limit"] == 8
    assert plan("kms1", "hq", ["corp.example"], extra_hosts_granted=extra)["extra_hosts_granted"] == 2
    with pytest.raises(KmsOpsError, match="assigned to 8 hosts"):
        check_key_assignments(assignments, extra_hosts_granted={"7689C": 2})


@pytest.mark.parametrize("extra", [True, "many", -1, {"6789B": "x"}])
def test_extra_hosts_granted_that_is_not_a_number_names_the_variable(extra):
    with pytest.raises(SitePlanError, match=r"^kms_extra_hosts_granted: ") as raised:
        plan("kms1", "hq", ["corp.example"], extra_hosts_granted=extra)
    assert raised.value.option == "kms_extra_hosts_granted"


@pytest.mark.parametrize(("change", "variable", "message"), [
    ({"site": "nowhere"}, "kms_site_group", "'nowhere' is not a group of the inventory"),
    ({"site": ""}, "kms_site_group", "must be a non-empty text"),
    ({"fallback_site": "core"}, "kms_fallback_site", "'core' is not a group of the inventory"),
    ({"fallback_site": "hq", "fallback_priority": 70000}, "kms_fallback_priority", "from 0 to 65535"),
    ({"fallback_site": "hq", "topology": "core"}, "kms_fallback_site", "only a branch office"),
    ({"fallback_site": "hq", "topology": "isolated"}, "kms_fallback_site", "only a branch office"),
    ({"activation": "fax"}, "kms_activation", "one of online, phone, none"),
    ({"topology": "remote"}, "topology", "one of core, branch, isolated"),
    ({"domains": []}, "kms_site_domains", "at least one"),
    ({"domains": [None]}, "kms_site_domains[0]", "non-empty text"),
    ({"domains": ["br.example", "_vlmcs._tcp.br.example"]}, "kms_site_domains[1]",
     "begins with the service name _vlmcs._tcp: give the domain clients search \\('br.example'\\)"),
    ({"discovery_domains": ["_vlmcs._tcp.br.example"]}, "kms_discovery_domains[0]", "the service name"),
    ({"client_kms_domain": "_tcp.br.example"}, "kms_client_kms_domain", "the service label '_tcp'"),
    ({"priority": "first"}, "kms_site_priority", "integer"),
    ({"priority": True}, "kms_site_priority", "integer"),
    ({"kms_hosts_group": "kms"}, "kms_hosts_group", "not a group"),
    ({"discovery_domains": {"a": 1}}, "kms_discovery_domains", "list of texts"),
])
def test_bad_site_settings_name_the_inventory_variable(change, variable, message):
    kwargs = {"site": "br", "domains": ["br.example"], "topology": "branch"}
    kwargs.update(change)
    with pytest.raises(SitePlanError, match=message) as raised:
        plan("bws", **kwargs)
    assert raised.value.option == variable
    assert str(raised.value).startswith(variable + ": ")


@pytest.mark.parametrize(("variable", "value", "message"), [
    ("kms_host_port", "http", "integer from 1 to 65535"),
    ("kms_host_port", 0, "from 1 to 65535"),
    ("kms_host_weight", 65536, "from 0 to 65535"),
    ("kms_host_addresses", "192.0.2.10", "list of IPv4/IPv6 addresses"),
    ("kms_host_addresses", ["192.0.2.300"], "not a valid IPv4 or IPv6 address"),
    ("kms_host_addresses", ["::ffff:192.0.2.1"], "IPv4-mapped"),
    ("kms_host_port", "1_0", "integer from 1 to 65535"),
    ("kms_host_fqdn", 5, "non-empty text"),
])
def test_bad_kms_host_variables_name_the_variable_and_the_host(variable, value, message):
    groups, hostvars = inventory()
    hostvars["kms2"][variable] = value
    with pytest.raises(SitePlanError, match=message) as raised:
        plan("ws1", "hq", ["corp.example"], hostvars=hostvars)
    assert raised.value.option == f"{variable} of host kms2"


def test_a_host_outside_the_site_it_names_is_an_error():
    with pytest.raises(SitePlanError, match="host bws is not in the group 'hq'"):
        plan("bws", "hq", ["corp.example"])


def test_key_assignments_lists_the_hosts_with_a_key():
    groups, hostvars = inventory()
    hostvars["kms2"]["kms_host_key"] = OTHER_KEY
    hostvars["bkms"]["kms_host_key"] = None
    assert key_assignments(groups["kms_hosts"], hostvars) == {"kms1": KEY, "kms2": OTHER_KEY}


def test_filters_are_registered_and_turn_errors_into_filter_errors():
    assert set(FilterModule().filters()) == {"site_plan", "site_key_assignments", "bind_zones", "bind_keys"}
    groups, hostvars = inventory()
    with pytest.raises(AnsibleFilterError, match="site_plan: kms_site_group: 'x' is not a group"):
        site_plan("x", host="ws1", groups=groups, hostvars=hostvars, play_hosts=[], domains=["a.example"])


# --- dns_bind zones and keys ------------------------------------------------------------------

def test_zone_names_are_made_absolute_once():
    zones = bind_zones([
        {"name": "Corp.Example.", "kms_hosts": ["kms1", "KMS1", "kms2.corp.example", "kms.other.example."],
         "publish_from_hosts": ["kms1.core.example."]},
        {"name": "lab.example", "ns": "ns.lab.example", "hostmaster": "admin.other.example.", "ttl": 60,
         "ns_addresses": ["10.30.0.53"], "records": [{"name": "www", "type": "A", "value": "10.0.0.1"}]},
    ], zone_dir="/var/lib/bind", ns="ns1", ns_addresses=["192.0.2.53"])
    assert zones[0] == {
        "name": "corp.example", "file": "/var/lib/bind/db.corp.example", "ttl": 3600,
        "ns": "ns1.corp.example", "ns_in_zone": True, "ns_addresses": ["192.0.2.53"],
        "hostmaster": "hostmaster.corp.example", "records": [],
        "kms_hosts": ["kms1.corp.example", "kms2.corp.example", "kms.other.example"],
        "publish_from_hosts": ["kms1.core.example"], "extra_grants": [],
    }
    assert (zones[1]["ns"], zones[1]["hostmaster"], zones[1]["ttl"]) == ("ns.lab.example", "admin.other.example", 60)
    assert zones[1]["ns_addresses"] == ["10.30.0.53"] and zones[1]["records"][0]["name"] == "www"


def test_a_name_server_outside_the_zone_is_not_in_the_zone():
    zone = bind_zones([{"name": "corp.example", "ns": "ns1.example.net."}], zone_dir="/z")[0]
    assert (zone["ns"], zone["ns_in_zone"]) == ("ns1.example.net", False)


def test_keys_publisher_then_one_per_kms_host_then_extra():
    zones = bind_zones([{"name": "a.example", "kms_hosts": ["kms1"]},
                        {"name": "b.example", "kms_hosts": ["kms1.a.example.", "kms"]}], zone_dir="/z")
    assert bind_keys(zones, publisher="kms-publisher", algorithm="hmac-sha256") == [
        {"name": "kms-publisher", "algorithm": "hmac-sha256", "role": "publisher"}]
    keys = bind_keys(zones, publisher="kms-publisher", algorithm="hmac-sha256", kms_host_keys=True,
                     extra_keys=[{"name": "admin", "algorithm": "hmac-sha512"}, {"name": "ops"}])
    assert [(key["name"], key["algorithm"], key["role"]) for key in keys] == [
        ("kms-publisher", "hmac-sha256", "publisher"), ("kms1.a.example", "hmac-sha256", "kms_host"),
        ("kms.b.example", "hmac-sha256", "kms_host"), ("admin", "hmac-sha512", "extra"),
        ("ops", "hmac-sha256", "extra")]


@pytest.mark.parametrize(("zones", "variable"), [
    ([{"kms_hosts": ["kms"]}], "dns_bind_zones[0].name"),
    (["corp.example"], "dns_bind_zones[0]"),
    ([{"name": "a.example", "kms_hosts": "kms1"}], "dns_bind_zones[0].kms_hosts"),
    ([{"name": "a.example"}, {"name": "b.example", "ttl": "soon"}], "dns_bind_zones[1].ttl"),
    ({"name": "a.example"}, "dns_bind_zones"),
])
def test_bad_zones_name_the_role_variable(zones, variable):
    with pytest.raises(SitePlanError) as raised:
        bind_zones(zones, zone_dir="/z")
    assert raised.value.option == variable


def test_two_keys_with_one_name_are_refused():
    with pytest.raises(SitePlanError, match="'kms-publisher' is used by the publisher key") as raised:
        bind_keys([], publisher="kms-publisher", algorithm="hmac-sha256", extra_keys=[{"name": "kms-publisher"}])
    assert raised.value.option == "dns_bind_extra_keys"
