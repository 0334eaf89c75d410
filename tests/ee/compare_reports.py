# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compare two discovery reports (kms-report.json of kmsops.kms.report) and print differences.

Usage: compare_reports.py CONTROLLER.json EE.json; exit status 1 when they differ.

What a report may differ in between two runs is left out: when it was generated, and what the
weighted random draw of RFC 2782 decided for this run (the try order inside a priority group,
hence the host selected first and the sentence that names it, and the layout of the HTML page's
picture, which places the hosts in that order). Everything else must be equal:
per site the status, the candidates (target, priority, weight, addresses, reachability, share),
the SRV values flagged, the errors; the Windows hosts.
"""

from __future__ import annotations

import json
import sys

DRAWN = {"generated", "order", "selected", "verdict", "title", "picture"}


def normal(value):
    if isinstance(value, dict):
        return {key: normal(item) for key, item in value.items() if key not in DRAWN}
    if isinstance(value, list):
        items = [normal(item) for item in value]
        return sorted(items, key=lambda item: json.dumps(item, sort_keys=True))
    return value


def differences(left, right, path="report"):
    if isinstance(left, dict) and isinstance(right, dict):
        for key in sorted(set(left) | set(right)):
            if key not in left or key not in right:
                yield f"{path}.{key}: only in {'the controller' if key in left else 'the EE'}'s report"
            else:
                yield from differences(left[key], right[key], f"{path}.{key}")
    elif isinstance(left, list) and isinstance(right, list) and len(left) == len(right):
        for index, (one, other) in enumerate(zip(left, right)):
            yield from differences(one, other, f"{path}[{index}]")
    elif left != right:
        yield f"{path}: controller {json.dumps(left)} != EE {json.dumps(right)}"


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as handle:
        controller = normal(json.load(handle))
    with open(argv[2], encoding="utf-8") as handle:
        ee = normal(json.load(handle))
    found = list(differences(controller, ee))
    for line in found:
        print(line)
    if not found:
        sites = controller.get("sites", []) if isinstance(controller, dict) else []
        print(f"the reports agree ({len(sites)} site(s); draw order and timestamps left out)")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
