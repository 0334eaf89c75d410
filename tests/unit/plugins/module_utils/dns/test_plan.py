# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Planning (transforms) and UPDATE building: prerequisites state what was read."""

from __future__ import annotations

import dns.name
import dns.rdataclass
import dns.rdatatype

from ansible_collections.kmsops.kms.plugins.module_utils.dns._plan import (
    PlannedRRset,
    RRsetChange,
    ZonePlan,
    build_update,
    exclusive,
    merge,
    plan_report,
    plan_zone,
    remove,
)
from ansible_collections.kmsops.kms.plugins.module_utils.dns._records import RRset, parse_value

ZONE = dns.name.from_text("corp.example.")
OWNER = dns.name.from_text("_vlmcs._tcp.corp.example.")
KMS1 = parse_value("SRV", "0 0 1688 kms1.corp.example", "v")
KMS2 = parse_value("SRV", "0 0 1688 kms2.corp.example", "v")
KMS3 = parse_value("SRV", "10 0 1688 kms3.corp.example", "v")


def srv(ttl, *values):
    return RRset(OWNER, "SRV", ttl, values)


def planned(before, transform):
    return PlannedRRset(RRsetChange(OWNER, "SRV", transform), before, transform(before))


def sections(update):
    """(prerequisite lines, update lines) of an UpdateMessage as zone-file text."""
    prereq = [line for rrset in update.prerequisite for line in rrset.to_text().splitlines()]
    changes = [line for rrset in update.update for line in rrset.to_text().splitlines()]
    return prereq, changes


def test_merge_keeps_foreign_values():
    item = planned(srv(3600, KMS2), merge([KMS1], 3600))
    assert item.after.values == {KMS1, KMS2}
    assert item.changed


def test_merge_of_present_value_is_no_change():
    assert not planned(srv(3600, KMS1, KMS2), merge([KMS1], 3600)).changed


def test_ttl_difference_is_a_change():
    item = planned(srv(3600, KMS1), merge([KMS1], 600))
    assert item.changed
    assert item.after.ttl == 600


def test_exclusive_drops_foreign_values():
    assert planned(srv(3600, KMS1, KMS2), exclusive([KMS1], 3600)).after.values == {KMS1}


def test_absent_removes_only_given_values_or_everything():
    assert planned(srv(3600, KMS1, KMS2), remove([KMS2])).after.values == {KMS1}
    gone = planned(srv(3600, KMS1, KMS2), remove())
    assert not gone.after.exists and gone.changed
    assert not planned(srv(None), remove()).changed


def test_update_for_new_rrset_requires_it_absent_and_adds_values():
    plan = ZonePlan(ZONE, [planned(srv(None), merge([KMS1], 3600))])
    prereq, changes = sections(build_update(plan))
    # and that no CNAME appeared at the name meanwhile (BIND would ignore the add, answering NOERROR)
    assert prereq == ["_vlmcs._tcp.corp.example. NONE SRV", "_vlmcs._tcp.corp.example. NONE CNAME"]
    assert changes == ["_vlmcs._tcp.corp.example. 3600 IN SRV 0 0 1688 kms1.corp.example."]


def test_update_states_exactly_what_was_read_and_touches_only_the_difference():
    plan = ZonePlan(ZONE, [planned(srv(3600, KMS1, KMS2), lambda b: b.replace(values=(b.values - {KMS2}) | {KMS3}))])
    update = build_update(plan)
    prereq, changes = sections(update)
    assert sorted(prereq) == [
        "_vlmcs._tcp.corp.example. 0 IN SRV 0 0 1688 kms1.corp.example.",
        "_vlmcs._tcp.corp.example. 0 IN SRV 0 0 1688 kms2.corp.example.",
    ]
    assert changes == [
        "_vlmcs._tcp.corp.example. 0 NONE SRV 0 0 1688 kms2.corp.example.",
        "_vlmcs._tcp.corp.example. 3600 IN SRV 10 0 1688 kms3.corp.example.",
    ]
    assert update.zone[0].name == ZONE


def test_ttl_change_replaces_rrset_under_prerequisite():
    plan = ZonePlan(ZONE, [planned(srv(3600, KMS1, KMS2), merge([KMS1], 600))])
    prereq, changes = sections(build_update(plan))
    assert len(prereq) == 2
    assert changes[0] == "_vlmcs._tcp.corp.example. ANY SRV"
    assert sorted(changes[1:]) == [
        "_vlmcs._tcp.corp.example. 600 IN SRV 0 0 1688 kms1.corp.example.",
        "_vlmcs._tcp.corp.example. 600 IN SRV 0 0 1688 kms2.corp.example.",
    ]


def test_removing_last_value_deletes_rrset():
    plan = ZonePlan(ZONE, [planned(srv(3600, KMS1), remove([KMS1]))])
    _prereq, changes = sections(build_update(plan))
    assert changes == ["_vlmcs._tcp.corp.example. ANY SRV"]


def test_unchanged_rrsets_are_left_out_of_the_update():
    address_owner = dns.name.from_text("kms1.corp.example.")
    address = RRset(address_owner, "A", 3600, [parse_value("A", "192.0.2.1", "v")])
    unchanged = PlannedRRset(RRsetChange(address_owner, "A", merge(address.values, 3600)), address, address)
    plan = ZonePlan(ZONE, [unchanged, planned(srv(None), merge([KMS1], 3600))])
    update = build_update(plan)
    assert all(rrset.name == OWNER for rrset in update.prerequisite + update.update)
    assert update.prerequisite[0].rdtype == dns.rdatatype.SRV
    assert update.prerequisite[0].rdclass == dns.rdataclass.NONE


def test_plan_report_shows_an_unchanged_rrset_once_as_before_and_after():
    plan = ZonePlan(ZONE, [planned(srv(3600, KMS2, KMS3), merge([KMS3], 3600))])
    records, diff, changed = plan_report([plan])
    assert not changed and diff["before"] == diff["after"] == ""
    held = {"ttl": 3600, "values": ["0 0 1688 kms2.corp.example.", "10 0 1688 kms3.corp.example."]}
    assert records == [
        {
            "name": "_vlmcs._tcp.corp.example.",
            "type": "SRV",
            "zone": "corp.example.",
            "changed": False,
            "before": held,
            "after": held,
        }
    ]


def test_plan_report_builds_no_diff_text_unless_asked():
    plan = ZonePlan(ZONE, [planned(srv(3600, KMS2), merge([KMS1], 3600))])
    records, diff, changed = plan_report([plan], diff=False)
    assert changed and diff is None and records == plan_report([plan])[0]


def test_plan_report_gives_diff_of_changed_rrsets_only():
    plan = ZonePlan(
        ZONE, [planned(srv(3600, KMS2), merge([KMS1], 3600)), planned(srv(3600, KMS3), merge([KMS3], 3600))]
    )
    records, diff, changed = plan_report([plan])
    assert changed
    assert [record["changed"] for record in records] == [True, False]
    assert diff["before"] == "_vlmcs._tcp.corp.example. 3600 IN SRV 0 0 1688 kms2.corp.example.\n"
    assert diff["after"].splitlines() == [
        "_vlmcs._tcp.corp.example. 3600 IN SRV 0 0 1688 kms1.corp.example.",
        "_vlmcs._tcp.corp.example. 3600 IN SRV 0 0 1688 kms2.corp.example.",
    ]
    assert records[0]["zone"] == "corp.example."


def test_plan_frees_what_was_read_of_unchanged_rrsets_but_keeps_it_for_prerequisites():
    """An unchanged RRset keeps only the planned values (shared objects), unless a changed RRset of
    the zone rests on it: then what the server holds (its spelling) is the prerequisite."""
    upper = parse_value("SRV", "0 0 1688 KMS1.corp.example", "v")
    read = {(OWNER, "SRV"): RRset(OWNER, "SRV", 3600, [upper]), (OWNER, "TXT"): RRset(OWNER, "TXT", 3600, [])}
    registry = exclusive([parse_value("TXT", "x", "v")], 3600)
    guarded = [
        RRsetChange(OWNER, "SRV", merge([KMS1], 3600)),
        RRsetChange(OWNER, "TXT", lambda before, _view: registry(before), peers=((OWNER, "SRV"),)),
    ]
    plan = plan_zone(None, ZONE, guarded, known=dict(read))
    srv_item = plan.items[0]
    assert not srv_item.changed and srv_item.before is read[(OWNER, "SRV")]
    prereq, _changes = sections(build_update(plan))
    assert "_vlmcs._tcp.corp.example. 0 IN SRV 0 0 1688 KMS1.corp.example." in prereq
    alone = plan_zone(None, ZONE, guarded[:1], known=dict(read))
    assert not alone.items[0].changed and alone.items[0].before is alone.items[0].after
