# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Product keys stay out of failures too: an executor that fails while installing the key, at
-vvvv with tracebacks on, shows neither the key nor the Confirmation ID."""

from __future__ import annotations

import json

from conftest import CONFIRMATION_ID, HOST_KEY, server_state


def test_a_failing_key_install_at_vvvv_with_tracebacks_never_shows_the_key(win, monkeypatch):
    monkeypatch.setenv("ANSIBLE_DISPLAY_TRACEBACK", "always")
    state = server_state()
    state["fail_on"] = "InstallProductKey"
    win.write_state(state)
    install = {"kmsops.kms.kms_host": {"product_key": HOST_KEY, "ledger_path": win.ledger_path}}
    early = {
        "kmsops.kms.kms_host": {
            "product_key": HOST_KEY,
            "ledger_path": win.ledger_path,
            "activation": "phone",
            "confirmation_id": CONFIRMATION_ID,
        }
    }
    proc, (result, refused) = win.run([install, early], "-vvvv", "--diff")
    assert result["failed"] is True
    assert "InstallProductKey" in result["msg"], result["msg"]
    assert refused["failed"] is True and "not installed yet" in refused["msg"]
    # the key reached the executor: only masking kept it out of the output
    assert any(call["params"].get("product_key") == HOST_KEY for call in win.executor_calls())
    digits = CONFIRMATION_ID.replace("-", "")
    for text in (proc.stdout, proc.stderr, json.dumps([result, refused])):
        assert HOST_KEY not in text and HOST_KEY.replace("-", "") not in text
        assert CONFIRMATION_ID not in text and digits not in text


def test_a_refused_mak_a_coded_failure_and_a_failed_read_back_at_vvvv_never_show_the_key(win, monkeypatch):
    """Issue 17 points 2, 3 and 7: the new failure paths carry the masked key only."""
    monkeypatch.setenv("ANSIBLE_DISPLAY_TRACEBACK", "always")
    state = server_state()
    state["key_channels"] = {HOST_KEY[-5:]: "VOLUME_MAK"}
    win.write_state(state)
    task = {"kmsops.kms.kms_host": {"product_key": HOST_KEY, "ledger_path": win.ledger_path}}
    proc, (mak,) = win.run([task], "-vvvv", "--diff")
    assert mak["failed"] is True and "VOLUME_MAK" in mak["msg"]
    state = server_state()
    state.update(fail_on="Activate", fail_hresult="0xC004F050")
    win.write_state(state)
    proc2, (coded,) = win.run([task], "-vvvv", "--diff")
    assert coded["failed"] is True and "0xC004F050" in coded["msg"]
    state = server_state()
    state.update(read_failures_after_restart=99)
    win.write_state(state)
    no_activation = {"kmsops.kms.kms_host": dict(task["kmsops.kms.kms_host"], activation="none")}
    proc3, (unread,) = win.run([no_activation], "-vvvv")
    assert unread["failed"] is True and "could not be read back" in unread["msg"], unread["msg"]
    assert any(call["params"].get("product_key") == HOST_KEY for call in win.executor_calls())
    for text in (
        proc.stdout,
        proc.stderr,
        proc2.stdout,
        proc2.stderr,
        proc3.stdout,
        proc3.stderr,
        json.dumps([mak, coded, unread]),
    ):
        assert HOST_KEY not in text and HOST_KEY.replace("-", "") not in text
    assert "*****-*****-*****-*****-6789B" in proc.stdout + proc3.stdout
