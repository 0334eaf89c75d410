# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Turn module parameters into wanted RRset changes, checking every input first.

``record_changes`` serves ``dns_record`` (one RRset); ``publish_changes`` serves ``kms_publish``
(the whole DNS footprint of a KMS deployment: SRV values in ``_vlmcs._tcp.<domain>`` for every
host and publish domain, and the hosts' A/AAAA records).
"""

from __future__ import annotations

from typing import Any

try:
    import dns.name
    import dns.rdataclass
    import dns.rdatatype
    import dns.rdtypes.IN.SRV
except ImportError:  # pragma: no cover - reported by the modules with missing_required_lib
    pass

from ansible_collections.kmsops.kms.plugins.module_utils.common._primitives import (
    KMS_PORT,
    check_address,
    check_port,
    check_uint16,
    normalize_domain,
    service_owner,
)
from ansible_collections.kmsops.kms.plugins.module_utils.dns._errors import InvalidInput
from ansible_collections.kmsops.kms.plugins.module_utils.dns._owners import (
    Claims,
    Registry,
    check_owner_id,
    value_key,
)
from ansible_collections.kmsops.kms.plugins.module_utils.dns._plan import (
    RRsetChange,
    exclusive,
    keep,
    merge,
    remove,
)
from ansible_collections.kmsops.kms.plugins.module_utils.dns._records import (
    SUPPORTED_TYPES,
    check_owner,
    parse_value,
    parse_values,
    to_any_host_name,
    to_host_name,
    to_name,
)

MAX_TTL = 2147483647


def check_ttl(ttl, option="ttl"):
    if ttl is None or isinstance(ttl, bool) or not 0 <= int(ttl) <= MAX_TTL:
        raise InvalidInput(f"must be from 0 to {MAX_TTL} seconds, got {ttl!r}", option)
    return int(ttl)


def record_name(name, zone, removing=False):
    """NAME relative to ZONE, or absolute (ending in '.', already inside ZONE, or no ZONE).
    '@' is the apex of ZONE; an empty name is an error (it would silently mean the apex).
    REMOVING: any name DNS can hold (what exists can be removed whatever its name)."""
    if name == "@":
        if zone is None:
            raise InvalidInput("'@' (the zone apex) needs the zone option", "name")
        return zone
    if zone is None or name.endswith("."):
        return to_name(name, "name", removing=removing)
    absolute = to_name(name, "name", removing=removing)
    if absolute.is_subdomain(zone):
        return absolute
    return to_name(name, "name", origin=zone, removing=removing)


def record_changes(params):
    """Checks and changes for ``dns_record``. Returns ([RRsetChange], zone or None)."""
    zone = to_name(params["zone"], "zone") if params.get("zone") else None
    rdtype = params["type"].upper()
    if rdtype not in SUPPORTED_TYPES:
        raise InvalidInput(f"{params['type']!r} is not supported; use one of {', '.join(SUPPORTED_TYPES)}", "type")
    # what is added must pass the host-name rules; what is removed is already there, so any name
    # DNS can hold is accepted (a value naming old_kms.corp.example can be removed)
    removing = params["state"] == "absent"
    name = record_name(params["name"], zone, removing)
    if not removing:
        check_owner(name, rdtype, "name")
    if zone is not None and not name.is_subdomain(zone):
        raise InvalidInput(f"{name} is not inside zone {zone}", "name")
    values = parse_values(rdtype, params.get("values"), "values", removing)
    ttl = check_ttl(params.get("ttl"))
    if params["state"] == "present":
        if not values:
            raise InvalidInput("state=present needs at least one value", "values")
        if rdtype == "CNAME" and len(values) > 1:
            raise InvalidInput("a CNAME RRset holds exactly one value", "values")
        transform = exclusive(values, ttl) if params.get("exclusive") or rdtype == "CNAME" else merge(values, ttl)
    else:
        transform = remove(values or None)
    return [RRsetChange(name, rdtype, transform, "name")], zone


# -- kms_publish --------------------------------------------------------------------------------
class PublishedHost:
    """One checked entry of ``hosts``: NAME (dnspython name), A and AAAA rdata, and the SRV
    values it publishes as [(domain, SRV owner name, SRV rdata, option of the domain)]."""

    __slots__ = ("ipv4", "ipv6", "name", "option", "srv")

    def __init__(self, name, ipv4, ipv6, srv, option):
        self.name = name
        self.ipv4 = ipv4
        self.ipv6 = ipv6
        self.srv = srv
        self.option = option


_PUBLISH_KEYS = ("domain", "priority", "weight")


def _given(value, default):
    """VALUE, or DEFAULT when the option was left out (None)."""
    return default if value is None else value


def _mapping(value, keys, option):
    if not isinstance(value, dict):
        raise InvalidInput(f"must be a mapping with {', '.join(keys)}", option)
    if value.keys() <= frozenset(keys):
        return value
    unknown = sorted(set(value) - set(keys))
    if unknown:
        raise InvalidInput(f"unknown key(s) {', '.join(unknown)}; use {', '.join(keys)}", option)
    return value


def _addresses(addresses, option):
    """A and AAAA rdata of one host; each error names the user's own index."""
    if not isinstance(addresses, list):
        raise InvalidInput("must be a list of IPv4/IPv6 addresses", option)
    ipv4: list[Any] = []  # rdata
    ipv6: list[Any] = []
    for position, address in enumerate(addresses):
        where = f"{option}[{position}]"
        text = check_address(address, where)
        family, rdtype = (ipv6, "AAAA") if ":" in text else (ipv4, "A")
        rdata = parse_value(rdtype, text, where)
        if rdata not in family:
            family.append(rdata)
    return ipv4, ipv6


def _publish_entries(publish, name, port, option, domains):
    """The SRV values of one host: [(domain, owner, rdata, option)], one per domain.

    DOMAINS caches, per domain as the user wrote it, its checked form and its SRV owner name: the
    same domains recur for every host (20 hosts in 500 domains check 500 domains, not 10,000). Only
    checked domains are cached, so a bad one fails where it first occurs, naming that index."""
    if publish is None:
        # like a Windows KMS host: publish in its own domain
        publish = [{"domain": name.parent().to_text()}]
    if not isinstance(publish, list):
        raise InvalidInput("must be a list of mappings with domain, priority, weight", option)
    entries = []
    seen: dict[str, str] = {}
    values = {}  # a host's SRV value is often the same in all its domains: build it once
    for position, entry in enumerate(publish):
        where = f"{option}[{position}]"
        if isinstance(entry, str):
            entry = {"domain": entry}
        entry = _mapping(entry, _PUBLISH_KEYS, where)
        given = entry.get("domain")
        known = domains.get(given) if isinstance(given, str) else None
        if known is None:
            domain = normalize_domain(given, f"{where}.domain", service=True)
            known = (domain, dns.name.from_text(service_owner(domain)))
            if isinstance(given, str):
                domains[given] = known
        domain, owner = known
        if domain in seen:
            raise InvalidInput(
                f"{domain} is listed twice for this host (first at {seen[domain]}); "
                "a host has one SRV value per domain",
                f"{where}.domain",
            )
        seen[domain] = f"{where}.domain"
        key = (
            check_uint16(_given(entry.get("priority"), 0), f"{where}.priority"),
            check_uint16(_given(entry.get("weight"), 0), f"{where}.weight"),
        )
        if key not in values:
            # the target is the host's own name object (checked by to_host_name, absolute): the
            # plan's sets and dicts then match SRV targets and address owners by identity
            values[key] = dns.rdtypes.IN.SRV.SRV(dns.rdataclass.IN, dns.rdatatype.SRV, key[0], key[1], port, name)
        entries.append((domain, owner, values[key], seen[domain]))
    return entries


def parse_hosts(hosts, removing=False):
    """Check the ``hosts`` option, the one place it is checked (the argument spec only says it is
    a list of mappings); every problem names its place, e.g. hosts[1].publish[0].weight.
    REMOVING (``state: absent``): a host name may be any name DNS can hold, not only a host name."""
    if not hosts:
        raise InvalidInput("needs at least one host", "hosts")
    if not isinstance(hosts, list):
        raise InvalidInput("must be a list of mappings with name, addresses, port, publish", "hosts")
    parsed = []
    seen = set()
    domains: dict[str, Any] = {}  # see _publish_entries
    for index, host in enumerate(hosts):
        option = f"hosts[{index}]"
        host = _mapping(host, ("name", "addresses", "port", "publish"), option)
        name = (to_any_host_name if removing else to_host_name)(host.get("name"), f"{option}.name")
        if name in seen:
            raise InvalidInput(f"{name} is listed twice", f"{option}.name")
        seen.add(name)
        ipv4, ipv6 = _addresses(_given(host.get("addresses"), []), f"{option}.addresses")
        port = check_port(_given(host.get("port"), KMS_PORT), f"{option}.port")
        srv = _publish_entries(host.get("publish"), name, port, f"{option}.publish", domains)
        parsed.append(PublishedHost(name, ipv4, ipv6, srv, option))
    return parsed


def target_key(name):
    """An exact key for a target name compared without case, as dnspython compares names: the
    labels, lower case. Cheaper than the name itself as a set member (dnspython hashes a name
    character by character in Python, for every lookup)."""
    return tuple(map(bytes.lower, name.labels))


def _srv_ttl(before, after_values, ours, ttl, view=None):
    """The TTL rule of a shared SRV RRset (it has one TTL): ``ttl`` applies when this task creates
    the RRset or every value it will hold is ours (OURS(value)); otherwise the TTL it has stays,
    and a warning says so when it differs, so writers with different ``ttl`` converge."""
    if not before.exists or before.ttl == ttl or all(ours(value) for value in after_values):
        return ttl
    if view is not None and after_values:
        view.warn(
            f"ttl: {before.name} keeps its TTL {before.ttl} (not {ttl}): it holds values of other "
            "writers, and an RRset has one TTL; ttl applies when this task owns every value in it"
        )
    return before.ttl


def _publish_transform(desired, managed_targets, ttl):
    """The SRV RRset of one domain, without owner: our hosts' values become DESIRED (a frozenset);
    values of other targets are kept (merge). MANAGED_TARGETS: target_key of our hosts. The TTL
    follows _srv_ttl: a value of another target is not ours. (Prune needs an owner.)"""

    def ours(value):
        return target_key(value.target) in managed_targets

    def transform(before, view=None):
        if not before.values:
            return before.replace(ttl=ttl, values=desired)
        kept = [value for value in before.values if not ours(value)]
        values = desired.union(kept) if kept else desired
        return before.replace(ttl=_srv_ttl(before, values, ours, ttl, view), values=values)

    return transform


def _unpublish_transform(targets):
    """Drop the values whose target is one of TARGETS (target_key of the hosts withdrawn)."""

    def transform(before):
        kept = [value for value in before.values if target_key(value.target) not in targets]
        if len(kept) == len(before.values):
            return before
        return before.replace(values=kept)

    return transform


class _OwnedSRV:
    """The SRV RRset of one domain and its owner registry (TXT at the same name), planned together
    for OWNER. Both transforms ask ``compute`` with the RRsets as read; the result is kept for those
    two RRsets (a retry reads new ones and computes again).

    present: values in DESIRED are ours (a claim is added); a value of one of our TARGETS that is
    not desired goes when no other owner claims it (the host's value changed); with PRUNE, values
    only OWNER claims go, and with PRUNE_UNOWNED also values nobody claims; values claimed by
    another owner always stay (our claim on them goes when we no longer publish them).
    absent: values of TARGETS lose our claim and go when no other owner claims them.

    Values are compared by value_key (cheap tuples), and what does not change keeps the objects
    read, so an unchanged RRset compares equal without rendering its values."""

    def __init__(self, owner, desired, targets, state, prune, prune_unowned, ttl, srv_key, txt_key, claims):
        self.owner = owner
        self.desired = {value_key(value): value for value in desired}
        self.targets = targets
        self.state = state
        self.prune = prune
        self.prune_unowned = prune_unowned
        self.ttl = ttl
        self.srv_key = srv_key
        self.txt_key = txt_key
        self.claims = claims
        self._memo = None

    def _keep(self, value, key, registry, view, srv):
        """Whether VALUE (read, key KEY) stays, and whether it stays as ours."""
        owners = registry.of(key)
        others = len(owners) - (self.owner in owners)
        if self.state == "absent":
            if target_key(value.target) in self.targets:
                if others:
                    view.warn(
                        f"{srv.name} keeps {value.to_text()}: it is also published by owner(s) "
                        f"{', '.join(sorted(owners - {self.owner}))}; only this owner's claim was withdrawn"
                    )
                return bool(others), False
            return True, self.owner in owners
        if key in self.desired:
            return True, True
        if others:
            return True, False  # another owner's: never ours to remove
        if target_key(value.target) in self.targets:
            return False, False  # a value of our host that is no longer what we publish (ours or nobody's)
        if self.owner in owners:
            return not self.prune, not self.prune
        return not (self.prune and self.prune_unowned), False  # nobody's: removed only when asked

    def compute(self, view):
        srv, txt = view.before(self.srv_key), view.before(self.txt_key)
        if self._memo is not None and self._memo[0] is srv and self._memo[1] is txt:
            return self._memo[2]
        registry = Registry(txt, self.claims)
        kept = []
        ours = {}  # value key -> value: the values we claim after the change
        for value in srv.values:
            key = value_key(value)
            stays, mine = self._keep(value, key, registry, view, srv)
            if stays:
                kept.append(value)
                if mine:
                    ours[key] = value
        added = []
        if self.state == "present":
            for key, value in self.desired.items():
                if key not in ours:
                    ours[key] = value
                    added.append(value)
        values = srv.values if not added and len(kept) == len(srv.values) else frozenset(kept + added)
        if not srv.exists or srv.ttl == self.ttl or len(ours) == len(values):
            new_ttl = self.ttl
        else:
            new_ttl = _srv_ttl(srv, values, lambda value: False, self.ttl, view)
        srv_after = srv.replace(ttl=new_ttl, values=values)
        # the registry: other TXT values and other owners' claims stay as read; ours follow OURS
        mine = {key: entry for (claimer, key), entry in registry.claims.items() if claimer == self.owner}
        if mine.keys() == ours.keys() and all(canonical for _rdata, canonical in mine.values()):
            txt_values = txt.values
        else:
            txt_values = list(registry.others)
            txt_values += [rdata for (claimer, _key), (rdata, _c) in registry.claims.items() if claimer != self.owner]
            txt_values += [
                mine[key][0] if key in mine and mine[key][1] else self.claims.make(self.owner, value, key)
                for key, value in ours.items()
            ]
            txt_values = frozenset(txt_values)
        txt_ttl = srv_after.ttl if srv_after.exists else (txt.ttl if txt.exists else self.ttl)
        txt_after = txt.replace(ttl=txt_ttl, values=txt_values)
        self._memo = (srv, txt, (srv_after, txt_after))
        return srv_after, txt_after

    def srv_transform(self, _after, view):
        return self.compute(view)[0]

    def txt_transform(self, _after, view):
        return self.compute(view)[1]


def _address_removal(inner, host, watched, force):
    """Remove a host's addresses (INNER) only when no SRV value in the WATCHED RRsets (as planned)
    still names HOST, unless FORCE (remove_named_addresses)."""

    def transform(before, view):
        if force:
            return inner(before)
        naming = []
        for key in watched:
            after = view.after(key)
            if after is not None and any(value.target == host for value in after.values):
                naming.append(key[0].to_text())
        if naming:
            if before.exists:
                view.warn(
                    f"{host} keeps its {before.rdtype} records: {', '.join(sorted(naming))} still "
                    "names it (an SRV value of another domain or owner); set remove_named_addresses "
                    "to remove them anyway"
                )
            return before
        return inner(before)

    return transform


def publish_changes(params):
    """Checks and changes for ``kms_publish``. Returns ([RRsetChange], None)."""
    state = params["state"]
    hosts = parse_hosts(params.get("hosts"), removing=state == "absent")
    ttl = check_ttl(params.get("ttl"))
    owner = check_owner_id(params.get("owner"))
    prune = bool(params.get("prune"))
    prune_unowned = bool(params.get("prune_unowned"))
    if prune and state == "absent":
        raise InvalidInput("works with state=present only", "prune")
    if prune and owner is None:
        raise InvalidInput(
            "needs owner: prune removes only the values its owner published (recorded in DNS "
            "beside them); set owner, and prune_unowned to also remove values no owner "
            "claims (hand-made or published by Windows itself)",
            "prune",
        )
    if prune_unowned and not prune:
        raise InvalidInput("works with prune=true only", "prune_unowned")
    targets = frozenset(target_key(host.name) for host in hosts)
    owners: dict[
        str, Any
    ] = {}  # checked domain -> (SRV owner, [srv rdata], option); insertion order kept for stable output
    for host in hosts:
        for domain, srv_owner, rdata, where in host.srv:
            known = owners.get(domain)
            if known is None:
                owners[domain] = (srv_owner, [rdata], where)
            else:
                known[1].append(rdata)
    srv_changes = []
    claims = Claims()  # claims parsed and made, shared by every domain of the run
    shared = {}  # the same values in many domains: one set, one transform and one needs for all of them
    unpublish = _unpublish_transform(targets)
    for srv_owner, values, where in owners.values():
        srv_key, txt_key = (srv_owner, "SRV"), (srv_owner, "TXT")
        if state == "present":
            key = tuple(map(id, values))  # the rdata live as long as HOSTS: ids are not reused
            if key not in shared:
                desired = frozenset(values)
                shared[key] = (
                    desired,
                    _publish_transform(desired, targets, ttl),
                    frozenset(value.target for value in desired),
                )
            desired, transform, needs = shared[key]
        else:
            desired, transform, needs = frozenset(), unpublish, frozenset()
        if owner is not None:
            # the SRV RRset and its owner registry, planned together from what both hold
            pair = _OwnedSRV(owner, desired, targets, state, prune, prune_unowned, ttl, srv_key, txt_key, claims)
            srv_changes.append(RRsetChange(srv_owner, "SRV", pair.srv_transform, where, needs=needs, peers=(txt_key,)))
            srv_changes.append(RRsetChange(srv_owner, "TXT", pair.txt_transform, where, peers=(srv_key,)))
        elif state == "present":
            # its own key as peer: the transform gets the view, to warn about a TTL it keeps
            srv_changes.append(RRsetChange(srv_owner, "SRV", transform, where, needs=needs, peers=(srv_key,)))
        else:
            srv_changes.append(RRsetChange(srv_owner, "SRV", transform, where))
    # Order (defect: a refused address must never leave an SRV value pointing at no address):
    # publishing, a host's addresses go before the SRV values that name it; withdrawing, its SRV
    # values go before its addresses. Same zone: one atomic UPDATE; zones differ: the needed
    # zone's UPDATE first (see _plan.order_batches).
    address_changes = []
    watch_changes = []
    if params.get("address_records", True):
        watched = [(srv_owner, "SRV") for srv_owner, _values, _where in owners.values()]
        if state == "absent":
            # the SRV RRsets that may still name a withdrawn host: every domain of this task, and
            # each host's own domain (where Windows publishes it), read once each
            for host in hosts:
                own = dns.name.from_text(service_owner(host.name.parent().to_text(omit_final_dot=True)))
                if (own, "SRV") not in watched:
                    watched.append((own, "SRV"))
                    watch_changes.append(RRsetChange(own, "SRV", keep(), f"{host.option}.name"))
        force = bool(params.get("remove_named_addresses"))
        for host in hosts:
            for rdtype, values in (("A", host.ipv4), ("AAAA", host.ipv6)):
                if state == "present":
                    if values:
                        address_changes.append(
                            RRsetChange(host.name, rdtype, exclusive(values, ttl), f"{host.option}.name")
                        )
                elif values or not (host.ipv4 or host.ipv6):
                    address_changes.append(
                        RRsetChange(
                            host.name,
                            rdtype,
                            _address_removal(remove(values or None), host.name, watched, force),
                            f"{host.option}.name",
                            needs=frozenset(name for name, _type in watched),
                            peers=tuple(watched),
                        )
                    )
    elif params.get("remove_named_addresses"):
        raise InvalidInput("needs address_records=true", "remove_named_addresses")
    if params.get("remove_named_addresses") and state != "absent":
        raise InvalidInput("works with state=absent only", "remove_named_addresses")
    if state == "present":
        return address_changes + srv_changes, None
    return srv_changes + watch_changes + address_changes, None
