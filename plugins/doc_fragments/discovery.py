# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options shared by the kms_discover module and the kms_discover lookup."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  nameservers:
    description:
      - DNS servers to ask, as a client configured with them would (IP addresses or host names).
      - When not set, the system resolver of the machine that runs the discovery is used
        (C(/etc/resolv.conf)), with O(dns_port).
    type: list
    elements: str
  dns_port:
    description:
      - Port of the DNS servers, 1 to 65535.
    type: int
    default: 53
  probe:
    description:
      - Try a TCP connect to each candidate's addresses on the port of its SRV record
        (1688 unless the record says otherwise) and report C(candidates[].reachable).
      - Nothing is sent over the connection; the KMS protocol is not spoken.
      - Every candidate is probed (not only up to the first that answers), so that the whole
        fail-over list is checked.
    type: bool
    default: false
  timeout:
    description:
      - Seconds allowed for each DNS query and for each TCP connect; more than 0 and at most 3600.
    type: float
    default: 5.0
  seed:
    description:
      - Inside one SRV priority a client picks targets at random, weighted (RFC 2782). Give a
        seed (an integer or a text) to make that order reproducible; the same seed and the same
        records give the same order.
      - Without a seed every run draws a fresh order, as real clients do.
    type: raw
requirements:
  - dnspython >= 2.3.0 (on the machine that runs the discovery)
notes:
  - "How several domains combine: domains are searched in the order given, as a Windows client
    walks its primary DNS suffix and then its suffix search list. Each domain's SRV records are
    ordered on their own by RFC 2782: lowest priority first, weighted random order inside a
    priority, weight-0 records first in the list (so they are picked first only when the random
    draw is 0), and a target of C(.) meaning no service in that domain. The candidates are the
    first domain's ordered targets, then the next domain's, and so on; priorities are never
    compared across domains."
  - "Whether a Windows client goes on to the next suffix after every host of a domain that had
    records failed is not documented by Microsoft (unverified): read the candidates after the
    first domain as the wider fail-over list."
  - A domain whose query fails (NXDOMAIN, NODATA, timeout, SERVFAIL or refused, target C(.))
    adds no candidate and is listed in C(errors); the discovery itself still succeeds.
  - When O(probe=false), C(selected) is the first candidate whose target has an address;
    when O(probe=true), the first candidate that accepted a TCP connection.
"""
