# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of kmsops.kms.kms_client: plan in Python, apply with the Windows executor."""

from __future__ import annotations

from ansible_collections.kmsops.kms.plugins.module_utils.kms._specs import KMS_CLIENT_SPEC
from ansible_collections.kmsops.kms.plugins.plugin_utils._kms_action import KmsActionBase
from ansible_collections.kmsops.kms.plugins.plugin_utils.kms._client_plan import finish_client, plan_client
from ansible_collections.kmsops.kms.plugins.plugin_utils.kms._facts import summarize


class ActionModule(KmsActionBase):
    SPEC = KMS_CLIENT_SPEC

    def kms_run(self, params, task_vars):
        state, _applied = self.execute(task_vars)
        plan = plan_client(params, state)
        self.warnings.extend(plan.warnings)
        applied = []
        facts = summarize(state)
        if plan.changed and not self.check_mode:
            state, applied = self.execute(task_vars, plan.operations, product_key=plan.install_key)
            facts = finish_client(plan, state)
        result = dict(facts)
        result.update(changed=plan.changed, operations=plan.public_operations(), applied=applied)
        if self.diff_mode:
            result["diff"] = {"before": plan.before, "after": plan.after}
        return result
