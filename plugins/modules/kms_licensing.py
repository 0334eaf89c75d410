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
  - Only an allow-list of CIM methods, registry values and the C(sppsvc) service can be touched.
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
        V(product), V(registry_set), V(registry_remove), V(restart_service)), C(title) and the
        fields of that action (C(method), C(args), C(secret_args), C(partial_key), C(name),
        C(type), C(value)).
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
  description: The licensing state after the operations (computer_name, os, service, products, registry).
  returned: always
  type: dict
applied:
  description: Indexes of the operations that were applied.
  returned: always
  type: list
  elements: int
"""
