#!/usr/bin/python
# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: kms_info
short_description: Read the KMS licensing facts of a Windows host or client
version_added: 0.1.0
description:
  - Reads C(SoftwareLicensingService), the Windows C(SoftwareLicensingProduct) that has a key,
    and the C(SoftwareProtectionPlatform) registry values, and returns them as plain facts for
    reports and C(when) conditions. Changes nothing.
author:
  - kmsops.kms contributors (@kmsops)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - kmsops.kms.windows_kms
attributes:
  check_mode:
    support: full
    details: Reads only.
  diff_mode:
    support: none
options: {}
seealso:
  - module: kmsops.kms.kms_host
  - module: kmsops.kms.kms_client
"""

EXAMPLES = r"""
- name: Read the licensing facts
  kmsops.kms.kms_info:
  register: kms

- name: Report hosts below their activation threshold
  ansible.builtin.debug:
    msg: "{{ inventory_hostname }}: {{ kms.current_count }} of {{ kms.required_count }}"
  when: kms.is_kms_host and kms.current_count < kms.required_count
"""

RETURN = r"""
computer_name:
  description: The Windows computer name.
  returned: always
  type: str
os:
  description: C(caption), C(edition_id), C(build) and C(product_type) (1 workstation, 2 domain controller, 3 server).
  returned: always
  type: dict
is_kms_host:
  description:
    - Whether Windows is a KMS host - the product-level C(IsKeyManagementServiceMachine) of the Windows
      product (application ID 55c92734-d682-4d71-983e-d6ec3f16059f), which slmgr.vbs reads too; not the
      service-level flag, which is also 1 on a machine that is a KMS host for Office only.
  returned: always
  type: bool
partial_product_key:
  description: Last five characters of the installed Windows key, or null.
  returned: always
  type: str
product_name:
  description: Name of the Windows licensing product with a key.
  returned: always
  type: str
product_description:
  description: Its description (KMS host keys say VOLUME_KMS, KMS clients VOLUME_KMSCLIENT).
  returned: always
  type: str
license_status:
  description: Licence status name, or C(NoKeyInstalled).
  returned: always
  type: str
license_status_code:
  description: C(LicenseStatus) (0 Unlicensed, 1 Licensed, 2 OOBGrace, 3 OOTGrace, 4 NonGenuineGrace, 5 Notification,
    6 ExtendedGrace).
  returned: always
  type: int
grace_period_remaining:
  description: Minutes of grace left.
  returned: always
  type: int
installation_id:
  description: The Installation ID for telephone activation while not licensed.
  returned: always
  type: str
current_count:
  description: KMS host current count (-1 when not a KMS host; the CIM value 4294967295 is reported as -1).
  returned: always
  type: int
required_count:
  description: Count needed before clients activate.
  returned: always
  type: int
port:
  description: KMS host listening port.
  returned: always
  type: int
firewall_rule_port:
  description:
    - The port of the Windows Firewall rule C(kmsops-kms-KMS-In-TCP) that M(kmsops.kms.kms_host) creates
      for a listening port other than 1688; null when there is none.
  returned: always
  type: int
firewall_rule:
  description:
    - The Windows Firewall rule that lets KMS clients in on the listening port - C(SPPSVC-In-TCP) on
      1688 when it is enabled, C(kmsops-kms-KMS-In-TCP) on another port when it is on that port -
      null when neither does.
  returned: always
  type: str
firewall_rule_profiles:
  description: The profiles of C(kmsops-kms-KMS-In-TCP) (C(Domain), C(Private), C(Public)); null when there is no
    such rule.
  returned: always
  type: list
  elements: str
firewall_builtin_enabled:
  description: C(Enabled) of the built-in rule C(SPPSVC-In-TCP); null when it does not exist or cannot be read.
  returned: always
  type: bool
firewall_builtin_profiles:
  description: The profiles of C(SPPSVC-In-TCP); null when it does not exist or cannot be read.
  returned: always
  type: list
  elements: str
dns_publishing:
  description: Whether the KMS host publishes its SRV record itself.
  returned: always
  type: bool
publish_domains:
  description: DnsDomainPublishList entries (domain, priority, weight).
  returned: always
  type: list
  elements: dict
low_priority:
  description: KMS low priority.
  returned: always
  type: bool
activation_interval:
  description: Activation retry interval (minutes).
  returned: always
  type: int
renewal_interval:
  description: Renewal interval (minutes).
  returned: always
  type: int
kms_host:
  description: Fixed KMS host of a client, or null (DNS discovery).
  returned: always
  type: str
kms_port:
  description: KMS port of a client.
  returned: always
  type: int
kms_domain:
  description: KMS lookup domain of a client, or null.
  returned: always
  type: str
host_caching:
  description: KMS host caching of a client.
  returned: always
  type: bool
last_kms_host:
  description:
    - The KMS host the machine last found through DNS (C(DiscoveredKeyManagementServiceMachineName)
      of its Windows licensing product), as C(slmgr /dlv) shows it as "KMS machine name from DNS" -
      only when no KMS host is registered. With a fixed KMS host (machine-wide or on the product)
      slmgr shows the registered one instead and this is null, since a client with a fixed host
      does not use discovery and the discovered value may be stale.
    - Null too when the name is empty or the port is 0 (slmgr shows "not available").
  returned: always
  type: str
  sample: kms1.corp.example
last_kms_port:
  description: The port of that KMS host (C(DiscoveredKeyManagementServiceMachinePort)), null under the same rules.
  returned: always
  type: int
  sample: 1688
last_kms_ip:
  description:
    - C(DiscoveredKeyManagementServiceMachineIpAddress) of the Windows product, the address of the KMS host the
      client last used (slmgr /dlv shows it as "KMS machine IP address" whether the host is fixed or
      discovered), or null where Windows reports none (it is not on Microsoft's class page; Windows 7 may lack it).
  returned: always
  type: str
  sample: 192.0.2.10
product_kms_host:
  description:
    - The KMS host the Windows product reports (C(SoftwareLicensingProduct.KeyManagementServiceMachine)), what
      slmgr /dlv shows as "Registered KMS machine name"; it may be set for this product alone (slmgr.vbs
      C(/skms <name> <Activation ID>)). Null when none.
  returned: always
  type: str
product_kms_port:
  description: C(KeyManagementServicePort) of the Windows product, null when 0.
  returned: always
  type: int
product_kms_domain:
  description: C(KeyManagementServiceLookupDomain) of the Windows product, or null.
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kmsops.kms.plugins.module_utils.kms._specs import KMS_INFO_SPEC


def main():
    module = AnsibleModule(**KMS_INFO_SPEC)
    module.fail_json(msg="kmsops.kms.kms_info runs as an action plugin; this file holds its documentation")


if __name__ == "__main__":
    main()
