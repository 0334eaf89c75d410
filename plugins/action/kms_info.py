# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of kmsops.kms.kms_info: read-only licensing facts of a Windows host."""

from __future__ import annotations

from ansible_collections.kmsops.kms.plugins.module_utils.kms._specs import KMS_INFO_SPEC
from ansible_collections.kmsops.kms.plugins.plugin_utils._kms_action import KmsActionBase
from ansible_collections.kmsops.kms.plugins.plugin_utils.kms._facts import summarize


class ActionModule(KmsActionBase):
    SPEC = KMS_INFO_SPEC

    def kms_run(self, params, task_vars):
        state, _applied = self.execute(task_vars)
        result = summarize(state)
        result["changed"] = False
        return result
