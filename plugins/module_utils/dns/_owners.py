# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Who owns which SRV value: the owner registry kept in DNS beside the values.

The pattern is external-dns's TXT registry (an owner id written beside the records a writer
manages; records without it are not the writer's), at the grain a KMS domain needs: one SRV
RRset, ``_vlmcs._tcp.<domain>``, is shared by several writers, so ownership is per *value*.

Layout: a TXT RRset at the same name as the SRV RRset, one TXT value per (owner, SRV value)::

    _vlmcs._tcp.br.corp.example. 3600 IN SRV 0 0 1688 kms9.br.corp.example.
    _vlmcs._tcp.br.corp.example. 3600 IN SRV 10 0 1688 kms1.corp.example.
    _vlmcs._tcp.br.corp.example. 3600 IN TXT "heritage=kmsops.kms,owner=branch,srv=0 0 1688 kms9.br.corp.example."
    _vlmcs._tcp.br.corp.example. 3600 IN TXT "heritage=kmsops.kms,owner=central,srv=10 0 1688 kms1.corp.example."

Same name, not a prefixed sibling: only SRV is owned there (no type to tell apart, and a CNAME
cannot share the name with the SRV RRset anyway), the zone's ``update-policy`` grant and an
Active Directory node ACL cover it with the SRV RRset, and removing the name removes both.
TXT values without the ``heritage=kmsops.kms`` signature belong to someone else and are kept.
Two owners of one value are two TXT values (shared ownership: the SRV value goes when its last
owner withdraws it). The TXT values change in the same UPDATE as the SRV values, under
prerequisites on both RRsets.
"""

from __future__ import annotations

import re
from typing import Any

try:
    import dns.exception
    import dns.rdata
    import dns.rdataclass
    import dns.rdatatype
except ImportError:  # pragma: no cover - reported by the modules with missing_required_lib
    pass

from ansible_collections.kmsops.kms.plugins.module_utils.dns._errors import InvalidInput

HERITAGE = "kmsops.kms"
_OWNER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")


def check_owner_id(owner, option="owner"):
    """An owner id: 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit."""
    if owner is None:
        return None
    if not isinstance(owner, str) or not _OWNER.match(owner):
        raise InvalidInput(
            f"{owner!r} is not an owner id: use 1 to 63 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit (e.g. central, branch-team)",
            option,
        )
    return owner


def value_key(srv):
    """A cheap, exact key of an SRV value, compared as dnspython compares SRV rdata (the target
    without case): (priority, weight, port, target labels in lower case). Hashing dnspython rdata
    renders it to wire format every time; a value is compared many times in one run."""
    return (srv.priority, srv.weight, srv.port, tuple(map(bytes.lower, srv.target.labels)))


def claim_text(owner, srv):
    """The TXT text recording that OWNER owns the SRV value SRV (rdata)."""
    return f"heritage={HERITAGE},owner={owner},srv={srv.to_text().lower()}"


def claim_rdata(owner, srv):
    text = claim_text(owner, srv)
    chunks = [text[i : i + 255] for i in range(0, len(text), 255)]
    return dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.TXT, " ".join(f'"{chunk}"' for chunk in chunks))


def _claim_of_text(text):
    fields = {}
    for part in text.split(",", 2):
        key, sep, value = part.partition("=")
        if not sep:
            return None
        fields[key] = value
    if fields.get("heritage") != HERITAGE or not _OWNER.match(fields.get("owner", "")) or "srv" not in fields:
        return None
    try:
        srv = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.SRV, fields["srv"])
    except (dns.exception.DNSException, ValueError):
        return None  # a value we cannot read is not ours to change
    return fields["owner"], srv


def _text_of(txt):
    try:
        return b"".join(txt.strings).decode("ascii")
    except (AttributeError, UnicodeDecodeError):
        return None


def parse_claim(txt):
    """(owner, SRV rdata) of one TXT rdata of the registry, or None when it is not ours (no
    ``heritage=kmsops.kms``) or cannot be read (kept untouched either way)."""
    text = _text_of(txt)
    return None if text is None else _claim_of_text(text)


class Claims:
    """What one run knows about claims, shared by every domain of the run: the claims parsed from
    TXT texts (the same values recur in every domain) and the TXT rdata of claims it writes."""

    def __init__(self):
        self._parsed = {}  # TXT text -> (owner, value key, canonical) or None
        self._made = {}  # (owner, value key) -> TXT rdata

    def parse(self, txt):
        text = _text_of(txt)
        if text is None:
            return None
        if text not in self._parsed:
            claim = _claim_of_text(text)
            self._parsed[text] = (
                None if claim is None else (claim[0], value_key(claim[1]), text == claim_text(claim[0], claim[1]))
            )
        return self._parsed[text]

    def make(self, owner, srv, key):
        rdata = self._made.get((owner, key))
        if rdata is None:
            rdata = self._made[(owner, key)] = claim_rdata(owner, srv)
        return rdata


class Registry:
    """The TXT RRset read beside one SRV RRset: ``owners`` {value key: {owner}}, ``claims``
    {(owner, value key): (TXT rdata as read, canonical)} and ``others`` (TXT values that are not
    claims). CLAIMS: the run's parse cache (a new one when not given)."""

    def __init__(self, txt, claims=None):
        claims = claims or Claims()
        self.owners: dict[Any, set[str]] = {}
        self.claims = {}
        self.others = []
        for rdata in txt.values if txt is not None else ():
            claim = claims.parse(rdata)
            if claim is None:
                self.others.append(rdata)
                continue
            owner, key, canonical = claim
            self.owners.setdefault(key, set()).add(owner)
            self.claims[(owner, key)] = (rdata, canonical)

    def of(self, key):
        return self.owners.get(key, _NOBODY)


_NOBODY: frozenset = frozenset()
