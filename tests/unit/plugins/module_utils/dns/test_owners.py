# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared domains: who owns which SRV value (the TXT registry beside the SRV RRset), prune of
one's own values only, the TTL rule of a shared RRset, and addresses that stay while named.
Planned with the real engine against an in-memory server (_fake_dns); test_kms_publish.py does
the same against named."""

from __future__ import annotations

import dns.name
import pytest
from _fake_dns import FakeServer

from ansible_collections.kmsops.kms.plugins.module_utils.dns._changes import publish_changes
from ansible_collections.kmsops.kms.plugins.module_utils.dns._errors import InvalidInput
from ansible_collections.kmsops.kms.plugins.module_utils.dns._owners import (
    Registry,
    check_owner_id,
    claim_rdata,
    claim_text,
    parse_claim,
)
from ansible_collections.kmsops.kms.plugins.module_utils.dns._plan import build_update, plan_report, run_changes
from ansible_collections.kmsops.kms.plugins.module_utils.dns._records import RRset, parse_value

BRANCH_SRV = "_vlmcs._tcp.branch.corp.example."
CORP_SRV = "_vlmcs._tcp.corp.example."


def srv(text):
    return parse_value("SRV", text, "v")


def txt(text):
    return parse_value("TXT", text, "v")


CENTRAL_HOSTS = [
    {
        "name": "kms1.corp.example",
        "addresses": ["192.0.2.1"],
        "publish": [{"domain": "corp.example"}, {"domain": "branch.corp.example", "priority": 10}],
    }
]
BRANCH_HOSTS = [
    {"name": "kms9.branch.corp.example", "addresses": ["192.0.2.9"], "publish": [{"domain": "branch.corp.example"}]}
]


def params(hosts, **extra):
    result = {
        "hosts": hosts,
        "ttl": 3600,
        "address_records": True,
        "prune": False,
        "state": "present",
        "owner": None,
        "prune_unowned": False,
        "remove_named_addresses": False,
    }
    result.update(extra)
    return result


def run(server, check_mode=False, **extra):
    """One kms_publish run: (changed, updates sent, reads, warnings)."""
    updates, reads = len(server.updates), server.reads
    changes, zone = publish_changes(params(**extra))
    plans = run_changes(server, changes, check_mode, zone)
    _records, _diff, changed = plan_report(plans)
    warnings = [warning for plan in plans for warning in plan.warnings]
    return changed, len(server.updates) - updates, server.reads - reads, warnings


def server():
    return FakeServer(["corp.example.", "branch.corp.example."])


# -- the registry format -----------------------------------------------------------------------
def test_claim_round_trips_and_names_owner_and_value():
    value = srv("10 0 1688 KMS1.corp.example.")
    assert claim_text("central", value) == "heritage=kmsops.kms,owner=central,srv=10 0 1688 kms1.corp.example."
    assert parse_claim(claim_rdata("central", value)) == ("central", value)


def test_long_claim_is_split_into_strings_and_read_back():
    target = ".".join(["a" * 60] * 4) + "."
    value = srv(f"0 0 1688 {target}")
    rdata = claim_rdata("o" * 63, value)
    assert len(rdata.strings) == 2
    assert parse_claim(rdata) == ("o" * 63, value)


@pytest.mark.parametrize(
    "text",
    [
        "v=spf1 -all",
        "heritage=external-dns,external-dns/owner=default",
        "heritage=kmsops.kms,owner=a",
        "heritage=kmsops.kms,owner=a b,srv=0 0 1688 kms1.corp.example.",
        "heritage=kmsops.kms,owner=a,srv=nonsense",
    ],
)
def test_txt_values_that_are_not_our_claims_are_not_parsed_as_claims(text):
    assert parse_claim(txt(text)) is None
    assert Registry(RRset(dns.name.from_text(BRANCH_SRV), "TXT", 60, [txt(text)])).others == [txt(text)]


@pytest.mark.parametrize("owner", ["", "-x", "a,b", "a b", "x" * 64, "é", 5])
def test_bad_owner_id_is_a_clear_error(owner):
    with pytest.raises(InvalidInput, match=r"^owner: .* is not an owner id"):
        check_owner_id(owner)


# -- options -----------------------------------------------------------------------------------
def test_prune_without_owner_is_refused_before_anything_is_read():
    with pytest.raises(InvalidInput, match=r"^prune: needs owner"):
        publish_changes(params(CENTRAL_HOSTS, prune=True))


def test_prune_unowned_needs_prune_and_remove_named_addresses_needs_absent():
    with pytest.raises(InvalidInput, match=r"^prune_unowned: works with prune=true only"):
        publish_changes(params(CENTRAL_HOSTS, owner="a", prune_unowned=True))
    with pytest.raises(InvalidInput, match=r"^remove_named_addresses: works with state=absent only"):
        publish_changes(params(CENTRAL_HOSTS, remove_named_addresses=True))


# -- ownership ---------------------------------------------------------------------------------
def test_owner_records_its_values_in_the_same_update():
    dns_server = server()
    changed, updates, _reads, _warnings = run(dns_server, hosts=BRANCH_HOSTS, owner="branch", prune=True)
    assert (changed, updates) == (True, 1)
    update = dns_server.updates[0]
    assert {rrset.rdtype for rrset in update.update} >= {dns.rdatatype.SRV, dns.rdatatype.TXT}
    assert dns_server.texts(BRANCH_SRV, "TXT") == [
        '"heritage=kmsops.kms,owner=branch,srv=0 0 1688 kms9.branch.corp.example."'
    ]


def test_two_owners_prune_in_one_domain_and_converge_alternately():
    dns_server = server()
    runs = []
    for _round in range(3):
        runs.append(run(dns_server, hosts=CENTRAL_HOSTS, owner="central", prune=True)[:2])
        runs.append(run(dns_server, hosts=BRANCH_HOSTS, owner="branch", prune=True)[:2])
    assert runs == [(True, 2), (True, 1)] + [(False, 0)] * 4
    assert dns_server.texts(BRANCH_SRV, "SRV") == ["0 0 1688 kms9.branch.corp.example.", "10 0 1688 kms1.corp.example."]


def test_prune_removes_only_its_own_values_and_unowned_only_when_asked():
    dns_server = server()
    dns_server.put(BRANCH_SRV, "SRV", 3600, [srv("0 0 1688 old-windows.branch.corp.example.")])
    run(dns_server, hosts=BRANCH_HOSTS, owner="branch", prune=True)
    run(dns_server, hosts=CENTRAL_HOSTS, owner="central", prune=True)
    # branch decommissions kms9 and publishes kms8; the unowned Windows value stays
    hosts = [{"name": "kms8.branch.corp.example", "publish": [{"domain": "branch.corp.example"}]}]
    run(dns_server, hosts=hosts, owner="branch", prune=True, address_records=False)
    assert dns_server.texts(BRANCH_SRV, "SRV") == [
        "0 0 1688 kms8.branch.corp.example.",
        "0 0 1688 old-windows.branch.corp.example.",
        "10 0 1688 kms1.corp.example.",
    ]
    # asked explicitly: the value nobody claims goes, central's stays
    changed, updates, _reads, _warnings = run(
        dns_server, hosts=hosts, owner="branch", prune=True, prune_unowned=True, address_records=False
    )
    assert (changed, updates) == (True, 1)
    assert dns_server.texts(BRANCH_SRV, "SRV") == ["0 0 1688 kms8.branch.corp.example.", "10 0 1688 kms1.corp.example."]
    assert [text.split(",")[1] for text in dns_server.texts(BRANCH_SRV, "TXT")] == ["owner=branch", "owner=central"]


def test_publishing_an_existing_unowned_value_adopts_it():
    dns_server = server()
    dns_server.put(BRANCH_SRV, "SRV", 3600, [srv("0 0 1688 kms9.branch.corp.example.")])
    changed, updates, _reads, _warnings = run(dns_server, hosts=BRANCH_HOSTS, owner="branch", address_records=False)
    assert (changed, updates) == (True, 1)
    assert dns_server.texts(BRANCH_SRV, "TXT") == [
        '"heritage=kmsops.kms,owner=branch,srv=0 0 1688 kms9.branch.corp.example."'
    ]
    assert run(dns_server, hosts=BRANCH_HOSTS, owner="branch", address_records=False)[:2] == (False, 0)


def test_shared_value_stays_until_its_last_owner_withdraws_it():
    dns_server = server()
    hosts = [{"name": "kms1.corp.example", "publish": [{"domain": "branch.corp.example"}]}]
    run(dns_server, hosts=hosts, owner="a", address_records=False)
    run(dns_server, hosts=hosts, owner="b", address_records=False)
    assert len(dns_server.texts(BRANCH_SRV, "TXT")) == 2
    changed, _updates, _reads, warnings = run(dns_server, hosts=hosts, owner="a", state="absent", address_records=False)
    assert changed and dns_server.texts(BRANCH_SRV, "SRV") == ["0 0 1688 kms1.corp.example."]
    assert dns_server.texts(BRANCH_SRV, "TXT") == ['"heritage=kmsops.kms,owner=b,srv=0 0 1688 kms1.corp.example."']
    assert any("also published by owner(s) b" in warning for warning in warnings)
    run(dns_server, hosts=hosts, owner="b", state="absent", address_records=False)
    assert dns_server.texts(BRANCH_SRV, "SRV") == [] and dns_server.texts(BRANCH_SRV, "TXT") == []


def test_prune_of_a_shared_value_withdraws_only_the_own_claim():
    dns_server = server()
    hosts = [{"name": "kms1.corp.example", "publish": [{"domain": "branch.corp.example"}]}]
    other = [{"name": "kms2.corp.example", "publish": [{"domain": "branch.corp.example"}]}]
    run(dns_server, hosts=hosts, owner="a", address_records=False)
    run(dns_server, hosts=hosts, owner="b", address_records=False)
    run(dns_server, hosts=other, owner="a", prune=True, address_records=False)
    assert dns_server.texts(BRANCH_SRV, "SRV") == ["0 0 1688 kms1.corp.example.", "0 0 1688 kms2.corp.example."]
    assert sorted(text.split(",")[1] + " " + text.split("srv=")[1] for text in dns_server.texts(BRANCH_SRV, "TXT")) == [
        'owner=a 0 0 1688 kms2.corp.example."',
        'owner=b 0 0 1688 kms1.corp.example."',
    ]


def test_foreign_txt_values_at_the_name_are_kept():
    dns_server = server()
    dns_server.put(BRANCH_SRV, "TXT", 300, [txt("hand-made note")])
    run(dns_server, hosts=BRANCH_HOSTS, owner="branch", prune=True, address_records=False)
    assert '"hand-made note"' in dns_server.texts(BRANCH_SRV, "TXT")
    assert dns_server.ttl(BRANCH_SRV, "TXT") == 3600  # one TTL per RRset: the SRV RRset's
    assert run(dns_server, hosts=BRANCH_HOSTS, owner="branch", prune=True, address_records=False)[:2] == (False, 0)


def test_decision_rests_on_the_registry_so_it_is_a_prerequisite_even_when_unchanged():
    # prune_unowned removes a value nobody claims: the TXT does not change but is guarded
    dns_server = server()
    dns_server.put(
        BRANCH_SRV, "SRV", 3600, [srv("0 0 1688 kms9.branch.corp.example."), srv("0 0 1688 stale.branch.corp.example.")]
    )
    dns_server.put(BRANCH_SRV, "TXT", 3600, [claim_rdata("branch", srv("0 0 1688 kms9.branch.corp.example."))])
    changes, _zone = publish_changes(
        params(BRANCH_HOSTS, owner="branch", prune=True, prune_unowned=True, address_records=False)
    )
    plans = run_changes(dns_server, changes, check_mode=True)
    update = build_update(plans[0])
    guarded = {(rrset.name.to_text(), dns.rdatatype.to_text(rrset.rdtype)) for rrset in update.prerequisite}
    assert guarded == {(BRANCH_SRV, "SRV"), (BRANCH_SRV, "TXT")}


def test_check_mode_shows_the_ownership_change_and_sends_nothing():
    dns_server = server()
    changes, _zone = publish_changes(params(BRANCH_HOSTS, owner="branch", address_records=False))
    plans = run_changes(dns_server, changes, check_mode=True)
    records, diff, changed = plan_report(plans)
    assert changed and not dns_server.updates
    assert 'IN TXT "heritage=kmsops.kms,owner=branch,srv=0 0 1688 kms9.branch.corp.example."' in diff["after"]
    assert [(record["name"], record["type"]) for record in records] == [(BRANCH_SRV, "SRV"), (BRANCH_SRV, "TXT")]


def test_owner_costs_one_read_per_registry_and_still_one_update_per_zone():
    dns_server = server()
    # new names: the answer to the SRV read says the name does not exist, so its TXT is not read
    _changed, updates, reads, _warnings = run(dns_server, hosts=CENTRAL_HOSTS, owner="central")
    assert (updates, reads) == (2, 3)
    # names that exist: kms1 A, two SRV RRsets and the two TXT registries beside them
    _changed, updates, reads, _warnings = run(dns_server, hosts=CENTRAL_HOSTS, owner="central")
    assert (updates, reads) == (0, 5)
    _changed, updates, reads, _warnings = run(dns_server, hosts=CENTRAL_HOSTS)
    assert (updates, reads) == (0, 3)  # without owner: as before


# -- the TTL of a shared RRset -----------------------------------------------------------------
@pytest.mark.parametrize("owners", [("central", "branch"), (None, None)])
def test_writers_with_different_ttl_converge_and_the_second_is_warned(owners):
    dns_server = server()
    central = {"hosts": CENTRAL_HOSTS, "owner": owners[0], "ttl": 600}
    branch = {"hosts": BRANCH_HOSTS, "owner": owners[1], "ttl": 3600}
    runs = [run(dns_server, **central), run(dns_server, **branch)]
    for _round in range(2):
        runs += [run(dns_server, **central), run(dns_server, **branch)]
    assert [(changed, updates) for changed, updates, _reads, _warnings in runs] == [(True, 2), (True, 1)] + [
        (False, 0)
    ] * 4
    assert dns_server.ttl(BRANCH_SRV, "SRV") == 600  # the creator's
    assert any("keeps its TTL 600 (not 3600)" in warning for warning in runs[-1][3])


def test_ttl_applies_when_the_writer_owns_every_value():
    dns_server = server()
    dns_server.put(BRANCH_SRV, "SRV", 60, [srv("0 0 1688 kms9.branch.corp.example.")])
    changed, _updates, _reads, warnings = run(dns_server, hosts=BRANCH_HOSTS, owner="branch", address_records=False)
    assert changed and not warnings
    assert dns_server.ttl(BRANCH_SRV, "SRV") == 3600 and dns_server.ttl(BRANCH_SRV, "TXT") == 3600


# -- addresses still named ---------------------------------------------------------------------
def test_absent_from_one_domain_keeps_addresses_still_named_elsewhere():
    dns_server = server()
    hosts = [
        {
            "name": "kms2.corp.example",
            "addresses": ["192.0.2.2"],
            "publish": [{"domain": "corp.example"}, {"domain": "branch.corp.example"}],
        }
    ]
    run(dns_server, hosts=hosts)
    gone = [{"name": "kms2.corp.example", "publish": [{"domain": "branch.corp.example"}]}]
    changed, _updates, _reads, warnings = run(dns_server, hosts=gone, state="absent")
    assert changed
    assert dns_server.texts(BRANCH_SRV, "SRV") == []
    assert dns_server.texts(CORP_SRV, "SRV") == ["0 0 1688 kms2.corp.example."]
    assert dns_server.texts("kms2.corp.example.", "A") == ["192.0.2.2"]
    assert any(
        "kms2.corp.example. keeps its A records: _vlmcs._tcp.corp.example. still names it" in warning
        for warning in warnings
    )
    assert run(dns_server, hosts=gone, state="absent")[:2] == (False, 0)


def test_absent_removes_addresses_when_nothing_names_the_host_or_when_asked():
    dns_server = server()
    hosts = [
        {
            "name": "kms2.corp.example",
            "addresses": ["192.0.2.2"],
            "publish": [{"domain": "corp.example"}, {"domain": "branch.corp.example"}],
        }
    ]
    run(dns_server, hosts=hosts)
    gone = [{"name": "kms2.corp.example", "publish": [{"domain": "branch.corp.example"}]}]
    run(dns_server, hosts=gone, state="absent", remove_named_addresses=True)
    assert dns_server.texts("kms2.corp.example.", "A") == []
    assert dns_server.texts(CORP_SRV, "SRV") == ["0 0 1688 kms2.corp.example."]
    dns_server = server()
    run(dns_server, hosts=hosts)
    run(dns_server, hosts=hosts, state="absent")
    assert dns_server.texts("kms2.corp.example.", "A") == [] and dns_server.texts(CORP_SRV, "SRV") == []


def test_address_kept_while_another_owner_still_publishes_the_host():
    dns_server = server()
    hosts = [{"name": "kms1.corp.example", "addresses": ["192.0.2.1"], "publish": [{"domain": "branch.corp.example"}]}]
    run(dns_server, hosts=hosts, owner="a")
    run(dns_server, hosts=hosts, owner="b")
    run(dns_server, hosts=hosts, owner="a", state="absent")
    assert dns_server.texts("kms1.corp.example.", "A") == ["192.0.2.1"]
    assert dns_server.texts(BRANCH_SRV, "SRV") == ["0 0 1688 kms1.corp.example."]
