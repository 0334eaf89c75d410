#!/usr/bin/python
# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: ad_dns_rights
short_description: Give a group of KMS hosts rights on _vlmcs._tcp in an AD-integrated zone (Samba DC)
version_added: 0.1.0
description:
  - Runs on a Samba Active Directory domain controller and works on its directory database
    directly (Samba's Python bindings, as C(samba-tool) does), so it needs no password.
  - Makes sure the security group O(group) exists (and holds O(members)), that each name of
    O(nodes) exists in O(zone) as a DNS node (created without records, the way a deleted record
    leaves it, when missing), and that each node's ACL allows O(group) O(rights). Members of the
    group can then publish at those names with secure (GSS-TSIG) dynamic updates, for example with
    M(kmsops.kms.kms_publish) and O(kmsops.kms.kms_publish#module:key_algorithm=gss-tsig).
  - With O(restrict_zone_create=true) it also removes the zone's C((A;;CC;;;AU)) ACE, so
    authenticated users who are not in the group cannot create these names first.
  - For Windows DNS servers this module does not apply; see the README of the
    C(kmsops.kms.ad_dns_rights) role for the PowerShell steps.
author:
  - kmsops.kms contributors (@kmsops)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Reads the directory and reports what would change; writes nothing.
  diff_mode:
    support: none
  platform:
    platforms: posix
    details: A Samba AD DC (tested with Samba 4.17, Debian 12, and Samba 4.22, Debian 13).
options:
  zone:
    description: The AD-integrated zone, for example C(ad.example.com).
    type: str
    required: true
  group:
    description:
      - The security group (its sAMAccountName) that gets the rights, for example C(KMS-Hosts).
      - Created as a global security group when missing and O(create_group=true).
    type: str
    required: true
  create_group:
    description: Create O(group) when it does not exist. When V(false), a missing group is an error.
    type: bool
    default: true
  members:
    description:
      - Accounts (sAMAccountName; computer accounts end in C($)) that must be members of O(group).
        Members not listed are left alone.
    type: list
    elements: str
    default: []
  nodes:
    description:
      - Names in O(zone) the group may change, relative to the zone (C(_vlmcs._tcp), C(kms1)) or
        absolute with a trailing dot (C(kms1.ad.example.com.)).
      - Give the KMS hosts' own names too when the group publishes their A/AAAA records.
    type: list
    elements: str
    default: ['_vlmcs._tcp']
  rights:
    description:
      - The rights granted on each node, as SDDL directory rights. The default allows reading
        and writing the records, listing, reading the ACL and deleting the node.
      - Must include C(WP).
    type: str
    default: RPWPLCRCSDDT
  restrict_zone_create:
    description:
      - Remove the C((A;;CC;;;AU)) ACE from the zone object, so that only accounts with explicit
        rights can create new names in the zone.
      - This also stops computers from registering B(new) names of their own in the zone by
        dynamic update (existing names keep their own ACLs); decide it for the zone as a whole.
    type: bool
    default: false
  partition:
    description: The application partition that holds the zone.
    type: str
    choices: [DomainDnsZones, ForestDnsZones]
    default: DomainDnsZones
requirements:
  - Samba's Python bindings (Debian package C(python3-samba)) on the domain controller
seealso:
  - module: kmsops.kms.kms_publish
  - name: Samba AD DNS back ends
    description: Samba's internal DNS server and its dynamic updates.
    link: https://wiki.samba.org/index.php/The_Samba_AD_DNS_Back_Ends
"""

EXAMPLES = r"""
- name: Let the KMS hosts publish their SRV records in the AD zone
  kmsops.kms.ad_dns_rights:
    zone: ad.example.com
    group: KMS-Hosts
    members: [KMS1$, KMS2$]
    nodes: [_vlmcs._tcp, kms1, kms2]
"""

RETURN = r"""
group_sid:
  description: The security identifier of O(group).
  returned: success
  type: str
  sample: S-1-5-21-1004336348-1177238915-682003330-1103
members_added:
  description: The accounts of O(members) that were not in O(group) and were (in check mode would be) added.
  returned: success
  type: list
  elements: str
  sample: [KMS1$]
nodes:
  description: Per node, its directory name and what was done.
  returned: success
  type: list
  elements: dict
  sample:
    - name: _vlmcs._tcp
      dn: DC=_vlmcs._tcp,DC=ad.example.com,CN=MicrosoftDNS,DC=DomainDnsZones,DC=ad,DC=example,DC=com
      created: false
      ace_added: true
zone_create_restricted:
  description: Whether the zone's C((A;;CC;;;AU)) ACE was (or in check mode would be) removed by this task.
  returned: success
  type: bool
  sample: false
"""

import contextlib
import time
import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

try:
    import ldb
    from samba import NTSTATUSError
    from samba.auth import system_session
    from samba.dcerpc import dnsp, security
    from samba.ndr import ndr_pack, ndr_unpack
    from samba.param import LoadParm
    from samba.samdb import SamDB
    from samba.sd_utils import SDUtils

    HAS_SAMBA = True
    SAMBA_IMPORT_ERROR = None
except ImportError:
    HAS_SAMBA = False
    SAMBA_IMPORT_ERROR = traceback.format_exc()

from ansible_collections.kmsops.kms.plugins.module_utils.ad._dns_acl import (
    ZONE_CREATE_ACE,
    ADRightsError,
    check_rights,
    grant_ace,
    node_dn,
    normalize_zone,
    relative_node,
    zone_dn,
)

NTTIME_EPOCH_OFFSET = 11644473600  # seconds from 1601-01-01 to 1970-01-01


class Directory:
    """The DC's own directory database, opened as the system (no credentials needed on the DC)."""

    def __init__(self, check_mode):
        lp = LoadParm()
        lp.load_default()
        self.db = SamDB(url=lp.samdb_url(), session_info=system_session(), lp=lp)
        self.sd_utils = SDUtils(self.db)
        self.domain_dn = str(self.db.domain_dn())
        self.check_mode = check_mode
        self.changed = False

    def _one(self, base, expression, attrs, scope=None):
        found = self.db.search(
            base=base, scope=ldb.SCOPE_SUBTREE if scope is None else scope, expression=expression, attrs=attrs
        )
        return found[0] if len(found) else None

    def group_sid(self, group, create):
        entry = self._one(
            self.domain_dn, f"(&(objectClass=group)(sAMAccountName={ldb.binary_encode(group)}))", ["objectSid"]
        )
        if entry is None:
            if not create:
                raise ADRightsError(f"there is no group {group!r} in the directory (create_group=false)", "group")
            self.changed = True
            if self.check_mode:
                return None
            self.db.newgroup(
                group,
                grouptype=-2147483646,  # global security group
                description="KMS hosts: may publish _vlmcs._tcp (kmsops.kms.ad_dns_rights)",
            )
            entry = self._one(self.domain_dn, f"(sAMAccountName={ldb.binary_encode(group)})", ["objectSid"])
        return str(ndr_unpack(security.dom_sid, entry["objectSid"][0]))

    def add_members(self, group, members):
        if not members:
            return []
        group_entry = self._one(self.domain_dn, f"(sAMAccountName={ldb.binary_encode(group)})", ["dn"])
        missing = []
        for member in members:
            entry = self._one(self.domain_dn, f"(sAMAccountName={ldb.binary_encode(member)})", ["memberOf"])
            if entry is None:
                raise ADRightsError(f"there is no account {member!r} in the directory", "members")
            member_of = [str(value) for value in entry.get("memberOf", [])]
            if group_entry is None or str(group_entry.dn) not in member_of:
                missing.append(member)
        if missing:
            self.changed = True
            if not self.check_mode:
                self.db.add_remove_group_members(group, missing, add_members_operation=True)
        return missing

    def zone_exists(self, dn):
        try:
            return len(self.db.search(base=dn, scope=ldb.SCOPE_BASE, attrs=["dn"])) == 1
        except ldb.LdbError:
            return False

    def ensure_node(self, dn):
        """Create the dnsNode DN without records (tombstoned, as a deleted record leaves it)."""
        if self.zone_exists(dn):
            return False
        self.changed = True
        if self.check_mode:
            return True
        tombstone = dnsp.DnssrvRpcRecord()
        tombstone.wType = dnsp.DNS_TYPE_TOMBSTONE
        tombstone.rank = dnsp.DNS_RANK_ZONE
        tombstone.data = int((time.time() + NTTIME_EPOCH_OFFSET) * 10**7)
        self.db.add({"dn": dn, "objectClass": "dnsNode", "dnsRecord": [ndr_pack(tombstone)], "dNSTombstoned": "TRUE"})
        return True

    def _ace(self, sddl):
        return security.descriptor.from_sddl("D:" + sddl, security.dom_sid(self.db.get_domain_sid())).dacl.aces[0]

    @staticmethod
    def _same(one, other):
        return (
            one.type == other.type
            and one.flags == other.flags
            and one.access_mask == other.access_mask
            and str(one.trustee) == str(other.trustee)
        )

    def _explicit_aces(self, dn):
        flags = f"sd_flags:1:{security.SECINFO_DACL}"
        descriptor = self.sd_utils.read_sd_on_dn(dn, controls=[flags])
        return descriptor, flags

    def ensure_ace(self, dn, sddl, exists):
        """Add the ACE SDDL to DN's DACL unless an equal explicit ACE is there. True when added."""
        if exists:
            descriptor, _flags = self._explicit_aces(dn)
            wanted = self._ace(sddl)
            if any(self._same(ace, wanted) for ace in descriptor.dacl.aces):
                return False
        self.changed = True
        if not self.check_mode:
            self.sd_utils.dacl_add_ace(dn, sddl)
        return True

    def remove_ace(self, dn, sddl):
        """Remove every explicit ACE equal to SDDL from DN's DACL. True when one was there."""
        descriptor, flags = self._explicit_aces(dn)
        unwanted = self._ace(sddl)
        matches = [ace for ace in descriptor.dacl.aces if self._same(ace, unwanted)]
        if not matches:
            return False
        self.changed = True
        if self.check_mode:
            return True
        # written back without inherited ACEs: the directory adds them again from the parents
        for ace in list(descriptor.dacl.aces):
            if ace.flags & security.SEC_ACE_FLAG_INHERITED_ACE or self._same(ace, unwanted):
                with contextlib.suppress(NTSTATUSError):  # an ACE listed twice goes with the first call
                    descriptor.dacl_del_ace(ace)
        self.sd_utils.modify_sd_on_dn(dn, descriptor, controls=[flags])
        return True


def run(module):
    params = module.params
    zone = normalize_zone(params["zone"])
    rights = check_rights(params["rights"])
    nodes = []
    for node in params["nodes"]:
        name = relative_node(node, zone)
        if name not in nodes:
            nodes.append(name)
    if not nodes:
        raise ADRightsError("names no node", "nodes")
    directory = Directory(module.check_mode)
    zone_object = zone_dn(zone, directory.domain_dn, params["partition"])
    if not directory.zone_exists(zone_object):
        raise ADRightsError(
            f"there is no zone {zone} in {params['partition']} of this domain controller (looked for {zone_object})",
            "zone",
        )
    sid = directory.group_sid(params["group"], params["create_group"])
    added_members = directory.add_members(params["group"], params["members"])
    results = []
    for name in nodes:
        dn = node_dn(name, zone, directory.domain_dn, params["partition"])
        created = directory.ensure_node(dn)
        # a group that does not exist yet (check mode) gets its ACE on every node
        ace_added = directory.ensure_ace(dn, grant_ace(rights, sid), exists=not created) if sid else True
        results.append({"name": name, "dn": dn, "created": created, "ace_added": ace_added})
    restricted = directory.remove_ace(zone_object, ZONE_CREATE_ACE) if params["restrict_zone_create"] else False
    return {
        "changed": directory.changed,
        "group_sid": sid or "",
        "members_added": added_members,
        "nodes": results,
        "zone_create_restricted": restricted,
    }


def main():
    module = AnsibleModule(
        argument_spec={
            "zone": {"type": "str", "required": True},
            "group": {"type": "str", "required": True},
            "create_group": {"type": "bool", "default": True},
            "members": {"type": "list", "elements": "str", "default": []},
            "nodes": {"type": "list", "elements": "str", "default": ["_vlmcs._tcp"]},
            "rights": {"type": "str", "default": "RPWPLCRCSDDT"},
            "restrict_zone_create": {"type": "bool", "default": False},
            "partition": {"type": "str", "default": "DomainDnsZones", "choices": ["DomainDnsZones", "ForestDnsZones"]},
        },
        supports_check_mode=True,
    )
    if not HAS_SAMBA:
        module.fail_json(
            msg=missing_required_lib("samba (Samba's Python bindings, Debian: python3-samba)")
            + " This module runs on a Samba AD domain controller.",
            exception=SAMBA_IMPORT_ERROR,
        )
    try:
        result = run(module)
    except ADRightsError as exc:
        module.fail_json(msg=str(exc), option=exc.option)
    except ldb.LdbError as exc:
        module.fail_json(msg=f"the directory refused a change: {exc}")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
