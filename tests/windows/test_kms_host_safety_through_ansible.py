# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 17 points 1, 2, 3, 4 and 7 through ansible-playbook, against the executor double (which
models what makes each matter: SPPSVC-In-TCP off on a fresh host, a MAK's Description, a CIM
exception with an HResult, a throw on the read after the sppsvc restart)."""

from __future__ import annotations

import json
import os
import pathlib
import re

from conftest import HOST_KEY, server_state


def host_task(**args):
    args.setdefault("product_key", HOST_KEY)
    return {"kmsops.kms.kms_host": args}


def steps(operations):
    return [op.get("method") or op.get("name") or op["action"] for op in operations]


def sent(win):
    return [steps(c["params"]["operations"]) for c in win.executor_calls() if c["params"]["operations"]]


def test_a_fresh_host_gets_sppsvc_in_tcp_enabled_and_says_which_rule_lets_clients_in(win):
    """Point 1."""
    proc, (checked,) = win.run([host_task(ledger_path=win.ledger_path)], "--check")
    assert checked["pending_settings"] == [
        "Enable the built-in Windows Firewall rule SPPSVC-In-TCP (inbound TCP 1688; profiles Domain, Private)"
    ]
    assert win.read_state()["firewall"]["builtin_enabled"] is False
    proc, (applied, again, info) = win.run(
        [host_task(ledger_path=win.ledger_path), host_task(ledger_path=win.ledger_path), {"kmsops.kms.kms_info": {}}]
    )
    assert proc.returncode == 0, proc.stdout
    assert sent(win)[-1] == ["firewall_enable_builtin", "sppsvc"]
    assert applied["firewall_rule"] == "SPPSVC-In-TCP" and applied["firewall_builtin_enabled"] is True
    firewall = win.read_state()["firewall"]
    assert firewall["builtin_enabled"] is True and firewall["builtin_profiles"] == "Domain, Private"
    assert again["changed"] is False
    assert info["firewall_rule"] == "SPPSVC-In-TCP" and info["firewall_builtin_profiles"] == ["Domain", "Private"]


def test_moving_the_port_back_to_1688_enables_sppsvc_in_tcp_before_removing_the_custom_rule(win):
    """Point 1: the host is never left without a rule for its port."""
    win.run([host_task(ledger_path=win.ledger_path, port=1700)])
    state = win.read_state()
    assert state["firewall"]["rule_port"] == 1700
    state["firewall"].update(builtin_enabled=False, builtin_profiles="Any")  # someone turned it off meanwhile
    win.write_state(state)
    _proc, (custom, back) = win.run(
        [
            host_task(ledger_path=win.ledger_path, port=1700),
            host_task(ledger_path=win.ledger_path, port=1688, firewall_profiles=["Domain"]),
        ]
    )
    assert custom["changed"] is False and custom["firewall_rule"] == "kmsops-kms-KMS-In-TCP"
    assert steps(back["operations"]) == [
        "SetKeyManagementServiceListeningPort",
        "firewall_enable_builtin",
        "firewall_remove",
        "sppsvc",
    ]
    assert back["operations"][1]["profiles"] == ["Domain"]
    assert back["port"] == 1688 and back["firewall_rule"] == "SPPSVC-In-TCP" and back["firewall_rule_port"] is None


def test_a_mak_given_as_host_key_is_installed_but_never_activated_and_the_ledger_is_untouched(win):
    """Point 2: the double gives the key a MAK's Description; Activate would spend one of its activations."""
    state = server_state()
    state["key_channels"] = {HOST_KEY[-5:]: "VOLUME_MAK"}
    win.write_state(state)
    proc, (checked,) = win.run([host_task(ledger_path=win.ledger_path)], "--check")
    assert checked["changed"] is True and "Check mode cannot install the key to learn its channel" in checked["msg"]
    proc, (refused, again) = win.run(
        [host_task(ledger_path=win.ledger_path), host_task(ledger_path=win.ledger_path)], "-vvvv"
    )
    assert refused["failed"] is True and refused["changed"] is True
    assert "channel VOLUME_MAK" in refused["msg"] and "Multiple Activation Key (MAK)" in refused["msg"]
    assert "was not activated and the activation ledger is unchanged" in refused["msg"]
    assert refused["applied"] == [
        "Replace the installed key *****-*****-*****-*****-6VM33 with the KMS host key *****-*****-*****-*****-6789B",
        "Refresh the licence status",
    ]
    # the second run sees the MAK installed and refuses before sending anything
    assert again["failed"] is True and "is installed but was not activated" in again["msg"]
    assert sent(win) == [["InstallProductKey", "RefreshLicenseStatus"]]
    assert win.read_state().get("activations", {}) == {}
    assert not os.path.exists(win.ledger_path)
    assert HOST_KEY not in proc.stdout + proc.stderr and HOST_KEY.replace("-", "") not in proc.stdout + proc.stderr


def test_a_licensing_error_carries_its_code_the_failing_operation_and_microsofts_meaning(win):
    """Point 3: the double raises a CIM exception with the HResult 0xC004C008 on Activate."""
    state = server_state()
    state.update(fail_on="Activate", fail_hresult="0xC004C008")
    win.write_state(state)
    _proc, (result,) = win.run([host_task(ledger_path=win.ledger_path)])
    assert result["failed"] is True and result["changed"] is True
    assert re.search(
        r"operation \d \(Activate the KMS host online\) failed with 0xC004C008: simulated failure of "
        r"Activate",
        result["msg"],
    ), result["msg"]
    assert "Microsoft documents 0xC004C008 as" in result["msg"] and "Next step:" in result["msg"]
    assert result["error"]["code"] == "0xC004C008" and result["error"]["operation"] == "Activate the KMS host online"
    records = [
        r
        for hosts in json.loads(pathlib.Path(win.ledger_path).read_text(encoding="utf-8"))["keys"].values()
        for rs in hosts["hosts"].values()
        for r in rs
    ]
    assert [r["result"] for r in records] == ["failed"]


def test_kms_client_auto_on_windows_server_23h2_asks_for_the_key_and_sends_nothing(win):
    """Point 4."""
    state = server_state()
    state["os"] = {
        "caption": "Microsoft Windows Server Datacenter",
        "edition_id": "ServerDatacenter",
        "build": 25398,
        "product_type": 3,
    }
    win.write_state(state)
    _proc, (result,) = win.run([{"kmsops.kms.kms_client": {"product_key": "auto"}}])
    assert result["failed"] is True and "give product_key explicitly" in result["msg"] and "25398" in result["msg"]
    assert sent(win) == []


def test_a_read_that_throws_after_the_restart_is_retried(win):
    """Point 7: two failed reads, then the service answers: the task succeeds."""
    win.run([host_task(ledger_path=win.ledger_path)])
    state = win.read_state()
    state["read_failures_after_restart"] = 2
    win.write_state(state)
    _proc, (result,) = win.run([host_task(ledger_path=win.ledger_path, renewal_interval=60)])
    assert result.get("failed") is not True, result
    assert result["renewal_interval"] == 60 and win.read_state()["failed_reads"] == 2
    assert win.executor_calls()[-1]["params"]["read_attempts"] == 5


def test_a_read_that_keeps_throwing_after_the_restart_still_reports_what_was_applied(win):
    """Point 7: the task returns applied and changed, and fails naming what could not be read."""
    win.run([host_task(ledger_path=win.ledger_path)])
    state = win.read_state()
    state["read_failures_after_restart"] = 99
    win.write_state(state)
    _proc, (result,) = win.run([host_task(ledger_path=win.ledger_path, renewal_interval=60)])
    assert result["failed"] is True and result["changed"] is True
    assert result["applied"] == [
        "Set the renewal interval to 60 minutes",
        "Restart the Software Protection service (sppsvc) so the changes take effect",
    ]
    assert "could not be read back after 5 attempt(s): could not read SoftwareLicensingService" in result["msg"]
    assert win.read_state()["failed_reads"] == 5
    assert win.read_state()["service"]["VLRenewalInterval"] == 60  # it was applied on the "host"
