#!/usr/bin/python
# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: kms_discover
short_description: Find the KMS hosts a client in this network finds, in fail-over order
version_added: 0.1.0
description:
  - Answers "which KMS host will a KMS client in this network find, and in what order will it
    fail over?" from the host the task runs on, so that an isolated network can be checked from
    a host inside it.
  - Reads C(_vlmcs._tcp.<domain>) SRV records for each domain of the client's DNS suffix search
    list, and the A/AAAA records of their targets, orders the targets as RFC 2782 says (priority
    groups, weighted random order inside a group), optionally tries a TCP connect to each, and
    returns the ordered candidates and the one a client would use.
  - Only reads DNS and opens TCP connections; never changes anything.
  - The same logic runs on the controller as the P(kmsops.kms.kms_discover#lookup) lookup.
author:
  - kmsops.kms contributors (@kmsops)
extends_documentation_fragment:
  - kmsops.kms.discovery
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: The module only reads; it runs the same in check mode.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  domains:
    description:
      - The client's DNS suffix search list, in the order the client tries it (primary DNS
        suffix first).
      - Defaults to the search list of the host the task runs on (C(search) or C(domain) in
        C(/etc/resolv.conf); the last of the two wins, as in the C library).
      - Each is a domain without C(_vlmcs._tcp.), which is put in front of it; a domain whose first
        label starts with C(_) (C(_vlmcs._tcp.corp.example)) is refused.
    type: list
    elements: str
  owners:
    description:
      - Also read the owner registry beside each domain's SRV values (the TXT values
        M(kmsops.kms.kms_publish) writes with its C(owner) option) and return each candidate's
        owners in RV(candidates[].owners). One more query per domain; a registry that cannot be read
        gives no owners, never an error.
    type: bool
    default: false
seealso:
  - plugin: kmsops.kms.kms_discover
    plugin_type: lookup
  - plugin: kmsops.kms.srv_order
    plugin_type: filter
  - name: RFC 2782, a DNS RR for specifying the location of services (DNS SRV)
    description: The priority and weight rules the candidates follow.
    link: https://www.rfc-editor.org/rfc/rfc2782
"""

EXAMPLES = r"""
- name: Find the KMS hosts a branch client finds (branch suffix first, then the core)
  kmsops.kms.kms_discover:
    domains:
      - branch.corp.example
      - corp.example
    probe: true
  register: kms

- name: Fail when no KMS host answers
  ansible.builtin.assert:
    that: kms.selected is not none
    fail_msg: "No reachable KMS host: {{ kms.errors | map(attribute='msg') | join('; ') }}"

- name: Check an isolated network from a host inside it, with its own DNS server
  kmsops.kms.kms_discover:
    nameservers:
      - 10.20.0.53
    probe: true
    timeout: 2
  register: isolated

- name: Reproducible order (same seed, same order) for a report
  kmsops.kms.kms_discover:
    domains: [corp.example]
    seed: 42
  register: ordered
"""

RETURN = r"""
candidates:
  description:
    - The targets a client tries, in order (domains in the order searched, RFC 2782 order inside
      each domain). Targets C(.) are left out.
  returned: always
  type: list
  elements: dict
  contains:
    domain:
      description: The domain whose C(_vlmcs._tcp) record named this target.
      type: str
      sample: branch.corp.example
    target:
      description: The KMS host name from the SRV record (no trailing dot).
      type: str
      sample: kms1.corp.example
    port:
      description: The TCP port from the SRV record.
      type: int
      sample: 1688
    priority:
      description: SRV priority (lower is tried first).
      type: int
      sample: 0
    weight:
      description: SRV weight (share of first place inside one priority).
      type: int
      sample: 100
    addresses:
      description: The target's IPv4 then IPv6 addresses (empty when it has none).
      type: list
      elements: str
      sample: [192.0.2.10]
    reachable:
      description:
        - V(true) when a TCP connect to one of the addresses succeeded, V(false) when none did.
        - V(null) when O(probe=false).
      type: bool
      sample: true
    reached_address:
      description: The address that accepted the connection (V(null) otherwise).
      type: str
      sample: 192.0.2.10
    error:
      description: Why the target has no address or was not reachable (V(null) when fine).
      type: str
      sample: "192.0.2.10 port 1688: [Errno 111] Connection refused"
    owners:
      description:
        - The owners recorded beside this SRV value (M(kmsops.kms.kms_publish) O(kmsops.kms.kms_publish#module:owner));
          empty for a value no owner claims (published by Windows itself or by hand).
      returned: when O(owners=true)
      type: list
      elements: str
      sample: [central]
  sample:
    - domain: corp.example
      target: kms1.corp.example
      port: 1688
      priority: 0
      weight: 100
      addresses: [192.0.2.10]
      reachable: true
      reached_address: 192.0.2.10
      error: null
selected:
  description:
    - The candidate a client ends up with, with the same keys as an element of RV(candidates);
      V(null) when there is none.
    - With O(probe=true) the first reachable candidate; otherwise the first with an address.
  returned: always
  type: dict
  sample:
    domain: corp.example
    target: kms1.corp.example
    port: 1688
    priority: 0
    weight: 100
    addresses: [192.0.2.10]
    reachable: true
    reached_address: 192.0.2.10
    error: null
domains:
  description: What each searched domain answered, in search order (duplicates removed).
  returned: always
  type: list
  elements: dict
  contains:
    domain:
      description: The domain (lower case, no trailing dot).
      type: str
    query:
      description: The name queried.
      type: str
      sample: _vlmcs._tcp.corp.example
    status:
      description:
        - V(ok), V(NXDOMAIN), V(NODATA) (the name exists, no SRV), V(NO_SERVICE) (target C(.)),
          V(TIMEOUT), V(SERVFAIL) (no server gave an answer, for example REFUSED) or V(ERROR).
      type: str
      sample: ok
    records:
      description: Number of SRV records in the answer.
      type: int
      sample: 2
errors:
  description: The domains whose status is not V(ok), with a message; they do not fail the task.
  returned: always
  type: list
  elements: dict
  contains:
    domain:
      description: The domain.
      type: str
    query:
      description: The name queried.
      type: str
    error:
      description: The status (see RV(domains[].status)).
      type: str
      sample: NXDOMAIN
    msg:
      description: What happened.
      type: str
      sample: _vlmcs._tcp.lab.example. does not exist (NXDOMAIN)
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.kmsops.kms.plugins.module_utils.common._errors import KmsOpsError
from ansible_collections.kmsops.kms.plugins.module_utils.discovery._discovery import (
    DNSPYTHON_IMPORT_ERROR,
    HAS_DNSPYTHON,
    discover,
    read_search_list,
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            domains=dict(type="list", elements="str"),
            nameservers=dict(type="list", elements="str"),
            dns_port=dict(type="int", default=53),
            probe=dict(type="bool", default=False),
            timeout=dict(type="float", default=5.0),
            seed=dict(type="raw"),
            owners=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    if not HAS_DNSPYTHON:
        module.fail_json(msg=missing_required_lib("dnspython"), exception=DNSPYTHON_IMPORT_ERROR)
    params = module.params
    try:
        result = discover(
            params["domains"] or read_search_list(),
            nameservers=params["nameservers"],
            dns_port=params["dns_port"],
            probe=params["probe"],
            timeout=params["timeout"],
            seed=params["seed"],
            owners=params["owners"],
        )
    except KmsOpsError as exc:
        module.fail_json(msg=str(exc), option=exc.option)
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
