# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter kmsops.kms.kms_host_key_check: fail before anything changes when a KMS host key is
assigned to more hosts than Microsoft allows. Documented in kms_host_key_check.yml, as every filter."""

from __future__ import annotations

import os

from ansible.errors import AnsibleFilterError

from ansible_collections.kmsops.kms.plugins.plugin_utils.kms._keys import KmsError
from ansible_collections.kmsops.kms.plugins.plugin_utils.kms._ledger import check_key_assignments, load_ledger


def kms_host_key_check(assignments, extra_hosts_granted=0, ledger_path=None):
    try:
        ledger = load_ledger(os.path.expanduser(ledger_path)) if ledger_path else None
        return check_key_assignments(assignments, extra_hosts_granted=extra_hosts_granted, ledger=ledger)
    except KmsError as exc:
        raise AnsibleFilterError("kms_host_key_check: %s" % exc) from None


class FilterModule:
    def filters(self):
        return {"kms_host_key_check": kms_host_key_check}
