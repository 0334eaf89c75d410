#!/usr/bin/python
# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: dns_record
short_description: Manage one DNS RRset by RFC 2136 dynamic update, merging with other writers
version_added: 0.1.0
description:
  - Adds values to, or removes values from, one RRset (a name and a type) on a primary DNS server
    with a TSIG-signed RFC 2136 dynamic update (Kerberos-signed, GSS-TSIG, for Active
    Directory-integrated zones with O(key_algorithm=gss-tsig)).
  - With O(state=present) the given values are added and values that others put there are kept,
    so two KMS hosts publishing into one C(_vlmcs._tcp) name do not overwrite each other. With
    O(exclusive=true) the RRset becomes exactly O(values).
  - Reads the RRset once, plans, and sends one UPDATE whose prerequisites state what was read. A
    concurrent change makes the server reject the update; the module then reads and plans again.
  - Check mode reads only and sends no UPDATE; C(--diff) shows the RRset before and after, in check
    mode too.
  - A name holding a CNAME can hold no other data, and a CNAME can share its name with no other data
    nor sit at the zone apex. BIND silently ignores such an addition, so the module fails before
    sending (in check mode too). After the UPDATE it reads the RRset back and fails when the server
    answered NOERROR but ignored the change (for example deleting the apex NS RRset).
author:
  - kmsops.kms contributors (@kmsops)
extends_documentation_fragment:
  - kmsops.kms.dns
  - kmsops.kms.dns.attributes
options:
  zone:
    description:
      - The zone that holds the record. Found by an SOA lookup on O(server) when omitted.
    type: str
  name:
    description:
      - The owner name of the RRset.
      - Absolute when it ends with a dot, when it already lies inside O(zone), or when O(zone) is
        omitted; otherwise relative to O(zone). V(@) is the zone apex (an empty name is an error).
      - The owner of A, AAAA and MX records must be a host name as BIND's C(check-names) wants it
        (letters, digits and C(-) per label; a leading C(*) label is allowed); so must the target of
        SRV, MX and NS values. This is checked before anything is sent.
      - With O(state=absent) these host-name rules do not apply, as what is already in DNS can be
        removed whatever its name (V(0 0 1688 old_kms.corp.example), a name Windows DNS accepts).
        The name must still be a well-formed DNS name in presentation form (RFC 1035; any octet
        written as C(\DDD) or C(\X)), with labels of at most 63 octets.
    type: str
    required: true
  type:
    description:
      - The record type.
    type: str
    required: true
    choices: [A, AAAA, SRV, TXT, CNAME, PTR, MX, NS]
  values:
    description:
      - The values, in zone-file text form (V(10.0.0.5), V(0 0 1688 kms1.corp.example)).
      - SRV values may also be mappings with C(priority), C(weight), C(port), C(target)
        (C(priority) and C(weight) default to 0).
      - Names inside values are absolute; V(kms1.corp.example) means V(kms1.corp.example.).
      - With O(state=absent), names inside values may be any name DNS can hold (see O(name)).
      - A TXT value is one string; split into 255-byte chunks when longer. Quote it yourself
        (V("a" "b")) to give several strings.
      - Required with O(state=present). With O(state=absent) only these values are removed;
        without values the whole RRset is removed.
    type: list
    elements: raw
  ttl:
    description:
      - TTL of the RRset in seconds. A different TTL on the server is a change (one TTL per RRset).
    type: int
    default: 3600
  state:
    description:
      - V(present) adds O(values); V(absent) removes them (or the whole RRset).
    type: str
    choices: [present, absent]
    default: present
  exclusive:
    description:
      - With O(state=present), make the RRset exactly O(values), removing values others added.
    type: bool
    default: false
seealso:
  - module: kmsops.kms.kms_publish
  - module: community.general.nsupdate
"""

EXAMPLES = r"""
- name: Publish a KMS host in a domain, keeping the other hosts' SRV values
  kmsops.kms.dns_record:
    server: ns1.corp.example
    key_name: kms-publisher
    key_secret: "{{ vault_kms_publisher_secret }}"
    zone: corp.example
    name: _vlmcs._tcp
    type: SRV
    values:
      - priority: 0
        weight: 10
        port: 1688
        target: kms1.corp.example
    ttl: 3600

- name: Set the address of a KMS host, from a tsig-keygen key file
  kmsops.kms.dns_record:
    server: 192.0.2.53
    key_file: /etc/kmsops/kms-publisher.key
    name: kms1.corp.example
    type: A
    values: [192.0.2.10]
    exclusive: true

- name: Remove one stale SRV value (others stay)
  kmsops.kms.dns_record:
    server: ns1.corp.example
    key_file: /etc/kmsops/kms-publisher.key
    name: _vlmcs._tcp.corp.example
    type: SRV
    values: ["0 0 1688 old-kms.corp.example"]
    state: absent
"""

RETURN = r"""
zone:
  description: The zone the RRset lies in (given or found by SOA lookup).
  returned: success
  type: str
  sample: corp.example.
name:
  description: The absolute owner name of the RRset.
  returned: success
  type: str
  sample: _vlmcs._tcp.corp.example.
type:
  description: The record type.
  returned: success
  type: str
  sample: SRV
before:
  description: The RRset as read from the server. C(ttl) is null when it did not exist.
  returned: success
  type: dict
  sample: {"ttl": 3600, "values": ["0 0 1688 kms2.corp.example."]}
after:
  description: The RRset after the update (in check mode, what it would be).
  returned: success
  type: dict
  sample: {"ttl": 3600, "values": ["0 0 1688 kms1.corp.example.", "0 0 1688 kms2.corp.example."]}
records:
  description: Per RRset results, in the form M(kmsops.kms.kms_publish) returns them.
  returned: success
  type: list
  elements: dict
zones:
  description:
    - Per zone, whether it changed, whether an UPDATE was sent (never in check mode), and how many
      read-plan attempts it took (more than 1 when another writer changed the RRset meanwhile).
    - C(state) is V(unchanged), V(changed) (check mode), V(updated), or, on failure, V(failed),
      V(ignored) (NOERROR, but the RRset read back does not hold the change) or V(unknown) (the
      UPDATE was sent and no answer came, it may or may not have been applied).
    - C(update_sent) is V(true) when this zone's UPDATE message was written to the network (a TCP
      connection that was open, or a UDP datagram), whatever came back; NOERROR (V(updated)),
      REFUSED, SERVFAIL or another error (V(failed)), or no answer at all (V(unknown)). It is V(false)
      in check mode, when nothing changed, and when the task failed before the message went out
      (V(failed), for example a refused connection; the server has nothing).
  returned: always
  type: list
  elements: dict
  sample: [{"zone": "corp.example.", "changed": true, "update_sent": true, "attempts": 1, "state": "updated"}]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kmsops.kms.plugins.module_utils.dns._changes import record_changes
from ansible_collections.kmsops.kms.plugins.module_utils.dns._module import (
    DNS_MUTUALLY_EXCLUSIVE,
    dns_argument_spec,
    run_dns_module,
)


def _shape(records, plans):
    record = records[0]
    return {
        "zone": record["zone"],
        "name": record["name"],
        "type": record["type"],
        "before": record["before"],
        "after": record["after"],
    }


def main():
    argument_spec = dns_argument_spec()
    argument_spec.update(
        zone={"type": "str"},
        name={"type": "str", "required": True},
        type={"type": "str", "required": True, "choices": ["A", "AAAA", "SRV", "TXT", "CNAME", "PTR", "MX", "NS"]},
        values={"type": "list", "elements": "raw"},
        ttl={"type": "int", "default": 3600},
        state={"type": "str", "default": "present", "choices": ["present", "absent"]},
        exclusive={"type": "bool", "default": False},
    )
    module = AnsibleModule(
        argument_spec=argument_spec, mutually_exclusive=DNS_MUTUALLY_EXCLUSIVE, supports_check_mode=True
    )
    run_dns_module(module, record_changes, _shape, verify=True)


if __name__ == "__main__":
    main()
