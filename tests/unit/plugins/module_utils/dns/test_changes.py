# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""From module parameters to wanted RRset changes (dns_record and kms_publish)."""

from __future__ import annotations

import dns.name
import pytest

from ansible_collections.kmsops.kms.plugins.module_utils.common._errors import InvalidValue
from ansible_collections.kmsops.kms.plugins.module_utils.dns._changes import (
    publish_changes,
    record_changes,
    record_name,
)
from ansible_collections.kmsops.kms.plugins.module_utils.dns._errors import InvalidInput
from ansible_collections.kmsops.kms.plugins.module_utils.dns._module import make_transport
from ansible_collections.kmsops.kms.plugins.module_utils.dns._records import RRset, parse_value

ZONE = dns.name.from_text("corp.example.")


def name(text):
    return dns.name.from_text(text)


@pytest.mark.parametrize(
    "given,expected",
    [
        ("_vlmcs._tcp", "_vlmcs._tcp.corp.example."),
        ("_vlmcs._tcp.corp.example", "_vlmcs._tcp.corp.example."),
        ("kms1.other.example.", "kms1.other.example."),
        ("@", "corp.example."),
    ],
)
def test_record_names_relative_to_zone_or_absolute(given, expected):
    assert record_name(given, ZONE) == name(expected)


def test_record_without_zone_is_absolute():
    assert record_name("_vlmcs._tcp.corp.example", None) == name("_vlmcs._tcp.corp.example.")


def record_params(**extra):
    params = {
        "zone": None,
        "name": "_vlmcs._tcp.corp.example",
        "type": "SRV",
        "values": ["0 0 1688 kms1.corp.example"],
        "ttl": 3600,
        "state": "present",
        "exclusive": False,
    }
    params.update(extra)
    return params


def test_present_needs_values():
    with pytest.raises(InvalidInput, match="values: state=present needs at least one value"):
        record_changes(record_params(values=[]))


def test_name_outside_zone_is_rejected():
    with pytest.raises(InvalidInput, match=r"name: kms1.other.example. is not inside zone corp.example."):
        record_changes(record_params(zone="corp.example", name="kms1.other.example."))


def test_negative_ttl_is_rejected():
    with pytest.raises(InvalidInput, match="ttl: must be from 0"):
        record_changes(record_params(ttl=-5))


def hosts():
    return [
        {
            "name": "kms1.corp.example",
            "addresses": ["192.0.2.10", "2001:db8::10"],
            "port": 1688,
            "publish": [
                {"domain": "corp.example", "priority": 0, "weight": 60},
                {"domain": "branch.corp.example", "priority": 10, "weight": 0},
            ],
        },
        {"name": "kms2.corp.example", "addresses": ["192.0.2.11"], "port": 1688, "publish": None},
    ]


def publish_params(**extra):
    params = {"hosts": hosts(), "ttl": 3600, "address_records": True, "prune": False, "state": "present"}
    params.update(extra)
    return params


def apply(changes, current):
    """Apply the transforms to CURRENT {(name, type): RRset} like plan_zone does."""
    result = {}
    for change in changes:
        key = (change.name.to_text(), change.rdtype)
        before = result.get(key) or current.get(key) or RRset(change.name, change.rdtype)
        result[key] = change.transform(before)
    return result


def test_publish_footprint_srv_per_domain_and_addresses_per_family():
    changes, zone = publish_changes(publish_params())
    assert zone is None
    after = apply(changes, {})
    assert sorted(after) == [
        ("_vlmcs._tcp.branch.corp.example.", "SRV"),
        ("_vlmcs._tcp.corp.example.", "SRV"),
        ("kms1.corp.example.", "A"),
        ("kms1.corp.example.", "AAAA"),
        ("kms2.corp.example.", "A"),
    ]
    # a host without publish list publishes in its own domain with priority 0, weight 0
    assert after[("_vlmcs._tcp.corp.example.", "SRV")].sorted_texts() == [
        "0 0 1688 kms2.corp.example.",
        "0 60 1688 kms1.corp.example.",
    ]
    assert after[("_vlmcs._tcp.branch.corp.example.", "SRV")].sorted_texts() == ["10 0 1688 kms1.corp.example."]


def _srv_now(*texts):
    owner = name("_vlmcs._tcp.corp.example.")
    return {
        ("_vlmcs._tcp.corp.example.", "SRV"): RRset(owner, "SRV", 3600, [parse_value("SRV", t, "v") for t in texts])
    }


def test_publish_keeps_foreign_targets_and_replaces_own_stale_values():
    current = _srv_now("0 0 1688 other.corp.example", "5 5 1688 kms1.corp.example")
    after = apply(publish_changes(publish_params())[0], current)
    assert after[("_vlmcs._tcp.corp.example.", "SRV")].sorted_texts() == [
        "0 0 1688 kms2.corp.example.",
        "0 0 1688 other.corp.example.",
        "0 60 1688 kms1.corp.example.",
    ]


def test_prune_needs_an_owner():
    # what prune may remove is what its owner published (test_dns_owners.py)
    with pytest.raises(InvalidInput, match=r"^prune: needs owner"):
        publish_changes(publish_params(prune=True))


def test_absent_removes_listed_hosts_only():
    current = _srv_now("0 0 1688 other.corp.example", "0 60 1688 kms1.corp.example")
    changes, _zone = publish_changes(publish_params(state="absent", hosts=[hosts()[0]], address_records=False))
    after = apply(changes, current)
    assert after[("_vlmcs._tcp.corp.example.", "SRV")].sorted_texts() == ["0 0 1688 other.corp.example."]


@pytest.mark.parametrize(
    "mutate,option",
    [
        (lambda h: h[0].update(name="kms1"), "hosts[0].name"),
        (lambda h: h[1].update(addresses=["10.0.0.1", "10.0.0"]), "hosts[1].addresses[1]"),
        (lambda h: h[0]["publish"][1].update(priority=70000), "hosts[0].publish[1].priority"),
        (lambda h: h[0]["publish"][0].update(weight=-3), "hosts[0].publish[0].weight"),
        (lambda h: h[0].update(port=0x10000), "hosts[0].port"),
        (lambda h: h[1].update(name="KMS1.corp.example"), "hosts[1].name"),
        (lambda h: h[0]["publish"][0].update(domain="bad..example"), "hosts[0].publish[0].domain"),
    ],
)
def test_publish_input_errors_name_the_place(mutate, option):
    data = hosts()
    mutate(data)
    with pytest.raises(InvalidValue) as error:
        publish_changes(publish_params(hosts=data))
    assert error.value.option == option


def test_prune_with_absent_is_rejected():
    with pytest.raises(InvalidInput, match="prune: works with state=present only"):
        publish_changes(publish_params(prune=True, state="absent"))


# -- issue 11: bad input is refused before anything is sent, naming the option ------------------


def test_empty_name_is_an_error_and_at_sign_is_the_apex():
    with pytest.raises(InvalidValue) as error:
        record_changes(record_params(zone="corp.example", name="", type="TXT", values=["x"]))
    assert error.value.option == "name"
    changes, _zone = record_changes(record_params(zone="corp.example", name="@", type="TXT", values=["x"]))
    assert changes[0].name == ZONE
    with pytest.raises(InvalidInput, match=r"name: '@' .* needs the zone option"):
        record_changes(record_params(name="@"))


@pytest.mark.parametrize(
    "extra, option",
    [
        ({"name": "a*b.corp.example", "type": "A", "values": ["192.0.2.1"]}, "name"),
        ({"name": "a*b.corp.example", "type": "TXT", "values": ["x"]}, "name"),
        ({"name": "kms_1.corp.example", "type": "A", "values": ["192.0.2.1"]}, "name"),
        (
            {"name": "_vlmcs._tcp.corp.example", "type": "SRV", "values": ["0 0 1688 *.corp.example"]},
            "values[0].target",
        ),
        ({"name": "corp.example", "type": "MX", "values": ["10 mail_1.corp.example"]}, "values[0].exchange"),
        ({"name": "corp.example", "type": "NS", "values": ["ns_1.corp.example"]}, "values[0]"),
    ],
)
def test_host_names_are_checked_as_bind_check_names_does(extra, option):
    with pytest.raises(InvalidValue) as error:
        record_changes(record_params(**extra))
    assert error.value.option == option


# what exists can be removed whatever its name: the host-name rules are for what is added
@pytest.mark.parametrize(
    "extra, removed",
    [
        ({"values": ["0 0 1688 old_kms.corp.example."]}, "0 0 1688 old_kms.corp.example."),
        (
            {"values": [{"priority": 5, "weight": 1, "port": 1690, "target": "a\\032b.corp.example"}]},
            "5 1 1690 a\\032b.corp.example.",
        ),
        ({"values": ["0 0 1688 {{7*7}}x.corp.example."]}, "0 0 1688 {{7*7}}x.corp.example."),
        ({"values": ["0 0 1688 *.corp.example"]}, "0 0 1688 *.corp.example."),
        ({"name": "corp.example", "type": "MX", "values": ["10 mail_1.corp.example"]}, "10 mail_1.corp.example."),
        ({"name": "corp.example", "type": "NS", "values": ["ns_1.corp.example"]}, "ns_1.corp.example."),
        ({"name": "www.corp.example", "type": "CNAME", "values": ["a\\.b.corp.example"]}, "a\\.b.corp.example."),
        ({"name": "kms_1.corp.example", "type": "A", "values": ["192.0.2.1"]}, "192.0.2.1"),
    ],
)
def test_absent_removes_a_value_whatever_name_dns_holds(extra, removed):
    (change,), _zone = record_changes(record_params(state="absent", **extra))
    rdtype = extra.get("type", "SRV")
    kept = parse_value(
        rdtype,
        "192.0.2.9"
        if rdtype == "A"
        else "10 kms1.corp.example"
        if rdtype == "MX"
        else "kms1.corp.example"
        if rdtype in ("NS", "CNAME")
        else "0 0 1688 kms1.corp.example",
        "v",
    )
    before = RRset(change.name, rdtype, 3600, [parse_value(rdtype, removed, "v", removing=True), kept])
    assert change.transform(before).values == frozenset([kept])
    # adding the same value is still refused by the host-name rules
    if "_" in removed and rdtype != "CNAME":
        with pytest.raises(InvalidValue):
            record_changes(record_params(state="present", **extra))


@pytest.mark.parametrize(
    "value, problem",
    [
        ("0 0 1688 a..corp.example", "empty label"),
        ("0 0 1688 %s.corp.example" % ("x" * 64), "longer than 63 octets"),
        ("0 0 1688 a b.corp.example", "four fields"),
        ({"port": 1688, "target": "a b.corp.example"}, "character ' '"),
        ({"port": 1688, "target": "a\\300.corp.example"}, "more than 255"),
        ({"port": 1688, "target": "caf\u00e9.corp.example"}, "write it as \\\\DDD"),
        ({"port": 1688, "target": "%s.example" % ".".join(["abcdefgh"] * 30)}, "longer than 255 octets"),
    ],
)
def test_absent_still_needs_a_well_formed_dns_name(value, problem):
    with pytest.raises(InvalidValue, match=problem) as error:
        record_changes(record_params(state="absent", values=[value]))
    assert error.value.option.startswith("values[0]")


def test_absent_owner_may_be_any_name_dns_holds_but_well_formed():
    (change,), _zone = record_changes(record_params(state="absent", name="old_kms.corp.example", type="A", values=None))
    assert change.name == name("old_kms.corp.example.")
    with pytest.raises(InvalidValue, match="empty label"):
        record_changes(record_params(state="absent", name="old..corp.example", type="A", values=None))


def test_kms_publish_absent_removes_a_host_whatever_its_name_and_present_refuses_it():
    host = {"name": "old_kms.corp.example", "publish": [{"domain": "corp.example"}]}
    changes, _zone = publish_changes(publish_params(state="absent", address_records=False, hosts=[host]))
    old = parse_value("SRV", "0 0 1688 old_kms.corp.example", "v", removing=True)
    kept = parse_value("SRV", "0 0 1688 kms1.corp.example", "v")
    before = RRset(changes[0].name, "SRV", 3600, [old, kept])
    assert changes[0].transform(before).values == frozenset([kept])
    with pytest.raises(InvalidValue, match="not a valid host name") as error:
        publish_changes(publish_params(hosts=[host]))
    assert error.value.option == "hosts[0].name"


def test_wildcard_owner_of_an_address_record_is_accepted():
    changes, _zone = record_changes(record_params(name="*.corp.example", type="A", values=["192.0.2.1"]))
    assert changes[0].name == name("*.corp.example.")


def test_ipv4_mapped_address_is_not_an_aaaa_value():
    with pytest.raises(InvalidValue, match=r"^values\[0\]: '::ffff:1.2.3.4' is an IPv4-mapped IPv6 address"):
        record_changes(record_params(name="kms1.corp.example", type="AAAA", values=["::ffff:1.2.3.4"]))


def _publish_error(data):
    with pytest.raises(InvalidValue) as error:
        publish_changes(publish_params(hosts=data))
    assert str(error.value).startswith(error.value.option + ": ")
    return error.value


@pytest.mark.parametrize("value", ["1_0", "\u0661\u0660", True, "10.0", "0x1"])
def test_publish_priority_must_be_plain_ascii_digits(value):
    data = hosts()
    data[0]["publish"][0]["priority"] = value
    assert _publish_error(data).option == "hosts[0].publish[0].priority"


def test_publish_port_zero_is_refused():
    data = hosts()
    data[1]["port"] = 0
    assert _publish_error(data).option == "hosts[1].port"


def test_publish_same_domain_twice_for_one_host_is_refused():
    data = hosts()
    data[0]["publish"].append({"domain": "Corp.Example.", "priority": 5})
    error = _publish_error(data)
    assert error.option == "hosts[0].publish[2].domain"
    assert "listed twice for this host (first at hosts[0].publish[0].domain)" in str(error)


def test_publish_domain_too_long_with_the_service_label_is_refused():
    data = hosts()
    data[0]["publish"][1]["domain"] = ".".join(["a" * 63] * 3 + ["b" * 50, "example"])
    assert _publish_error(data).option == "hosts[0].publish[1].domain"


@pytest.mark.parametrize(
    "addresses, index, fragment",
    [
        (["10.0.0.8", "fe80::1%eth0"], 1, "zone index"),
        (["2001:db8::1", "10.0.0.8", "::ffff:1.2.3.4"], 2, "IPv4-mapped"),
        (["2001:db8::1", "10.0.0.8", "10.0.0.300"], 2, "not a valid"),
    ],
)
def test_publish_address_errors_give_the_users_index(addresses, index, fragment):
    data = hosts()
    data[1]["addresses"] = addresses
    error = _publish_error(data)
    assert error.option == f"hosts[1].addresses[{index}]"
    assert fragment in str(error)


def test_publish_entries_are_checked_once_and_build_srv_values_directly():
    changes, _zone = publish_changes(
        publish_params(
            hosts=[
                {
                    "name": "kms1.corp.example",
                    "port": "1700",
                    "publish": ["corp.example", {"domain": "b.corp.example", "priority": "10"}],
                }
            ]
        )
    )
    after = apply(changes, {})
    assert after[("_vlmcs._tcp.corp.example.", "SRV")].sorted_texts() == ["0 0 1700 kms1.corp.example."]
    assert after[("_vlmcs._tcp.b.corp.example.", "SRV")].sorted_texts() == ["10 0 1700 kms1.corp.example."]


def test_publish_domains_shared_by_hosts_make_one_rrset_each_whatever_their_spelling():
    data = [
        {"name": f"kms{index}.corp.example", "publish": [{"domain": spelling, "weight": 10}]}
        for index, spelling in enumerate(["corp.example", "Corp.Example.", "corp.example"], 1)
    ]
    data.append({"name": "kms4.corp.example", "publish": [{"domain": "corp.example", "weight": 20}]})
    changes, _zone = publish_changes(publish_params(hosts=data, address_records=False))
    assert [(change.name.to_text(), change.option) for change in changes] == [
        ("_vlmcs._tcp.corp.example.", "hosts[0].publish[0].domain")
    ]
    assert apply(changes, {})[("_vlmcs._tcp.corp.example.", "SRV")].sorted_texts() == [
        "0 10 1688 kms1.corp.example.",
        "0 10 1688 kms2.corp.example.",
        "0 10 1688 kms3.corp.example.",
        "0 20 1688 kms4.corp.example.",
    ]


def test_a_bad_domain_shared_by_hosts_is_named_where_it_first_occurs():
    data = hosts()
    for host in data:
        host["publish"] = [{"domain": "corp.example"}, {"domain": "bad_-.example"}]
    assert _publish_error(data).option == "hosts[0].publish[1].domain"
    data[0]["publish"] = [{"domain": "corp.example", "colour": "red"}]
    error = _publish_error(data)
    assert error.option == "hosts[0].publish[0]" and "unknown key(s) colour" in str(error)


def test_domains_with_the_same_hosts_share_one_value_set_and_transform():
    domains = [f"d{index}.example" for index in range(50)]
    data = [
        {"name": f"kms{index}.d0.example", "publish": [{"domain": domain, "weight": index} for domain in domains]}
        for index in range(3)
    ]
    changes, _zone = publish_changes(publish_params(hosts=data, address_records=False))
    assert len(changes) == 50
    assert len({id(change.transform) for change in changes}) == 1
    assert len({id(change.needs) for change in changes}) == 1
    assert changes[0].needs == {name(f"kms{index}.d0.example.") for index in range(3)}
    after = apply(changes, {})
    assert after[("_vlmcs._tcp.d49.example.", "SRV")].sorted_texts() == [
        "0 0 1688 kms0.d0.example.",
        "0 1 1688 kms1.d0.example.",
        "0 2 1688 kms2.d0.example.",
    ]


@pytest.mark.parametrize(
    "field, value",
    [
        ("timeout", float("inf")),
        ("timeout", 1e300),
        ("timeout", 0),
        ("timeout", -1),
        ("server_port", 0),
        ("server_port", 70000),
    ],
)
def test_connection_options_are_checked_before_anything_is_built(field, value):
    params = {
        "server": "127.0.0.1",
        "server_port": 53,
        "protocol": "tcp",
        "timeout": 10.0,
        "key_name": "k",
        "key_secret": "c2VjcmV0",
        "key_algorithm": "hmac-sha256",
        "key_file": None,
        "allow_unsigned": False,
    }
    params[field] = value
    with pytest.raises(InvalidValue) as error:
        make_transport(params)
    assert error.value.option == field
