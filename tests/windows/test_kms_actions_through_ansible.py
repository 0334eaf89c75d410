# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""kms_host, kms_client and kms_info run by ansible-playbook with the executor test double."""

from __future__ import annotations

import json
import pathlib

import pytest
from conftest import CONFIRMATION_ID, GVLK_2022_DC, HOST_KEY, HOST_KEY_2, server_state


def host_task(**args):
    args.setdefault("product_key", HOST_KEY)
    return {"kmsops.kms.kms_host": args}


def test_kms_info_reports_the_licensing_facts_without_changing_anything(win):
    before = win.read_state()
    proc, (info,) = win.run([{"kmsops.kms.kms_info": {}}])
    assert proc.returncode == 0, proc.stdout
    assert info["changed"] is False
    assert info["license_status"] == "Licensed" and info["partial_product_key"] == "6VM33"
    assert info["is_kms_host"] is False and info["os"]["edition_id"] == "ServerDatacenter"
    assert win.read_state() == before


def steps(operations):
    return [op.get("method") or op.get("name") or op["action"] for op in operations]


# issue 17 point 9: KeyManagementServiceVersion written natively and under Wow6432Node
KMS_VERSION = ["KeyManagementServiceVersion", "KeyManagementServiceVersion"]
SETTINGS = [
    "SetKeyManagementServiceListeningPort",
    "firewall_open",
    "DisableKeyManagementServiceDnsPublishing",
    "DnsDomainPublishList",
]


def test_kms_host_check_mode_then_apply_then_idempotent(win):
    """Issue 9 points 1, 2, 9, 11: the settings wait for the activation (the double refuses them
    before), then one restart puts them in effect (the double applies them only then)."""
    task = host_task(
        ledger_path=win.ledger_path,
        port=1700,
        dns_publishing=False,
        publish_domains=[{"domain": "example.com", "priority": 0, "weight": 0}],
    )
    before = win.read_state()
    proc, (checked,) = win.run([task], "--check", "--diff")
    assert proc.returncode == 0, proc.stdout
    assert checked["changed"] is True
    assert steps(checked["operations"]) == [
        "InstallProductKey",
        "RefreshLicenseStatus",
        *KMS_VERSION,
        "Activate",
        "RefreshLicenseStatus",
    ]
    assert [t.split(" (")[0] for t in checked["pending_settings"]] == [
        "Set the KMS listening port to 1700",
        "Allow inbound TCP 1700 in the Windows Firewall",
        "Disable DNS auto-publishing of the SRV record",
        "Write DnsDomainPublishList",
    ]
    assert checked["applied"] == []
    assert checked["diff"]["before"]["port"] == 1688 and checked["diff"]["after"]["port"] == 1700
    assert checked["diff"]["after"]["pending_settings"] == checked["pending_settings"]
    assert "pending_settings" in proc.stdout
    assert win.read_state() == before, "check mode must not write"
    assert all(not call["params"]["operations"] for call in win.executor_calls())

    proc, (applied,) = win.run([task])
    assert proc.returncode == 0, proc.stdout
    sent = [steps(c["params"]["operations"]) for c in win.executor_calls() if c["params"]["operations"]]
    # issue 17 point 2: the install alone first; the rest only once the key reads back as VOLUME_KMS
    assert sent == [
        ["InstallProductKey", "RefreshLicenseStatus"],
        [*KMS_VERSION, "Activate", "RefreshLicenseStatus"],
        [*SETTINGS, "sppsvc"],
    ]
    assert applied["changed"] is True and len(applied["applied"]) == 11 and applied["pending_settings"] == []
    assert applied["license_status"] == "Licensed" and applied["is_kms_host"] is True
    assert applied["port"] == 1700 and applied["dns_publishing"] is False and applied["firewall_rule_port"] == 1700
    # issue 17 point 6: the host's own domain (its primary DNS suffix) is written into the list too
    assert applied["publish_domains"] == [
        {"domain": "example.com", "priority": 0, "weight": 0},
        {"domain": "corp.example", "priority": 0, "weight": 0},
    ]
    assert applied["ledger"]["hosts"] == 1 and applied["ledger"]["host_activations"] == 1
    state = win.read_state()
    assert state["restarts"] == 1 and state["staged"] == {}
    assert state["running_publish_list"] == ["example.com,0,0", "corp.example,0,0"]
    # issue 17 point 9: what slmgr.vbs /ipk writes beside a KMS host key, in both registry views
    assert state["registry"]["KeyManagementServiceVersion"] == "10.0.20348.1"
    assert state["registry_wow6432"]["KeyManagementServiceVersion"] == "10.0.20348.1"

    proc, (again,) = win.run([task])
    assert proc.returncode == 0
    assert again["changed"] is False and again["operations"] == [] and again["applied"] == []
    ledger = json.loads(pathlib.Path(win.ledger_path).read_text(encoding="utf-8"))
    records = [r for hosts in ledger["keys"].values() for rs in hosts["hosts"].values() for r in rs]
    assert [r["result"] for r in records] == ["activated"]


def test_product_key_and_confirmation_id_never_appear_in_output_even_at_vvv(win):
    proc, (first,) = win.run([host_task(activation="phone", ledger_path=win.ledger_path)], "-vvv", "--diff")
    assert proc.returncode == 0, proc.stdout
    proc2, (second,) = win.run(
        [host_task(activation="phone", confirmation_id=CONFIRMATION_ID, ledger_path=win.ledger_path)], "-vvv", "--diff"
    )
    assert proc2.returncode == 0, proc2.stdout
    digits = CONFIRMATION_ID.replace("-", "")
    for text in (proc.stdout, proc.stderr, proc2.stdout, proc2.stderr, json.dumps([first, second])):
        assert HOST_KEY not in text
        assert HOST_KEY.replace("-", "") not in text
        assert CONFIRMATION_ID not in text and digits not in text
    # the secrets did reach the executor (so no_log is what kept them out of the output)
    calls = win.executor_calls()
    assert any(c["params"]["product_key"] == HOST_KEY for c in calls)
    assert any(c["params"]["confirmation_id"] == digits for c in calls)
    assert "*****-*****-*****-*****-6789B" in proc.stdout


def test_invalid_key_fails_without_showing_the_key_at_vvv(win):
    bad = "BCDFG-HJKMP-QRTVW-XY234-6789Z"
    proc, (result,) = win.run([host_task(product_key=bad, ledger_path=win.ledger_path)], "-vvv")
    assert result["failed"] is True and "product key format" in result["msg"]
    assert bad not in proc.stdout + proc.stderr


def test_telephone_activation_across_two_runs(win):
    proc, (first,) = win.run([host_task(activation="phone", ledger_path=win.ledger_path)])
    assert proc.returncode == 0, proc.stdout
    assert first["changed"] is True and first["activation_pending"] is True
    assert first["installation_id"] == "1234567" * 9
    assert "Confirmation ID" in first["msg"]
    assert first["license_status"] != "Licensed"

    proc, (waiting,) = win.run([host_task(activation="phone", ledger_path=win.ledger_path)])
    assert waiting["changed"] is False and waiting["activation_pending"] is True

    proc, (second,) = win.run(
        [host_task(activation="phone", confirmation_id=CONFIRMATION_ID, ledger_path=win.ledger_path)]
    )
    assert proc.returncode == 0, proc.stdout
    assert second["changed"] is True and second["activation_pending"] is False
    assert second["license_status"] == "Licensed"
    assert second["ledger"]["host_activations"] == 1


def test_kms_host_key_on_a_client_edition_is_refused(win):
    state = server_state()
    state["os"] = {
        "caption": "Microsoft Windows 11 Enterprise",
        "edition_id": "Enterprise",
        "build": 22631,
        "product_type": 1,
    }
    win.write_state(state)
    _proc, (refused, forced) = win.run(
        [host_task(ledger_path=win.ledger_path), host_task(ledger_path=win.ledger_path, allow_client_edition=True)]
    )
    assert refused["failed"] is True and "client edition" in refused["msg"]
    assert forced.get("failed") is not True and forced["license_status"] == "Licensed"


def test_azure_edition_is_refused_as_a_kms_host_and_nothing_is_sent(win):
    """Issue 9 point 10."""
    state = server_state()
    state["os"] = {
        "caption": "Microsoft Windows Server 2022 Datacenter: Azure Edition",
        "edition_id": "ServerTurbine",
        "build": 20348,
        "product_type": 3,
    }
    win.write_state(state)
    _proc, (refused,) = win.run([host_task(ledger_path=win.ledger_path, allow_client_edition=True)])
    assert refused["failed"] is True and "Azure Edition as a KMS host" in refused["msg"]
    assert all(not c["params"]["operations"] for c in win.executor_calls())


def test_seventh_host_on_one_key_is_refused_unless_granted(win):
    from ansible_collections.kmsops.kms.plugins.plugin_utils.kms._ledger import (
        complete_activation,
        locked_ledger,
        reserve_activation,
    )

    with locked_ledger(win.ledger_path) as data:
        for i in range(6):
            rid = reserve_activation(data, HOST_KEY, "other%d" % i, "online")
            complete_activation(data, HOST_KEY, "other%d" % i, rid, "activated")
    before = win.read_state()
    _proc, (refused,) = win.run([host_task(ledger_path=win.ledger_path)])
    assert refused["failed"] is True and "already activated 6 hosts" in refused["msg"]
    assert win.read_state() == before
    _proc, (granted,) = win.run([host_task(ledger_path=win.ledger_path, extra_hosts_granted=1)])
    assert granted.get("failed") is not True, granted
    assert granted["ledger"]["hosts"] == 7


def test_check_mode_also_applies_the_ledger_guard_but_writes_nothing(win):
    _proc, (checked,) = win.run([host_task(ledger_path=win.ledger_path)], "--check")
    assert checked["changed"] is True and checked["ledger"]["hosts"] == 1
    import os

    assert not os.path.exists(win.ledger_path)


def test_gvlk_as_host_key_and_bad_settings_are_refused(win):
    _proc, results = win.run(
        [
            host_task(product_key=GVLK_2022_DC, ledger_path=win.ledger_path),
            host_task(renewal_interval=5, ledger_path=win.ledger_path),
            host_task(unknown_option=1),
            {"kmsops.kms.kms_host": {"state": "present"}},
        ]
    )
    gvlk, interval, unknown, missing = results
    assert "client setup key" in gvlk["msg"]
    assert "between 15 and 43200" in interval["msg"]
    assert unknown["failed"] and "unknown_option" in unknown["msg"]
    assert missing["failed"] and "product_key" in missing["msg"]
    assert win.executor_calls() == [] or all(not c["params"]["operations"] for c in win.executor_calls())


REPLACE_AND_REFRESH = [
    "Replace the installed key *****-*****-*****-*****-6VM33 with the KMS host key *****-*****-*****-*****-6789B",
    "Refresh the licence status",
    "Write KeyManagementServiceVersion 10.0.20348.1 (as slmgr.vbs /ipk does for a KMS host key)",
    "Write KeyManagementServiceVersion 10.0.20348.1 under Wow6432Node (as slmgr.vbs /ipk does for a KMS host key)",
]


@pytest.mark.parametrize(
    "fail_on, applied, ledger_result",
    [
        ("Activate", REPLACE_AND_REFRESH, "failed"),
        # a failure among the settings (sent after the activation) still reports the activation
        (
            "SetVLRenewalInterval",
            [
                *REPLACE_AND_REFRESH,
                "Activate the KMS host online",
                "Refresh the licence status",
                "Enable the built-in Windows Firewall rule SPPSVC-In-TCP (inbound TCP 1688; profiles Domain, Private)",
                "Set the activation interval to 60 minutes",
            ],
            "activated",
        ),
    ],
)
def test_executor_failure_reports_what_was_applied(win, fail_on, applied, ledger_result):
    state = server_state()
    state["fail_on"] = fail_on
    win.write_state(state)
    _proc, (result,) = win.run([host_task(ledger_path=win.ledger_path, activation_interval=60, renewal_interval=60)])
    assert result["failed"] is True and "simulated failure of %s" % fail_on in result["msg"]
    assert result["changed"] is True
    assert result["applied"] == applied
    ledger = json.loads(pathlib.Path(win.ledger_path).read_text(encoding="utf-8"))
    records = [r for hosts in ledger["keys"].values() for rs in hosts["hosts"].values() for r in rs]
    assert [r["result"] for r in records] == [ledger_result]


def test_settings_on_a_host_that_is_not_activated_stay_pending_and_are_never_sent(win):
    """Issue 9 point 2 (the double refuses SetVL* etc. on such a machine, so sending them fails)."""
    task = host_task(
        ledger_path=win.ledger_path, activation="none", port=1700, activation_interval=60, low_priority=True
    )
    proc, (first, again) = win.run([task, task], "--diff")
    assert proc.returncode == 0, proc.stdout
    assert first["changed"] is True and first.get("failed") is not True
    assert steps(first["operations"]) == ["InstallProductKey", "RefreshLicenseStatus", *KMS_VERSION, "sppsvc"]
    assert len(first["pending_settings"]) == 4 and "pending until the host is an activated KMS host" in first["msg"]
    assert first["diff"]["after"]["pending_settings"] == first["pending_settings"]
    assert again["changed"] is False and again["pending_settings"] == first["pending_settings"]
    sent = [op.get("method") for c in win.executor_calls() for op in c["params"]["operations"]]
    assert "SetKeyManagementServiceListeningPort" not in sent and "SetVLActivationInterval" not in sent
    assert win.read_state()["service"]["KeyManagementServiceListeningPort"] == 1688


def test_low_priority_by_its_cim_method_reads_back_after_the_restart(win):
    """Issue 9 points 1 and 3: no registry write; the WMI property shows it after the restart."""
    win.run([host_task(ledger_path=win.ledger_path)])
    _proc, (on, again) = win.run(
        [
            host_task(ledger_path=win.ledger_path, low_priority=True),
            host_task(ledger_path=win.ledger_path, low_priority=True),
        ]
    )
    assert on["changed"] is True and on["low_priority"] is True
    assert steps(on["operations"]) == ["EnableKeyManagementServiceLowPriority", "sppsvc"]
    assert again["changed"] is False
    state = win.read_state()
    assert state["service"]["KeyManagementServiceLowPriority"] is True
    assert state["registry"]["EnableKmsLowPriority"] is None


def test_port_change_goes_on_when_the_firewall_fails_and_warns_what_to_open(win):
    """Issue 9 point 9."""
    win.run([host_task(ledger_path=win.ledger_path)])
    state = win.read_state()
    state["firewall_broken"] = True
    win.write_state(state)
    proc, (moved,) = win.run([host_task(ledger_path=win.ledger_path, port=1700)])
    assert moved.get("failed") is not True, moved
    assert moved["port"] == 1700 and moved["firewall_rule_port"] is None
    assert "open inbound TCP 1700 on WIN01 yourself" in " ".join(moved["warnings"])
    assert "[WARNING]" in proc.stdout + proc.stderr

    state = win.read_state()
    state["firewall_broken"] = False
    win.write_state(state)
    proc, (fixed, back, unmanaged) = win.run(
        [
            host_task(ledger_path=win.ledger_path, port=1700),
            host_task(ledger_path=win.ledger_path, port=1688),
            host_task(ledger_path=win.ledger_path, port=1800, manage_firewall=False),
        ]
    )
    assert steps(fixed["operations"]) == ["firewall_open"] and fixed["firewall_rule_port"] == 1700
    assert steps(back["operations"]) == ["SetKeyManagementServiceListeningPort", "firewall_remove", "sppsvc"]
    assert back["firewall_rule_port"] is None and back["port"] == 1688
    assert steps(unmanaged["operations"]) == ["SetKeyManagementServiceListeningPort", "sppsvc"]
    assert unmanaged["firewall_rule_port"] is None and unmanaged["port"] == 1800
    assert "manage_firewall=false: open inbound TCP 1800" in " ".join(unmanaged["warnings"])


def test_executor_double_matches_the_powershell_allow_lists():
    """The double refuses what the real executor refuses (so a plan the .ps1 would reject fails here)."""
    import os
    import re

    import fake_kms_licensing as double
    from conftest import REPO

    with open(os.path.join(REPO, "plugins", "modules", "kms_licensing.ps1")) as handle:
        ps1 = handle.read()

    def ps_list(name):
        body = re.search(r"\$%s = @\(([^)]*)\)" % name, ps1).group(1)
        return tuple(re.findall(r"'([^']+)'", body))

    assert ps_list("serviceMethods") == double.SERVICE_METHODS
    assert ps_list("productMethods") == double.PRODUCT_METHODS
    assert ps_list("registryWritable") == double.REGISTRY_WRITABLE
    actions = set(re.findall(r"^        '([a-z_]+)' \{", ps1, re.MULTILINE))
    assert actions == {
        "service",
        "product",
        "registry_set",
        "registry_remove",
        "restart_service",
        "firewall_open",
        "firewall_remove",
        "firewall_enable_builtin",
    }


def test_replacing_the_host_key_is_visible_and_counted(win):
    win.run([host_task(ledger_path=win.ledger_path)])
    _proc, (replaced,) = win.run([host_task(product_key=HOST_KEY_2, ledger_path=win.ledger_path)], "--diff")
    assert replaced["changed"] is True
    assert replaced["operations"][0]["title"].startswith("Replace the installed key *****-*****-*****-*****-6789B")
    assert replaced["diff"]["after"]["kms_host_key"].endswith("JKMPN")
    assert replaced["partial_product_key"] == "JKMPN"


def test_kms_host_absent_returns_the_machine_to_a_kms_client(win):
    """Issue 9 points 6 and 8: /ipk <GVLK> and a restart (the double knows no UninstallProductKey),
    the SRV value is named as staying in DNS, the uint32 count reads as -1."""
    win.run([host_task(ledger_path=win.ledger_path, port=1700)])
    restarts = win.read_state()["restarts"]
    _proc, (removed, again, info) = win.run(
        [
            {"kmsops.kms.kms_host": {"state": "absent"}},
            {"kmsops.kms.kms_host": {"state": "absent"}},
            {"kmsops.kms.kms_info": {}},
        ]
    )
    assert removed["changed"] is True and removed["is_kms_host"] is False
    # issue 17 point 9: the GVLK install deletes KeyManagementServiceVersion in both views, as slmgr.vbs /ipk does
    assert steps(removed["operations"]) == [
        "InstallProductKey",
        "RefreshLicenseStatus",
        *KMS_VERSION,
        "firewall_remove",
        "sppsvc",
    ]
    assert [op["action"] for op in removed["operations"][2:4]] == ["registry_remove", "registry_remove"]
    assert win.read_state()["registry"]["KeyManagementServiceVersion"] is None
    assert win.read_state()["registry_wow6432"]["KeyManagementServiceVersion"] is None
    assert removed["partial_product_key"] == "6VM33" and removed["firewall_rule_port"] is None
    assert "stays in DNS" in removed["msg"] and "kmsops.kms.kms_publish" in removed["msg"]
    assert win.read_state()["restarts"] == restarts + 1
    assert again["changed"] is False
    assert win.read_state()["service"]["KeyManagementServiceCurrentCount"] == 4294967295
    assert info["current_count"] == -1


def test_kms_client_auto_key_fixed_host_and_activation(win):
    state = server_state()
    state["os"] = {
        "caption": "Microsoft Windows 11 Enterprise",
        "edition_id": "Enterprise",
        "build": 22631,
        "product_type": 1,
    }
    state["products"] = []
    win.write_state(state)
    task = {
        "kmsops.kms.kms_client": {
            "product_key": "auto",
            "kms_host": "[2001:db8::10]:1700",
            "kms_domain": "example.com",
            "host_caching": False,
            "activate": True,
        }
    }
    proc, (checked,) = win.run([task], "--check", "--diff")
    assert checked["changed"] is True and checked["applied"] == []
    assert checked["diff"]["after"]["kms_host"] == "2001:db8::10"
    proc, (applied, again) = win.run([task, task], "-vvv")
    assert proc.returncode == 0, proc.stdout
    assert applied["changed"] is True and applied["license_status"] == "Licensed"
    assert applied["kms_host"] == "2001:db8::10" and applied["kms_port"] == 1700
    assert applied["partial_product_key"] == "2YT43"
    # issue 9 point 4: Windows got the bracketed form, as slmgr.vbs /skms passes it
    assert win.read_state()["service"]["KeyManagementServiceMachine"] == "[2001:db8::10]"
    assert again["changed"] is False
    assert "NPPR9-FWDCX-D2C8J-H872K-2YT43" not in proc.stdout + proc.stderr


def test_kms_client_refuses_a_kms_host_key(win):
    proc, (refused,) = win.run([{"kmsops.kms.kms_client": {"product_key": HOST_KEY}}], "-vvv")
    assert refused["failed"] is True and "never be installed on a KMS client" in refused["msg"]
    assert HOST_KEY not in proc.stdout + proc.stderr


def test_kms_client_dns_discovery_clears_the_fixed_host(win):
    win.write_state(server_state(KeyManagementServiceMachine="kms01.example.com", KeyManagementServicePort=1700))
    _proc, (result,) = win.run([{"kmsops.kms.kms_client": {"dns_discovery": True}}])
    assert result["changed"] is True and result["kms_host"] is None and result["kms_port"] == 1688
