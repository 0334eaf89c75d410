# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of kmsops.kms.kms_host: plan in Python, guard with the activation ledger,
apply with the Windows executor."""

from __future__ import annotations

import os

from ansible_collections.kmsops.kms.plugins.module_utils.kms._facts import summarize
from ansible_collections.kmsops.kms.plugins.module_utils.kms._host_plan import finish_host, plan_host
from ansible_collections.kmsops.kms.plugins.module_utils.kms._ledger import (
    check_activation,
    complete_activation,
    load_ledger,
    locked_ledger,
    reserve_activation,
)
from ansible_collections.kmsops.kms.plugins.module_utils.kms._specs import KMS_HOST_SPEC
from ansible_collections.kmsops.kms.plugins.plugin_utils._kms_action import ExecutorFailed, KmsActionBase

DEFAULT_LEDGER = os.path.join("~", ".ansible", "kmsops.kms", "activation-ledger.json")


class ActionModule(KmsActionBase):
    SPEC = KMS_HOST_SPEC

    def kms_run(self, params, task_vars):
        state, _applied = self.execute(task_vars)
        plan = plan_host(params, state)
        host = task_vars.get("inventory_hostname") or state.get("computer_name")
        ledger_path = os.path.expanduser(params.get("ledger_path") or DEFAULT_LEDGER)
        extra = dict(extra_hosts_granted=params["extra_hosts_granted"],
                     extra_activations_granted=params["extra_activations_granted"])
        facts = summarize(state)
        operations = plan.public_operations()
        applied = []
        ledger_use = None
        self.warnings.extend(plan.warnings)
        if plan.activation:
            if self.check_mode:
                ledger_use = check_activation(load_ledger(ledger_path), plan.activation_key, host, **extra)
            else:
                with locked_ledger(ledger_path) as data:
                    ledger_use = check_activation(data, plan.activation_key, host, **extra)
                    record = reserve_activation(data, plan.activation_key, host, plan.activation)
        if plan.changed and not self.check_mode:
            outcome = "failed"
            try:
                state, applied = self.execute(task_vars, plan.operations, product_key=plan.install_key,
                                              confirmation_id=plan.confirmation_id)
                facts = finish_host(plan, state)
                outcome = "activated"
            finally:
                if plan.activation:
                    with locked_ledger(ledger_path) as data:
                        complete_activation(data, plan.activation_key, host, record, outcome)
        pending = list(plan.pending)
        if plan.settings_follow and not self.check_mode:
            # the host became an activated KMS host in this run: plan the held settings from what
            # Windows reads back now, with the one restart owed by the key change at their end
            follow = plan_host(params, state, restart_owed=plan.restart_owed)
            self.warnings.extend(follow.warnings)
            pending = list(follow.pending)
            if follow.changed:
                try:
                    state, more = self.execute(task_vars, follow.operations)
                except ExecutorFailed as exc:
                    exc.details["applied"] = applied + exc.details.get("applied", [])
                    exc.details["changed"] = True
                    raise
                applied += more
                facts = finish_host(follow, state)
            operations += follow.public_operations()
            plan.messages = [m for m in plan.messages if "right after the activation" not in m] + follow.messages
            plan.after = follow.after
        result = dict(facts)
        result.update(
            changed=plan.changed,
            operations=operations,
            applied=applied,
            pending_settings=pending,
            activation_pending=plan.activation_pending,
            installation_id=plan.installation_id if plan.activation_pending else None,
            ledger=dict(ledger_use, path=ledger_path) if ledger_use else None,
        )
        if plan.messages:
            result["msg"] = " ".join(plan.messages)
        if self.diff_mode:
            result["diff"] = {"before": plan.before, "after": plan.after}
        return result
