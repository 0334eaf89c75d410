# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""DnsDomainPublishList (REG_MULTI_SZ) text <-> list of {domain, priority, weight}.

Windows KMS hosts read ``HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\
SoftwareProtectionPlatform\\DnsDomainPublishList``: one entry per line, ``domain[,priority[,weight]]``.
Priority and weight are optional; missing ones mean 0 (the SRV defaults Windows uses).

``parse_publish_list`` accepts the value as a list of lines (as read from the registry) or as
one text with one entry per line; ``format_publish_list`` returns the canonical lines
``domain,priority,weight`` to write. Domains, priorities and weights are checked by
``common._primitives`` (a domain is compared lower-case, without the trailing dot, and must
still be a name with ``_vlmcs._tcp.`` in front); order is kept (it is the order the user gave).
Every error names the option and the user's index: ``publish_domains[2].weight``.
"""

from __future__ import annotations

from ansible_collections.kmsops.kms.plugins.module_utils.common._errors import InvalidValue
from ansible_collections.kmsops.kms.plugins.module_utils.common._primitives import check_uint16, normalize_domain
from ansible_collections.kmsops.kms.plugins.plugin_utils.kms._keys import KmsError

REGISTRY_VALUE = "DnsDomainPublishList"
ENTRY_KEYS = ("domain", "priority", "weight")


class PublishListError(KmsError, InvalidValue):
    """A DnsDomainPublishList entry is malformed (its shape; the parts raise InvalidValue)."""


def _number(value, option):
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return 0
    return check_uint16(value, option)


def _entry(domain, priority, weight, option):
    domain = normalize_domain(domain, f"{option}.domain", service=True)
    return {
        "domain": domain,
        "priority": _number(priority, f"{option}.priority"),
        "weight": _number(weight, f"{option}.weight"),
    }


def _parse_line(line, option):
    parts = [part.strip() for part in line.split(",")]
    if len(parts) > 3:
        raise PublishListError(f"{line!r} has more than three fields (domain,priority,weight)", option)
    parts += [None] * (3 - len(parts))
    return _entry(parts[0], parts[1], parts[2], option)


def normalize_entry(entry, option):
    """One entry (dict with domain, optional priority/weight, or a 'domain,prio,weight' string)."""
    if isinstance(entry, str):
        return _parse_line(entry, option)
    if not isinstance(entry, dict) or "domain" not in entry:
        raise PublishListError(f"must be a mapping with 'domain', got {entry!r}", option)
    unknown = set(entry) - set(ENTRY_KEYS)
    if unknown:
        raise PublishListError(f"unknown keys {', '.join(sorted(unknown))}; use {', '.join(ENTRY_KEYS)}", option)
    return _entry(entry["domain"], entry.get("priority"), entry.get("weight"), option)


def _dedupe(entries):
    seen: dict[str, str] = {}  # domain -> option
    for option, entry in entries:
        if entry["domain"] in seen:
            raise PublishListError(
                f"domain {entry['domain']} is already listed at {seen[entry['domain']]} (one value per domain)", option
            )
        seen[entry["domain"]] = option
    return [entry for _option, entry in entries]


def parse_publish_list(text_or_lines, option=REGISTRY_VALUE):
    """Parse the registry value. None or empty -> []. Blank lines are ignored (but counted in
    the index an error names)."""
    if text_or_lines is None:
        return []
    lines = text_or_lines.replace("\x00", "\n").splitlines() if isinstance(text_or_lines, str) else list(text_or_lines)
    entries = []
    for index, line in enumerate(lines):
        where = f"{option}[{index}]"
        if line is None:
            continue
        if not isinstance(line, str):
            raise PublishListError(f"lines must be text, got {line!r}", where)
        if not line.strip():
            continue
        entries.append((where, _parse_line(line, where)))
    return _dedupe(entries)


def normalize_publish_list(entries, option="publish_domains"):
    """Canonical list of dicts from user input (dicts or 'domain,prio,weight' strings)."""
    if entries is None:
        return []
    return _dedupe(
        [(f"{option}[{index}]", normalize_entry(entry, f"{option}[{index}]")) for index, entry in enumerate(entries)]
    )


def format_publish_list(entries, option="publish_domains"):
    """The REG_MULTI_SZ lines ``domain,priority,weight`` for a list of entries."""
    return ["%s,%d,%d" % (e["domain"], e["priority"], e["weight"]) for e in normalize_publish_list(entries, option)]
