#!/usr/bin/python
# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: kms_client
short_description: Manage the KMS client settings of a Windows machine
version_added: 0.1.0
description:
  - Installs a KMS client setup key (GVLK), points the client at a fixed KMS host or at DNS
    discovery, sets the lookup domain and host caching, and activates.
  - O(product_key=auto) picks the key for the machine's edition from Microsoft's public table
    (shipped with the collection).
  - Refuses any key that is not a published KMS client setup key, so a KMS host key is never put
    on a client, unless O(allow_unlisted_key=true).
author:
  - kmsops.kms contributors (@kmsops)
extends_documentation_fragment:
  - kmsops.kms.windows_kms.changes
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - kmsops.kms.windows_kms
options:
  product_key:
    description:
      - A KMS client setup key (GVLK), or V(auto) for the key of the machine's edition from
        U(https://learn.microsoft.com/windows-server/get-started/kms-client-activation-keys).
      - V(auto) matches the C(EditionID) and build number of the machine; when the EditionID
        matches no row, the caption is compared with the published edition names, and the build
        must still be one that row covers. An evaluation edition, or an edition and build missing
        from Microsoft's table, fails with a message asking for O(product_key) - for example
        Windows Server 23H2 (build 25398), whose caption is the one of the 1809-20H2
        Semi-Annual Channel rows but for which Microsoft publishes no key in that table.
      - Not changed when omitted. slmgr.vbs C(/ipk).
      - "After installing a key the task restarts the Software Protection service (C(sppsvc)), as
        Microsoft's \"Slmgr.vbs options for obtaining volume activation information\" asks for
        C(/ipk): to prevent instability in the license service, the system or the Software
        Protection Service should be restarted."
      - Installing a client key also deletes the C(KeyManagementServiceVersion) registry value
        (native and under C(Wow6432Node)) when it is set, as slmgr.vbs C(/ipk) does after installing
        a key that is not a KMS host key (unless another product, such as Office, has a KMS host key).
    type: str
  kms_host:
    description:
      - A fixed KMS host - a name or address with an optional C(:port); an IPv6 address is
        written in brackets (V([2001:db8::10]:1688)). Without a port the default 1688 is set.
      - An IPv6 address is set on Windows in its bracketed form (C([2001:db8::10])), as slmgr.vbs
        does and Microsoft documents (C([hostname]:port)); the port is set apart.
      - slmgr.vbs C(/skms). A fixed host makes O(kms_domain) ineffective (Microsoft, slmgr.vbs options page,
        C(/skms-domain) - it has no effect if the specific single KMS host is set with C(/skms)); the
        task warns when both are set.
    type: str
  dns_discovery:
    description:
      - V(true) clears a fixed KMS host and port so the client finds hosts through DNS
        (slmgr.vbs C(/ckms)). Mutually exclusive with O(kms_host).
    type: bool
  kms_domain:
    description:
      - DNS domain the client searches for C(_vlmcs._tcp) records, for disjoint namespaces
        (slmgr.vbs C(/skms-domain)). An empty string clears it.
      - Needs Windows 8 / Windows Server 2012 or later (the lookup-domain methods do not exist
        before); older builds are refused with a clear message.
    type: str
  host_caching:
    description:
      - Whether the client caches the KMS host that answered (slmgr.vbs C(/skhc) and C(/ckhc)).
    type: bool
  activate:
    description:
      - Activate when the client is not licensed (slmgr.vbs C(/ato)); fails when Windows does
        not report the client as licensed afterwards (for example while the KMS host count is
        below its threshold).
    type: bool
    default: false
  clear_product_overrides:
    description:
      - "Per-product KMS settings: slmgr.vbs C(/skms <name[:port]> <Activation ID>) and
        C(/skms-domain <FQDN> <Activation ID>) set the KMS host, port and lookup domain on one
        product (C(SoftwareLicensingProduct)), and slmgr.vbs C(/dlv) reads them from there. A
        product value that contradicts O(kms_host), O(dns_discovery) or O(kms_domain) would pin the
        product to another host."
      - V(true) clears such a value on the product with its C(ClearKeyManagementServiceMachine),
        C(ClearKeyManagementServicePort) or C(ClearKeyManagementServiceLookupDomain) method (what
        slmgr.vbs C(/ckms <Activation ID>) and C(/ckms-domain <Activation ID>) call) before anything
        else. V(false) fails instead, naming the slmgr.vbs command that would clear it; nothing is
        changed.
      - A product value equal to what the task asks for is left alone (Windows may report the
        machine-wide value on the product too). After applying, the task fails when a product
        still reports a contradicting value, so O(dns_discovery=true) is never reported while a
        product pins a host.
    type: bool
    default: true
  allow_unlisted_key:
    description:
      - Accept a O(product_key) that is not in the collection's table of KMS client setup keys
        (for a client key newer than the table). Never use it for a KMS host key.
    type: bool
    default: false
seealso:
  - module: kmsops.kms.kms_host
  - module: kmsops.kms.kms_info
"""

EXAMPLES = r"""
- name: Install the KMS client setup key of the edition and use DNS discovery
  kmsops.kms.kms_client:
    product_key: auto
    dns_discovery: true
    kms_domain: example.com
    activate: true

- name: Point an isolated client at its local KMS host
  kmsops.kms.kms_client:
    kms_host: "kms01.isolated.example:1688"
    host_caching: true

- name: Use an IPv6 address on a non-default port
  kmsops.kms.kms_client:
    kms_host: "[2001:db8::10]:1700"
"""

RETURN = r"""
operations:
  description: The planned operations, in order.
  returned: success
  type: list
  elements: dict
applied:
  description: Titles of the operations applied in this run (empty in check mode).
  returned: always
  type: list
  elements: str
license_status:
  description: Licence status name.
  returned: success
  type: str
  sample: Licensed
partial_product_key:
  description: Last five characters of the installed key.
  returned: success
  type: str
kms_host:
  description: The fixed KMS host, or null for DNS discovery.
  returned: success
  type: str
kms_port:
  description: The KMS port used with a fixed host.
  returned: success
  type: int
kms_domain:
  description: The lookup domain, or null.
  returned: success
  type: str
product_kms_host:
  description:
    - The KMS host the Windows product reports (C(SoftwareLicensingProduct.KeyManagementServiceMachine),
      what slmgr.vbs C(/dlv) shows as the registered KMS machine), or null.
  returned: success
  type: str
product_kms_port:
  description: The KMS port the Windows product reports, or null when it reports none (0).
  returned: success
  type: int
product_kms_domain:
  description: The KMS lookup domain the Windows product reports, or null.
  returned: success
  type: str
host_caching:
  description: Whether KMS host caching is on.
  returned: success
  type: bool
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kmsops.kms.plugins.module_utils.kms._specs import KMS_CLIENT_SPEC


def main():
    module = AnsibleModule(**KMS_CLIENT_SPEC)
    module.fail_json(msg="kmsops.kms.kms_client runs as an action plugin; this file holds its documentation")


if __name__ == "__main__":
    main()
