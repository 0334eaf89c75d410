# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parsing and canonical comparison of names and record values."""

from __future__ import annotations

import dns.name
import pytest

from ansible_collections.kmsops.kms.plugins.module_utils.common._errors import InvalidValue
from ansible_collections.kmsops.kms.plugins.module_utils.dns._records import (
    RRset,
    parse_value,
    parse_values,
    to_host_name,
    to_name,
)


def test_srv_text_and_mapping_forms_compare_equal():
    text = parse_value("SRV", "0 0 1688 KMS1.corp.example.", "values[0]")
    mapping = parse_value("SRV", {"priority": 0, "weight": 0, "port": 1688, "target": "kms1.corp.example"}, "v")
    assert text == mapping
    assert hash(text) == hash(mapping)


def test_srv_mapping_defaults_priority_and_weight_to_zero():
    assert (
        parse_value("SRV", {"port": 1688, "target": "kms1.corp.example"}, "v").to_text()
        == "0 0 1688 kms1.corp.example."
    )


def test_names_in_values_are_absolute():
    assert parse_value("CNAME", "kms1.corp.example", "v").to_text() == "kms1.corp.example."
    assert parse_value("SRV", "0 0 1688 kms1.corp.example", "v").target == dns.name.from_text("kms1.corp.example.")


@pytest.mark.parametrize(
    "value,option,message",
    [
        (
            {"priority": 65536, "port": 1688, "target": "a.example"},
            "values[0].priority",
            "must be an integer from 0 to 65535, got 65536",
        ),
        (
            {"weight": -1, "port": 1688, "target": "a.example"},
            "values[0].weight",
            "must be an integer from 0 to 65535, got -1",
        ),
        ({"port": "http", "target": "a.example"}, "values[0].port", "must be an integer from 1 to 65535"),
        ({"port": True, "target": "a.example"}, "values[0].port", "must be an integer"),
        ({"target": "a.example"}, "values[0]", "needs port, target; port missing"),
        ({"port": 1, "target": "a.example", "prio": 1}, "values[0]", "unknown SRV field(s) prio"),
        ("0 0 1688", "values[0]", "is not an SRV value"),
        ("0 0 1688 bad..name", "values[0].target", "empty label"),
    ],
)
def test_bad_srv_values_name_the_option(value, option, message):
    with pytest.raises(InvalidValue) as error:
        parse_value("SRV", value, "values[0]")
    assert error.value.option == option
    assert message in str(error.value)
    assert str(error.value).startswith(option + ": ")


def test_addresses_are_canonical_and_family_checked():
    assert parse_value("AAAA", "2001:DB8:0:0::1", "v").to_text() == "2001:db8::1"
    with pytest.raises(InvalidValue, match="not a valid IPv4 address"):
        parse_value("A", "2001:db8::1", "v")
    with pytest.raises(InvalidValue, match="not a valid IPv6 address"):
        parse_value("AAAA", "192.0.2.1", "v")
    with pytest.raises(InvalidValue, match=r"192.0.2.256.* is not a valid IPv4 address"):
        parse_value("A", "192.0.2.256", "v")


def test_txt_value_is_one_string_split_at_255_bytes():
    assert parse_value("TXT", 'say "hi"', "v").to_text() == '"say \\"hi\\""'
    long = parse_value("TXT", "x" * 300, "v")
    assert [len(part) for part in long.strings] == [255, 45]
    assert parse_value("TXT", '"a" "b"', "v").strings == (b"a", b"b")


def test_parse_values_drops_canonical_duplicates_and_keeps_order():
    values = parse_values("SRV", ["0 0 1688 b.example", "0 0 1688 A.example", "0 0 1688 a.example."], "values")
    assert [value.to_text() for value in values] == ["0 0 1688 b.example.", "0 0 1688 A.example."]


@pytest.mark.parametrize("text", ["bad..name", ".lead", "sp ace.example", "a" * 64 + ".example", "", "semi;colon"])
def test_invalid_names_are_rejected(text):
    with pytest.raises(InvalidValue) as error:
        to_name(text, "name")
    assert error.value.option == "name"


def test_host_names_follow_rfc_1123():
    assert to_host_name("KMS1.corp.example", "hosts[0].name") == dns.name.from_text("kms1.corp.example.")
    for bad in ("kms_1.corp.example", "-kms.corp.example", "kms1"):
        with pytest.raises(InvalidValue) as error:
            to_host_name(bad, "hosts[0].name")
        assert error.value.option == "hosts[0].name"


def test_rrset_equality_includes_ttl_and_ignores_value_order():
    name = dns.name.from_text("_vlmcs._tcp.corp.example.")
    one = parse_value("SRV", "0 0 1688 a.example", "v")
    two = parse_value("SRV", "0 0 1688 b.example", "v")
    assert RRset(name, "SRV", 3600, [one, two]) == RRset(name, "SRV", 3600, [two, one])
    assert RRset(name, "SRV", 3600, [one]) != RRset(name, "SRV", 600, [one])
    assert RRset(name, "SRV", 3600, []).ttl is None
    assert RRset(name, "SRV", 60, [one]).zone_lines() == ["_vlmcs._tcp.corp.example. 60 IN SRV 0 0 1688 a.example."]


@pytest.mark.parametrize(
    "left, right, equal",
    [
        (
            ["0 0 1688 KMS1.Corp.Example.", "0 10 1688 kms2.corp.example."],
            ["0 10 1688 kms2.corp.example.", "0 0 1688 kms1.corp.example."],
            True,
        ),
        (["0 0 1688 kms1.corp.example."], ["0 0 1689 kms1.corp.example."], False),
        (["0 0 1688 kms1.corp.example."], ["1 0 1688 kms1.corp.example."], False),
        (["0 0 1688 kms1.corp.example."], ["0 1 1688 kms1.corp.example."], False),
        (["0 0 1688 kms1.corp.example."], ["0 0 1688 kms1.corp.example.corp.example."], False),
        (["0 0 1688 kms1.corp.example."], ["0 0 1688 kms1.corp.example.", "0 0 1688 kms2.corp.example."], False),
    ],
)
def test_rrset_equality_of_srv_values_is_dnspythons(left, right, equal):
    """RRset compares SRV values by a key of their fields (cheaper than dnspython's wire form):
    it must agree with dnspython's own comparison of the values."""
    name = dns.name.from_text("_vlmcs._tcp.corp.example.")
    first = [parse_value("SRV", text, "v") for text in left]
    second = [parse_value("SRV", text, "v") for text in right]
    assert (RRset(name, "SRV", 3600, first) == RRset(name, "SRV", 3600, second)) is equal
    assert (frozenset(first) == frozenset(second)) is equal


def test_rrset_equality_of_other_types_is_dnspythons():
    name = dns.name.from_text("kms1.corp.example.")
    assert RRset(name, "A", 60, [parse_value("A", "192.0.2.1", "v")]) == RRset(
        name, "A", 60, [parse_value("A", "192.0.2.1", "v")]
    )
    assert RRset(name, "A", 60, [parse_value("A", "192.0.2.1", "v")]) != RRset(
        name, "A", 60, [parse_value("A", "192.0.2.2", "v")]
    )
    assert RRset(name, "A", 60, [parse_value("A", "192.0.2.1", "v")]) != RRset(
        dns.name.from_text("kms2.corp.example."), "A", 60, [parse_value("A", "192.0.2.1", "v")]
    )
