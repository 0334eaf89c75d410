# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Names, record values and RRsets in canonical form.

Values are parsed into dnspython rdata and compared as rdata: ``0 0 1688 KMS1.corp.example.``
equals ``{priority: 0, weight: 0, port: 1688, target: kms1.corp.example}``. Names in record
values (SRV/CNAME/PTR/MX/NS targets) are always absolute: ``kms1.corp.example`` means
``kms1.corp.example.``.
"""

from __future__ import annotations

import ipaddress

try:
    import dns.exception
    import dns.name
    import dns.rdata
    import dns.rdataclass
    import dns.rdatatype
    import dns.rdtypes.IN.SRV
except ImportError:  # pragma: no cover - reported by the modules with missing_required_lib
    pass

from ansible_collections.kmsops.kms.plugins.module_utils.common._primitives import (
    check_address,
    check_dns_name,
    check_host_name,
    check_name,
    check_uint16,
    parse_srv,
)
from ansible_collections.kmsops.kms.plugins.module_utils.dns._errors import InvalidInput

SUPPORTED_TYPES = ("A", "AAAA", "SRV", "TXT", "CNAME", "PTR", "MX", "NS")
HOST_OWNER_TYPES = ("A", "AAAA", "MX")
"""Types whose owner must be a host name (BIND check-names; a leading '*' label is allowed)."""


def to_name(text, option, origin=None, removing=False):
    """A dnspython name from user text checked by ``check_name`` (see common._primitives).
    ORIGIN is a dnspython name or None. REMOVING (what exists is removed): any name DNS can hold,
    absolute (``check_dns_name``)."""
    if removing:
        checked = check_dns_name(text, option)
        if origin is not None and not _absolute(text):
            return _from_text(checked[:-1], option, origin)
        return _from_text(checked, option)
    return dns.name.from_text(check_name(text, option, None if origin is None else origin.to_text()))


def _absolute(text):
    return text.strip().endswith(".") and not text.strip().endswith("\\.")


def _from_text(text, option, origin=None):
    try:
        return dns.name.from_text(text, origin=origin or dns.name.root)
    except (dns.exception.DNSException, ValueError) as exc:
        raise InvalidInput(f"{text!r} is not a valid name: {exc}", option) from None


def to_any_host_name(text, option):
    """The FQDN of a host that is being removed: any name DNS can hold (``host.domain``)."""
    return _from_text(check_dns_name(text, option, what="host name", qualified=True), option)


def to_host_name(text, option):
    """The FQDN of a host as a dnspython name (BIND check-names; ``host.domain``)."""
    return dns.name.from_text(check_host_name(text, option, qualified=True))


def check_owner(name, rdtype, option):
    """Refuse an owner BIND's check-names would refuse for RDTYPE (before anything is sent)."""
    if rdtype in HOST_OWNER_TYPES:
        check_host_name(name.to_text(), option, wildcard=True)
    return name


def _rdata(rdtype, text, option):
    try:
        return dns.rdata.from_text(
            dns.rdataclass.IN, dns.rdatatype.from_text(rdtype), text, origin=dns.name.root, relativize=False
        )
    except (dns.exception.DNSException, ValueError) as exc:
        raise InvalidInput(f"{text!r} is not a valid {rdtype} value: {exc}", option) from None


def _txt_text(value):
    if value.startswith('"'):
        return value
    chunks = [value[i : i + 255] for i in range(0, len(value), 255)] or [""]
    return " ".join('"' + chunk.replace("\\", "\\\\").replace('"', '\\"') + '"' for chunk in chunks)


def srv_rdata(record):
    """SRV rdata from a value parsed by ``parse_srv`` (no second parse)."""
    return dns.rdtypes.IN.SRV.SRV(
        dns.rdataclass.IN,
        dns.rdatatype.SRV,
        record["priority"],
        record["weight"],
        record["port"],
        dns.name.from_text(record["target"]),
    )


def parse_value(rdtype, value, option, removing=False):
    """Parse one user-given value of type RDTYPE into rdata. REMOVING (a value that exists is
    removed): names in it may be any name DNS can hold (``check_dns_name``), not only host names."""
    rdtype = rdtype.upper()
    if rdtype == "SRV":
        return srv_rdata(parse_srv(value, option, defaults=True, any_target=removing))
    if isinstance(value, dict):
        raise InvalidInput(f"a {rdtype} value must be text, not a mapping", option)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and rdtype == "TXT":
        value = str(value)
    if not isinstance(value, str):
        raise InvalidInput(f"a {rdtype} value must be text, got {value!r}", option)
    if rdtype == "A":
        return _rdata(rdtype, check_address(value, option, 4), option)
    if rdtype == "AAAA":
        return _rdata(rdtype, check_address(value, option, 6), option)
    if rdtype == "TXT":
        return _rdata(rdtype, _txt_text(value), option)
    if rdtype in ("CNAME", "PTR"):
        return _rdata(rdtype, (check_dns_name if removing else check_name)(value, option), option)
    if rdtype == "NS":
        return _rdata(rdtype, (check_dns_name if removing else check_host_name)(value, option), option)
    if rdtype == "MX":
        parts = value.split()
        if len(parts) != 2:
            raise InvalidInput(f"{value!r} is not an MX value 'preference exchange'", option)
        preference = check_uint16(parts[0], f"{option}.preference")
        exchange = (check_dns_name if removing else check_host_name)(parts[1], f"{option}.exchange")
        return _rdata(rdtype, f"{preference} {exchange}", option)
    raise InvalidInput(f"record type {rdtype} is not supported; use one of {', '.join(SUPPORTED_TYPES)}", option)


def parse_values(rdtype, values, option, removing=False):
    """Parse a list of values, dropping duplicates (compared canonically), order kept."""
    parsed = []
    for index, value in enumerate(values or []):
        rdata = parse_value(rdtype, value, f"{option}[{index}]", removing)
        if rdata not in parsed:
            parsed.append(rdata)
    return parsed


def value_sort_key(rdata):
    """Order of values in results and diffs: by value, not by text (SRV ``3 0 ...`` before
    ``10 0 ...``; priority, weight, port, then target; MX by preference; addresses numerically)."""
    text = rdata.to_text()
    if hasattr(rdata, "priority") and hasattr(rdata, "target"):  # SRV: the target is the text's last field
        return (rdata.priority, rdata.weight, rdata.port, text.rsplit(" ", 1)[-1].lower(), text)
    if hasattr(rdata, "preference") and hasattr(rdata, "exchange"):  # MX
        return (rdata.preference, 0, 0, rdata.exchange.to_text().lower(), text)
    if hasattr(rdata, "address"):  # A, AAAA
        address = ipaddress.ip_address(rdata.address)
        return (address.version, int(address), 0, "", text)
    return (0, 0, 0, text.lower(), text)


def value_key(rdata):
    """What two values are compared by, as dnspython compares them (their canonical wire form), but
    cheap to build for SRV: priority, weight, port and the target's labels in lower case (dnspython
    renders both values to wire format for every comparison). Other values are their own key."""
    if rdata.rdtype == dns.rdatatype.SRV and rdata.target.is_absolute():
        return (rdata.priority, rdata.weight, rdata.port, tuple(map(bytes.lower, rdata.target.labels)))
    return rdata


def cached_sort_key(rdata, cache):
    """value_sort_key of RDATA, computed once per rdata object while CACHE (a dict) lives: a host's
    SRV value is one object shared by all the RRsets it is published in."""
    found = cache.get(id(rdata))
    if found is None:
        found = cache[id(rdata)] = (value_sort_key(rdata), rdata)  # the rdata kept: its id stays unique
    return found[0]


class RRset:
    """What one RRset holds: a TTL and a set of rdata. ``None`` TTL and no values: absent.

    As read from the server it also tells what else the owner name holds, for the CNAME rules:
    ``cname`` is the target of a CNAME at the owner (reads of other types), ``owner_exists``
    whether the name exists at all (NOERROR rather than NXDOMAIN). Neither takes part in equality.
    """

    __slots__ = ("cname", "name", "owner_exists", "rdtype", "ttl", "values")

    def __init__(self, name, rdtype, ttl=None, values=(), cname=None, owner_exists=None):
        self.name = name
        self.rdtype = rdtype.upper()
        self.values = frozenset(values)
        self.ttl = ttl if self.values else None
        self.cname = cname
        self.owner_exists = owner_exists

    @property
    def exists(self):
        return bool(self.values)

    def replace(self, ttl=None, values=None):
        return RRset(
            self.name,
            self.rdtype,
            self.ttl if ttl is None else ttl,
            self.values if values is None else values,
            self.cname,
            self.owner_exists,
        )

    def __eq__(self, other):
        if not (
            isinstance(other, RRset)
            and self.rdtype == other.rdtype
            and self.ttl == other.ttl
            and len(self.values) == len(other.values)
            and (self.name is other.name or self.name == other.name)
        ):
            return False
        # the keys are made for this comparison only: kept, they would double the memory of the values
        return self.values is other.values or frozenset(map(value_key, self.values)) == frozenset(
            map(value_key, other.values)
        )

    def __hash__(self):
        return hash((self.name, self.rdtype, self.ttl, self.values))

    def sorted_texts(self, cache=None):
        """The values as text, in value order. CACHE: a dict kept across calls (see cached_sort_key)."""
        if cache is None:
            cache = {}
        return [key[-1] for key in sorted([cached_sort_key(value, cache) for value in self.values])]

    def as_dict(self, cache=None):
        return {"ttl": self.ttl, "values": self.sorted_texts(cache)}

    def zone_lines(self, cache=None):
        """Zone-file lines, for diffs."""
        owner = self.name.to_text()
        return [f"{owner} {self.ttl} IN {self.rdtype} {text}" for text in self.sorted_texts(cache)]

    def __repr__(self):
        return f"RRset({self.name}, {self.rdtype}, {self.ttl}, {self.sorted_texts()})"
