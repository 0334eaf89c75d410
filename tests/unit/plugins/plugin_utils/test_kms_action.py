# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shared action code: what the executor returns becomes the task result (issue 17 points 3, 7)."""

from __future__ import annotations

import pytest

from ansible_collections.kmsops.kms.plugins.plugin_utils import _kms_action
from ansible_collections.kmsops.kms.plugins.plugin_utils._kms_action import ExecutorFailed, KmsActionBase

OPS = [
    {
        "action": "service",
        "method": "SetVLRenewalInterval",
        "args": {"RenewalInterval": 60},
        "title": "Set the renewal interval to 60 minutes",
    },
    {"action": "restart_service", "name": "sppsvc", "title": "Restart the Software Protection service"},
]


class FakeAction(KmsActionBase):
    """execute() against a canned executor answer (no connection, no task)."""

    def __init__(self, answer):  # pylint: disable=super-init-not-called
        self.answer = answer
        self.sent = []
        self.warnings = []

    @property
    def check_mode(self):
        return False

    def _execute_module(self, module_name=None, module_args=None, task_vars=None):
        self.sent.append(module_args)
        return self.answer


def test_the_read_back_is_retried_by_the_executor_only_when_operations_are_sent():
    action = FakeAction({"applied": [], "state": {"computer_name": "WIN01"}})
    action.execute({})
    assert "read_attempts" not in action.sent[0]
    action.execute({}, OPS)
    assert action.sent[1]["read_attempts"] == _kms_action.READ_ATTEMPTS > 1
    assert action.sent[1]["read_delay_seconds"] == _kms_action.READ_DELAY_SECONDS


def test_a_read_back_that_throws_after_the_restart_keeps_what_was_applied_and_names_what_was_not_read():
    action = FakeAction(
        {
            "failed": True,
            "applied": [0, 1],
            "failure": None,
            "state_error": {
                "part": "SoftwareLicensingService",
                "attempts": 5,
                "code": None,
                "message": "The service is starting",
            },
        }
    )
    with pytest.raises(ExecutorFailed) as failed:
        action.execute({}, OPS)
    assert failed.value.details == {"changed": True, "applied": [op["title"] for op in OPS]}
    assert failed.value.unverified is True
    msg = str(failed.value)
    assert msg.startswith("2 operation(s) were applied (Set the renewal interval to 60 minutes; Restart the Software")
    assert (
        "could not be read back after 5 attempt(s): could not read SoftwareLicensingService (The service is "
        "starting)" in msg
    )
    assert "run the task again" in msg


def test_a_failed_operation_returns_its_code_meaning_and_what_was_applied():
    action = FakeAction(
        {
            "failed": True,
            "applied": [],
            "state": {},
            "failure": {
                "index": 0,
                "title": OPS[0]["title"],
                "code": "0xC004F041",
                "message": "Invoke-CimMethod : Generic failure",
            },
        }
    )
    with pytest.raises(ExecutorFailed) as failed:
        action.execute({}, OPS)
    assert "failed with 0xC004F041: Invoke-CimMethod : Generic failure" in str(failed.value)
    assert "the KMS host is not activated" in str(failed.value)
    assert failed.value.details["error"]["code"] == "0xC004F041"
    assert failed.value.details["changed"] is False and failed.value.unverified is False


def test_a_soft_failed_firewall_operation_warns_with_its_code():
    ops = [
        {
            "action": "firewall_enable_builtin",
            "profiles": ["Domain"],
            "title": "Enable SPPSVC-In-TCP",
            "on_error": "warn",
            "hint": "enable it yourself",
        }
    ]
    soft = [{"index": 0, "msg": "Access is denied", "code": "0x80070005"}]
    action = FakeAction({"applied": [], "state": {}, "soft_failed": soft})
    action.execute({}, ops)
    assert action.warnings == [
        "Enable SPPSVC-In-TCP failed (0x80070005: Access is denied); the task went on: enable it yourself"
    ]
