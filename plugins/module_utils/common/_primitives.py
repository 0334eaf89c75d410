# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""DNS and KMS primitives, checked in one place: names, host names, domains, 16-bit numbers,
ports, timeouts, IP addresses, the SRV value, the KMS service label and port.

Every check takes the OPTION the value came from, with the user's own index
(``hosts[1].addresses[2]``), and raises :class:`InvalidValue` whose message starts with it.
Pure Python (no dnspython): the discovery module runs this on managed hosts (Python 3.8), the
filters on the controller. The DNS engine turns the checked text into dnspython names.

Rules, and where they come from:

* a label is 1 to 63 octets, a name at most 255 octets in wire form (RFC 1035 2.3.4), which is
  253 characters of text without the trailing dot;
* a *name* (an owner, a CNAME target) has labels of letters, digits, ``-`` and ``_``; ``*`` is
  allowed only as the whole leftmost label (a wildcard);
* a *host name* (the owner of A/AAAA/MX records, the target of SRV/MX/NS records) is what BIND's
  ``check-names`` accepts (``dns_name_ishostname``): labels of letters, digits and ``-``, starting
  and ending with a letter or digit; a leading ``*`` label only where a wildcard owner is meant;
* a *domain* (where SRV records are published or searched) has labels of letters, digits, ``-``
  and ``_``, not starting or ending with ``-``; it is compared lower-case, without trailing dot;
* *any name DNS can hold* (:func:`check_dns_name`): labels of any octets, written in the
  presentation form of RFC 1035 5.1 (``\\.``, ``\\032``), only the length rules. What is removed
  because it is already there is checked this way: the host-name rules are for what is added.
"""

from __future__ import annotations

import ipaddress
import math
import re

from ansible_collections.kmsops.kms.plugins.module_utils.common._errors import InvalidValue

SERVICE = "_vlmcs._tcp"
"""The label KMS clients look up: ``_vlmcs._tcp.<domain>`` SRV."""
KMS_PORT = 1688
"""The TCP port a KMS host listens on unless told otherwise."""

UINT16_MAX = 65535
MAX_LABEL_OCTETS = 63
MAX_NAME_OCTETS = 255
MAX_TIMEOUT = 3600.0
SRV_FIELDS = ("priority", "weight", "port", "target")

_DIGITS = re.compile(r"[0-9]+\Z")  # ASCII digits only: no '1_0', no Arabic-Indic digits
_NAME_LABEL = re.compile(r"[A-Za-z0-9_-]+\Z")
_DOMAIN_LABEL = re.compile(r"(?!-)[A-Za-z0-9_-]+(?<!-)\Z")
_HOST_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\Z")


# -- numbers ------------------------------------------------------------------------------------


def check_uint16(value, option, minimum=0):
    """An integer from MINIMUM to 65535, given as a number or as ASCII digits."""
    wanted = f"an integer from {minimum} to {UINT16_MAX}"
    if isinstance(value, bool) or value is None:
        raise InvalidValue(f"must be {wanted}, got {value!r}", option)
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _DIGITS.match(value.strip()):
        number = int(value.strip())
    else:
        raise InvalidValue(f"must be {wanted}, got {value!r}", option)
    if not minimum <= number <= UINT16_MAX:
        raise InvalidValue(f"must be {wanted}, got {number}", option)
    return number


def check_port(value, option):
    """A TCP/UDP port: 1 to 65535 (0 is not a port anything listens on)."""
    return check_uint16(value, option, minimum=1)


def check_timeout(value, option):
    """A finite number of seconds, more than 0 and at most an hour."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise InvalidValue(f"must be a number of seconds, got {value!r}", option)
    try:
        seconds = float(value)
    except ValueError:
        raise InvalidValue(f"must be a number of seconds, got {value!r}", option) from None
    if not math.isfinite(seconds) or not 0 < seconds <= MAX_TIMEOUT:
        raise InvalidValue(f"must be more than 0 and at most {MAX_TIMEOUT:g} seconds, got {value!r}", option)
    return seconds


# -- names --------------------------------------------------------------------------------------


def _text(value, option, what):
    if not isinstance(value, str) or not value.strip():
        raise InvalidValue(f"must be a non-empty {what}, got {value!r}", option)
    if not value.isascii():
        raise InvalidValue(
            f"{value!r} is not a valid {what}: only ASCII letters, digits, '-', '_' and '.' "
            "(write an internationalized name in its xn-- form)",
            option,
        )
    return value.strip()


def _labels(text, value, option, what):
    """The labels of TEXT (no trailing dot), with the length rules of RFC 1035."""
    labels = text.split(".")
    if "" in labels:
        raise InvalidValue(f"{value!r} is not a valid {what} (empty label)", option)
    for label in labels:
        if len(label) > MAX_LABEL_OCTETS:
            raise InvalidValue(
                f"{value!r} is not a valid {what} (label {label[:20]!r}... is longer than {MAX_LABEL_OCTETS} octets)",
                option,
            )
    if wire_length(text) > MAX_NAME_OCTETS:
        raise InvalidValue(f"{value!r} is not a valid {what} (longer than {MAX_NAME_OCTETS} octets)", option)
    return labels


def wire_length(text):
    """Octets of an ASCII name (text without trailing dot; '' is the root) in wire form."""
    if not text:
        return 1
    return sum(len(label) + 1 for label in text.split(".")) + 1


def check_name(value, option, origin=None, what="domain name"):
    """A domain name as text, absolute with a trailing dot.

    Names ending in '.' are absolute; others are relative to ORIGIN (a checked absolute name),
    or absolute when ORIGIN is None. '.' is the root. Labels: letters, digits, '-', '_'; '*' only
    as the whole leftmost label. WHAT names the kind of name in messages.
    """
    text = _text(value, option, what)
    if text == ".":
        return "."
    absolute = text.endswith(".") or origin is None
    bare = text[:-1] if text.endswith(".") else text
    if not absolute and origin != ".":
        bare = f"{bare}.{origin.rstrip('.')}"
    labels = _labels(bare, value, option, what)
    for position, label in enumerate(labels):
        if label == "*" and position == 0:
            continue
        if not _NAME_LABEL.match(label):
            allowed = "letters, digits, '-', '_'; '*' only as the whole first label"
            raise InvalidValue(f"{value!r} is not a valid {what} (label {label!r}; allowed: {allowed})", option)
    return bare + "."


def _dns_labels(text, value, option, what):
    """The labels of a presentation-form name (no trailing dot), as octet counts; escapes
    ``\\X`` and ``\\DDD`` (RFC 1035 5.1) are one octet each."""
    labels, octets, index = [], 0, 0
    while index < len(text):
        char = text[index]
        if char == "\\":
            digits = text[index + 1 : index + 4]
            if len(digits) == 3 and digits.isdigit() and digits.isascii():
                if int(digits) > 255:
                    raise InvalidValue(f"{value!r} is not a valid {what} (escape \\{digits} is more than 255)", option)
                index += 4
            elif index + 1 < len(text):
                index += 2
            else:
                raise InvalidValue(f"{value!r} is not a valid {what} (it ends with a lone '\\')", option)
            octets += 1
            continue
        if char == ".":
            labels.append(octets)
            octets = 0
        elif not " " < char < "\x7f":
            raise InvalidValue(f"{value!r} is not a valid {what} (character {char!r}: write it as \\DDD)", option)
        else:
            octets += 1
        index += 1
    labels.append(octets)
    if 0 in labels:
        raise InvalidValue(f"{value!r} is not a valid {what} (empty label)", option)
    if max(labels) > MAX_LABEL_OCTETS:
        raise InvalidValue(
            f"{value!r} is not a valid {what} (a label is longer than {MAX_LABEL_OCTETS} octets)", option
        )
    if sum(labels) + len(labels) + 1 > MAX_NAME_OCTETS:
        raise InvalidValue(f"{value!r} is not a valid {what} (longer than {MAX_NAME_OCTETS} octets)", option)
    return labels


def _ends_with_dot(text):
    """True when TEXT ends with an unescaped '.' (``a\\.`` ends with an escaped one)."""
    backslashes = len(text) - 1 - len(text[:-1].rstrip("\\")) if text.endswith(".") else 0
    return text.endswith(".") and backslashes % 2 == 0


def check_dns_name(value, option, what="name", qualified=False):
    """Any name DNS can hold, as absolute presentation text with a trailing dot: labels of any
    octets (``old_kms``, ``{{x}}``, ``a\\032b``), only the length rules of RFC 1035 and a well-formed
    text (printable ASCII, escapes ``\\X`` / ``\\DDD``). For names that are already in DNS and
    are being removed; what is added is checked by :func:`check_host_name` / :func:`check_name`.
    QUALIFIED: at least two labels.
    """
    if not isinstance(value, str) or not value.strip():
        raise InvalidValue(f"must be a non-empty {what}, got {value!r}", option)
    text = value.strip()
    if text == ".":
        raise InvalidValue(f"{value!r} is the root, not a {what}", option)
    bare = text[:-1] if _ends_with_dot(text) else text
    labels = _dns_labels(bare, value, option, what)
    if qualified and len(labels) < 2:
        raise InvalidValue(f"{value!r} must be a fully qualified {what} (host.domain)", option)
    return bare + "."


def is_host_name(text, wildcard=False):
    """BIND's check-names rule (``dns_name_ishostname``) for an absolute or relative name text."""
    bare = text[:-1] if text.endswith(".") else text
    labels = bare.split(".") if bare else []
    if wildcard and labels and labels[0] == "*":
        labels = labels[1:]
    return all(_HOST_LABEL.match(label) for label in labels)


def check_host_name(value, option, wildcard=False, qualified=False):
    """A host name (absolute text with a trailing dot) as BIND's check-names accepts it.

    WILDCARD: a leading '*' label is allowed (an owner name). QUALIFIED: at least two labels
    (``host.domain``).
    """
    name = check_name(value, option, what="host name")
    if not is_host_name(name, wildcard):
        raise InvalidValue(
            f"{value!r} is not a valid host name: each label must be letters, digits and '-', "
            "starting and ending with a letter or digit (BIND check-names)",
            option,
        )
    if qualified and name.count(".") < 2:
        raise InvalidValue(f"{value!r} must be a fully qualified host name (host.domain)", option)
    return name


def normalize_domain(value, option, service=False):
    """A domain in canonical form: lower case, no trailing dot.

    SERVICE: a domain where KMS SRV records are published or searched: ``_vlmcs._tcp.`` is put in
    front of it (the SRV owner KMS clients look up), so it must still be a valid name with that
    label, and it must not begin with a service label itself (``_vlmcs._tcp.corp.example`` would
    become ``_vlmcs._tcp._vlmcs._tcp.corp.example``): its first label may not start with ``_``
    (``_vlmcs``, ``_tcp``, ``_ldap``, ``_msdcs``: RFC 8552 underscored names are attributes of a
    domain, never a domain clients search).
    """
    text = _text(value, option, "domain name")
    bare = text[:-1] if text.endswith(".") else text
    if not bare:
        raise InvalidValue(f"{value!r} is the root, not a domain", option)
    for label in _labels(bare, value, option, "domain name"):
        if not _DOMAIN_LABEL.match(label):
            raise InvalidValue(
                f"{value!r} is not a valid domain name (label {label!r}: letters, digits, '-', '_', "
                "not starting or ending with '-')",
                option,
            )
    if service:
        _check_not_a_service_name(value, bare, option)
    if service and wire_length(f"{SERVICE}.{bare}") > MAX_NAME_OCTETS:
        raise InvalidValue(
            f"{value!r} is too long: {SERVICE}.{bare[:20]}... would be longer than {MAX_NAME_OCTETS} octets", option
        )
    return bare.lower()


def name_key(value):
    """A name in the form names are compared in: lower case, no trailing dot, no surrounding
    spaces ('' for None). No checks: for names read back (DNS answers, the Windows registry, a
    BIND key file, results of other tasks), which may hold anything and are only compared. A name
    the user gives is checked first (:func:`normalize_domain`, :func:`check_host_name`), and
    normalize_domain returns this form already."""
    return str(value or "").strip().rstrip(".").lower()


def _check_not_a_service_name(value, bare, option):
    """Refuse a domain whose first label is an underscored service label (``_vlmcs._tcp.x``)."""
    labels = bare.split(".")
    if not labels[0].startswith("_"):
        return
    rest = list(labels)
    while rest and rest[0].startswith("_"):
        rest.pop(0)
    if ".".join(labels[:2]).lower() == SERVICE:
        what = f"the service name {SERVICE}"
    else:
        what = f"the service label {labels[0]!r}"
    hint = "give the domain clients search" + (f" ({'.'.join(rest)!r})" if rest else "")
    raise InvalidValue(
        f"{value!r} begins with {what}: {hint}; {SERVICE}. is put in front of the domain, "
        f"so this would be {SERVICE}.{bare}",
        option,
    )


def service_owner(domain):
    """``_vlmcs._tcp.<domain>.`` for a domain checked by normalize_domain(..., service=True)."""
    return f"{SERVICE}.{domain}."


# -- addresses ----------------------------------------------------------------------------------


def check_address(value, option, version=None):
    """The compressed text of an IPv4 or IPv6 address; VERSION 4 or 6 restricts the family.

    Refused: zone-scoped addresses (``fe80::1%eth0``: a scope means nothing in DNS) and
    IPv4-mapped IPv6 addresses (``::ffff:192.0.2.1`` is an IPv4 address: publish it as A).
    """
    family = f"IPv{version}" if version else "IPv4 or IPv6"
    if not isinstance(value, str) or not value.strip():
        raise InvalidValue(f"{value!r} is not a valid {family} address", option)
    text = value.strip()
    if "%" in text:
        raise InvalidValue(f"{value!r} has a zone index ('%...'), which has no meaning in DNS", option)
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        raise InvalidValue(f"{value!r} is not a valid {family} address", option) from None
    if address.version == 6 and address.ipv4_mapped is not None:
        raise InvalidValue(
            f"{value!r} is an IPv4-mapped IPv6 address; give the IPv4 address "
            f"{address.ipv4_mapped} (an A record) instead",
            option,
        )
    if version and address.version != version:
        raise InvalidValue(f"{value!r} is not a valid {family} address", option)
    return address.compressed


# -- the SRV value ------------------------------------------------------------------------------


def parse_srv(value, option, defaults=False, any_target=False):
    """One SRV value -> ``{priority, weight, port, target}``.

    VALUE is the presentation text ``priority weight port target`` or a mapping with those keys
    (DEFAULTS: priority and weight may be left out and mean 0). The target is a host name
    (BIND check-names) as absolute text with a trailing dot, its case kept, or '.' ("no service
    here", RFC 2782); with ANY_TARGET (a value being removed) any name DNS can hold
    (:func:`check_dns_name`). The port is 1 to 65535, or 0 with the target '.'.
    """
    if isinstance(value, dict):
        unknown = sorted(set(value) - set(SRV_FIELDS))
        if unknown:
            raise InvalidValue(f"unknown SRV field(s) {', '.join(unknown)}; use {', '.join(SRV_FIELDS)}", option)
        needed = ("port", "target") if defaults else SRV_FIELDS
        missing = [field for field in needed if field not in value]
        if missing:
            raise InvalidValue(f"an SRV value needs {', '.join(needed)}; {', '.join(missing)} missing", option)
        fields = dict(value)
    elif isinstance(value, str):
        parts = value.split()
        if len(parts) != 4:
            raise InvalidValue(f"{value!r} is not an SRV value 'priority weight port target' (four fields)", option)
        fields = dict(zip(SRV_FIELDS, parts))
    else:
        raise InvalidValue(f"an SRV value is text 'priority weight port target' or a mapping, got {value!r}", option)
    target = fields["target"]
    if isinstance(target, str) and target.strip() == ".":
        target = "."
    elif any_target:
        target = check_dns_name(target, f"{option}.target", what="SRV target")
    else:
        target = check_host_name(target, f"{option}.target")
    record = {
        "priority": check_uint16(fields.get("priority", 0), f"{option}.priority"),
        "weight": check_uint16(fields.get("weight", 0), f"{option}.weight"),
        "port": check_uint16(fields["port"], f"{option}.port", minimum=0 if target == "." else 1),
        "target": target,
    }
    return record


def format_srv(record):
    """The presentation text of a parsed SRV value."""
    return "{priority} {weight} {port} {target}".format(**record)


def srv_key(record):
    """Canonical comparison key of an SRV value (names compare without case)."""
    return (record["priority"], record["weight"], record["port"], record["target"].lower())
