# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of kmsops.kms.kms_host: plan in Python, guard with the activation ledger,
apply with the Windows executor."""

from __future__ import annotations

import os

from ansible_collections.kmsops.kms.plugins.module_utils.common._errors import KmsOpsError
from ansible_collections.kmsops.kms.plugins.module_utils.kms._specs import KMS_HOST_SPEC
from ansible_collections.kmsops.kms.plugins.plugin_utils._kms_action import KmsActionBase
from ansible_collections.kmsops.kms.plugins.plugin_utils.kms._facts import summarize
from ansible_collections.kmsops.kms.plugins.plugin_utils.kms._host_plan import (
    check_installed_host_key,
    finish_host,
    plan_host,
)
from ansible_collections.kmsops.kms.plugins.plugin_utils.kms._ledger import (
    check_activation,
    complete_activation,
    load_ledger,
    locked_ledger,
    reserve_activation,
)

DEFAULT_LEDGER = os.path.join("~", ".ansible", "kmsops.kms", "activation-ledger.json")


class ActionModule(KmsActionBase):
    SPEC = KMS_HOST_SPEC

    def kms_run(self, params, task_vars):
        state, _applied = self.execute(task_vars)
        plan = plan_host(params, state)
        host = task_vars.get("inventory_hostname") or state.get("computer_name")
        ledger_path = os.path.expanduser(params.get("ledger_path") or DEFAULT_LEDGER)
        extra = dict(
            extra_hosts_granted=params["extra_hosts_granted"],
            extra_activations_granted=params["extra_activations_granted"],
        )
        facts = summarize(state)
        operations = plan.public_operations()
        applied = []
        ledger_use = None
        self.warnings.extend(plan.warnings)
        if plan.activation:
            # the limits are checked before anything is sent; the record is reserved only right
            # before the activation itself (after the installed key proved to be a KMS host key)
            ledger_use = check_activation(load_ledger(ledger_path), plan.activation_key, host, **extra)
        if self.check_mode:
            plan.messages.extend(plan.check_mode_notes)
        if plan.changed and not self.check_mode:
            state, applied, facts = self._apply(task_vars, plan, ledger_path, host, extra)
        pending = list(plan.pending)
        if plan.settings_follow and not self.check_mode:
            # the host became an activated KMS host in this run: plan the held settings from what
            # Windows reads back now, with the one restart owed by the key change at their end
            follow = plan_host(params, state, restart_owed=plan.restart_owed)
            self.warnings.extend(follow.warnings)
            pending = list(follow.pending)
            if follow.changed:
                more = []
                try:
                    state, more = self.execute(task_vars, follow.operations)
                    facts = finish_host(follow, state)
                    self.warnings.extend(follow.late_warnings)
                except KmsOpsError as exc:
                    _keep_applied(exc, applied + more)
                    raise
                applied += more
            operations += follow.public_operations()
            plan.messages = [m for m in plan.messages if "right after the activation" not in m] + follow.messages
            plan.after = follow.after
        self.warnings.extend(plan.late_warnings)
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

    def _apply(self, task_vars, plan, ledger_path, host, extra):
        """Send the plan; returns (state read back, applied titles).

        A plan that installs a KMS host key is sent in two parts: the install (and its refresh),
        then - once Windows reports the installed product as a KMS host key (VOLUME_KMS) - the
        rest. The ledger record is reserved right before the part that activates."""
        operations = list(plan.operations)
        applied = []
        if plan.key_check_after:
            first, operations = operations[: plan.key_check_after], operations[plan.key_check_after :]
            state, applied = self.execute(task_vars, first, product_key=plan.install_key)
            try:
                check_installed_host_key(plan, state)
                if not operations:
                    return state, applied, finish_host(plan, state)
            except KmsOpsError as exc:
                _keep_applied(exc, applied)
                raise
        record = None
        if plan.activation:
            with locked_ledger(ledger_path) as data:
                check_activation(data, plan.activation_key, host, **extra)
                record = reserve_activation(data, plan.activation_key, host, plan.activation)
        outcome: str | None = "failed"
        needs_key = any((op.get("secret_args") or {}).get("ProductKey") for op in operations)
        more = []
        try:
            state, more = self.execute(
                task_vars,
                operations,
                product_key=plan.install_key if needs_key else None,
                confirmation_id=plan.confirmation_id,
            )
            facts = finish_host(plan, state)
            outcome = "activated"
        except KmsOpsError as exc:
            sent = _keep_applied(exc, applied + more)
            if getattr(exc, "unverified", False) and any(
                op["action"] == "product" and op["title"] in sent for op in operations
            ):
                # the activation was sent and Windows accepted it, but nothing could be read back:
                # the record stays 'attempted' (it counts against the limits)
                outcome = None
            raise
        finally:
            if record is not None and outcome is not None:
                with locked_ledger(ledger_path) as data:
                    complete_activation(data, plan.activation_key, host, record, outcome)
        return state, applied + more, facts


def _keep_applied(exc, applied_before):
    """Put everything this task applied into the failure of EXC (applied titles, changed)."""
    details = getattr(exc, "details", None)
    if not isinstance(details, dict):
        details = {}
        exc.details = details
    # an ExecutorFailed carries what its own call applied; the other errors carry nothing yet
    details["applied"] = list(applied_before) + list(details.get("applied", []))
    details["changed"] = bool(details["applied"])
    return details["applied"]
