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
from typing import Any

try:
    import dns.rdataclass
    import dns.update
except ImportError:  # pragma: no cover - reported by the modules with missing_required_lib
    pass

from ansible_collections.kmsops.kms.plugins.module_utils.dns._errors import (
    CNAMEConflict,
    ConcurrentChange,
    DNSConnectionError,
    DNSError,
    DNSTimeout,
    InvalidInput,
    PrerequisiteFailed,
    ServerFailure,
    UpdateIgnored,
)
from ansible_collections.kmsops.kms.plugins.module_utils.dns._records import RRset, cached_sort_key

# many writers on one RRset (20 KMS hosts publishing at once) each win within a few rounds when the
# retries spread out: randomised waits that double from 0.1 s up to 1 s ("full jitter")
MAX_ATTEMPTS = 20
FIRST_BACKOFF = 0.1
MAX_BACKOFF = 1.0
# BIND 9.18.28 and later, and 9.20: an RRset may hold at most max-records-per-type records
BIND_MAX_RECORDS_PER_TYPE = 100
# what BIND lets share an owner name with a CNAME (DNSSEC data); anything else it ignores
_ALLOWED_BESIDE_CNAME = frozenset(("CNAME", "RRSIG", "NSEC", "KEY", "SIG"))


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
    """One wanted change: NAME/RDTYPE, a transform, and the option it came from (for errors).

    NEEDS: owner names whose changes must be on the server first (the address records an SRV
    value points to; the SRV values that point to an address being withdrawn). They go in the
    same UPDATE when they are in the same zone (atomic), in an earlier UPDATE otherwise.

    PEERS: (name, rdtype) keys of other RRsets the transform looks at (an SRV RRset and its owner
    TXT registry; the SRV RRsets that may still name a host whose addresses would go). A change
    with peers has a transform ``transform(before, view)`` (see PlanView); each peer must itself
    be one of the changes of the run (an identity change when it is only looked at), so it is read
    in the same pass. When such a change is sent, the peers read in its zone that do not change
    go into the UPDATE as prerequisites too: the decision rests on them.
    """

    __slots__ = ("name", "needs", "option", "peers", "rdtype", "transform")

    def __init__(self, name, rdtype, transform, option="name", needs=(), peers=()):
        self.name = name
        self.rdtype = rdtype.upper()
        self.transform = transform
        self.option = option
        self.needs = frozenset(needs)
        self.peers = tuple(peers)


def keep():
    """The identity transform: an RRset only looked at (a peer of another change)."""

    def transform(before):
        return before

    return transform


class PlanView:
    """What a transform with peers sees: the RRsets of its zone as read (``before``) and as
    planned so far (``after``), the RRsets of zones planned earlier in the run (their planned
    state), and ``warn`` for what the module must say (collected once per final plan)."""

    def __init__(self, items, states, warnings):
        self._items = items
        self._states = states
        self._warnings = warnings

    def before(self, key):
        if key in self._items:
            return self._items[key].before
        state = self._states.get(key)
        return state[0] if state else None

    def after(self, key):
        if key in self._items:
            return self._items[key].after
        state = self._states.get(key)
        return state[1] if state else None

    def warn(self, text):
        if text not in self._warnings:
            self._warnings.append(text)


class PlannedRRset:
    __slots__ = ("_compared", "after", "before", "change")

    def __init__(self, change, before, after):
        self.change = change
        self.before = before
        self.after = after
        self._compared = None  # (before, after, changed): comparing rdata sets is costly, do it once

    @property
    def changed(self):
        compared = self._compared
        if compared is None or compared[0] is not self.before or compared[1] is not self.after:
            # an RRset without values has no TTL, so two absent RRsets compare equal
            compared = self._compared = (self.before, self.after, self.before != self.after)
        return compared[2]

    def result(self, zone, cache=None):
        """The record of this RRset for the module's result. ZONE: the zone's text. CACHE: see
        RRset.sorted_texts. An unchanged RRset holds what it held: its values are rendered once,
        from the values planned (often objects shared by many RRsets), and shown as before and after."""
        changed = self.changed
        after = self.after.as_dict(cache)
        return {
            "name": self.before.name.to_text(),
            "type": self.before.rdtype,
            "zone": zone,
            "changed": changed,
            "before": self.before.as_dict(cache) if changed else after,
            "after": after,
        }


class ZonePlan:
    def __init__(self, zone, items, warnings=()):
        self.zone = zone
        self.items = items
        self.warnings = list(warnings)
        self.attempts = 0
        # the UPDATE of this zone was written to the network (whatever the answer: NOERROR, REFUSED,
        # SERVFAIL, or none at all); False in check mode, when nothing changed, and when it failed
        # before the message went out
        self.update_sent = False
        self.outcome = None  # "unknown", "failed" or "ignored" when the UPDATE did not succeed

    @property
    def state(self):
        """unchanged; changed (check mode: would change); updated (the server took the UPDATE);
        unknown (sent, no answer: may or may not be applied); failed; ignored (NOERROR, not applied)."""
        if self.outcome:
            return self.outcome
        if self.update_sent:
            return "updated"
        return "changed" if self.changed else "unchanged"

    @property
    def changed_items(self):
        return [item for item in self.items if item.changed]

    @property
    def changed(self):
        return bool(self.changed_items)


def cname_conflict(zone, item, owner_types=()):
    """The CNAMEConflict ITEM would cause, or None. BIND silently ignores (NOERROR) other data
    added beside a CNAME and a CNAME added beside other data; a CNAME at the apex is never valid.
    OWNER_TYPES: the types the owner holds (read only for a new CNAME at an existing name)."""
    before, after = item.before, item.after
    name, rdtype = before.name, before.rdtype
    if rdtype != "CNAME":
        if before.cname is not None and after.values - before.values:
            return CNAMEConflict(
                f"{name} holds a CNAME (to {before.cname}); a name with a CNAME can hold no "
                f"{rdtype} record (BIND would ignore it and answer NOERROR). Remove the CNAME "
                f"first, or write the record at {before.cname}",
                item.change.option,
            )
        return None
    if not after.exists or before.exists:
        return None  # removing a CNAME, or replacing its target: allowed
    if name == zone:
        return CNAMEConflict(
            f"{name} is the apex of zone {zone}, which holds SOA and NS records: a CNAME cannot be there",
            item.change.option,
        )
    others = sorted(set(owner_types) - _ALLOWED_BESIDE_CNAME)
    if others:
        return CNAMEConflict(
            f"{name} already holds {', '.join(others)} record(s); a CNAME cannot share its name "
            "with other data (BIND would ignore it and answer NOERROR). Remove those records "
            "first",
            item.change.option,
        )
    return None


def plan_zone(transport, zone, changes, known=None, states=None):
    """Read each RRset of CHANGES once and apply the transforms (several changes of one RRset
    are applied in order). KNOWN {(name, rdtype): RRset} holds RRsets already read: each is used
    once, instead of reading it (and taken out, so a later UPDATE of the same zone reads afresh).
    STATES {(name, rdtype): (before, after)}: RRsets of zones planned earlier in the run, for the
    transforms with peers. Fail on a CNAME conflict before anything is sent."""
    items = {}
    order = []
    for change in changes:
        key = (change.name, change.rdtype)
        if key not in items:
            before = known.pop(key) if known and key in known else transport.read_rrset(change.name, change.rdtype)
            items[key] = PlannedRRset(change, before, before)
            order.append(key)
    warnings: list[str] = []
    view = PlanView(items, states or {}, warnings)
    for change in changes:
        item = items[(change.name, change.rdtype)]
        item.after = change.transform(item.after, view) if change.peers else change.transform(item.after)
    # RRsets another change's decision rests on: what was read of them may become a prerequisite
    guarded = {peer for change in changes for peer in change.peers if peer != (change.name, change.rdtype)}
    for key in order:
        item = items[key]
        if not item.changed:
            if key not in guarded:
                # what was read equals what is planned: keep one of them (the planned values are often
                # objects shared by many RRsets), so the values read are freed as the floor frees them
                item.before = item.after
            continue
        owner_types = ()
        if (
            item.before.rdtype == "CNAME"
            and item.after.exists
            and not item.before.exists
            and item.before.owner_exists
            and item.before.name != zone
        ):
            # only a new CNAME at a name that exists needs to know what else is there
            owner_types = transport.read_owner_types(item.before.name)
        conflict = cname_conflict(zone, item, owner_types)
        if conflict is not None:
            raise conflict
    return ZonePlan(zone, [items[key] for key in order], warnings)


def _guards(plan):
    """The unchanged RRsets of PLAN that a changed RRset's decision rests on (its peers in this
    zone): stated as prerequisites, so a concurrent change of them fails the UPDATE."""
    changed = {(item.before.name, item.before.rdtype) for item in plan.changed_items}
    by_key = {(item.before.name, item.before.rdtype): item for item in plan.items}
    guards = []
    for item in plan.changed_items:
        for peer in item.change.peers:
            if peer in by_key and peer not in changed:
                changed.add(peer)
                guards.append(by_key[peer].before)
    return guards


def build_update(plan, cache=None):
    """One UPDATE for the zone: for each changed RRset a prerequisite from what was read (in the
    prerequisite section) and the changes (in the update section). CACHE: a dict kept across
    calls, so a value shared by many RRsets is rendered once (see _records.cached_sort_key)."""
    if cache is None:
        cache = {}
    update = dns.update.UpdateMessage(plan.zone, dns.rdataclass.IN)
    for guard in _guards(plan):
        if guard.exists:
            update.present(guard.name, *_sorted(guard.values, cache))
        else:
            update.absent(guard.name, guard.rdtype)
    for item in plan.changed_items:
        before, after = item.before, item.after
        name, rdtype = before.name, before.rdtype
        if before.exists:
            update.present(name, *_sorted(before.values, cache))
        else:
            update.absent(name, rdtype)
        # the CNAME rules as prerequisites: a CNAME added meanwhile by someone else makes the
        # server answer YXRRSET/YXDOMAIN instead of silently ignoring our addition (an RRset that
        # exists already rules out a CNAME at its name)
        if rdtype != "CNAME" and after.exists and not before.exists:
            update.absent(name, "CNAME")
        elif rdtype == "CNAME" and after.exists and not before.exists and before.owner_exists is False:
            update.absent(name)
        if not after.exists:
            update.delete(name, rdtype)
        elif not before.exists:
            update.add(name, after.ttl, *_sorted(after.values, cache))
        elif before.ttl != after.ttl:
            # one TTL per RRset: replace the whole RRset (the prerequisite guards its content)
            update.delete(name, rdtype)
            update.add(name, after.ttl, *_sorted(after.values, cache))
        else:
            removed = before.values - after.values
            added = after.values - before.values
            if removed:
                update.delete(name, *_sorted(removed, cache))
            if added:
                update.add(name, after.ttl, *_sorted(added, cache))
    return update


def _sorted(values, cache):
    """VALUES in the order of their text (a stable message)."""
    return sorted(values, key=lambda rdata: cached_sort_key(rdata, cache)[-1])


def servfail_message(plan, message):
    """SERVFAIL says nothing more; name the likely cause when it is BIND's per-RRset limit."""
    largest = max(plan.changed_items, key=lambda item: len(item.after.values))
    count = len(largest.after.values)
    where = f"{largest.after.name} {largest.after.rdtype}"
    limit = (
        f"BIND 9.18.28 and later (and 9.20) answer SERVFAIL when an RRset would hold more records than "
        f"max-records-per-type (default {BIND_MAX_RECORDS_PER_TYPE})"
    )
    if count > BIND_MAX_RECORDS_PER_TYPE:
        return (
            f"{message}. {where} would hold {count} records: {limit}, the likely cause. Raise "
            "max-records-per-type in the server's options or zone, or publish fewer values"
        )
    return (
        f"{message}. The largest RRset of this update, {where}, would hold {count} records: {limit}; "
        f"if the server sets it to {count - 1} or less, that is the cause. Otherwise see the server's log"
    )


def verify_update(transport, plan):
    """Read the changed RRsets back after a NOERROR UPDATE; fail when what was sent is not there.

    Added values must be present and removed values absent (values other writers added meanwhile are
    fine). Costs one read per changed RRset: dns_record uses it, kms_publish relies on its
    prerequisites and CNAME checks instead."""
    for item in plan.changed_items:
        now = transport.read_rrset(item.before.name, item.before.rdtype)
        missing = item.after.values - item.before.values - now.values
        left = (item.before.values - item.after.values) & now.values
        if missing or left:
            plan.outcome = "ignored"
            raise UpdateIgnored(
                f"the server answered NOERROR to the update of zone {plan.zone}, but "
                f"{item.before.name} {item.before.rdtype} holds {now.sorted_texts() or 'nothing'}: "
                "it ignored the update (its log says why) or another writer changed it at once",
                item.change.option,
            )


def apply_zone(
    transport,
    zone,
    changes,
    check_mode,
    max_attempts=MAX_ATTEMPTS,
    sleep=time.sleep,
    known=None,
    verify=False,
    cache=None,
    states=None,
):
    """Plan and (unless CHECK_MODE) apply the changes of one zone. Returns the final ZonePlan.

    KNOWN: RRsets read already (by group_by_zone); the first plan uses them, a retry reads again.

    When the UPDATE fails, the error's ``applied`` holds this zone's plan with its outcome:
    ``unknown`` when it was sent and no answer came (it may or may not be applied), ``failed``
    otherwise; its ``update_sent`` says whether the message went out (an answer such as REFUSED
    or SERVFAIL means it did)."""
    for attempt in range(1, max_attempts + 1):
        plan = plan_zone(transport, zone, changes, known if attempt == 1 else None, states)
        plan.attempts = attempt
        if check_mode or not plan.changed:
            return plan
        try:
            transport.send_update(build_update(plan, cache))
        except PrerequisiteFailed:
            # someone changed an RRset since we read it: read again and plan again
            sleep(random.uniform(0, min(MAX_BACKOFF, FIRST_BACKOFF * 2 ** (attempt - 1))))
            continue
        except ServerFailure as exc:
            plan.update_sent, plan.outcome = True, "failed"  # SERVFAIL is an answer to the UPDATE
            raise ServerFailure(servfail_message(plan, exc.message), exc.option, applied=[plan]) from None
        except (DNSTimeout, DNSConnectionError) as exc:
            if not getattr(transport, "message_written", True):
                # e.g. the reconnect was refused before the message went out: nothing reached the server
                plan.outcome = "failed"
                raise type(exc)(
                    f"{exc.message}; the UPDATE of zone {zone} was not sent", exc.option, applied=[plan]
                ) from None
            plan.update_sent, plan.outcome = True, "unknown"
            raise type(exc)(
                f"{exc.message}; the UPDATE of zone {zone} was sent and may or may not have been "
                "applied (its state is unknown in zones): run again to converge",
                exc.option,
                applied=[plan],
            ) from None
        except DNSError as exc:
            # an answer (REFUSED, NOTAUTH, a bad signature) means the UPDATE was sent
            plan.update_sent, plan.outcome = getattr(transport, "message_written", True), "failed"
            exc.applied = [plan]
            raise
        plan.update_sent = True
        if verify:
            try:
                verify_update(transport, plan)
            except UpdateIgnored as exc:
                exc.applied = [plan]
                raise
        return plan
    raise ConcurrentChange(
        f"zone {zone} changed under us {max_attempts} times in a row; nothing was "
        "overwritten, run again when the other writer is done",
        changes[0].option,
    )


def group_by_zone(transport, changes, zone=None, zone_option="zone"):
    """Group CHANGES by the zone that holds them. Returns ({zone: [changes]}, {(name, rdtype): RRset}).

    With ZONE given, it is checked once (a SOA query) and every change must lie inside it; the RRsets
    are read later, by plan_zone. Otherwise each RRset is read here, once, and its zone is learned
    from that same answer (DNSTransport.read_rrset_and_zone); the RRsets read are returned for the
    first plan. Only when an answer does not say which zone holds the name (a referral to a
    delegated zone, a CNAME, a server that sends no authority section) is the zone looked up with a
    SOA query, which fails clearly when no zone on the server holds the name."""
    groups: dict[Any, list[Any]] = {}
    known = {}
    holders = {}
    missing: dict[Any, Any] = {}  # owner name -> zone, for names an answer said do not exist (NXDOMAIN)
    if zone is not None:
        transport.check_zone(zone, zone_option)
    for change in changes:
        if zone is not None:
            if not change.name.is_subdomain(zone):
                raise InvalidInput(f"{change.name} is not inside zone {zone}", change.option)
            holder = zone
        else:
            key = (change.name, change.rdtype)
            if key not in holders and change.name in missing:
                # a name that does not exist holds no RRset of any type (the owner TXT registry
                # beside a new SRV RRset): no query; the UPDATE's prerequisite still guards it
                holders[key] = missing[change.name]
                known[key] = RRset(change.name, change.rdtype, owner_exists=False)
            if key not in holders:
                before, holders[key] = transport.read_rrset_and_zone(change.name, change.rdtype)
                if holders[key] is None:
                    holders[key] = transport.find_zone(change.name, change.option)
                else:
                    known[key] = before
                    if before.owner_exists is False:
                        missing[change.name] = holders[key]
            holder = holders[key]
        groups.setdefault(holder, []).append(change)
    return groups, known


def order_batches(groups):
    """Order the (zone, changes) of GROUPS so that every change comes after the changes it NEEDS.

    A zone is one UPDATE when it can be (its needs are in it, or in zones already done); otherwise
    its ready part goes first and the rest in a later UPDATE of the same zone. Without needs across
    zones the order is unchanged. Returns [(zone, [changes])]."""
    pending = [(holder, list(zone_changes)) for holder, zone_changes in groups.items()]
    left: dict[Any, int] = {}  # owner name -> number of its changes not yet sent
    for _holder, zone_changes in pending:
        for change in zone_changes:
            left[change.name] = left.get(change.name, 0) + 1
    # the names with changes not sent yet: only those can hold a change back. A set keeps the hash
    # of each name, so intersecting it with a change's NEEDS hashes no name again
    unsent = set(left)
    batches = []
    while pending:
        partial = None
        for index, (_holder, zone_changes) in enumerate(pending):
            ready = list(zone_changes)
            while True:
                inside: dict[Any, int] = {}
                for change in ready:
                    inside[change.name] = inside.get(change.name, 0) + 1
                kept = [
                    change
                    for change in ready
                    if all(left[need] == inside.get(need, 0) for need in change.needs & unsent)
                ]
                if len(kept) == len(ready):
                    break
                ready = kept
            if len(ready) == len(zone_changes):
                partial = (index, ready)
                break
            if ready and partial is None:
                partial = (index, ready)
        if partial is None:  # a cycle of needs: cannot come from the modules; keep the given order
            batches.extend(pending)
            break
        index, ready = partial
        holder, zone_changes = pending[index]
        batches.append((holder, ready))
        for change in ready:
            left[change.name] -= 1
            if not left[change.name]:
                unsent.discard(change.name)
        sent = {id(change) for change in ready}
        rest = [change for change in zone_changes if id(change) not in sent]
        if rest:
            pending[index] = (holder, rest)
        else:
            del pending[index]
    return batches


def run_changes(transport, changes, check_mode, zone=None, zone_option="zone", verify=False):
    """Group by zone, order by needs, plan each zone and apply it. Returns the list of ZonePlans.

    Every zone is found (and every RRset read) before anything is sent. When a zone fails, the
    error carries ``applied``: the plans of the zones handled before it (their UPDATEs were sent),
    then the failing zone's plan (state ``failed``, or ``unknown`` when the UPDATE got no answer)."""
    plans: list[Any] = []
    cache: dict[Any, Any] = {}  # value texts, see build_update
    states: dict[
        Any, Any
    ] = {}  # (name, rdtype) -> (before, after) of the zones planned so far, for peers in other zones
    groups, known = group_by_zone(transport, changes, zone, zone_option)
    for holder, zone_changes in order_batches(groups):
        try:
            plan = apply_zone(
                transport, holder, zone_changes, check_mode, known=known, verify=verify, cache=cache, states=states
            )
        except DNSError as exc:
            exc.applied = list(plans) + list(exc.applied)
            raise
        plans.append(plan)
        for item in plan.items:
            states[(item.before.name, item.before.rdtype)] = (item.before, item.after)
    return plans


def plan_report(plans, diff=True):
    """Results, diff and changed flag of the zone plans, for the module's return value. DIFF: build
    the diff (only asked for in diff mode; otherwise it is None, its text never made)."""
    records = []
    before_lines = []
    after_lines = []
    cache: dict[Any, Any] = {}
    for plan in plans:
        zone = plan.zone.to_text()
        for item in plan.items:
            records.append(item.result(zone, cache))
            if diff and item.changed:
                before_lines += item.before.zone_lines(cache)
                after_lines += item.after.zone_lines(cache)
    changed = any(plan.changed for plan in plans)
    if not diff:
        return records, None, changed
    diff = {
        "before": "\n".join(before_lines) + ("\n" if before_lines else ""),
        "after": "\n".join(after_lines) + ("\n" if after_lines else ""),
        "before_header": "DNS (before)",
        "after_header": "DNS (after)",
    }
    return records, diff, changed
