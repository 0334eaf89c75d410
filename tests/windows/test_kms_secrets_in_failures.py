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
    early = {"kmsops.kms.kms_host": {"product_key": HOST_KEY, "ledger_path": win.ledger_path,
                                     "activation": "phone", "confirmation_id": CONFIRMATION_ID}}
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
