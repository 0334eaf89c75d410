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
import re

try:
    import dns.name
    import dns.rdata
    import dns.rdataclass
    import dns.rdatatype
    import dns.exception
except ImportError:  # pragma: no cover - reported by the modules with missing_required_lib
    pass

from ansible_collections.kmsops.kms.plugins.module_utils.dns._errors import InvalidInput

SUPPORTED_TYPES = ("A", "AAAA", "SRV", "TXT", "CNAME", "PTR", "MX", "NS")
_NAME_CHARS = re.compile(r"^[A-Za-z0-9_*.-]+$")
_HOST_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
SRV_FIELDS = ("priority", "weight", "port", "target")


def to_name(text, option, origin=None):
    """Parse a domain name. Names ending in '.' are absolute; others are relative to ORIGIN
    (or absolute when ORIGIN is None)."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput("must be a non-empty domain name", option)
    text = text.strip()
    if text != ".":
        if not _NAME_CHARS.match(text):
            raise InvalidInput(f"{text!r} is not a valid domain name (allowed: letters, digits, '-', '_', '.')", option)
        if ".." in text or text.startswith("."):
            raise InvalidInput(f"{text!r} is not a valid domain name (empty label)", option)
    try:
        if text.endswith(".") or origin is None:
            return dns.name.from_text(text, origin=dns.name.root)
        return dns.name.from_text(text, origin=origin)
    except dns.exception.DNSException as exc:
        raise InvalidInput(f"{text!r} is not a valid domain name: {exc}", option) from None


def to_host_name(text, option):
    """Parse the FQDN of a host (letters, digits, '-' per label; RFC 1123)."""
    name = to_name(text, option)
    labels = [label.decode("ascii") for label in name.labels if label]
    if len(labels) < 2:
        raise InvalidInput(f"{text!r} must be a fully qualified host name (host.domain)", option)
    for label in labels:
        if not _HOST_LABEL.match(label):
            raise InvalidInput(f"{text!r} is not a valid host name (label {label!r})", option)
    return name


def check_uint16(value, option):
    if isinstance(value, bool):
        raise InvalidInput(f"must be an integer from 0 to 65535, got {value!r}", option)
    try:
        number = int(str(value).strip())
    except ValueError:
        raise InvalidInput(f"must be an integer from 0 to 65535, got {value!r}", option) from None
    if not 0 <= number <= 65535:
        raise InvalidInput(f"must be from 0 to 65535, got {number}", option)
    return number


def check_address(value, option, version=None):
    """Return the compressed text of an IP address; VERSION 4 or 6 restricts the family."""
    try:
        address = ipaddress.ip_address(str(value).strip())
    except ValueError:
        raise InvalidInput(f"{value!r} is not a valid IPv4 or IPv6 address", option) from None
    if version and address.version != version:
        raise InvalidInput(f"{value!r} is not a valid IPv{version} address", option)
    return address.compressed


def _rdata(rdtype, text, option):
    try:
        return dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.from_text(rdtype), text,
                                   origin=dns.name.root, relativize=False)
    except (dns.exception.DNSException, ValueError) as exc:
        raise InvalidInput(f"{text!r} is not a valid {rdtype} value: {exc}", option) from None


def _txt_text(value):
    if value.startswith('"'):
        return value
    chunks = [value[i:i + 255] for i in range(0, len(value), 255)] or [""]
    return " ".join('"' + chunk.replace("\\", "\\\\").replace('"', '\\"') + '"' for chunk in chunks)


def srv_value(priority, weight, port, target, option):
    """Build an SRV rdata from its four fields, checking each."""
    fields = [
        check_uint16(priority, f"{option}.priority"),
        check_uint16(weight, f"{option}.weight"),
        check_uint16(port, f"{option}.port"),
    ]
    name = to_name(target, f"{option}.target")
    return _rdata("SRV", "{0} {1} {2} {3}".format(*fields, name.to_text()), option)


def parse_value(rdtype, value, option):
    """Parse one user-given value of type RDTYPE into rdata."""
    rdtype = rdtype.upper()
    if rdtype == "SRV" and isinstance(value, dict):
        unknown = sorted(set(value) - set(SRV_FIELDS))
        if unknown:
            raise InvalidInput(f"unknown SRV field(s) {', '.join(unknown)}; use {', '.join(SRV_FIELDS)}", option)
        if "target" not in value or "port" not in value:
            raise InvalidInput("an SRV value needs at least port and target", option)
        return srv_value(value.get("priority", 0), value.get("weight", 0), value["port"], value["target"], option)
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
    if rdtype == "SRV":
        parts = value.split()
        if len(parts) != 4:
            raise InvalidInput(f"{value!r} is not an SRV value 'priority weight port target'", option)
        return srv_value(parts[0], parts[1], parts[2], parts[3], option)
    if rdtype == "TXT":
        return _rdata(rdtype, _txt_text(value), option)
    if rdtype in ("CNAME", "PTR", "NS"):
        return _rdata(rdtype, to_name(value, option).to_text(), option)
    if rdtype == "MX":
        parts = value.split()
        if len(parts) != 2:
            raise InvalidInput(f"{value!r} is not an MX value 'preference exchange'", option)
        return _rdata(rdtype, f"{check_uint16(parts[0], option)} {to_name(parts[1], option).to_text()}", option)
    raise InvalidInput(f"record type {rdtype} is not supported; use one of {', '.join(SUPPORTED_TYPES)}", option)


def parse_values(rdtype, values, option):
    """Parse a list of values, dropping duplicates (compared canonically), order kept."""
    parsed = []
    for index, value in enumerate(values or []):
        rdata = parse_value(rdtype, value, f"{option}[{index}]")
        if rdata not in parsed:
            parsed.append(rdata)
    return parsed


def value_sort_key(rdata):
    """Order of values in results and diffs: by value, not by text (SRV ``3 0 ...`` before
    ``10 0 ...``; priority, weight, port, then target; MX by preference; addresses numerically)."""
    text = rdata.to_text()
    if hasattr(rdata, "priority") and hasattr(rdata, "target"):  # SRV
        return (rdata.priority, rdata.weight, rdata.port, rdata.target.to_text().lower(), text)
    if hasattr(rdata, "preference") and hasattr(rdata, "exchange"):  # MX
        return (rdata.preference, 0, 0, rdata.exchange.to_text().lower(), text)
    if hasattr(rdata, "address"):  # A, AAAA
        address = ipaddress.ip_address(rdata.address)
        return (address.version, int(address), 0, "", text)
    return (0, 0, 0, text.lower(), text)


class RRset:
    """What one RRset holds: a TTL and a set of rdata. ``None`` TTL and no values: absent.

    As read from the server it also tells what else the owner name holds, for the CNAME rules:
    ``cname`` is the target of a CNAME at the owner (reads of other types), ``owner_exists``
    whether the name exists at all (NOERROR rather than NXDOMAIN). Neither takes part in equality.
    """

    __slots__ = ("name", "rdtype", "ttl", "values", "cname", "owner_exists")

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
        return RRset(self.name, self.rdtype, self.ttl if ttl is None else ttl,
                     self.values if values is None else values, self.cname, self.owner_exists)

    def __eq__(self, other):
        return (isinstance(other, RRset) and self.name == other.name and self.rdtype == other.rdtype
                and self.ttl == other.ttl and self.values == other.values)

    def __hash__(self):
        return hash((self.name, self.rdtype, self.ttl, self.values))

    def sorted_texts(self):
        return [value.to_text() for value in sorted(self.values, key=value_sort_key)]

    def as_dict(self):
        return {"ttl": self.ttl, "values": self.sorted_texts()}

    def zone_lines(self):
        """Zone-file lines, for diffs."""
        owner = self.name.to_text()
        return [f"{owner} {self.ttl} IN {self.rdtype} {text}" for text in self.sorted_texts()]

    def __repr__(self):
        return f"RRset({self.name}, {self.rdtype}, {self.ttl}, {self.sorted_texts()})"
