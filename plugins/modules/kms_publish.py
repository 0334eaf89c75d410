#!/usr/bin/python
# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: kms_publish
short_description: Publish the whole DNS footprint of a KMS deployment in one task
version_added: 0.1.0
description:
  - Writes, for every KMS host and every domain in its publish list, an SRV value
    C(priority weight port host) in C(_vlmcs._tcp.<domain>), and the host's A/AAAA records, by
    TSIG-signed (or, with O(key_algorithm=gss-tsig), Kerberos-signed for Active Directory-integrated
    zones) RFC 2136 dynamic update. This is what a Windows KMS host publishes by itself,
    done centrally, for all hosts at once, with check mode and diff.
  - Groups the work by zone (found by SOA lookup) and sends at most one UPDATE per zone that
    changes, none on a re-run that changes nothing.
  - SRV values of other targets (hosts not in O(hosts)) are kept, unless O(prune=true) and they are
    this O(owner)'s. The SRV
    values of the listed hosts in the managed domains become exactly what O(hosts) says (a host whose
    priority changed gets its old value replaced, a host that stops publishing in a domain that is
    still managed loses its value there).
  - Same merge, prerequisite, check and diff rules as M(kmsops.kms.dns_record), sharing its engine.
  - Every input is checked and every zone is found before the first UPDATE is sent. When the server
    refuses the UPDATE of one zone, the zones updated before it keep their change; the failed task
    then reports C(changed=true) and lists those zones, and the failing one, in RV(zones).
  - A host's A/AAAA records are written before any SRV value naming it (in the same UPDATE when
    they are in one zone, in an earlier UPDATE when the zones differ); with O(state=absent) the SRV
    values go first. A refused or failed UPDATE never leaves an SRV value whose target has no address.
    Check mode cannot know what the server's update-policy will refuse.
  - Fails before sending when a host name or a C(_vlmcs._tcp) name holds a CNAME (BIND would ignore
    the addition and answer NOERROR).
author:
  - kmsops.kms contributors (@kmsops)
extends_documentation_fragment:
  - kmsops.kms.dns
  - kmsops.kms.dns.attributes
options:
  hosts:
    description:
      - The KMS hosts.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description:
          - Fully qualified name of the KMS host; the SRV target and the owner of its A/AAAA records.
          - Letters, digits and C(-) per label, as BIND's C(check-names) wants a host name.
          - With O(state=absent), any well-formed DNS name (for example V(old_kms.corp.example)), so
            that what is already in DNS can be withdrawn whatever its name.
        type: str
        required: true
      addresses:
        description:
          - IPv4 and IPv6 addresses of the host. With O(address_records=true) the host's A RRset
            becomes exactly its IPv4 addresses and its AAAA RRset exactly its IPv6 addresses; a family
            with no address given is left alone.
        type: list
        elements: str
        default: []
      port:
        description: TCP port the KMS host listens on, 1 to 65535.
        type: int
        default: 1688
      publish:
        description:
          - Domains to publish the host in (C(_vlmcs._tcp.<domain>)), with the SRV priority (lower
            is tried first) and weight (share of the load inside one priority).
          - Defaults to the host's own domain with priority 0 and weight 0, as a Windows KMS host does.
          - A host has one SRV value per domain, so listing a domain twice is an error.
        type: list
        elements: dict
        suboptions:
          domain:
            description:
              - The DNS domain clients search (their DNS suffix), without C(_vlmcs._tcp.), which is put
                in front of it; a domain whose first label starts with C(_) (C(_vlmcs._tcp.corp.example))
                is refused.
            type: str
            required: true
          priority:
            description: SRV priority, 0 to 65535.
            type: int
            default: 0
          weight:
            description: SRV weight, 0 to 65535.
            type: int
            default: 0
  ttl:
    description:
      - TTL of the records written, in seconds. The TTL Windows uses when it publishes by itself is
        not documented; 3600 is an assumption, change it to match your zones.
      - An RRset has one TTL, and a C(_vlmcs._tcp) RRset may be shared by several writers. O(ttl)
        applies to it when this task creates it or owns every value it will hold (with O(owner), the values
        this owner claims; without, the values whose target is one of O(hosts)). Otherwise the RRset keeps
        the TTL it has and the task warns, so writers with different O(ttl) converge instead of
        rewriting the RRset on every run. The owner registry (TXT) takes the SRV RRset's TTL.
    type: int
    default: 3600
  address_records:
    description: Also manage the A/AAAA records of the hosts.
    type: bool
    default: true
  owner:
    description:
      - The owner id of this writer, for example V(central) or V(branch-paris); 1 to 63 letters,
        digits, C(.), C(_) or C(-), stable for the life of the inventory that publishes. Several
        writers of one domain (inventories, teams) each use their own.
      - With O(owner), every SRV value this task publishes is recorded as its owner's in a TXT value
        at the same name, in the same UPDATE (the TXT registry of external-dns, per value), as
        C(_vlmcs._tcp.<domain> TXT "heritage=kmsops.kms,owner=<owner>,srv=<priority> <weight> <port> <target>").
        TXT values without C(heritage=kmsops.kms) are someone else's and are kept.
      - Two owners of one value (both publish it) are two TXT values; the SRV value stays until its
        last owner withdraws it. A value another owner claims is never removed by this task, by
        O(prune) or O(state=absent) (it warns and withdraws only its own claim).
      - Publishing a value that exists without owner adopts it (adds the claim). The zone's
        update-policy must let the key write TXT at C(_vlmcs._tcp.<domain>) (the C(dns_bind) role grants it).
      - Without O(owner) nothing is read or written about ownership (one read fewer per domain).
    type: str
  prune:
    description:
      - Remove, in every managed domain, the SRV values this O(owner) published that are no longer
        in O(hosts) (decommissioned KMS hosts), with their ownership records. Values of other owners
        always stay; values of no owner stay unless O(prune_unowned=true). Only with
        O(state=present); needs O(owner).
      - Give every host this owner publishes in those domains in one task when you prune.
    type: bool
    default: false
  prune_unowned:
    description:
      - With O(prune=true), also remove the SRV values no owner claims, that is records a Windows KMS
        host published by itself or made by hand. This is the migration step (see the guide, Moving
        from auto-publishing). Publish your hosts with O(owner) first (that adopts their values), check
        in check mode with diff what else would go, then prune with this option.
    type: bool
    default: false
  remove_named_addresses:
    description:
      - With O(state=absent), a host's A/AAAA records are removed only when no SRV value this task
        read still names the host. It reads the C(_vlmcs._tcp) RRset of every domain in the task and
        of each host's own domain (where Windows publishes it); a value that stays there (another
        domain, another owner) keeps the addresses, with a warning, so no SRV target is left without
        an address. Set V(true) to remove the addresses anyway.
    type: bool
    default: false
  state:
    description:
      - V(present) publishes; V(absent) removes the listed hosts' SRV values from the listed domains
        and their address records (the listed addresses, or all A/AAAA records of the name when
        none are listed), the addresses only when nothing still names the host (see
        O(remove_named_addresses)).
    type: str
    choices: [present, absent]
    default: present
seealso:
  - module: kmsops.kms.dns_record
  - name: Deploy KMS activation (Microsoft Learn)
    description: How KMS hosts publish C(_VLMCS._TCP) SRV records and how clients find them.
    link: https://learn.microsoft.com/windows-server/get-started/kms-activation-planning
"""

EXAMPLES = r"""
- name: Publish the core KMS hosts in the core and a branch domain
  kmsops.kms.kms_publish:
    server: ns1.corp.example
    key_file: /etc/kmsops/kms-publisher.key
    hosts:
      - name: kms1.corp.example
        addresses: [192.0.2.10, "2001:db8::10"]
        publish:
          - domain: corp.example
            priority: 0
            weight: 60
          - domain: branch.corp.example
            priority: 10
      - name: kms2.corp.example
        addresses: [192.0.2.11]
        publish:
          - domain: corp.example
            priority: 0
            weight: 40
    owner: central
    prune: true

- name: The branch team publishes its own host into the same branch domain, pruning only its own values
  kmsops.kms.kms_publish:
    server: ns1.corp.example
    key_file: /etc/kmsops/branch-publisher.key
    owner: branch-paris
    prune: true
    hosts:
      - name: kms9.branch.corp.example
        addresses: [192.0.2.90]
        publish: [{domain: branch.corp.example}]

- name: Migration from Windows auto-publishing, after a check-mode run showed what goes
  kmsops.kms.kms_publish:
    server: ns1.corp.example
    key_file: /etc/kmsops/kms-publisher.key
    owner: central
    prune: true
    prune_unowned: true
    hosts:
      - name: kms1.corp.example
        addresses: [192.0.2.10]

- name: Publish into an Active Directory-integrated zone (secure updates only) with Kerberos
  kmsops.kms.kms_publish:
    server: dc1.ad.example.com  # the DC's fully qualified name, never its address
    key_algorithm: gss-tsig
    kerberos_principal: kmspub@AD.EXAMPLE.COM
    kerberos_keytab: /etc/kmsops/kmspub.keytab
    # verify_reply_signature: false   # only for a Samba 4.17 DC (not 4.22), see the option
    hosts:
      - name: kms1.ad.example.com
        addresses: [192.0.2.10]

- name: Set the server and key once for every DNS task of the play
  hosts: localhost
  module_defaults:
    group/kmsops.kms.dns:
      server: ns1.corp.example
      key_file: /etc/kmsops/kms-publisher.key
  tasks:
    - name: Withdraw a decommissioned KMS host
      kmsops.kms.kms_publish:
        hosts:
          - name: kms-old.corp.example
            publish: [{domain: corp.example}]
        state: absent
"""

RETURN = r"""
records:
  description:
    - Every RRset the task looked at, with its zone, before and after, and whether it changed.
    - With O(owner), the TXT registry beside each SRV RRset is one of them (its values say who owns
      which SRV value), so check mode and diff show ownership changes too.
  returned: success
  type: list
  elements: dict
  sample:
    - name: _vlmcs._tcp.corp.example.
      type: SRV
      zone: corp.example.
      changed: true
      before: {"ttl": null, "values": []}
      after: {"ttl": 3600, "values": ["0 40 1688 kms2.corp.example.", "0 60 1688 kms1.corp.example."]}
zones:
  description:
    - Per zone, whether it changed, whether an UPDATE was sent (never in check mode, and not when
      nothing changed), and how many read-plan attempts it took.
    - C(state) is V(unchanged), V(changed) (check mode), V(updated), or, on failure, V(failed) or
      V(unknown) (the UPDATE was sent and no answer came, so it may or may not have been applied).
    - C(update_sent) is V(true) when this zone's UPDATE message was written to the network (a TCP
      connection that was open, or a UDP datagram), whatever came back; NOERROR (V(updated)),
      REFUSED, SERVFAIL or another error (V(failed)), or no answer at all (V(unknown)). It is
      V(false) in check mode, when nothing changed, and when the task failed before the message
      went out (V(failed), for example a refused connection; the server has nothing).
    - A zone is listed twice in the rare case where its SRV values had to wait for an address in
      another zone that itself waited for this zone.
  returned: always
  type: list
  elements: dict
  sample: [{"zone": "corp.example.", "changed": true, "update_sent": true, "attempts": 1, "state": "updated"}]
updates_sent:
  description: Number of UPDATE messages sent (at most one per changed zone).
  returned: success
  type: int
  sample: 1
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kmsops.kms.plugins.module_utils.dns._changes import publish_changes
from ansible_collections.kmsops.kms.plugins.module_utils.dns._module import (
    DNS_MUTUALLY_EXCLUSIVE,
    dns_argument_spec,
    run_dns_module,
)


def _shape(records, plans):
    return {"updates_sent": sum(1 for plan in plans if plan.update_sent)}


def main():
    argument_spec = dns_argument_spec()
    argument_spec.update(
        # the entries of hosts are checked in one place, parse_hosts (module_utils/dns/_changes.py),
        # so that every error names the user's own index and nothing is converted before it
        # (Ansible's int conversion would read "1_0" as 10)
        hosts={"type": "list", "elements": "dict", "required": True},
        ttl={"type": "int", "default": 3600},
        address_records={"type": "bool", "default": True},
        owner={"type": "str"},
        prune={"type": "bool", "default": False},
        prune_unowned={"type": "bool", "default": False},
        remove_named_addresses={"type": "bool", "default": False},
        state={"type": "str", "default": "present", "choices": ["present", "absent"]},
    )
    module = AnsibleModule(
        argument_spec=argument_spec, mutually_exclusive=DNS_MUTUALLY_EXCLUSIVE, supports_check_mode=True
    )
    run_dns_module(module, publish_changes, _shape)


if __name__ == "__main__":
    main()
