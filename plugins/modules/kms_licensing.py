#!/usr/bin/python
# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: kms_licensing
short_description: Windows executor of the kmsops.kms licensing plugins (internal)
version_added: 0.1.0
description:
  - The small PowerShell module behind M(kmsops.kms.kms_host), M(kmsops.kms.kms_client) and
    M(kmsops.kms.kms_info). Use those; this module takes no decisions.
  - It reads the licensing state (C(SoftwareLicensingService), the Windows
    C(SoftwareLicensingProduct) instances that have a key, the C(SoftwareProtectionPlatform)
    registry values, the OS caption, EditionID, build and product type), applies the given
    operations in order, stops at the first failure, and reads the state back.
  - Only an allow-list of CIM methods, the C(DnsDomainPublishList) registry value, the
    C(sppsvc) service and one Windows Firewall rule (C(kmsops-kms-KMS-In-TCP)) can be touched.
  - An operation marked C(on_error=warn) that fails is reported in RV(soft_failed) and the next
    operations still run (the firewall rule); any other failure stops the run.
author:
  - kmsops.kms contributors (@kmsops)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Reads only; operations are refused in check mode.
  diff_mode:
    support: none
  platform:
    platforms: windows
options:
  operations:
    description:
      - Operations planned by the action plugins, each a dict with C(action) (V(service),
        V(product), V(registry_set), V(registry_remove), V(restart_service), V(firewall_open),
        V(firewall_remove)), C(title), optionally C(on_error=warn), and the fields of that action
        (C(method), C(args), C(secret_args), C(partial_key), C(name), C(type), C(value), C(port)).
    type: list
    elements: dict
    default: []
  product_key:
    description: The product key an C(InstallProductKey) operation installs (referenced by C(secret_args)).
    type: str
  confirmation_id:
    description: The Confirmation ID a C(DepositOfflineConfirmationId) operation deposits.
    type: str
"""

EXAMPLES = r"""
- name: Read the licensing state (what kmsops.kms.kms_info does)
  kmsops.kms.kms_licensing:
  register: licensing
"""

RETURN = r"""
state:
  description: The licensing state after the operations (computer_name, os, service, products, registry, firewall).
  returned: always
  type: dict
applied:
  description: Indexes of the operations that were applied.
  returned: always
  type: list
  elements: int
soft_failed:
  description: The operations marked C(on_error=warn) that failed, each C(index) and C(msg).
  returned: always
  type: list
  elements: dict
"""
