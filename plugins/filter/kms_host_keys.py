# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter kmsops.kms.kms_host_key_check: fail before anything changes when a KMS host key is
assigned to more hosts than Microsoft allows."""

from __future__ import annotations

DOCUMENTATION = r"""
name: kms_host_key_check
short_description: Check that no KMS host key is assigned to more hosts than allowed
version_added: 0.1.0
description:
  - Takes the KMS host keys the inventory assigns to hosts and fails when one key is assigned to
    more than 6 hosts (Microsoft's limit per KMS host key) plus the extra hosts Microsoft granted.
  - Meant for the start of a play, before anything changes. Keys are never shown in the error or
    the result, only their last five characters.
  - With O(ledger_path), hosts the activation ledger of M(kmsops.kms.kms_host) already counts for a
    key are added to the inventory's hosts for that key.
options:
  _input:
    description:
      - A mapping of host name to KMS host key (hosts without a key may map to null or an empty
        string), or a list of C({host, key}) mappings.
    type: raw
    required: true
  extra_hosts_granted:
    description:
      - Extra hosts granted by Microsoft, for every key (an integer) or per key (a mapping from
        the key's last five characters to an integer).
    type: raw
    default: 0
  ledger_path:
    description: Activation ledger file of M(kmsops.kms.kms_host) to take into account.
    type: path
author:
  - kmsops.kms contributors (@kmsops)
"""

EXAMPLES = r"""
- name: Check the KMS host key assignments of the inventory before changing anything
  ansible.builtin.debug:
    msg: >-
      {{ groups | kmsops.kms.kms_estate_keys(hostvars)
         | kmsops.kms.kms_host_key_check(extra_hosts_granted=0) }}
  run_once: true
  no_log: true
"""

RETURN = r"""
_value:
  description: One entry per key - C(key) (masked), C(hosts) and C(limit).
  type: list
  elements: dict
"""

import os

from ansible.errors import AnsibleFilterError

from ansible_collections.kmsops.kms.plugins.module_utils.kms._keys import KmsError
from ansible_collections.kmsops.kms.plugins.module_utils.kms._ledger import check_key_assignments, load_ledger


def kms_host_key_check(assignments, extra_hosts_granted=0, ledger_path=None):
    try:
        ledger = load_ledger(os.path.expanduser(ledger_path)) if ledger_path else None
        return check_key_assignments(assignments, extra_hosts_granted=extra_hosts_granted, ledger=ledger)
    except KmsError as exc:
        raise AnsibleFilterError("kms_host_key_check: %s" % exc)


class FilterModule(object):
    def filters(self):
        return {"kms_host_key_check": kms_host_key_check}
