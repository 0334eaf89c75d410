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
    C(sppsvc) service, one Windows Firewall rule of its own (C(kmsops-kms-KMS-In-TCP)) and the
    C(Enabled) and C(Profile) of the built-in rule C(SPPSVC-In-TCP) can be touched.
  - An operation marked C(on_error=warn) that fails is reported in RV(soft_failed) and the next
    operations still run (the firewall rules); any other failure stops the run and is returned in
    RV(failure) with the licensing error code. It does not depend on the caller's
    C($ErrorActionPreference) - every cmdlet that must stop on failure has C(-ErrorAction Stop).
  - The state is read back after the operations up to O(read_attempts) times; when it still
    cannot be read, RV(state_error) names what could not be read and RV(applied) still says what
    was applied.
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
        V(firewall_remove), V(firewall_enable_builtin)), C(title), optionally C(on_error=warn), and the
        fields of that action (C(method), C(args), C(secret_args), C(partial_key), C(name), C(type),
        C(value), C(port), C(profiles)).
    type: list
    elements: dict
    default: []
  product_key:
    description: The product key an C(InstallProductKey) operation installs (referenced by C(secret_args)).
    type: str
  confirmation_id:
    description: The Confirmation ID a C(DepositOfflineConfirmationId) operation deposits.
    type: str
  read_attempts:
    description: How many times the state is read after the operations before giving up (C(sppsvc) may still be
      starting).
    type: int
    default: 1
  read_delay_seconds:
    description: Seconds between two reads of the state.
    type: int
    default: 0
"""

EXAMPLES = r"""
- name: Read the licensing state (what kmsops.kms.kms_info does)
  kmsops.kms.kms_licensing:
  register: licensing
"""

RETURN = r"""
state:
  description: The licensing state after the operations (computer_name, os, service, products, registry, firewall).
  returned: when it could be read
  type: dict
state_error:
  description: What could not be read back (C(part), C(message), C(code), C(attempts)).
  returned: when the state could not be read
  type: dict
failure:
  description:
    - The operation that failed (C(index), C(title), C(message)) and C(code), the licensing error
      code as C(0x%08X) (the C(HResult) of the CIM exception, or a method's non-zero C(ReturnValue)),
      null when the error carries none.
  returned: always (null when nothing failed)
  type: dict
applied:
  description: Indexes of the operations that were applied.
  returned: always
  type: list
  elements: int
soft_failed:
  description: The operations marked C(on_error=warn) that failed, each C(index), C(msg) and C(code).
  returned: always
  type: list
  elements: dict
"""
