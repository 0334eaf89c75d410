# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one place names, domains, numbers, addresses and SRV values are checked."""

from __future__ import annotations

import pytest

from ansible_collections.kmsops.kms.plugins.module_utils.common._errors import InvalidValue, KmsOpsError
from ansible_collections.kmsops.kms.plugins.module_utils.common._primitives import (
    KMS_PORT,
    SERVICE,
    check_address,
    check_dns_name,
    check_host_name,
    check_name,
    check_port,
    check_timeout,
    check_uint16,
    format_srv,
    name_key,
    normalize_domain,
    parse_srv,
    service_owner,
    wire_length,
)

ARABIC_INDIC_TEN = "\u0661\u0660"


def rejected(function, *args, **kwargs):
    with pytest.raises(InvalidValue) as error:
        function(*args, **kwargs)
    assert isinstance(error.value, KmsOpsError)
    return error.value


def test_service_label_and_port_are_the_kms_ones():
    assert (SERVICE, KMS_PORT) == ("_vlmcs._tcp", 1688)


@pytest.mark.parametrize("value, expected", [(0, 0), (65535, 65535), ("10", 10), (" 7 ", 7)])
def test_uint16_accepts_integers_and_ascii_digits(value, expected):
    assert check_uint16(value, "weight") == expected


@pytest.mark.parametrize(
    "value", [True, False, None, -1, 65536, "1_0", ARABIC_INDIC_TEN, "0x10", "1e3", 10.0, "", "+5", [1]]
)
def test_uint16_rejects_what_is_not_a_plain_integer_in_range(value):
    error = rejected(check_uint16, value, "hosts[2].publish[1].priority")
    assert error.option == "hosts[2].publish[1].priority"
    assert str(error).startswith("hosts[2].publish[1].priority: must be an integer from 0 to 65535")


def test_port_zero_is_not_a_port():
    assert check_port(1, "port") == 1
    assert "from 1 to 65535, got 0" in str(rejected(check_port, 0, "port"))


@pytest.mark.parametrize("value", [0, -1, float("inf"), float("nan"), 1e300, "inf", "1e300", True, "soon", None])
def test_timeout_is_finite_positive_and_bounded(value):
    assert rejected(check_timeout, value, "timeout").option == "timeout"


def test_timeout_accepts_fractions_and_text():
    assert check_timeout(0.5, "timeout") == 0.5
    assert check_timeout("10", "timeout") == 10.0


@pytest.mark.parametrize(
    "text, origin, expected",
    [
        ("kms1.corp.example", None, "kms1.corp.example."),
        ("kms1.corp.example.", "other.example.", "kms1.corp.example."),
        ("_vlmcs._tcp", "corp.example.", "_vlmcs._tcp.corp.example."),
        ("*.corp.example", None, "*.corp.example."),
        (".", None, "."),
    ],
)
def test_names_absolute_or_relative(text, origin, expected):
    assert check_name(text, "name", origin) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "  ",
        "a..b",
        ".lead",
        "a*b.corp.example",
        "corp.*.example",
        "sp ace.example",
        "semi;colon",
        "caf\u00e9.example",
        "a" * 64 + ".example",
        None,
        5,
    ],
)
def test_bad_names_are_rejected_naming_the_option(text):
    assert rejected(check_name, text, "name").option == "name"


def test_name_of_255_octets_is_the_limit():
    longest = ".".join(["a" * 63] * 3 + ["b" * 61])  # 3*64 + 62 + 1 = 255 octets
    assert wire_length(longest) == 255
    assert check_name(longest, "name") == longest + "."
    assert "longer than 255 octets" in str(rejected(check_name, "c." + longest, "name"))


@pytest.mark.parametrize("text", ["kms1.corp.example", "KMS-1.corp.example.", "1kms.corp.example", "kms1"])
def test_host_names_bind_accepts(text):
    assert check_host_name(text, "hosts[0].name")


@pytest.mark.parametrize(
    "text, wildcard",
    [
        ("kms_1.corp.example", False),
        ("-kms.corp.example", False),
        ("kms-.corp.example", False),
        ("*.corp.example", False),
        ("a*b.corp.example", True),
        ("_vlmcs._tcp.corp.example", True),
    ],
)
def test_host_names_bind_check_names_refuses(text, wildcard):
    error = rejected(check_host_name, text, "values[0].target", wildcard=wildcard)
    assert str(error).startswith("values[0].target: ")


def test_wildcard_owner_is_a_host_name_only_where_a_wildcard_is_meant():
    assert check_host_name("*.corp.example", "name", wildcard=True) == "*.corp.example."
    assert "fully qualified" in str(rejected(check_host_name, "kms1", "name", qualified=True))


def test_one_normalize_domain_lower_case_without_trailing_dot():
    assert normalize_domain("Corp.Example.", "domains[0]") == "corp.example"
    assert normalize_domain("_msdcs.corp.example", "domains[0]") == "_msdcs.corp.example"


@pytest.mark.parametrize("text", ["", ".", "a..b", "-a.example", "a-.example", "*.example", "a b.example", None])
def test_bad_domains_are_rejected_naming_the_index(text):
    assert rejected(normalize_domain, text, "domains[3]").option == "domains[3]"


def test_domain_valid_alone_but_too_long_for_the_service_label():
    domain = ".".join(["a" * 63] * 3 + ["b" * 50, "example"])  # 252 octets alone
    assert normalize_domain(domain, "d") == domain
    error = rejected(normalize_domain, domain, "hosts[0].publish[0].domain", service=True)
    assert "_vlmcs._tcp." in str(error) and error.option == "hosts[0].publish[0].domain"
    assert service_owner("corp.example") == "_vlmcs._tcp.corp.example."


@pytest.mark.parametrize(
    "text, named, rest",
    [
        ("_vlmcs._tcp.team.example", "the service name _vlmcs._tcp", "'team.example'"),
        ("_VLMCS._TCP.Team.Example.", "the service name _vlmcs._tcp", "'Team.Example'"),
        ("_tcp.team.example", "the service label '_tcp'", "'team.example'"),
        ("_ldap._tcp.dc._msdcs.corp.example", "the service label '_ldap'", "'dc._msdcs.corp.example'"),
        ("_vlmcs._tcp", "the service name _vlmcs._tcp", None),
    ],
)
def test_service_domain_given_as_the_service_name_is_refused_naming_the_option(text, named, rest):
    # _vlmcs._tcp is put in front of the domain: "_vlmcs._tcp.team.example" would publish and search
    # _vlmcs._tcp._vlmcs._tcp.team.example, which no client ever asks for
    error = rejected(normalize_domain, text, "hosts[0].publish[1].domain", service=True)
    assert str(error).startswith(
        f"hosts[0].publish[1].domain: {text!r} begins with {named}: give the domain clients search"
    ), str(error)
    assert (rest is None and "(" not in str(error)) or f"({rest})" in str(error)
    assert "_vlmcs._tcp._" in str(error)
    # not a service domain: the same text is a valid name (an owner, a zone)
    assert normalize_domain(text, "zone") == text.lower().rstrip(".")


@pytest.mark.parametrize(
    "text, version, expected",
    [
        ("192.0.2.1", 4, "192.0.2.1"),
        ("2001:DB8::0:1", 6, "2001:db8::1"),
        (" 192.0.2.1 ", None, "192.0.2.1"),
    ],
)
def test_addresses_canonical(text, version, expected):
    assert check_address(text, "addresses[0]", version) == expected


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("::ffff:1.2.3.4", "IPv4-mapped"),
        ("fe80::1%eth0", "zone index"),
        ("192.0.2.256", "not a valid"),
        ("", "not a valid"),
        (None, "not a valid"),
        ("2001:db8::1", "not a valid IPv4"),
    ],
)
def test_bad_addresses_are_rejected(text, fragment):
    version = 4 if text == "2001:db8::1" else None
    error = rejected(check_address, text, "hosts[0].addresses[1]", version)
    assert fragment in str(error) and error.option == "hosts[0].addresses[1]"


def test_srv_text_and_mapping_parse_alike_and_format_back():
    text = parse_srv("10 50 1688 KMS1.corp.example", "values[0]")
    mapping = parse_srv({"priority": "10", "weight": 50, "port": 1688, "target": "KMS1.corp.example."}, "values[0]")
    assert text == mapping == {"priority": 10, "weight": 50, "port": 1688, "target": "KMS1.corp.example."}
    assert format_srv(text) == "10 50 1688 KMS1.corp.example."
    assert parse_srv("0 0 0 .", "v") == {"priority": 0, "weight": 0, "port": 0, "target": "."}
    assert parse_srv({"port": 1688, "target": "a.example"}, "v", defaults=True)["priority"] == 0


@pytest.mark.parametrize(
    "value, option",
    [
        ("0 0 1688 *.corp.example", "v.target"),
        ("0 0 0 kms.example", "v.port"),
        ("1_0 0 1688 k.example", "v.priority"),
        ({"priority": 0, "weight": 0, "port": 1688}, "v"),
        ("0 0 1688", "v"),
        (7, "v"),
        ({"port": 1688, "target": "k.example", "prio": 1}, "v"),
    ],
)
def test_bad_srv_values_name_the_field(value, option):
    assert rejected(parse_srv, value, "v").option == option


# -- any name DNS can hold (what is removed) ------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("old_kms.corp.example", "old_kms.corp.example."),
        ("old_kms.corp.example.", "old_kms.corp.example."),
        ("{{7*7}}x.corp.example.", "{{7*7}}x.corp.example."),
        ("a\\032b.corp.example", "a\\032b.corp.example."),
        ("a\\..corp.example", "a\\..corp.example."),  # one label "a." then corp.example
        ("kms\\.", "kms\\.."),  # an escaped dot at the end is part of the label, not the root
        ("-x-.corp.example", "-x-.corp.example."),
    ],
)
def test_any_name_dns_can_hold_is_accepted_as_presentation_text(text, expected):
    assert check_dns_name(text, "v") == expected


@pytest.mark.parametrize(
    "text, problem",
    [
        ("", "non-empty"),
        (".", "the root"),
        ("a..b", "empty label"),
        ("a\\", "lone"),
        ("a\\999.b", "more than 255"),
        ("a\tb.c", "character"),
        ("x" * 64 + ".c", "longer than 63"),
        ("kms", "fully qualified"),
    ],
)
def test_any_name_still_must_be_well_formed(text, problem):
    with pytest.raises(InvalidValue, match=problem) as error:
        check_dns_name(text, "hosts[0].name", qualified=True)
    assert str(error.value).startswith("hosts[0].name: ")


def test_a_label_of_63_escaped_octets_is_one_label_of_63():
    assert check_dns_name("\\000" * 63 + ".c", "v") == "\\000" * 63 + ".c."
    with pytest.raises(InvalidValue, match="longer than 63"):
        check_dns_name("\\000" * 64 + ".c", "v")


@pytest.mark.parametrize(
    ("value", "key"),
    [
        ("KMS1.Corp.Example.", "kms1.corp.example"),
        (" kms1.corp.example ", "kms1.corp.example"),
        ("old_kms.corp.example.", "old_kms.corp.example"),  # read from DNS: compared, never checked
        ("hmac-sha256.", "hmac-sha256"),
        (None, ""),
        ("", ""),
    ],
)
def test_name_key_is_the_form_names_are_compared_in(value, key):
    assert name_key(value) == key


def test_normalize_domain_returns_the_name_key_of_what_it_checked():
    for value in ("Corp.Example.", "corp.example", "_msdcs-like.Corp.example"):
        assert normalize_domain(value, "d") == name_key(value)
