# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plan, then apply: read each RRset once, compute what it must become, send one UPDATE per zone.

A wanted change of an RRset is a *transform*: a function from what the RRset holds now to what it
must hold. Planning reads every RRset of a zone, applies the transforms and keeps those whose
result differs. The UPDATE carries, for each changed RRset, a prerequisite stating exactly what was
read (RFC 2136 "RRset exists (value dependent)" or "RRset does not exist"), so a concurrent writer
makes the prerequisite fail; we then read again and plan again (bounded), never overwriting what
someone else added in between.
"""

from __future__ import annotations

import random
import time

try:
    import dns.rdataclass
    import dns.update
except ImportError:  # pragma: no cover - reported by the modules with missing_required_lib
    pass

from ansible_collections.kmsops.kms.plugins.module_utils.dns._errors import (
    ConcurrentChange,
    DNSError,
    InvalidInput,
    PrerequisiteFailed,
)

MAX_ATTEMPTS = 5


# -- transforms -------------------------------------------------------------------------------
def merge(values, ttl):
    """Add VALUES and keep every other value (state=present)."""
    values = frozenset(values)

    def transform(before):
        return before.replace(ttl=ttl, values=before.values | values)
    return transform


def exclusive(values, ttl):
    """The RRset becomes exactly VALUES (state=present, exclusive=true)."""
    values = frozenset(values)

    def transform(before):
        return before.replace(ttl=ttl, values=values)
    return transform


def remove(values=None):
    """Remove VALUES, or the whole RRset when VALUES is None (state=absent)."""
    values = None if values is None else frozenset(values)

    def transform(before):
        return before.replace(values=frozenset() if values is None else before.values - values)
    return transform


class RRsetChange:
    """One wanted change: NAME/RDTYPE, a transform, and the option it came from (for errors)."""

    __slots__ = ("name", "rdtype", "transform", "option")

    def __init__(self, name, rdtype, transform, option="name"):
        self.name = name
        self.rdtype = rdtype.upper()
        self.transform = transform
        self.option = option


class PlannedRRset:
    __slots__ = ("change", "before", "after")

    def __init__(self, change, before, after):
        self.change = change
        self.before = before
        self.after = after

    @property
    def changed(self):
        # an RRset without values has no TTL, so two absent RRsets compare equal
        return self.before != self.after

    def result(self, zone):
        return {
            "name": self.before.name.to_text(),
            "type": self.before.rdtype,
            "zone": zone.to_text(),
            "changed": self.changed,
            "before": self.before.as_dict(),
            "after": self.after.as_dict(),
        }


class ZonePlan:
    def __init__(self, zone, items):
        self.zone = zone
        self.items = items
        self.attempts = 0
        self.update_sent = False

    @property
    def changed_items(self):
        return [item for item in self.items if item.changed]

    @property
    def changed(self):
        return bool(self.changed_items)


def plan_zone(transport, zone, changes, known=None):
    """Read each RRset of CHANGES once and apply the transforms (several changes of one RRset
    are applied in order). KNOWN {(name, rdtype): RRset} holds RRsets already read (not read again)."""
    items = {}
    order = []
    for change in changes:
        key = (change.name, change.rdtype)
        if key not in items:
            before = known[key] if known and key in known else transport.read_rrset(change.name, change.rdtype)
            items[key] = PlannedRRset(change, before, before)
            order.append(key)
        item = items[key]
        item.after = change.transform(item.after)
    return ZonePlan(zone, [items[key] for key in order])


def build_update(plan):
    """One UPDATE for the zone: for each changed RRset a prerequisite from what was read (in the
    prerequisite section) and the changes (in the update section)."""
    update = dns.update.UpdateMessage(plan.zone, dns.rdataclass.IN)
    for item in plan.changed_items:
        before, after = item.before, item.after
        name, rdtype = before.name, before.rdtype
        if before.exists:
            update.present(name, *_sorted(before.values))
        else:
            update.absent(name, rdtype)
        if not after.exists:
            update.delete(name, rdtype)
        elif not before.exists:
            update.add(name, after.ttl, *_sorted(after.values))
        elif before.ttl != after.ttl:
            # one TTL per RRset: replace the whole RRset (the prerequisite guards its content)
            update.delete(name, rdtype)
            update.add(name, after.ttl, *_sorted(after.values))
        else:
            removed = before.values - after.values
            added = after.values - before.values
            if removed:
                update.delete(name, *_sorted(removed))
            if added:
                update.add(name, after.ttl, *_sorted(added))
    return update


def _sorted(values):
    return sorted(values, key=lambda rdata: rdata.to_text())


def apply_zone(transport, zone, changes, check_mode, max_attempts=MAX_ATTEMPTS, sleep=time.sleep, known=None):
    """Plan and (unless CHECK_MODE) apply the changes of one zone. Returns the final ZonePlan.

    KNOWN: RRsets read already (by group_by_zone); the first plan uses them, a retry reads again."""
    for attempt in range(1, max_attempts + 1):
        plan = plan_zone(transport, zone, changes, known if attempt == 1 else None)
        plan.attempts = attempt
        if check_mode or not plan.changed:
            return plan
        try:
            transport.send_update(build_update(plan))
        except PrerequisiteFailed:
            # someone changed an RRset since we read it: read again and plan again
            sleep(random.uniform(0.05, 0.2) * attempt)
            continue
        plan.update_sent = True
        return plan
    raise ConcurrentChange(f"zone {zone} changed under us {max_attempts} times in a row; nothing was "
                           "overwritten, run again when the other writer is done", changes[0].option)


def group_by_zone(transport, changes, zone=None, zone_option="zone"):
    """Group CHANGES by the zone that holds them. Returns ({zone: [changes]}, {(name, rdtype): RRset}).

    With ZONE given, it is checked once (a SOA query) and every change must lie inside it; the RRsets
    are read later, by plan_zone. Otherwise each RRset is read here, once, and its zone is learned
    from that same answer (DNSTransport.read_rrset_and_zone); the RRsets read are returned for the
    first plan. Only when an answer does not say which zone holds the name (a referral to a
    delegated zone, a CNAME, a server that sends no authority section) is the zone looked up with a
    SOA query, which fails clearly when no zone on the server holds the name."""
    groups = {}
    known = {}
    holders = {}
    if zone is not None:
        transport.check_zone(zone, zone_option)
    for change in changes:
        if zone is not None:
            if not change.name.is_subdomain(zone):
                raise InvalidInput(f"{change.name} is not inside zone {zone}", change.option)
            holder = zone
        else:
            key = (change.name, change.rdtype)
            if key not in holders:
                before, holders[key] = transport.read_rrset_and_zone(change.name, change.rdtype)
                if holders[key] is None:
                    holders[key] = transport.find_zone(change.name, change.option)
                else:
                    known[key] = before
            holder = holders[key]
        groups.setdefault(holder, []).append(change)
    return groups, known


def run_changes(transport, changes, check_mode, zone=None, zone_option="zone"):
    """Group by zone, plan each zone and apply it. Returns the list of ZonePlans.

    Every zone is found (and every RRset read) before anything is sent. When a zone fails, the
    error carries ``applied``: the plans of the zones handled before it (their UPDATEs were sent)."""
    plans = []
    groups, known = group_by_zone(transport, changes, zone, zone_option)
    for holder, zone_changes in groups.items():
        try:
            plans.append(apply_zone(transport, holder, zone_changes, check_mode, known=known))
        except DNSError as exc:
            exc.applied = list(plans)
            raise
    return plans


def summarize(plans):
    """Results, diff and changed flag for the module's return value."""
    records = []
    before_lines = []
    after_lines = []
    for plan in plans:
        for item in plan.items:
            records.append(item.result(plan.zone))
            if item.changed:
                before_lines += item.before.zone_lines()
                after_lines += item.after.zone_lines()
    diff = {
        "before": "\n".join(before_lines) + ("\n" if before_lines else ""),
        "after": "\n".join(after_lines) + ("\n" if after_lines else ""),
        "before_header": "DNS (before)",
        "after_header": "DNS (after)",
    }
    changed = any(plan.changed for plan in plans)
    return records, diff, changed
