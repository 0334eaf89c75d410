# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import copy
import json

import pytest
from _kms_fixtures import (
    CONFIRMATION_ID,
    GVLK_2022_DC,
    HOST_KEY,
    HOST_KEY_2,
    INSTALLATION_ID,
    WINDOWS_11,
    host_params,
    kms_host_state,
    state,
    steps,
)

from ansible_collections.kmsops.kms.plugins.module_utils.common._errors import InvalidValue
from ansible_collections.kmsops.kms.plugins.plugin_utils.kms._facts import UnsupportedWindows, summarize
from ansible_collections.kmsops.kms.plugins.plugin_utils.kms._gvlk import NoGvlkForEdition
from ansible_collections.kmsops.kms.plugins.plugin_utils.kms._host_plan import finish_host, plan_host
from ansible_collections.kmsops.kms.plugins.plugin_utils.kms._keys import (
    ExecutorError,
    GuardRefused,
    InvalidConfirmationId,
    InvalidProductKey,
    InvalidSetting,
)

INSTALL = [
    ("service", "InstallProductKey"),
    ("service", "RefreshLicenseStatus"),
    # issue 17 point 9: what slmgr.vbs /ipk writes after installing a KMS host key
    ("registry_set", "KeyManagementServiceVersion"),
]
# a key that is not a KMS host key: slmgr.vbs /ipk deletes the value
INSTALL_GVLK = [*INSTALL[:2], ("registry_remove", "KeyManagementServiceVersion")]
ACTIVATE = [("product", "Activate"), ("service", "RefreshLicenseStatus")]
RESTART = [("restart_service", "sppsvc")]


def test_converged_host_plans_no_operations():
    current = kms_host_state(
        KeyManagementServiceListeningPort=1700,
        KeyManagementServiceDnsPublishing=False,
        VLActivationInterval=60,
        VLRenewalInterval=1440,
        registry={"DnsDomainPublishList": ["example.com,0,0"]},
        firewall={"rule_port": 1700},
    )
    plan = plan_host(
        host_params(
            port=1700,
            dns_publishing=False,
            activation_interval=60,
            renewal_interval=1440,
            publish_domains=[{"domain": "example.com", "priority": 0, "weight": 0}],
            low_priority=False,
        ),
        current,
    )
    assert plan.operations == []
    assert not plan.changed
    assert plan.before == plan.after


def test_fresh_server_installs_the_key_activates_online_then_enables_sppsvc_in_tcp_and_restarts_once():
    """Issue 17 point 1: SPPSVC-In-TCP is off on a fresh host; it is enabled once the host is an
    activated KMS host (with the other host settings), then the one restart."""
    plan = plan_host(host_params(), state())
    assert steps(plan) == INSTALL + ACTIVATE
    assert plan.install_key == HOST_KEY
    assert plan.operations[3]["partial_key"] == HOST_KEY[-5:]
    assert plan.activation == "online" and plan.activation_key == HOST_KEY
    assert plan.settings_follow and plan.pending == [
        "Enable the built-in Windows Firewall rule SPPSVC-In-TCP (inbound TCP 1688; profiles Domain, Private)"
    ]
    follow = plan_host(
        host_params(), kms_host_state(firewall={"builtin_enabled": False, "builtin_profiles": "Any"}), restart_owed=True
    )
    assert steps(follow) == [("firewall_enable_builtin", None), *RESTART]
    assert follow.operations[0]["profiles"] == ["Domain", "Private"]


def test_operations_never_contain_the_product_key():
    plan = plan_host(host_params(port=1700, publish_domains=[{"domain": "example.com"}]), state())
    text = json.dumps(plan.public_operations())
    assert HOST_KEY not in text
    assert plan.operations[0]["secret_args"] == {"ProductKey": "product_key"}


def test_key_given_in_lower_case_matches_the_installed_key():
    plan = plan_host(host_params(product_key=HOST_KEY.lower()), kms_host_state())
    assert plan.operations == []


def test_installed_key_is_not_reinstalled_and_licensed_host_not_reactivated():
    plan = plan_host(host_params(), kms_host_state(licensed=True))
    assert steps(plan) == []
    assert plan.activation is None


def test_installed_but_unlicensed_host_is_activated_without_reinstalling():
    plan = plan_host(host_params(), kms_host_state(licensed=False))
    assert steps(plan) == ACTIVATE
    assert plan.install_key is None


def test_activation_none_installs_the_key_only_and_restarts_after_it():
    plan = plan_host(host_params(activation="none"), state())
    assert steps(plan) == INSTALL + RESTART
    assert plan.activation is None


def test_replacing_the_host_key_is_a_visible_planned_change():
    plan = plan_host(host_params(product_key=HOST_KEY_2), kms_host_state(HOST_KEY))
    assert steps(plan) == INSTALL + ACTIVATE + RESTART
    assert "Replace the installed key *****-*****-*****-*****-6789B" in plan.operations[0]["title"]
    assert plan.before["kms_host_key"].endswith(HOST_KEY[-5:])
    assert plan.after["kms_host_key"].endswith(HOST_KEY_2[-5:])


@pytest.mark.parametrize(
    "option, value, expected",
    [
        ("port", 1700, [("service", "SetKeyManagementServiceListeningPort"), ("firewall_open", None)]),
        ("dns_publishing", False, [("service", "DisableKeyManagementServiceDnsPublishing")]),
        (
            "publish_domains",
            [{"domain": "example.com", "priority": 0, "weight": 0}],
            [("registry_set", "DnsDomainPublishList")],
        ),
        ("low_priority", True, [("service", "EnableKeyManagementServiceLowPriority")]),
        ("activation_interval", 60, [("service", "SetVLActivationInterval")]),
        ("renewal_interval", 1440, [("service", "SetVLRenewalInterval")]),
    ],
)
def test_each_setting_plans_its_operation_then_the_sppsvc_restart(option, value, expected):
    """Point 1: every host setting takes effect only after sppsvc restarts (slmgr.vbs says so)."""
    plan = plan_host(host_params(**{option: value}), kms_host_state())
    assert steps(plan) == expected + RESTART


def test_setting_arguments_are_what_windows_expects():
    plan = plan_host(
        host_params(port=1700, dns_publishing=False, activation_interval=60, renewal_interval=1440, low_priority=True),
        kms_host_state(),
    )
    args = {op.get("method") or op.get("name"): op.get("args", op.get("value")) for op in plan.operations}
    assert args["SetKeyManagementServiceListeningPort"] == {"PortNumber": 1700}
    assert args["DisableKeyManagementServiceDnsPublishing"] == {"DisablePublishing": True}
    assert args["SetVLActivationInterval"] == {"ActivationInterval": 60}
    assert args["SetVLRenewalInterval"] == {"RenewalInterval": 1440}
    assert args["EnableKeyManagementServiceLowPriority"] == {"EnableLowPriority": True}


ALL_SETTINGS = dict(
    port=1700,
    dns_publishing=False,
    low_priority=True,
    publish_domains=[{"domain": "a.example.com", "priority": 0, "weight": 10}],
    activation_interval=60,
    renewal_interval=1440,
)
SETTING_STEPS = [
    ("service", "SetKeyManagementServiceListeningPort"),
    ("firewall_open", None),
    ("service", "DisableKeyManagementServiceDnsPublishing"),
    ("registry_set", "DnsDomainPublishList"),
    ("service", "EnableKeyManagementServiceLowPriority"),
    ("service", "SetVLActivationInterval"),
    ("service", "SetVLRenewalInterval"),
]


def test_everything_at_once_on_an_activated_host_runs_in_order_with_one_restart_at_the_end():
    plan = plan_host(host_params(**ALL_SETTINGS), kms_host_state())
    assert steps(plan) == SETTING_STEPS + RESTART
    assert plan.verify == {
        "port": 1700,
        "dns_publishing": False,
        "low_priority": True,
        "activation_interval": 60,
        "renewal_interval": 1440,
        "publish_domains": [{"domain": "a.example.com", "priority": 0, "weight": 10}],
    }


def test_fresh_host_activates_first_and_holds_the_settings_for_after_the_activation():
    """Point 2: the settings wait until Windows reports an activated KMS host; point 1: the one
    restart owed by /ipk is left to the follow-up plan, which ends with it."""
    plan = plan_host(host_params(**ALL_SETTINGS), state())
    assert steps(plan) == INSTALL + ACTIVATE
    assert plan.settings_follow and plan.restart_owed
    assert plan.pending == [
        op["title"] for op in plan_host(host_params(**ALL_SETTINGS), kms_host_state()).operations[:-1]
    ]
    assert plan.after["pending_settings"] == plan.pending and plan.after["port"] == 1700
    follow = plan_host(host_params(**ALL_SETTINGS), kms_host_state(), restart_owed=plan.restart_owed)
    assert steps(follow) == SETTING_STEPS + RESTART
    assert not follow.pending


def test_follow_up_plan_restarts_for_the_new_key_even_when_the_settings_already_match():
    follow = plan_host(host_params(), kms_host_state(), restart_owed=True)
    assert steps(follow) == RESTART


def test_publish_list_is_written_as_canonical_multi_string_lines():
    plan = plan_host(
        host_params(
            publish_domains=[
                {"domain": "Branch.Example.com.", "priority": 0, "weight": 100},
                {"domain": "example.com", "priority": 10, "weight": 0},
            ]
        ),
        kms_host_state(),
    )
    assert steps(plan) == [("registry_set", "DnsDomainPublishList"), *RESTART]
    assert plan.operations[0]["type"] == "MultiString"
    assert plan.operations[0]["value"] == ["branch.example.com,0,100", "example.com,10,0"]


def test_publish_list_in_another_order_is_a_change():
    current = kms_host_state(registry={"DnsDomainPublishList": ["a.example.com,0,0", "b.example.com,0,0"]})
    plan = plan_host(host_params(publish_domains=[{"domain": "b.example.com"}, {"domain": "a.example.com"}]), current)
    assert steps(plan) == [("registry_set", "DnsDomainPublishList"), *RESTART]


def test_empty_publish_list_removes_the_value_and_restarts():
    current = kms_host_state(registry={"DnsDomainPublishList": ["a.example.com,0,0"]})
    plan = plan_host(host_params(publish_domains=[]), current)
    assert steps(plan) == [("registry_remove", "DnsDomainPublishList"), ("restart_service", "sppsvc")]


def test_empty_publish_list_when_none_is_set_is_no_change():
    assert plan_host(host_params(publish_domains=[]), kms_host_state()).operations == []


def test_diff_shows_before_and_after():
    plan = plan_host(host_params(port=1700, dns_publishing=False), kms_host_state())
    assert plan.before["port"] == 1688 and plan.after["port"] == 1700
    assert plan.before["dns_publishing"] is True and plan.after["dns_publishing"] is False
    assert plan.before["license_status"] == "Licensed"


def test_diff_of_a_fresh_host_shows_the_masked_key_and_licensing():
    plan = plan_host(host_params(), state())
    assert plan.before["kms_host_key"] is None
    assert plan.after["kms_host_key"] == "*****-*****-*****-*****-6789B"
    assert plan.after["license_status"] == "Licensed"


def test_planning_does_not_modify_the_state():
    current = state()
    snapshot = copy.deepcopy(current)
    plan_host(host_params(port=1700, publish_domains=[{"domain": "example.com"}]), current)
    plan_host(host_params(port=1700, publish_domains=[{"domain": "example.com"}]), kms_host_state())
    assert current == snapshot


@pytest.mark.parametrize(
    "option, value",
    [
        ("activation_interval", 14),
        ("activation_interval", 43201),
        ("renewal_interval", 0),
        ("renewal_interval", 100000),
        ("port", 0),
        ("port", 65536),
    ],
)
def test_out_of_range_settings_are_refused(option, value):
    with pytest.raises(InvalidValue, match="^" + option):
        plan_host(host_params(**{option: value}), kms_host_state())


@pytest.mark.parametrize("value", [15, 43200])
def test_interval_limits_are_inclusive(value):
    assert steps(plan_host(host_params(renewal_interval=value), kms_host_state())) == [
        ("service", "SetVLRenewalInterval"),
        *RESTART,
    ]


def test_malformed_host_key_is_refused():
    with pytest.raises(InvalidProductKey):
        plan_host(host_params(product_key="ABCDE-HJKMP-QRTVW-XY234-6789B"), state())


def test_gvlk_is_refused_as_a_kms_host_key():
    with pytest.raises(GuardRefused, match="client setup key"):
        plan_host(host_params(product_key=GVLK_2022_DC), state())


def test_kms_host_key_on_a_client_edition_is_refused():
    with pytest.raises(GuardRefused, match="client edition"):
        plan_host(host_params(), state(os_info=WINDOWS_11))


def test_kms_host_key_on_a_client_edition_is_allowed_when_forced():
    plan = plan_host(host_params(allow_client_edition=True), state(os_info=WINDOWS_11))
    assert steps(plan)[:3] == INSTALL


# --- telephone activation across two runs -------------------------------------------------


def test_phone_first_run_installs_the_key_and_marks_activation_pending():
    plan = plan_host(host_params(activation="phone"), state())
    assert steps(plan) == INSTALL + RESTART
    assert plan.activation_pending is True
    assert plan.installation_id is None  # known only once the key is installed
    assert plan.activation is None  # nothing is counted before the deposit
    assert "Confirmation ID" in plan.messages[0]


def test_phone_first_run_reports_the_installation_id_read_back_after_install():
    plan = plan_host(host_params(activation="phone"), state())
    facts = finish_host(plan, kms_host_state(licensed=False))
    assert plan.installation_id == INSTALLATION_ID
    assert facts["license_status"] == "Notification"


def test_phone_run_again_without_confirmation_id_changes_nothing_and_stays_pending():
    plan = plan_host(host_params(activation="phone"), kms_host_state(licensed=False))
    assert plan.operations == []
    assert plan.activation_pending and plan.installation_id == INSTALLATION_ID


def test_phone_second_run_deposits_the_confirmation_id_and_refreshes():
    plan = plan_host(host_params(activation="phone", confirmation_id=CONFIRMATION_ID), kms_host_state(licensed=False))
    assert steps(plan) == [("product", "DepositOfflineConfirmationId"), ("service", "RefreshLicenseStatus")]
    deposit = plan.operations[0]
    assert deposit["args"] == {"InstallationId": INSTALLATION_ID}
    assert deposit["secret_args"] == {"ConfirmationId": "confirmation_id"}
    assert plan.confirmation_id == CONFIRMATION_ID.replace("-", "")
    assert CONFIRMATION_ID.replace("-", "") not in json.dumps(plan.public_operations())
    assert plan.activation == "phone" and not plan.activation_pending


def test_phone_second_run_verifies_the_licence_status():
    plan = plan_host(host_params(activation="phone", confirmation_id=CONFIRMATION_ID), kms_host_state(licensed=False))
    with pytest.raises(ExecutorError, match="licence status Notification"):
        finish_host(plan, kms_host_state(licensed=False))
    assert finish_host(plan, kms_host_state(licensed=True))["license_status"] == "Licensed"


def test_phone_on_a_licensed_host_ignores_the_confirmation_id():
    plan = plan_host(host_params(activation="phone", confirmation_id=CONFIRMATION_ID), kms_host_state())
    assert plan.operations == [] and not plan.activation_pending


def test_confirmation_id_before_the_key_is_installed_is_refused():
    with pytest.raises(InvalidSetting, match="not installed yet"):
        plan_host(host_params(activation="phone", confirmation_id=CONFIRMATION_ID), state())


def test_confirmation_id_without_phone_activation_is_refused():
    with pytest.raises(InvalidSetting, match="activation=phone"):
        plan_host(host_params(confirmation_id=CONFIRMATION_ID), kms_host_state(licensed=False))


def test_malformed_confirmation_id_is_refused():
    with pytest.raises(InvalidConfirmationId):
        plan_host(host_params(activation="phone", confirmation_id="12345"), kms_host_state(licensed=False))


def test_online_activation_is_verified_after_apply():
    plan = plan_host(host_params(), state())
    with pytest.raises(ExecutorError, match="licence status"):
        finish_host(plan, kms_host_state(licensed=False))


# --- state: absent -------------------------------------------------------------------------


def test_absent_turns_a_kms_host_back_into_a_kms_client_with_ipk_gvlk_and_a_restart():
    """Point 6: /ipk <GVLK> and a restart, no /upk; the user is told the SRV value stays in DNS."""
    plan = plan_host(host_params(state="absent", product_key=None), kms_host_state())
    assert steps(plan) == INSTALL_GVLK + RESTART
    assert "UninstallProductKey" not in json.dumps(plan.operations)
    assert plan.install_key == GVLK_2022_DC
    assert plan.after["kms_host_key"] is None
    assert plan.verify == {"partial_product_key": GVLK_2022_DC[-5:]}
    assert "stays in DNS" in plan.messages[0] and "kmsops.kms.kms_publish" in plan.messages[0]


def test_absent_also_removes_the_collections_firewall_rule():
    plan = plan_host(host_params(state="absent", product_key=None), kms_host_state(firewall={"rule_port": 1700}))
    assert steps(plan) == [*INSTALL_GVLK, ("firewall_remove", None), *RESTART]


def test_absent_on_a_kms_client_changes_nothing():
    assert plan_host(host_params(state="absent", product_key=None), state()).operations == []


def test_absent_fails_clearly_when_the_edition_has_no_client_key():
    current = kms_host_state()
    current["os"] = {
        "caption": "Microsoft Windows Server 2022 Datacenter Evaluation",
        "edition_id": "ServerDatacenterEval",
        "build": 20348,
        "product_type": 3,
    }
    with pytest.raises(NoGvlkForEdition):
        plan_host(host_params(state="absent", product_key=None), current)


# --- what a real host needs (issue 9) -------------------------------------------------------


def test_read_back_without_the_setting_in_effect_fails_the_task():
    """Point 1: the read-back after the restart must show the setting; one that did not take
    effect is reported, not taken for applied."""
    plan = plan_host(host_params(port=1700), kms_host_state())
    with pytest.raises(ExecutorError, match="port=1688 \\(expected 1700\\)"):
        finish_host(plan, kms_host_state())
    assert finish_host(plan, kms_host_state(KeyManagementServiceListeningPort=1700))["port"] == 1700


def _not_a_kms_host_product(current):
    current["products"][0]["IsKeyManagementServiceMachine"] = 0
    return current


@pytest.mark.parametrize(
    "current, params",
    [
        (state(), dict(activation="none")),  # key only, never activated
        (state(), dict(activation="phone")),  # telephone: first run
        (kms_host_state(licensed=False), dict(activation="phone")),  # waiting for the Confirmation ID
        (_not_a_kms_host_product(kms_host_state()), {}),  # licensed, but Windows says no KMS host
    ],
)
def test_host_settings_are_pending_and_never_sent_before_the_host_is_an_activated_kms_host(current, params):
    """Point 2: check mode and diff show them as pending; no setting method is planned."""
    plan = plan_host(host_params(port=1700, activation_interval=60, **params), current)
    methods = [op.get("method") for op in plan.operations]
    assert "SetKeyManagementServiceListeningPort" not in methods and "SetVLActivationInterval" not in methods
    assert not any(op["action"] == "firewall_open" for op in plan.operations)
    assert plan.pending == [
        "Set the KMS listening port to 1700",
        "Allow inbound TCP 1700 in the Windows Firewall (rule kmsops-kms-KMS-In-TCP, profiles Domain, Private)",
        "Set the activation interval to 60 minutes",
    ]
    assert not plan.settings_follow
    assert plan.after["pending_settings"] == plan.pending and plan.after["port"] == 1688
    assert any("pending until the host is an activated KMS host" in m for m in plan.messages)


def test_phone_deposit_run_applies_the_settings_right_after_the_activation():
    plan = plan_host(
        host_params(activation="phone", confirmation_id=CONFIRMATION_ID, renewal_interval=1440),
        kms_host_state(licensed=False),
    )
    assert steps(plan) == [("product", "DepositOfflineConfirmationId"), ("service", "RefreshLicenseStatus")]
    assert plan.settings_follow and plan.pending == ["Set the renewal interval to 1440 minutes"]


def test_low_priority_uses_the_documented_method_and_no_registry_write():
    """Point 3: EnableKeyManagementServiceLowPriority (slmgr.vbs /cpri, /spri), read back from WMI."""
    on = plan_host(host_params(low_priority=True), kms_host_state())
    off = plan_host(host_params(low_priority=False), kms_host_state(KeyManagementServiceLowPriority=True))
    for plan, value in ((on, True), (off, False)):
        assert steps(plan) == [("service", "EnableKeyManagementServiceLowPriority"), *RESTART]
        assert plan.operations[0]["args"] == {"EnableLowPriority": value}
        assert not any(op["action"].startswith("registry") for op in plan.operations)
        assert plan.verify == {"low_priority": value}
    assert "/cpri" in on.operations[0]["title"] and "/spri" in off.operations[0]["title"]
    # the registry value alone (what the collection used to write) is not what counts
    current = kms_host_state(registry={"EnableKmsLowPriority": 1})
    assert steps(plan_host(host_params(low_priority=True), current))[0] == (
        "service",
        "EnableKeyManagementServiceLowPriority",
    )


@pytest.mark.parametrize("build, caption", [(6002, "Windows Server 2008 Enterprise"), (6001, "Windows Vista Business")])
def test_windows_older_than_7_and_2008_r2_is_refused_clearly(build, caption):
    """Point 5."""
    current = state()
    current["os"] = {"caption": caption, "edition_id": "ServerEnterprise", "build": build, "product_type": 3}
    expected = "Windows 7 / Windows Server 2008 R2 \\(build 7600\\) or later; WIN01 is %s \\(build %d\\)" % (
        caption,
        build,
    )
    with pytest.raises(UnsupportedWindows, match=expected):
        plan_host(host_params(), current)


def test_windows_server_2008_r2_is_supported():
    # no NetSecurity module there: the executor reports the firewall as unreadable, the task warns
    current = state(firewall={"error": "The term 'Get-NetFirewallRule' is not recognized"})
    current["os"] = {
        "caption": "Windows Server 2008 R2 Enterprise",
        "edition_id": "ServerEnterprise",
        "build": 7601,
        "product_type": 3,
    }
    plan = plan_host(host_params(), current)
    assert steps(plan) == INSTALL + ACTIVATE + RESTART
    assert any("open inbound TCP 1688 for KMS clients yourself" in w for w in plan.warnings), plan.warnings


def test_current_count_sent_as_uint32_reads_as_minus_one():
    """Point 8: 4294967295 over CIM is the documented -1."""
    facts = summarize(state(KeyManagementServiceCurrentCount=4294967295, RequiredClientCount=4294967295))
    assert facts["current_count"] == -1 and facts["required_count"] == -1
    assert summarize(kms_host_state(KeyManagementServiceCurrentCount=7))["current_count"] == 7


def test_custom_port_opens_a_firewall_rule_that_never_fails_the_task():
    """Point 9: the rule is planned with on_error=warn (the executor reports, goes on)."""
    plan = plan_host(host_params(port=1700), kms_host_state())
    rule = plan.operations[1]
    assert rule["action"] == "firewall_open" and rule["port"] == 1700 and rule["on_error"] == "warn"
    assert "1700" in rule["hint"]
    assert "firewall_rule_port" not in plan.verify
    assert plan.after["firewall_rule_port"] == 1700


def test_port_back_to_1688_removes_the_rule():
    current = kms_host_state(KeyManagementServiceListeningPort=1700, firewall={"rule_port": 1700})
    plan = plan_host(host_params(port=1688), current)
    assert steps(plan) == [("service", "SetKeyManagementServiceListeningPort"), ("firewall_remove", None), *RESTART]


def test_a_missing_rule_for_the_custom_port_is_added_without_a_restart():
    plan = plan_host(host_params(port=1700), kms_host_state(KeyManagementServiceListeningPort=1700))
    assert steps(plan) == [("firewall_open", None)]


def test_manage_firewall_false_leaves_the_firewall_alone_and_says_what_to_open():
    plan = plan_host(host_params(port=1700, manage_firewall=False), kms_host_state())
    assert steps(plan) == [("service", "SetKeyManagementServiceListeningPort"), *RESTART]
    assert plan.warnings == [
        "manage_firewall=false: open inbound TCP 1700 on WIN01 for KMS clients yourself "
        "(the built-in rule SPPSVC-In-TCP covers port 1688 only)"
    ]


def test_unreadable_firewall_does_not_stop_the_port_change():
    plan = plan_host(host_params(port=1700), kms_host_state(firewall={"rule_port": None, "error": "no NetSecurity"}))
    assert steps(plan) == [("service", "SetKeyManagementServiceListeningPort"), *RESTART]
    assert "could not be read (no NetSecurity)" in plan.warnings[0] and "TCP 1700" in plan.warnings[0]


@pytest.mark.parametrize("allow", [False, True])
def test_azure_edition_is_refused_as_a_kms_host_even_when_client_editions_are_allowed(allow):
    """Point 10."""
    current = state()
    current["os"] = {
        "caption": "Microsoft Windows Server 2022 Datacenter: Azure Edition",
        "edition_id": "ServerTurbine",
        "build": 20348,
        "product_type": 3,
    }
    with pytest.raises(GuardRefused, match="Azure Edition as a KMS host"):
        plan_host(host_params(allow_client_edition=allow), current)


def test_online_activation_refreshes_the_licence_status_before_the_read_back():
    """Point 11: Activate() then RefreshLicenseStatus, as slmgr.vbs /ato does."""
    plan = plan_host(host_params(), kms_host_state(licensed=False))
    assert steps(plan) == [("product", "Activate"), ("service", "RefreshLicenseStatus")]


def test_kms_host_docs_say_what_windows_does():
    """Point 7 (and 6): low_priority true is /cpri, the home domain is always published, absent
    leaves the SRV value to kms_publish."""
    import yaml

    from ansible_collections.kmsops.kms.plugins.modules import kms_host

    options = yaml.safe_load(kms_host.DOCUMENTATION)["options"]
    low = " ".join(options["low_priority"]["description"])
    assert "V(true) runs the KMS service at low priority (slmgr.vbs C(/cpri))" in low
    assert "EnableKeyManagementServiceLowPriority" in low and "EnableKmsLowPriority" not in low
    publish = " ".join(options["publish_domains"]["description"])
    assert "home domain is always" in publish and "consistently" not in publish
    absent = " ".join(options["state"]["description"])
    assert "stays in DNS" in absent and "M(kmsops.kms.kms_publish)" in absent and "/upk" in absent
