# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""KMS client discovery: what a KMS client finds in DNS, in the order it tries it.

Private to the collection. Three parts, kept apart so each can be tested on its own:

* ordering (pure): :func:`parse_srv_value` and :func:`rfc2782_order`, the RFC 2782 selection
  algorithm (priority groups, weighted random order inside a group, weight-0 rule, "." target);
* resolution: :class:`DnsClient` reads ``_vlmcs._tcp.<domain>`` SRV and the targets' A/AAAA with
  dnspython, mapping DNS failures to per-domain statuses instead of exceptions;
* probing: :func:`probe_tcp` tries a TCP connect to a target's port.

:func:`discover` puts them together; the module and the lookup are thin wrappers around it.

How several domains combine (the choice this collection makes): domains are taken in the order
given, like a Windows client walks its primary DNS suffix and then its suffix search list. Each
domain's SRV records are ordered on their own by RFC 2782 (priorities are never compared across
domains), and the candidate list is the first domain's ordered candidates, then the next domain's,
and so on. A domain without records (NXDOMAIN, NODATA, timeout, "." target) contributes no
candidate and is reported in ``errors``; the next domain is tried. ``selected`` is the first
candidate in that list that answers (when probing) or that has an address (when not probing).

Python 3.8 compatible: modules run this on managed hosts.
"""

from __future__ import annotations

import random
import re
import socket
import traceback
from fractions import Fraction
from typing import Any

from ansible_collections.kmsops.kms.plugins.module_utils.common._errors import InvalidValue, KmsOpsError
from ansible_collections.kmsops.kms.plugins.module_utils.common._primitives import (
    check_port,
    check_timeout,
    normalize_domain,
    parse_srv,
    service_owner,
)
from ansible_collections.kmsops.kms.plugins.module_utils.dns._owners import parse_claim

DNSPYTHON_IMPORT_ERROR: str | None = None  # the traceback of the failed import
try:
    import dns.exception
    import dns.inet
    import dns.name
    import dns.rdatatype
    import dns.resolver
except ImportError:  # pragma: no cover - reported by the module / lookup
    HAS_DNSPYTHON = False
    DNSPYTHON_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_DNSPYTHON = True

RESOLV_CONF = "/etc/resolv.conf"

# per-domain statuses (``domains[].status``); everything but ``ok`` is also listed in ``errors``
STATUS_OK = "ok"
STATUS_NXDOMAIN = "NXDOMAIN"
STATUS_NODATA = "NODATA"
STATUS_NO_SERVICE = "NO_SERVICE"
STATUS_TIMEOUT = "TIMEOUT"
STATUS_SERVFAIL = "SERVFAIL"
STATUS_ERROR = "ERROR"


class DiscoveryError(KmsOpsError):
    """A problem with the inputs of a discovery (not a DNS answer: those are per domain)."""


class SrvValueError(DiscoveryError, InvalidValue):
    """The srv_order input is not a list of SRV values."""


# -- ordering (pure) ----------------------------------------------------------------------------


def parse_srv_value(value, option):
    """Read one SRV value into ``{priority, weight, port, target}`` (see ``parse_srv`` in
    common._primitives: text ``"priority weight port target"`` or a mapping).

    Extra keys of a mapping are kept, so callers can carry their own data through
    :func:`rfc2782_order`. The target keeps its case; its trailing dot is dropped (``"."`` itself
    stays ``"."``).
    """
    if isinstance(value, dict):
        extra = {key: item for key, item in value.items() if key not in ("priority", "weight", "port", "target")}
        record = dict(extra)
        record.update(parse_srv({key: value[key] for key in value if key not in extra}, option))
    else:
        record = parse_srv(value, option)
    record["target"] = normalize_target(record["target"])
    return record


def normalize_target(target):
    """``kms1.example.`` -> ``kms1.example``; ``.`` stays ``.``."""
    target = target.strip()
    if target == ".":
        return target
    return target[:-1] if target.endswith(".") else target


def make_rng(seed=None):
    """A random source; the same ``seed`` gives the same sequence (and so the same order).

    ``seed`` is ``None`` (fresh randomness), an integer or a text.
    """
    if seed is None:
        return random.Random()
    if isinstance(seed, bool) or not isinstance(seed, (int, str)):
        raise DiscoveryError("seed must be an integer or a text, got %r" % (seed,))
    return random.Random(int(seed) if isinstance(seed, int) else str(seed))


def is_no_service(records):
    """True when the answer says "decidedly not available here" (RFC 2782: target ".")."""
    records = list(records)
    return bool(records) and all(record["target"] == "." for record in records)


def _canonical_key(record):
    return (record["weight"], record.get("port", 0), record["target"].lower())


def _start_list(group, rng):
    """The list a priority group's draws start from: canonical order (so that a seed does not
    depend on the order the DNS server answered in: servers rotate RRsets), shuffled so that the
    order among equal cases is fair (and seedable), then weight-0 records moved to the front (a
    stable sort keeps the shuffle otherwise).

    What this means for the first draw (see :func:`first_try_chances`): the head of the list is
    equally likely to be any weight-0 record of the group, or any record when none weighs 0.
    """
    pending = sorted(group, key=_canonical_key)
    rng.shuffle(pending)
    pending.sort(key=lambda record: record["weight"] != 0)
    return pending


def _heads(group):
    """The records :func:`_start_list` may put at the head, each equally likely."""
    return [record for record in group if record["weight"] == 0] or list(group)


def _draw_index(pending, draw):
    """The index of the record a draw picks: the first whose running sum of weights is >= DRAW
    (so a draw of 0 picks the head of the list, whatever its weight)."""
    running = 0
    for index, record in enumerate(pending):
        running += record["weight"]
        if running >= draw:
            return index
    raise ValueError("draw %d is more than the sum of the weights" % draw)  # pragma: no cover


def _order_priority_group(group, rng):
    """RFC 2782 weighted order of records that share one priority.

    The RFC lets the list start "in any order, except that all those with weight 0 are placed at
    the beginning" (:func:`_start_list`). Then, until the group is empty: sum the weights, draw a
    uniform integer in [0, sum] inclusive, take the first record whose running sum is >= the draw
    (:func:`_draw_index`), remove it.

    Consequence worth knowing: the draw is 0 with probability 1/(sum+1), and a draw of 0 picks the
    head of the list, so weight-0 records are picked first rarely but not never.
    """
    pending = _start_list(group, rng)
    ordered = []
    while pending:
        total = sum(record["weight"] for record in pending)
        ordered.append(pending.pop(_draw_index(pending, rng.randint(0, total))))
    return ordered


def first_try_chances(records):
    """The exact chance that each record is the first one tried within its priority group, in the
    order :func:`rfc2782_order` (and so ``kms_discover``) makes: a list of
    :class:`fractions.Fraction`, one per record, in the order given (0 for a ``"."`` target).

    From the first step of :func:`_order_priority_group`: the draw is uniform over the
    ``sum + 1`` integers 0..sum; each draw from 1 to sum picks the record whose running-sum
    interval holds it, so a record of weight ``w`` is picked by ``w`` of them whatever the order
    of the list; the draw 0 picks the head of the list, which :func:`_start_list` makes each of
    :func:`_heads` equally likely. So the chance is ``(w + [head] / len(heads)) / (sum + 1)``:
    for weights [1, 0], 1/2 and 1/2; for [60, 40], 121/202 and 81/202; all 0, equal shares.
    """
    groups: dict[int, list[Any]] = {}  # priority -> its records
    for position, record in enumerate(records):
        if record["target"] != ".":
            groups.setdefault(record["priority"], []).append((position, record))
    chances = [Fraction(0)] * len(records)
    for members in groups.values():
        group = [record for _position, record in members]
        total = sum(record["weight"] for record in group)
        heads = _heads(group)
        for position, record in members:
            head = Fraction(1, len(heads)) if any(record is other for other in heads) else Fraction(0)
            chances[position] = (record["weight"] + head) / (total + 1)
    return chances


def rfc2782_order(records, rng=None, seed=None):
    """Return the records in the order a client following RFC 2782 tries them.

    ``records`` are mappings with at least ``priority``, ``weight`` and ``target`` (see
    :func:`parse_srv_value`). Lower priority first; inside one priority, weighted random order.
    Records whose target is ``"."`` are left out (no service there). ``rng`` (a
    :class:`random.Random`) or ``seed`` make the order reproducible; the input is not changed.
    """
    if rng is None:
        rng = make_rng(seed)
    groups: dict[int, list[Any]] = {}  # priority -> its records
    for record in records:
        if record["target"] == ".":
            continue
        groups.setdefault(record["priority"], []).append(record)
    ordered = []
    for priority in sorted(groups):
        ordered.extend(_order_priority_group(groups[priority], rng))
    return ordered


def order_srv_values(values, seed=None):
    """The ``srv_order`` filter's logic: RFC 2782 order of SRV values given as text or mappings.

    Returns the original items (text stays text, mappings stay mappings) in the new order.
    """
    if not isinstance(values, (list, tuple)):
        raise SrvValueError("srv_order expects a list of SRV values, got %s" % type(values).__name__)
    wrapped = []
    for position, value in enumerate(values):
        record = parse_srv_value(value, "srv_order[%d]" % position)
        wrapped.append(
            {
                "priority": record["priority"],
                "weight": record["weight"],
                "port": record["port"],
                "target": record["target"],
                "position": position,
            }
        )
    return [values[record["position"]] for record in rfc2782_order(wrapped, seed=seed)]


# -- the client's search list ----------------------------------------------------------------


def parse_resolv_conf(text):
    """Return ``(search_list, nameservers)`` from resolv.conf text.

    ``domain`` and ``search`` are alternatives; as in the C library, the last one in the file
    wins. Comments start with ``#`` or ``;``.
    """
    search = []
    nameservers = []
    for line in text.splitlines():
        line = re.split(r"[#;]", line, maxsplit=1)[0].strip()
        if not line:
            continue
        fields = line.split()
        keyword, args = fields[0], fields[1:]
        if keyword == "search":
            search = [normalize_domain(arg, "search in resolv.conf") for arg in args if arg.strip(".")]
        elif keyword == "domain" and args:
            search = [normalize_domain(args[0], "domain in resolv.conf")] if args[0].strip(".") else []
        elif keyword == "nameserver" and args:
            nameservers.append(args[0])
    return search, nameservers


def read_search_list(path=RESOLV_CONF):
    """The DNS suffix search list of this host (empty when there is none)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            text = handle.read()
    except OSError as exc:
        raise DiscoveryError("cannot read the search list from %s: %s" % (path, exc)) from None
    return parse_resolv_conf(text)[0]


# -- resolution ---------------------------------------------------------------------------------


def _nameserver_addresses(nameservers):
    """IP addresses for the nameserver entries (names are resolved by the system)."""
    addresses = []
    for server in nameservers:
        server = str(server).strip()
        if dns.inet.is_address(server):
            addresses.append(server)
            continue
        try:
            infos = socket.getaddrinfo(server, None, 0, socket.SOCK_DGRAM)
        except socket.gaierror as exc:
            raise DiscoveryError("nameserver %r: cannot resolve it: %s" % (server, exc)) from None
        for info in infos:
            if info[4][0] not in addresses:
                addresses.append(str(info[4][0]))
    if not addresses:
        raise DiscoveryError("no usable nameserver in %r" % (nameservers,))
    return addresses


class DnsClient:
    """Reads SRV and address records with dnspython; failures become statuses, not exceptions."""

    def __init__(self, nameservers=None, port=53, timeout=5.0):
        if not HAS_DNSPYTHON:
            raise DiscoveryError("dnspython is required for discovery")
        if nameservers:
            resolver = dns.resolver.Resolver(configure=False)
            resolver.nameservers = _nameserver_addresses(nameservers)
        else:
            try:
                resolver = dns.resolver.Resolver(configure=True)
            except dns.resolver.NoResolverConfiguration as exc:
                raise DiscoveryError("no system resolver configured (give nameservers): %s" % exc) from None
        resolver.port = port
        resolver.timeout = timeout
        resolver.lifetime = timeout
        resolver.search = []
        resolver.use_search_by_default = False
        self.resolver = resolver

    def _query(self, name, rdtype):
        """Return ``(rrset or None, status, message)``; messages name the type (SRV), not its number."""
        rdtype = dns.rdatatype.to_text(rdtype)
        try:
            answer = self.resolver.resolve(name, rdtype, search=False, raise_on_no_answer=False)
        except dns.resolver.NXDOMAIN:
            return None, STATUS_NXDOMAIN, "%s does not exist (NXDOMAIN)" % name
        except dns.exception.Timeout:
            return None, STATUS_TIMEOUT, "no answer for %s %s within %s s" % (name, rdtype, self.resolver.lifetime)
        except dns.resolver.NoNameservers as exc:
            return None, STATUS_SERVFAIL, "no nameserver answered %s %s: %s" % (name, rdtype, exc)
        except dns.exception.DNSException as exc:
            return None, STATUS_ERROR, "%s %s: %s" % (name, rdtype, exc)
        if answer.rrset is None:
            return None, STATUS_NODATA, "%s has no %s record (NODATA)" % (name, rdtype)
        return answer.rrset, STATUS_OK, None

    def srv(self, domain):
        """SRV records of ``_vlmcs._tcp.<domain>``: ``(records, status, message)``."""
        name = dns.name.from_text(service_owner(domain))
        rrset, status, message = self._query(name, dns.rdatatype.SRV)
        if rrset is None:
            return [], status, message
        records = [
            {
                "priority": rdata.priority,
                "weight": rdata.weight,
                "port": rdata.port,
                "target": normalize_target(rdata.target.to_text()),
            }
            for rdata in rrset
        ]
        return records, STATUS_OK, None

    def owners(self, domain):
        """The owner registry beside ``_vlmcs._tcp.<domain>`` (TXT values kms_publish writes with
        ``owner``): ``{(priority, weight, port, target lower case): [owners]}``; empty when there is
        none or it cannot be read (the owners are information, never a failure)."""
        name = dns.name.from_text(service_owner(domain))
        rrset, _status, _message = self._query(name, dns.rdatatype.TXT)
        owners: dict[tuple, set[str]] = {}
        for rdata in rrset or ():
            claim = parse_claim(rdata)
            if claim is None:
                continue
            owner, srv = claim
            key = (srv.priority, srv.weight, srv.port, normalize_target(srv.target.to_text()).lower())
            owners.setdefault(key, set()).add(owner)
        return {key: sorted(value) for key, value in owners.items()}

    def addresses(self, target):
        """A then AAAA addresses of ``target``: ``(addresses, message or None)``."""
        name = dns.name.from_text(target)
        addresses = []
        problems = []
        for rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
            rrset, status, message = self._query(name, rdtype)
            if rrset is not None:
                addresses.extend(sorted(rdata.address for rdata in rrset))
            elif status == STATUS_NXDOMAIN:
                return [], message
            elif status != STATUS_NODATA:
                problems.append(message)
        if addresses:
            return addresses, None
        if problems:
            return [], "; ".join(problems)
        return [], "%s has no A or AAAA record" % target


# -- probing ------------------------------------------------------------------------------------


def probe_tcp(addresses, port, timeout=5.0):
    """Try a TCP connect to each address in turn; ``(reachable, address, message)``.

    Only a connect: nothing is sent (a KMS host is not spoken to, it is only reached).
    """
    if not addresses:
        return False, None, "no address to connect to"
    problems = []
    for address in addresses:
        try:
            connection = socket.create_connection((address, port), timeout=timeout)
        except (OSError, socket.timeout) as exc:
            problems.append("%s port %d: %s" % (address, port, exc))
            continue
        connection.close()
        return True, address, None
    return False, None, "; ".join(problems)


# -- putting it together ------------------------------------------------------------------------


def _unique_domains(domains, option):
    seen = []
    for index, domain in enumerate(domains):
        domain = normalize_domain(domain, "%s[%d]" % (option, index), service=True)
        if domain not in seen:
            seen.append(domain)
    return seen


def discover(
    domains,
    nameservers=None,
    dns_port=53,
    probe=False,
    timeout=5.0,
    seed=None,
    client=None,
    prober=probe_tcp,
    domains_option="domains",
    owners=False,
):
    """Find the KMS hosts a client with search list ``domains`` finds, in the order it tries them.

    Returns a dict with ``domains`` (per domain: query name, status, record count), ``candidates``
    (ordered), ``selected`` (first usable candidate or ``None``) and ``errors`` (the domains whose
    status is not ``ok``). Raises :class:`DiscoveryError` only for bad inputs; DNS failures are
    reported per domain. ``client`` (a :class:`DnsClient` or anything with ``srv`` and
    ``addresses``) and ``prober`` can be replaced in tests. Every input is checked here, each error
    naming its option (``domains[2]``, or ``DOMAINS_OPTION[2]`` when the domains came from
    elsewhere, ``dns_port``, ``timeout``). OWNERS: also read the owner registry of each domain
    (one TXT query) and give each candidate its ``owners`` (a list, empty for a value of no owner).
    """
    if isinstance(domains, str):
        domains = [domains]
    domains = _unique_domains(domains or [], domains_option)
    dns_port = check_port(dns_port, "dns_port")
    timeout = check_timeout(timeout, "timeout")
    if not domains:
        raise DiscoveryError("no domain to search: give domains (the host's search list is empty)")
    if client is None:
        client = DnsClient(nameservers=nameservers, port=dns_port, timeout=timeout)
    rng = make_rng(seed)

    result: dict[str, Any] = {"domains": [], "candidates": [], "selected": None, "errors": []}
    address_cache = {}
    for domain in domains:
        query = service_owner(domain)[:-1]
        records, status, message = client.srv(domain)
        if status == STATUS_OK and is_no_service(records):
            status, message = STATUS_NO_SERVICE, ("%s says the service is not available there (target '.')" % query)
        result["domains"].append({"domain": domain, "query": query, "status": status, "records": len(records)})
        if status != STATUS_OK:
            result["errors"].append({"domain": domain, "query": query, "error": status, "msg": message})
            continue
        registry = client.owners(domain) if owners else None
        for record in rfc2782_order(records, rng=rng):
            key = record["target"].lower()
            if key not in address_cache:
                address_cache[key] = client.addresses(record["target"])
            addresses, address_error = address_cache[key]
            if registry is not None:
                record_key = (record["priority"], record["weight"], record["port"], key)
                record = dict(record, owners=list(registry.get(record_key, [])))
            result["candidates"].append(
                {
                    "domain": domain,
                    "target": record["target"],
                    "port": record["port"],
                    "priority": record["priority"],
                    "weight": record["weight"],
                    "addresses": list(addresses),
                    "reachable": None,
                    "reached_address": None,
                    "error": address_error,
                }
            )
            if "owners" in record:
                result["candidates"][-1]["owners"] = record["owners"]

    for candidate in result["candidates"]:
        if probe:
            if candidate["addresses"]:
                reachable, address, problem = prober(candidate["addresses"], candidate["port"], timeout)
                candidate["reachable"] = reachable
                candidate["reached_address"] = address
                if problem:
                    candidate["error"] = problem
            else:
                candidate["reachable"] = False
        usable = candidate["reachable"] if probe else bool(candidate["addresses"])
        if usable and result["selected"] is None:
            result["selected"] = dict(candidate)
    return result
