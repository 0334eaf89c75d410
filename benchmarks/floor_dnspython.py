# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The floor of the benchmark: bare dnspython doing the publish with the fewest DNS messages.

Usage: python benchmarks/floor_dnspython.py WORKLOAD.json

WORKLOAD.json: {"server", "port", "key_name", "key_secret", "key_algorithm",
"rrsets": [{"zone", "name", "type", "ttl", "values": [...]}]} (zones given: this script does not
find them). Over one TCP connection it sends one signed query per RRset and one signed UPDATE per
zone where a wanted value is missing (values added, nothing removed, a prerequisite from what was
read), nothing else. Prints {"seconds", "queries", "updates", "changed_zones", "max_rss_kb"} as JSON.
"""

from __future__ import annotations

import json
import resource
import socket
import sys
import time

import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.tsig
import dns.update


def main():
    start = time.perf_counter()
    with open(sys.argv[1], encoding="utf-8") as handle:
        work = json.load(handle)
    key = dns.tsig.Key(work["key_name"], work["key_secret"], work["key_algorithm"])
    server, port = work["server"], work["port"]
    sock = socket.create_connection((server, port), timeout=10)
    sock.setblocking(False)
    queries = updates = 0
    pending = {}  # zone -> [(name, rdtype, ttl, wanted, found rrset or None)]
    for item in work["rrsets"]:
        name = dns.name.from_text(item["name"])
        rdtype = dns.rdatatype.from_text(item["type"])
        wanted = {dns.rdata.from_text(dns.rdataclass.IN, rdtype, value) for value in item["values"]}
        query = dns.message.make_query(name, rdtype)
        query.flags = 0
        query.use_tsig(key)
        response = dns.query.tcp(query, server, timeout=10, port=port, sock=sock)
        queries += 1
        found = response.get_rrset(response.answer, name, dns.rdataclass.IN, rdtype)
        have = set(found) if found is not None else set()
        if not wanted <= have or (found is not None and found.ttl != item["ttl"]):
            pending.setdefault(item["zone"], []).append((name, rdtype, item["ttl"], wanted, found))
    for zone, items in pending.items():
        update = dns.update.UpdateMessage(zone)
        for name, rdtype, ttl, wanted, found in items:
            if found is None:
                update.absent(name, rdtype)
                update.add(name, ttl, *wanted)
            else:
                update.present(name, *found)
                update.delete(name, rdtype)
                update.add(name, ttl, *(wanted | set(found)))
        update.use_tsig(key)
        response = dns.query.tcp(update, server, timeout=10, port=port, sock=sock)
        updates += 1
        if response.rcode() != dns.rcode.NOERROR:
            sys.exit(f"the update of {zone} failed: {dns.rcode.to_text(response.rcode())}")
    sock.close()
    print(
        json.dumps(
            {
                "seconds": time.perf_counter() - start,
                "queries": queries,
                "updates": updates,
                "changed_zones": len(pending),
                "max_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            }
        )
    )


if __name__ == "__main__":
    main()
