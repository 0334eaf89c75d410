# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared controller-side code of the kms_host, kms_client and kms_info action plugins.

The action plugins validate their options, ask the Windows executor ``kmsops.kms.kms_licensing``
for the licensing state, plan in Python, send the planned operations back to the executor
(never in check mode) and report. This is the one place where a KmsOpsError becomes a task failure,
and where every value marked no_log is removed from the result before Ansible sees it.
"""

from __future__ import annotations

from typing import Any, ClassVar

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.parameters import remove_values
from ansible.plugins.action import ActionBase

from ansible_collections.kmsops.kms.plugins.module_utils.common._errors import KmsOpsError
from ansible_collections.kmsops.kms.plugins.plugin_utils.kms._activation_errors import describe_failure, explain
from ansible_collections.kmsops.kms.plugins.plugin_utils.kms._keys import ExecutorError

EXECUTOR = "kmsops.kms.kms_licensing"

# The read-back after applying (after the sppsvc restart the service may still be starting): tried
# READ_ATTEMPTS times, READ_DELAY_SECONDS apart, by the executor.
READ_ATTEMPTS = 5
READ_DELAY_SECONDS = 3


class ExecutorFailed(ExecutorError):
    """The executor failed; ``details`` holds what it applied and the state it read back."""

    def __init__(self, msg, details=None, unverified=False):
        super().__init__(msg)
        self.details = details or {}
        self.unverified = unverified  # applied, but the state could not be read back


class KmsActionBase(ActionBase):
    """Subclasses set SPEC and implement kms_run(params, task_vars) -> dict."""

    TRANSFERS_FILES = False
    _requires_connection = True
    SPEC: ClassVar[dict[str, object]] = {}

    def _validate(self):
        spec = dict(self.SPEC)
        spec.pop("supports_check_mode", None)
        validator = ArgumentSpecValidator(**spec)
        validation = validator.validate(self._task.args.copy())
        if validation.error_messages:
            # no obj=task args here: the error context must never print a product key
            raise AnsibleActionFail("%s: %s" % (self._task.action, validation.errors.msg))
        return validation

    @property
    def check_mode(self):
        return bool(self._task.check_mode)

    @property
    def diff_mode(self):
        return bool(self._task.diff)

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        no_log_values = set()
        self.warnings: list[str] = []
        try:
            validation = self._validate()
            no_log_values = set(validation._no_log_values)
            result.update(self.kms_run(validation.validated_parameters, task_vars or {}))
        except KmsOpsError as exc:
            # ExecutorFailed, or a guard that refused after something was applied: what was applied
            result.update(getattr(exc, "details", None) or {})
            result.update(failed=True, msg=str(exc))
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        if self.warnings:
            result["warnings"] = list(result.get("warnings") or []) + self.warnings
        return remove_values(result, no_log_values)

    def kms_run(self, params, task_vars):
        raise NotImplementedError

    def execute(self, task_vars, operations=(), product_key=None, confirmation_id=None):
        """Run the executor: read the state (no operations) or apply operations and read back."""
        if operations and self.check_mode:
            raise ExecutorError("internal error: operations must never be sent in check mode")
        module_args: dict[str, Any] = {"operations": [dict(op) for op in operations]}
        if operations:
            module_args.update(read_attempts=READ_ATTEMPTS, read_delay_seconds=READ_DELAY_SECONDS)
        if product_key:
            module_args["product_key"] = product_key
        if confirmation_id:
            module_args["confirmation_id"] = confirmation_id
        res = self._execute_module(module_name=EXECUTOR, module_args=module_args, task_vars=task_vars)
        applied_idx = res.get("applied") or []
        applied = [operations[i]["title"] for i in applied_idx if isinstance(i, int) and 0 <= i < len(operations)]
        for soft in res.get("soft_failed") or []:
            # an operation planned with on_error=warn (the firewall rule): the run goes on
            index = soft.get("index") if isinstance(soft, dict) else None
            if isinstance(index, int) and 0 <= index < len(operations):
                op = operations[index]
                code = (explain(soft.get("code")) or {}).get("code")
                self.warnings.append(
                    "%s failed (%s%s); the task went on: %s"
                    % (
                        op["title"],
                        "%s: " % code if code else "",
                        soft.get("msg"),
                        op.get("hint") or "check it by hand",
                    )
                )
        details = {"changed": bool(applied), "applied": applied}
        failure = res.get("failure")
        if isinstance(failure, dict):
            msg, error = describe_failure(failure)
            details["error"] = error
            raise ExecutorFailed("the Windows executor failed: %s" % msg, details)
        state_error = res.get("state_error")
        if isinstance(state_error, dict):
            raise ExecutorFailed(read_back_failed(state_error, applied), details, unverified=bool(applied))
        if res.get("failed") or "state" not in res:
            raise ExecutorFailed(
                "the Windows executor failed: %s" % (res.get("msg") or "no licensing state returned"), details
            )
        return res["state"], applied


def read_back_failed(state_error, applied):
    """The message when the executor could not read the licensing state back (issue 17 point 7)."""
    code = (explain(state_error.get("code")) or {}).get("code")
    what = "%s (%s%s)" % (
        state_error.get("part") or "the licensing state",
        "%s: " % code if code else "",
        state_error.get("message"),
    )
    if applied:
        return (
            "%d operation(s) were applied (%s) but the licensing state could not be read back after %s "
            "attempt(s): could not read %s. Nothing was verified; check the host (Get-Service sppsvc, "
            "Get-CimInstance SoftwareLicensingService) and run the task again to verify and finish"
            % (len(applied), "; ".join(applied), state_error.get("attempts") or 1, what)
        )
    return "the licensing state could not be read: could not read %s" % what
