# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Turn module parameters into wanted RRset changes, checking every input first.

``record_changes`` serves ``dns_record`` (one RRset); ``publish_changes`` serves ``kms_publish``
(the whole DNS footprint of a KMS deployment: SRV values in ``_vlmcs._tcp.<domain>`` for every
host and publish domain, and the hosts' A/AAAA records).
"""

from __future__ import annotations

try:
    import dns.name
except ImportError:  # pragma: no cover - reported by the modules with missing_required_lib
    pass

from ansible_collections.kmsops.kms.plugins.module_utils.dns._errors import InvalidInput
from ansible_collections.kmsops.kms.plugins.module_utils.dns._plan import (
    RRsetChange,
    exclusive,
    merge,
    remove,
)
from ansible_collections.kmsops.kms.plugins.module_utils.dns._records import (
    SUPPORTED_TYPES,
    check_address,
    check_uint16,
    parse_values,
    srv_value,
    to_host_name,
    to_name,
)

SRV_PREFIX = "_vlmcs._tcp"
DEFAULT_KMS_PORT = 1688
MAX_TTL = 2147483647


def check_ttl(ttl, option="ttl"):
    if ttl is None or isinstance(ttl, bool) or not 0 <= int(ttl) <= MAX_TTL:
        raise InvalidInput(f"must be from 0 to {MAX_TTL} seconds, got {ttl!r}", option)
    return int(ttl)


def record_name(name, zone):
    """NAME relative to ZONE, or absolute (ending in '.', already inside ZONE, or no ZONE)."""
    if name in ("@", "") and zone is not None:
        return zone
    if zone is None or name.endswith("."):
        return to_name(name, "name")
    absolute = to_name(name, "name")
    if absolute.is_subdomain(zone):
        return absolute
    return to_name(name, "name", origin=zone)


def record_changes(params):
    """Checks and changes for ``dns_record``. Returns ([RRsetChange], zone or None)."""
    zone = to_name(params["zone"], "zone") if params.get("zone") else None
    rdtype = params["type"].upper()
    if rdtype not in SUPPORTED_TYPES:
        raise InvalidInput(f"{params['type']!r} is not supported; use one of {', '.join(SUPPORTED_TYPES)}", "type")
    name = record_name(params["name"], zone)
    if zone is not None and not name.is_subdomain(zone):
        raise InvalidInput(f"{name} is not inside zone {zone}", "name")
    values = parse_values(rdtype, params.get("values"), "values")
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
    __slots__ = ("name", "ipv4", "ipv6", "port", "publish", "option")

    def __init__(self, name, ipv4, ipv6, port, publish, option):
        self.name = name
        self.ipv4 = ipv4
        self.ipv6 = ipv6
        self.port = port
        self.publish = publish  # [(domain Name, priority, weight, option)]
        self.option = option


def _given(value, default):
    """VALUE, or DEFAULT when the option was left out (None)."""
    return default if value is None else value


def parse_hosts(hosts):
    """Check the ``hosts`` option; every problem names its place, e.g. hosts[1].publish[0].weight."""
    if not hosts:
        raise InvalidInput("needs at least one host", "hosts")
    parsed = []
    seen = set()
    for index, host in enumerate(hosts):
        option = f"hosts[{index}]"
        if not isinstance(host, dict):
            raise InvalidInput("must be a mapping with name, addresses, port, publish", option)
        unknown = sorted(set(host) - {"name", "addresses", "port", "publish"})
        if unknown:
            raise InvalidInput(f"unknown key(s) {', '.join(unknown)}; use name, addresses, port, publish", option)
        name = to_host_name(host.get("name"), f"{option}.name")
        if name in seen:
            raise InvalidInput(f"{name} is listed twice", f"{option}.name")
        seen.add(name)
        addresses = host.get("addresses") or []
        if not isinstance(addresses, list):
            raise InvalidInput("must be a list of IPv4/IPv6 addresses", f"{option}.addresses")
        ipv4, ipv6 = [], []
        for position, address in enumerate(addresses):
            text = check_address(address, f"{option}.addresses[{position}]")
            (ipv6 if ":" in text else ipv4).append(text)
        port = check_uint16(_given(host.get("port"), DEFAULT_KMS_PORT), f"{option}.port")
        publish = host.get("publish")
        if publish is None:
            # like a Windows KMS host: publish in its own domain
            publish = [{"domain": name.parent().to_text()}]
        if not isinstance(publish, list):
            raise InvalidInput("must be a list of mappings with domain, priority, weight", f"{option}.publish")
        entries = []
        for position, entry in enumerate(publish):
            where = f"{option}.publish[{position}]"
            if isinstance(entry, str):
                entry = {"domain": entry}
            if not isinstance(entry, dict) or not entry.get("domain"):
                raise InvalidInput("must be a mapping with domain (and optional priority, weight)", where)
            unknown = sorted(set(entry) - {"domain", "priority", "weight"})
            if unknown:
                raise InvalidInput(f"unknown key(s) {', '.join(unknown)}; use domain, priority, weight", where)
            domain = to_name(entry["domain"], f"{where}.domain")
            priority = check_uint16(_given(entry.get("priority"), 0), f"{where}.priority")
            weight = check_uint16(_given(entry.get("weight"), 0), f"{where}.weight")
            entries.append((domain, priority, weight, where))
        parsed.append(PublishedHost(name, ipv4, ipv6, port, entries, option))
    return parsed


def srv_owner(domain):
    return dns.name.from_text(SRV_PREFIX, origin=domain)


def _publish_transform(desired, managed_targets, prune, ttl):
    """The SRV RRset of one domain: our hosts' values become DESIRED; values of other targets are
    kept (merge), or dropped when PRUNE is on."""
    desired = frozenset(desired)

    def transform(before):
        if prune:
            kept = frozenset()
        else:
            kept = frozenset(value for value in before.values if value.target not in managed_targets)
        return before.replace(ttl=ttl, values=kept | desired)
    return transform


def _unpublish_transform(targets):
    def transform(before):
        return before.replace(values=frozenset(value for value in before.values if value.target not in targets))
    return transform


def publish_changes(params):
    """Checks and changes for ``kms_publish``. Returns ([RRsetChange], None)."""
    hosts = parse_hosts(params.get("hosts"))
    ttl = check_ttl(params.get("ttl"))
    state = params["state"]
    if params.get("prune") and state == "absent":
        raise InvalidInput("works with state=present only", "prune")
    targets = frozenset(host.name for host in hosts)
    domains = {}  # domain -> [srv rdata] (insertion order kept for stable output)
    options = {}
    parsed = {}  # a host's SRV value is often the same in all its domains: parse it once
    for host in hosts:
        for domain, priority, weight, where in host.publish:
            domains.setdefault(domain, [])
            options.setdefault(domain, f"{where}.domain")
            key = (priority, weight, host.port, host.name)
            if key not in parsed:
                parsed[key] = srv_value(priority, weight, host.port, host.name.to_text(), where)
            domains[domain].append(parsed[key])
    # Order (defect: a refused address must never leave an SRV value pointing at no address):
    # publishing, a host's addresses go before the SRV values that name it; withdrawing, its SRV
    # values go before its addresses. Same zone: one atomic UPDATE; zones differ: the needed
    # zone's UPDATE first (see _plan.order_batches).
    address_changes = []
    if params.get("address_records", True):
        for host in hosts:
            owners = frozenset(srv_owner(domain) for domain, _priority, _weight, _where in host.publish)
            for rdtype, addresses in (("A", host.ipv4), ("AAAA", host.ipv6)):
                values = parse_values(rdtype, addresses, f"{host.option}.addresses")
                if state == "present":
                    if values:
                        address_changes.append(RRsetChange(host.name, rdtype, exclusive(values, ttl),
                                                           f"{host.option}.name"))
                elif values or not (host.ipv4 or host.ipv6):
                    address_changes.append(RRsetChange(host.name, rdtype, remove(values or None),
                                                       f"{host.option}.name", needs=owners))
    srv_changes = []
    for domain, values in domains.items():
        if state == "present":
            transform = _publish_transform(values, targets, params.get("prune"), ttl)
            needs = frozenset(value.target for value in values)
        else:
            transform = _unpublish_transform(targets)
            needs = frozenset()
        srv_changes.append(RRsetChange(srv_owner(domain), "SRV", transform, options[domain], needs=needs))
    if state == "present":
        return address_changes + srv_changes, None
    return srv_changes + address_changes, None
