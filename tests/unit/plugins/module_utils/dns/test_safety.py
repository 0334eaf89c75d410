# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the server would ignore or leave half-done: CNAME rules, the order of UPDATEs across zones,
zone states after a failure, the SERVFAIL hint, and the order of values in results and diffs."""

from __future__ import annotations

import dns.name
import pytest

from ansible_collections.kmsops.kms.plugins.module_utils.dns._changes import publish_changes
from ansible_collections.kmsops.kms.plugins.module_utils.dns._errors import (
    CNAMEConflict,
    DNSConnectionError,
    DNSTimeout,
    ServerFailure,
    TSIGError,
    UpdateRefused,
)
from ansible_collections.kmsops.kms.plugins.module_utils.dns._plan import (
    PlannedRRset,
    RRsetChange,
    ZonePlan,
    apply_zone,
    build_update,
    cname_conflict,
    exclusive,
    merge,
    order_batches,
    plan_report,
    remove,
    servfail_message,
)
from ansible_collections.kmsops.kms.plugins.module_utils.dns._records import RRset, parse_value, parse_values

ZONE = dns.name.from_text("corp.example.")
BRANCH = dns.name.from_text("branch.corp.example.")
ALIAS = dns.name.from_text("alias.corp.example.")


def name(text):
    return dns.name.from_text(text)


def item(before, transform, rdtype=None, option="name"):
    change = RRsetChange(before.name, rdtype or before.rdtype, transform, option)
    return PlannedRRset(change, before, transform(before))


# -- CNAME rules (BIND ignores the add and answers NOERROR) -------------------------------------
A_VALUE = parse_values("A", ["192.0.2.7"], "values")


def test_adding_data_at_a_name_that_holds_a_cname_is_a_conflict():
    read = RRset(ALIAS, "A", cname=name("kms1.corp.example."), owner_exists=True)
    error = cname_conflict(ZONE, item(read, merge(A_VALUE, 3600), option="name"))
    assert isinstance(error, CNAMEConflict)
    assert str(error).startswith("name: alias.corp.example. holds a CNAME (to kms1.corp.example.)")
    assert "write the record at kms1.corp.example." in str(error)


def test_removing_data_at_a_cname_or_a_name_without_cname_is_no_conflict():
    read = RRset(ALIAS, "A", cname=name("kms1.corp.example."), owner_exists=True)
    assert cname_conflict(ZONE, item(read, remove())) is None
    plain = RRset(ALIAS, "A", owner_exists=False)
    assert cname_conflict(ZONE, item(plain, merge(A_VALUE, 3600))) is None


def test_a_cname_at_the_apex_is_a_conflict():
    read = RRset(ZONE, "CNAME", owner_exists=True)
    target = parse_values("CNAME", ["kms1.corp.example"], "values")
    error = cname_conflict(ZONE, item(read, exclusive(target, 3600)))
    assert isinstance(error, CNAMEConflict)
    assert "apex of zone corp.example." in str(error)


@pytest.mark.parametrize(
    "types,conflict",
    [
        ({"A", "TXT"}, "holds A, TXT record(s)"),
        ({"RRSIG", "NSEC"}, None),  # DNSSEC data may share a name with a CNAME
        (set(), None),  # an empty non-terminal
    ],
)
def test_a_new_cname_beside_other_data_is_a_conflict(types, conflict):
    read = RRset(ALIAS, "CNAME", owner_exists=True)
    target = parse_values("CNAME", ["kms1.corp.example"], "values")
    error = cname_conflict(ZONE, item(read, exclusive(target, 3600)), types)
    if conflict is None:
        assert error is None
    else:
        assert conflict in str(error)


def test_changing_the_target_of_a_cname_is_allowed():
    old = parse_values("CNAME", ["kms1.corp.example"], "values")
    new = parse_values("CNAME", ["kms2.corp.example"], "values")
    read = RRset(ALIAS, "CNAME", 3600, old, owner_exists=True)
    assert cname_conflict(ZONE, item(read, exclusive(new, 3600)), {"CNAME"}) is None


def sections(update):
    prereq = [line for rrset in update.prerequisite for line in rrset.to_text().splitlines()]
    changes = [line for rrset in update.update for line in rrset.to_text().splitlines()]
    return prereq, changes


def test_a_new_cname_at_a_new_name_requires_the_name_unused():
    target = parse_values("CNAME", ["kms1.corp.example"], "values")
    plan = ZonePlan(ZONE, [item(RRset(ALIAS, "CNAME", owner_exists=False), exclusive(target, 3600))])
    prereq, _changes = sections(build_update(plan))
    assert prereq == ["alias.corp.example. NONE CNAME", "alias.corp.example. NONE ANY"]


def test_a_new_address_rrset_requires_no_cname_at_its_name():
    plan = ZonePlan(ZONE, [item(RRset(ALIAS, "A", owner_exists=True), merge(A_VALUE, 3600))])
    prereq, _changes = sections(build_update(plan))
    assert prereq == ["alias.corp.example. NONE A", "alias.corp.example. NONE CNAME"]


# -- order of UPDATEs (a failure never leaves an SRV value without its target's address) ----------
def publish_params(hosts, **extra):
    params = {"hosts": hosts, "ttl": 3600, "state": "present", "prune": False, "address_records": True}
    params.update(extra)
    return params


def fake_grouping(changes, zone_of):
    """group_by_zone's result, from a name -> zone map (the real one asks the server)."""
    groups = {}
    for change in changes:
        groups.setdefault(zone_of(change.name), []).append(change)
    return groups


def zone_of(owner):
    return BRANCH if owner.is_subdomain(BRANCH) else ZONE


def batch_view(batches):
    return [
        (zone.to_text(), [f"{change.name.to_text()} {change.rdtype}" for change in changes])
        for zone, changes in batches
    ]


def test_publish_writes_the_address_zone_before_the_srv_that_points_at_it():
    # the SRV lives in the branch zone, the target's address in the parent zone
    changes, _zone = publish_changes(
        publish_params(
            [{"name": "kms9.corp.example", "addresses": ["192.0.2.9"], "publish": [{"domain": "branch.corp.example"}]}]
        )
    )
    assert batch_view(order_batches(fake_grouping(changes, zone_of))) == [
        ("corp.example.", ["kms9.corp.example. A"]),
        ("branch.corp.example.", ["_vlmcs._tcp.branch.corp.example. SRV"]),
    ]


def test_withdraw_removes_the_srv_before_the_address_it_points_at():
    changes, _zone = publish_changes(
        publish_params([{"name": "kms9.corp.example", "publish": [{"domain": "branch.corp.example"}]}], state="absent")
    )
    assert batch_view(order_batches(fake_grouping(changes, zone_of))) == [
        ("branch.corp.example.", ["_vlmcs._tcp.branch.corp.example. SRV"]),
        # the host's own domain is read too: its addresses stay while an SRV value there names it
        ("corp.example.", ["_vlmcs._tcp.corp.example. SRV", "kms9.corp.example. A", "kms9.corp.example. AAAA"]),
    ]


def test_a_zone_waits_for_the_address_zone_even_when_listed_first():
    # zone corp holds kms1's address and the corp SRV naming kms2, whose address is in branch;
    # the branch SRV names kms1. No order of two UPDATEs works: corp's address goes alone first.
    hosts = [
        {"name": "kms1.corp.example", "addresses": ["192.0.2.1"], "publish": [{"domain": "branch.corp.example"}]},
        {"name": "kms2.branch.corp.example", "addresses": ["192.0.2.2"], "publish": [{"domain": "corp.example"}]},
    ]
    changes, _zone = publish_changes(publish_params(hosts))
    batches = batch_view(order_batches(fake_grouping(changes, zone_of)))
    assert batches == [
        ("corp.example.", ["kms1.corp.example. A"]),
        ("branch.corp.example.", ["kms2.branch.corp.example. A", "_vlmcs._tcp.branch.corp.example. SRV"]),
        ("corp.example.", ["_vlmcs._tcp.corp.example. SRV"]),
    ]


def test_within_one_zone_addresses_and_srv_go_in_one_update():
    changes, _zone = publish_changes(
        publish_params(
            [
                {
                    "name": "kms1.corp.example",
                    "addresses": ["192.0.2.1", "2001:db8::1"],
                    "publish": [{"domain": "corp.example"}],
                }
            ]
        )
    )
    assert batch_view(order_batches(fake_grouping(changes, zone_of))) == [
        ("corp.example.", ["kms1.corp.example. A", "kms1.corp.example. AAAA", "_vlmcs._tcp.corp.example. SRV"]),
    ]


def test_without_needs_the_order_is_kept():
    changes = [
        RRsetChange(name(f"n{index}.{zone}"), "TXT", remove())
        for index, zone in enumerate(["b.example.", "a.example.", "b.example."])
    ]
    groups = fake_grouping(changes, lambda owner: owner.parent())
    assert order_batches(groups) == list(groups.items())


def test_a_cycle_of_needs_keeps_the_given_order_rather_than_loop():
    first = RRsetChange(name("x.a.example."), "TXT", remove(), needs=[name("y.b.example.")])
    second = RRsetChange(name("y.b.example."), "TXT", remove(), needs=[name("x.a.example.")])
    groups = {name("a.example."): [first], name("b.example."): [second]}
    assert [zone.to_text() for zone, _changes in order_batches(groups)] == ["a.example.", "b.example."]


# -- zone states, SERVFAIL hint ----------------------------------------------------------------
def srv_owner_rrset(count):
    owner = name("_vlmcs._tcp.corp.example.")
    values = [parse_value("SRV", f"0 0 1688 kms{index}.corp.example", "v") for index in range(count)]
    return RRset(owner, "SRV"), values


def test_zone_states():
    before, values = srv_owner_rrset(1)
    plan = ZonePlan(ZONE, [item(before, merge(values, 3600))])
    assert plan.state == "changed"
    plan.update_sent = True
    assert plan.state == "updated"
    plan.outcome = "unknown"
    assert plan.state == "unknown"
    assert ZonePlan(ZONE, [item(before, remove())]).state == "unchanged"


class FailingUpdate:
    """A transport whose reads find nothing and whose UPDATE fails with ERROR; WRITTEN is what a
    DNSTransport's message_written says afterwards (the message went out, or not)."""

    def __init__(self, error, written):
        self.error = error
        self.written = written
        self.message_written = None

    def read_rrset(self, owner, rdtype):
        return RRset(owner, rdtype)

    def send_update(self, update):
        self.message_written = self.written
        raise self.error


@pytest.mark.parametrize(
    "error, written, update_sent, state, said",
    [
        (UpdateRefused("the server REFUSED the update", "key_name"), True, True, "failed", "REFUSED"),
        (
            ServerFailure("the update to zone corp.example. failed: SERVFAIL", "server"),
            True,
            True,
            "failed",
            "SERVFAIL",
        ),
        (TSIGError("the server rejected the signature (BADSIG)", "key_secret"), True, True, "failed", "BADSIG"),
        (DNSTimeout("no answer within 2 s", "timeout"), True, True, "unknown", "was sent and may or may not"),
        (
            DNSConnectionError("no answer: the server closed the connection", "server"),
            True,
            True,
            "unknown",
            "was sent and may or may not",
        ),
        (
            DNSConnectionError("cannot reach ns1: connection refused", "server"),
            False,
            False,
            "failed",
            "the UPDATE of zone corp.example. was not sent",
        ),
    ],
)
def test_update_sent_is_true_whenever_the_update_went_out_whatever_came_back(error, written, update_sent, state, said):
    # issue 16, point 5: a zone answered REFUSED or SERVFAIL, and an unknown one, used to say update_sent=false
    _before, values = srv_owner_rrset(1)
    change = RRsetChange(name("_vlmcs._tcp.corp.example."), "SRV", merge(values, 3600), "hosts[0]")
    with pytest.raises(type(error)) as raised:
        apply_zone(FailingUpdate(error, written), ZONE, [change], check_mode=False)
    plan = raised.value.applied[-1]
    assert (plan.update_sent, plan.state) == (update_sent, state)
    assert said in str(raised.value)


@pytest.mark.parametrize("count,likely", [(101, "101 records: BIND 9.18.28"), (40, "sets it to 39 or less")])
def test_servfail_names_the_per_rrset_record_limit(count, likely):
    before, values = srv_owner_rrset(count)
    plan = ZonePlan(ZONE, [item(before, merge(values, 3600))])
    message = servfail_message(plan, "the update to zone corp.example. failed: SERVFAIL")
    assert "max-records-per-type (default 100)" in message
    assert likely in message
    assert "_vlmcs._tcp.corp.example. SRV" in message


# -- values sorted by value, not as text ---------------------------------------------------------
def test_results_and_diff_sort_srv_values_by_priority_weight_port_target():
    owner = name("_vlmcs._tcp.corp.example.")
    texts = [
        "10 0 1688 a.corp.example.",
        "3 0 1688 b.corp.example.",
        "3 20 1688 a.corp.example.",
        "3 3 1688 c.corp.example.",
        "3 3 80 c.corp.example.",
        "3 3 80 B.corp.example.",
    ]
    values = [parse_value("SRV", text, "v") for text in texts]
    plan = ZonePlan(ZONE, [item(RRset(owner, "SRV"), merge(values, 3600))])
    records, diff, _changed = plan_report([plan])
    expected = [
        "3 0 1688 b.corp.example.",
        "3 3 80 B.corp.example.",
        "3 3 80 c.corp.example.",
        "3 3 1688 c.corp.example.",
        "3 20 1688 a.corp.example.",
        "10 0 1688 a.corp.example.",
    ]
    assert records[0]["after"]["values"] == expected
    assert [line.split(" IN SRV ")[1] for line in diff["after"].splitlines()] == expected


def test_addresses_sort_numerically():
    owner = name("kms1.corp.example.")
    values = parse_values("A", ["192.0.2.10", "192.0.2.9", "10.0.0.1"], "v")
    assert RRset(owner, "A", 3600, values).sorted_texts() == ["10.0.0.1", "192.0.2.9", "192.0.2.10"]
