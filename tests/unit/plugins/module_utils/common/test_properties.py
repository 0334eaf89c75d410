# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Property-based tests (hypothesis) of the input edge: names, SRV values, canonical comparison,
the DnsDomainPublishList round trip, RFC 2782 order, product keys and Confirmation IDs.

The rule every property checks for rejected input: the error is an InvalidValue (a KmsOpsError)
whose option is the one given and whose message starts with it; nothing else escapes (no
ValueError, no dnspython exception); and, through the DNS module glue, nothing is sent.
Examples are derandomized and few, so the suite stays fast and cannot flap.
"""

from __future__ import annotations

import random
import string

import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.kmsops.kms.plugins.module_utils.common._errors import InvalidValue
from ansible_collections.kmsops.kms.plugins.module_utils.common._primitives import (
    check_host_name,
    check_name,
    check_uint16,
    format_srv,
    normalize_domain,
    parse_srv,
)
from ansible_collections.kmsops.kms.plugins.module_utils.discovery._discovery import rfc2782_order
from ansible_collections.kmsops.kms.plugins.module_utils.dns import _module
from ansible_collections.kmsops.kms.plugins.module_utils.dns._changes import publish_changes
from ansible_collections.kmsops.kms.plugins.module_utils.dns._records import RRset, parse_value
from ansible_collections.kmsops.kms.plugins.plugin_utils.kms._keys import (
    KEY_ALPHABET,
    normalize_confirmation_id,
    normalize_product_key,
)
from ansible_collections.kmsops.kms.plugins.plugin_utils.kms._publish_list import (
    format_publish_list,
    normalize_publish_list,
    parse_publish_list,
)

FAST = settings(
    max_examples=60, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow]
)

# -- strategies ---------------------------------------------------------------------------------
LDH = string.ascii_letters + string.digits
host_labels = st.builds(
    lambda first, middle, last: first + middle + last if middle or last else first,
    st.sampled_from(LDH),
    st.text(LDH + "-", max_size=20),
    st.sampled_from(LDH) | st.just(""),
).filter(lambda label: not label.endswith("-"))
host_names = st.lists(host_labels, min_size=2, max_size=5).map(".".join)
domain_labels = st.text(LDH + "_-", min_size=1, max_size=63).filter(lambda label: label[0] != "-" and label[-1] != "-")
# where KMS SRV records go: the first label is no underscored service label (_vlmcs._tcp is put in front)
domains = (
    st.lists(domain_labels, min_size=1, max_size=4)
    .map(".".join)
    .filter(lambda d: len(d) <= 200 and not d.startswith("_"))
)
uint16 = st.integers(min_value=0, max_value=65535)
# any text, weighted towards what the checks are about: dots, '*', '_', digits, non-ASCII
noisy_text = st.text(alphabet=st.sampled_from(list("ab-_*.. 0123\u0661\u00e9;@")) | st.characters(), max_size=80)


def assert_names_option(error, option):
    assert isinstance(error, InvalidValue)
    assert error.option == option
    assert str(error).startswith(option + ": ")


def accepted_or_named(function, value, option, *args, **kwargs):
    """Run FUNCTION; a rejection must be an InvalidValue naming OPTION. Returns (ok, result)."""
    try:
        return True, function(value, option, *args, **kwargs)
    except InvalidValue as error:
        assert_names_option(error, option)
        return False, None


# -- names ----------------------------------------------------------------------------------------


@FAST
@given(noisy_text)
def test_any_text_is_a_name_or_an_error_naming_the_option(text):
    ok, name = accepted_or_named(check_name, text, "hosts[3].name")
    if ok:
        # what we accept, dnspython reads as the same name, and checking again changes nothing
        assert dns.name.from_text(name).to_text() == name
        assert check_name(name, "hosts[3].name") == name


@FAST
@given(host_names)
def test_generated_host_names_are_accepted_as_bind_check_names_would(name):
    assert check_host_name(name, "hosts[0].name", qualified=True) == name + "."


@FAST
@given(host_names, st.sampled_from(["_", "*", " ", "..", "\u00e9"]), st.data())
def test_host_names_with_a_forbidden_character_are_refused(name, bad, data):
    position = data.draw(st.integers(min_value=1, max_value=len(name) - 1))
    broken = name[:position] + bad + name[position:]
    with pytest.raises(InvalidValue) as error:
        check_host_name(broken, "values[2].target")
    assert_names_option(error.value, "values[2].target")


@FAST
@given(noisy_text)
def test_any_text_is_a_domain_or_an_error_naming_the_option(text):
    ok, domain = accepted_or_named(normalize_domain, text, "domains[1]", service=True)
    if ok:
        assert domain == domain.lower() and not domain.endswith(".")
        assert normalize_domain(domain.upper() + ".", "domains[1]", service=True) == domain
        dns.name.from_text("_vlmcs._tcp." + domain)  # never too long with the service label


@FAST
@given(st.one_of(st.integers(min_value=-10, max_value=70000), noisy_text, st.booleans(), st.floats()))
def test_uint16_is_an_ascii_integer_in_range_or_an_error(value):
    ok, number = accepted_or_named(check_uint16, value, "weight")
    if ok:
        assert 0 <= number <= 65535 and number == int(str(value).strip())


# -- SRV values and canonical comparison -----------------------------------------------------------


@FAST
@given(uint16, uint16, st.integers(min_value=1, max_value=65535), host_names)
def test_srv_text_and_mapping_round_trip_and_match_dnspython(priority, weight, port, target):
    record = {"priority": priority, "weight": weight, "port": port, "target": target + "."}
    text = format_srv(record)
    assert parse_srv(text, "values[0]") == record
    assert parse_srv(dict(record), "values[0]") == record
    ours = parse_value("SRV", record, "values[0]")
    theirs = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.SRV, text)
    assert ours == theirs


@FAST
@given(noisy_text)
def test_any_srv_text_is_a_value_or_an_error_naming_the_option(text):
    try:
        parse_value("SRV", text, "values[4]")
    except InvalidValue as error:
        assert error.option.startswith("values[4]")
        assert str(error).startswith(error.option + ": ")


@FAST
@given(uint16, uint16, st.integers(min_value=1, max_value=65535), host_names, st.randoms(use_true_random=False))
def test_canonical_comparison_ignores_case_trailing_dot_and_form(priority, weight, port, target, rng):
    mixed = "".join(char.upper() if rng.random() < 0.5 else char.lower() for char in target)
    one = parse_value("SRV", f"{priority} {weight} {port} {target}", "v")
    two = parse_value("SRV", {"priority": str(priority), "weight": weight, "port": port, "target": mixed + "."}, "v")
    assert one == two and hash(one) == hash(two)
    owner = dns.name.from_text("_vlmcs._tcp.corp.example.")
    other = parse_value("SRV", "0 0 1688 other.example", "v")
    assert RRset(owner, "SRV", 60, [one, other]) == RRset(owner, "SRV", 60, [other, two])


# -- DnsDomainPublishList ------------------------------------------------------------------------

publish_entries = st.lists(
    st.fixed_dictionaries({"domain": domains}, optional={"priority": uint16, "weight": uint16}),
    max_size=6,
    unique_by=lambda entry: entry["domain"].lower(),
)


@FAST
@given(publish_entries, st.booleans())
def test_publish_list_round_trip(entries, as_text):
    canonical = normalize_publish_list(entries)
    lines = format_publish_list(entries)
    assert parse_publish_list("\n".join(lines) if as_text else lines) == canonical
    assert format_publish_list(canonical) == lines


@FAST
@given(st.lists(noisy_text, max_size=4))
def test_any_publish_list_lines_parse_or_name_the_line(lines):
    try:
        parse_publish_list(lines)
    except InvalidValue as error:
        assert error.option.startswith("DnsDomainPublishList[")
        assert str(error).startswith(error.option + ": ")


# -- RFC 2782 order --------------------------------------------------------------------------------

srv_records = st.lists(
    st.builds(
        lambda p, w, t: {"priority": p, "weight": w, "port": 1688, "target": t},
        st.integers(min_value=0, max_value=3),
        st.integers(min_value=0, max_value=5),
        st.sampled_from(["a.example", "b.example", "c.example", "d.example", "."]),
    ),
    max_size=8,
)


@FAST
@given(srv_records, st.integers(min_value=0, max_value=2**32))
def test_rfc2782_order_invariants(records, seed):
    ordered = rfc2782_order(records, seed=seed)
    served = [record for record in records if record["target"] != "."]
    key = sorted  # compare as multisets of records
    assert key(map(format_srv, ordered)) == key(map(format_srv, served))  # each once, "." left out
    priorities = [record["priority"] for record in ordered]
    assert priorities == sorted(priorities)  # lower priority first, groups never mix
    assert rfc2782_order(records, seed=seed) == ordered  # a seed gives one order
    shuffled = list(records)
    random.Random(seed).shuffle(shuffled)
    assert rfc2782_order(shuffled, seed=seed) == ordered  # whatever order the server answered in
    assert records == list(records)  # input unchanged


# -- product keys and Confirmation IDs -------------------------------------------------------------

key_groups = st.lists(st.text(KEY_ALPHABET, min_size=5, max_size=5), min_size=5, max_size=5)


@FAST
@given(key_groups, st.booleans(), st.booleans())
def test_product_keys_normalise_from_any_case_and_dash_form(groups, lower, dashes):
    key = "-".join(groups)
    given_form = "-".join(groups) if dashes else "".join(groups)
    given_form = given_form.lower() if lower else given_form
    assert normalize_product_key(" " + given_form + " ") == key


@FAST
@given(noisy_text | key_groups.map("-".join).map(lambda key: key[:-1] + "A"))
def test_rejected_product_key_names_the_option_and_never_echoes_the_key(text):
    try:
        normalize_product_key(text)
    except InvalidValue as error:
        assert_names_option(error, "product_key")
        if len(text.strip()) >= 5:
            assert text.strip() not in str(error)


@FAST
@given(st.lists(st.text("0123456789", min_size=6, max_size=6), min_size=8, max_size=8), st.sampled_from(["-", " ", ""]))
def test_confirmation_ids_in_groups_are_48_digits(groups, separator):
    assert normalize_confirmation_id(separator.join(groups)) == "".join(groups)


@FAST
@given(noisy_text | st.text("0123456789\u0661", min_size=40, max_size=56))
def test_rejected_confirmation_id_names_the_option(text):
    ok, digits = accepted_or_named(normalize_confirmation_id, text, "confirmation_id")
    if ok:
        assert len(digits) == 48 and digits.isascii() and digits.isdigit()


# -- through the module glue: a rejected input sends nothing -----------------------------------------


class FailedModule:
    """The AnsibleModule surface run_dns_module uses; fail_json/exit_json end the run."""

    check_mode = False
    _diff = False

    def __init__(self, params):
        self.params = params
        self.failure = None

    def fail_json(self, **result):
        self.failure = result
        raise SystemExit(1)

    def exit_json(self, **result):
        raise SystemExit(0)


host_fields = st.fixed_dictionaries(
    {
        "name": st.one_of(host_names, noisy_text),
        "addresses": st.lists(st.one_of(st.ip_addresses().map(str), noisy_text), max_size=3),
        "port": st.one_of(st.integers(min_value=-1, max_value=70000), noisy_text),
        "publish": st.lists(
            st.fixed_dictionaries(
                {"domain": st.one_of(domains, noisy_text), "priority": st.one_of(uint16, noisy_text)}
            ),
            max_size=3,
        ),
    }
)


@FAST
@given(st.lists(host_fields, min_size=1, max_size=3))
def test_rejected_publish_input_names_the_option_and_nothing_is_sent(monkeypatch_hosts):
    params = {
        "hosts": monkeypatch_hosts,
        "ttl": 3600,
        "address_records": True,
        "prune": False,
        "state": "present",
        "server": "127.0.0.1",
        "server_port": 53,
        "protocol": "tcp",
        "timeout": 5.0,
        "key_name": "k",
        "key_secret": "c2VjcmV0",
        "key_algorithm": "hmac-sha256",
        "key_file": None,
        "allow_unsigned": False,
    }
    try:
        publish_changes(params)
    except InvalidValue as error:
        assert error.option.startswith("hosts")
        module = FailedModule(params)
        original = _module.make_transport
        _module.make_transport = _no_transport
        try:
            with pytest.raises(SystemExit):
                _module.run_dns_module(module, publish_changes, lambda records, plans: {})
        finally:
            _module.make_transport = original
        assert module.failure["option"] == error.option
        assert module.failure["changed"] is False
        assert module.failure["msg"].startswith(error.option + ": ")


def _no_transport(params):
    raise AssertionError("a transport was made for input that is rejected")
