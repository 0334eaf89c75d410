# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Measure the DNS engine behind kms_publish on a large footprint, against a real named on loopback.

Usage: .venv/bin/python benchmarks/kms_publish_footprint.py [--hosts 4] [--domains 100] [--repeat 3]

Publishes HOSTS KMS hosts into DOMAINS domains (each domain its own zone), then runs the same
publish again (nothing to change) and once in check mode, and prints for each phase the wall
time (best of REPEAT), the DNS messages sent and the UPDATEs sent. No assertion: numbers only.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))

import conftest as _import_shim  # noqa: E402,F401 pylint: disable=wrong-import-position,unused-import
from named_server import NamedServer  # noqa: E402 pylint: disable=wrong-import-position

from ansible_collections.kmsops.kms.plugins.module_utils.dns._changes import (  # noqa: E402
    publish_changes,
)
from ansible_collections.kmsops.kms.plugins.module_utils.dns._plan import run_changes  # noqa: E402
from ansible_collections.kmsops.kms.plugins.module_utils.dns._transport import (  # noqa: E402
    DNSTransport,
    TSIGSigner,
)


def params(hosts, domains, sites):
    return {
        "hosts": [
            {"name": f"kms{index + 1}.{sites[0]}", "addresses": [f"192.0.2.{index + 10}"], "port": 1688,
             "publish": [{"domain": site, "priority": 0, "weight": 10 * (index + 1)} for site in sites[:domains]]}
            for index in range(hosts)
        ],
        "ttl": 3600, "address_records": True, "prune": False, "state": "present",
    }


def run(named, wanted, check_mode):
    algorithm, secret = named.keys["admin"]
    transport = DNSTransport(named.address, named.port, "tcp", 10, TSIGSigner("admin", secret, algorithm))
    try:
        changes, _zone = publish_changes(wanted)
        start = time.perf_counter()
        plans = run_changes(transport, changes, check_mode)
        elapsed = time.perf_counter() - start
    finally:
        transport.close()
    return elapsed, transport.messages_sent, sum(1 for plan in plans if plan.update_sent), len(changes)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=4)
    parser.add_argument("--domains", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if args.hosts > 4:
        parser.error("the named fixture grants A/AAAA for kms1..kms4 only; use --hosts 4 or fewer")
    named = NamedServer(sites=max(args.domains, 1) * args.repeat + 1).start()
    try:
        print(f"footprint: {args.hosts} KMS hosts x {args.domains} domains (one zone each), "
              f"best of {args.repeat}, named {named.port} on loopback, TCP, TSIG hmac-sha256")
        print(f"{'phase':<22}{'seconds':>10}{'messages':>10}{'updates':>9}{'rrsets':>8}")
        results = {}
        for _round in range(args.repeat):
            sites = [named.allocate_site() for _domain in range(args.domains)]
            wanted = params(args.hosts, args.domains, sites)
            for phase, check_mode in (("check mode (empty)", True), ("first publish", False),
                                      ("re-run (no change)", False)):
                measured = run(named, wanted, check_mode)
                best = results.get(phase)
                if best is None or measured[0] < best[0]:
                    results[phase] = measured
        for phase, (seconds, messages, updates, rrsets) in results.items():
            print(f"{phase:<22}{seconds:>10.3f}{messages:>10}{updates:>9}{rrsets:>8}")
    finally:
        named.stop()


if __name__ == "__main__":
    main()
