# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""DnsDomainPublishList (REG_MULTI_SZ) text <-> list of {domain, priority, weight}.

Windows KMS hosts read ``HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\
SoftwareProtectionPlatform\\DnsDomainPublishList``: one entry per line, ``domain[,priority[,weight]]``.
Priority and weight are optional; missing ones mean 0 (the SRV defaults Windows uses).

``parse_publish_list`` accepts the value as a list of lines (as read from the registry) or as
one text with one entry per line; ``format_publish_list`` returns the canonical lines
``domain,priority,weight`` to write. Domains are compared case-insensitively, without the
trailing dot; order is kept (it is the order the user gave).
"""

from __future__ import annotations

import re

from ansible_collections.kmsops.kms.plugins.module_utils.kms._keys import KmsError


class PublishListError(KmsError):
    """A DnsDomainPublishList entry is malformed."""


_LABEL_RE = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")


def normalize_domain(domain):
    if not isinstance(domain, str):
        raise PublishListError("a publish-list domain must be a string, got %r" % (domain,))
    text = domain.strip().rstrip(".").lower()
    if not text or len(text) > 253:
        raise PublishListError("invalid domain %r in the publish list" % (domain,))
    for label in text.split("."):
        if not _LABEL_RE.match(label):
            raise PublishListError("invalid domain %r in the publish list (label %r)" % (domain, label))
    return text


def _number(value, what, domain):
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return 0
    if isinstance(value, bool):
        raise PublishListError("%s of %s must be an integer 0..65535" % (what, domain))
    try:
        number = int(str(value).strip())
    except ValueError:
        raise PublishListError("%s of %s must be an integer 0..65535, got %r" % (what, domain, value))
    if not 0 <= number <= 65535:
        raise PublishListError("%s of %s must be an integer 0..65535, got %r" % (what, domain, value))
    return number


def normalize_entry(entry):
    """One entry (dict with domain, optional priority/weight, or a 'domain,prio,weight' string)."""
    if isinstance(entry, str):
        return _parse_line(entry)
    if not isinstance(entry, dict) or "domain" not in entry:
        raise PublishListError("a publish-list entry must be a mapping with 'domain', got %r" % (entry,))
    unknown = set(entry) - {"domain", "priority", "weight"}
    if unknown:
        raise PublishListError("unknown keys in publish-list entry: %s" % ", ".join(sorted(unknown)))
    domain = normalize_domain(entry["domain"])
    return {
        "domain": domain,
        "priority": _number(entry.get("priority"), "priority", domain),
        "weight": _number(entry.get("weight"), "weight", domain),
    }


def _parse_line(line):
    parts = [p.strip() for p in line.split(",")]
    if len(parts) > 3:
        raise PublishListError("publish-list line %r has more than three fields (domain,priority,weight)" % line)
    domain = normalize_domain(parts[0])
    return {
        "domain": domain,
        "priority": _number(parts[1] if len(parts) > 1 else None, "priority", domain),
        "weight": _number(parts[2] if len(parts) > 2 else None, "weight", domain),
    }


def _dedupe(entries):
    seen = set()
    for entry in entries:
        if entry["domain"] in seen:
            raise PublishListError("domain %s appears more than once in the publish list" % entry["domain"])
        seen.add(entry["domain"])
    return entries


def parse_publish_list(text_or_lines):
    """Parse the registry value. None or empty -> []. Blank lines are ignored."""
    if text_or_lines is None:
        return []
    if isinstance(text_or_lines, str):
        lines = text_or_lines.replace("\x00", "\n").splitlines()
    else:
        lines = list(text_or_lines)
    entries = []
    for line in lines:
        if line is None:
            continue
        if not isinstance(line, str):
            raise PublishListError("publish-list lines must be strings, got %r" % (line,))
        if not line.strip():
            continue
        entries.append(_parse_line(line))
    return _dedupe(entries)


def normalize_publish_list(entries):
    """Canonical list of dicts from user input (dicts or 'domain,prio,weight' strings)."""
    if entries is None:
        return []
    return _dedupe([normalize_entry(e) for e in entries])


def format_publish_list(entries):
    """The REG_MULTI_SZ lines ``domain,priority,weight`` for a list of entries."""
    return ["%s,%d,%d" % (e["domain"], e["priority"], e["weight"]) for e in normalize_publish_list(entries)]
