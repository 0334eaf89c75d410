# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""An in-memory authoritative server for planning tests: it answers the engine's reads and
applies its UPDATEs as RFC 2136 says (prerequisites first, then the changes), and counts every
message. Integration tests use a real named; this one only makes the planner's rules quick to
test many times."""

from __future__ import annotations

import dns.name
import dns.rdataclass
import dns.rdatatype

from ansible_collections.kmsops.kms.plugins.module_utils.dns._errors import PrerequisiteFailed, ZoneNotFound
from ansible_collections.kmsops.kms.plugins.module_utils.dns._records import RRset


class FakeServer:
    def __init__(self, zones):
        self.zones = [dns.name.from_text(zone) for zone in zones]
        self.data = {}  # (name, rdtype text) -> (ttl, frozenset(rdata))
        self.reads = 0
        self.updates = []

    # -- content ------------------------------------------------------------------------------
    def put(self, name, rdtype, ttl, values):
        self.data[(dns.name.from_text(name), rdtype)] = (ttl, frozenset(values))

    def values(self, name, rdtype):
        return self.data.get((dns.name.from_text(name), rdtype), (None, frozenset()))[1]

    def ttl(self, name, rdtype):
        return self.data.get((dns.name.from_text(name), rdtype), (None, frozenset()))[0]

    def texts(self, name, rdtype):
        return sorted(value.to_text() for value in self.values(name, rdtype))

    def _zone(self, name):
        zones = set(self.zones)
        while True:
            if name in zones:
                return name
            if len(name) <= 1:
                raise ZoneNotFound(f"no zone holds {name}", "name")
            name = name.parent()

    def _rrset(self, name, rdtype):
        ttl, values = self.data.get((name, rdtype), (None, frozenset()))
        owner_exists = any((name, other) in self.data for other in ("SRV", "TXT", "A", "AAAA", "CNAME"))
        return RRset(name, rdtype, ttl, values, owner_exists=owner_exists)

    # -- what the engine calls ------------------------------------------------------------------
    def read_rrset_and_zone(self, name, rdtype):
        self.reads += 1
        return self._rrset(name, rdtype), self._zone(name)

    def read_rrset(self, name, rdtype):
        self.reads += 1
        return self._rrset(name, rdtype)

    def find_zone(self, name, option="name"):
        return self._zone(name)

    def check_zone(self, zone, option="zone"):
        return zone

    def read_owner_types(self, name):
        return {rdtype for (owner, rdtype) in self.data if owner == name}

    def send_update(self, update):
        self.updates.append(update)
        stated = {}  # a value-dependent prerequisite may come as several RRs of one RRset
        for rrset in update.prerequisite:
            key = (rrset.name, dns.rdatatype.to_text(rrset.rdtype))
            have = self.data.get(key, (None, frozenset()))[1]
            if rrset.rdclass == dns.rdataclass.NONE:  # RRset does not exist
                if have:
                    raise PrerequisiteFailed("YXRRSET")
            elif rrset.rdclass == dns.rdataclass.IN:  # RRset exists, value dependent
                stated[key] = stated.get(key, frozenset()) | frozenset(rrset)
        for key, values in stated.items():
            if self.data.get(key, (None, frozenset()))[1] != values:
                raise PrerequisiteFailed("NXRRSET")
        for rrset in update.update:
            key = (rrset.name, dns.rdatatype.to_text(rrset.rdtype))
            ttl, have = self.data.get(key, (None, frozenset()))
            # dnspython keeps the zone's class on the RRset and says a deletion in ``deleting``
            if rrset.deleting == dns.rdataclass.ANY:  # delete the RRset
                self.data.pop(key, None)
                continue
            if rrset.deleting == dns.rdataclass.NONE:  # delete values
                have = have - frozenset(rrset)
            else:
                have = have | frozenset(rrset)
                ttl = rrset.ttl
            if have:
                self.data[key] = (ttl, have)
            else:
                self.data.pop(key, None)
