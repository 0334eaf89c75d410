# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 17 point 1: the firewall on the default port. SPPSVC-In-TCP is off on a fresh host
(Microsoft, "Create a KMS activation host"); a KMS host on 1688 gets it enabled, a custom port
gets the collection's rule, moving back to 1688 never leaves the host without a rule."""

from __future__ import annotations

import pytest
from _kms_fixtures import host_params, kms_host_state, state, steps

from ansible_collections.kmsops.kms.plugins.plugin_utils.kms._facts import summarize
from ansible_collections.kmsops.kms.plugins.plugin_utils.kms._host_plan import finish_host, plan_host
from ansible_collections.kmsops.kms.plugins.plugin_utils.kms._keys import InvalidSetting

RESTART = [("restart_service", "sppsvc")]
SPPSVC_OFF = {"builtin_enabled": False, "builtin_profiles": "Any"}


def test_a_kms_host_on_1688_with_sppsvc_in_tcp_off_gets_it_enabled_for_domain_and_private():
    plan = plan_host(host_params(), kms_host_state(firewall=SPPSVC_OFF))
    assert steps(plan) == [("firewall_enable_builtin", None)]
    op = plan.operations[0]
    assert op["profiles"] == ["Domain", "Private"] and op["on_error"] == "warn"
    assert "Set-NetFirewallRule -Name SPPSVC-In-TCP -Profile Domain,Private -Enabled True" in op["hint"]
    assert plan.before["firewall_rule"] is None and plan.after["firewall_rule"] == "SPPSVC-In-TCP"
    assert plan.after["firewall_builtin_enabled"] is True
    # a firewall rule takes effect at once: no sppsvc restart, nothing for the restart read-back to verify
    assert "firewall_builtin_enabled" not in plan.verify


def test_sppsvc_in_tcp_enabled_for_the_asked_profiles_is_left_alone():
    for profiles in ("Domain, Private", "Any", "Domain, Private, Public"):
        plan = plan_host(
            host_params(), kms_host_state(firewall={"builtin_enabled": True, "builtin_profiles": profiles})
        )
        assert plan.operations == [], profiles


def test_an_enabled_sppsvc_in_tcp_missing_a_profile_gets_it_added_and_keeps_its_own():
    plan = plan_host(
        host_params(firewall_profiles=["Domain", "Private"]),
        kms_host_state(firewall={"builtin_enabled": True, "builtin_profiles": "Public"}),
    )
    assert steps(plan) == [("firewall_enable_builtin", None)]
    assert plan.operations[0]["profiles"] == ["Domain", "Private", "Public"]


def test_firewall_profiles_option_is_used_and_checked():
    plan = plan_host(host_params(firewall_profiles=["public", "Domain"]), kms_host_state(firewall=SPPSVC_OFF))
    assert plan.operations[0]["profiles"] == ["Domain", "Public"]
    with pytest.raises(InvalidSetting, match="firewall_profiles must be a non-empty list of Domain, Private, Public"):
        plan_host(host_params(firewall_profiles=["Work"]), kms_host_state())
    with pytest.raises(InvalidSetting, match="firewall_profiles"):
        plan_host(host_params(firewall_profiles=[]), kms_host_state())


def test_port_back_to_1688_enables_sppsvc_in_tcp_before_removing_the_collections_rule():
    current = kms_host_state(
        KeyManagementServiceListeningPort=1700,
        firewall=dict(SPPSVC_OFF, rule_port=1700, rule_profiles="Domain, Private"),
    )
    assert summarize(current)["firewall_rule"] == "kmsops-kms-KMS-In-TCP"
    plan = plan_host(host_params(port=1688), current)
    assert steps(plan) == [
        ("service", "SetKeyManagementServiceListeningPort"),
        ("firewall_enable_builtin", None),
        ("firewall_remove", None),
        *RESTART,
    ]
    assert plan.after["firewall_rule"] == "SPPSVC-In-TCP" and plan.after["firewall_rule_port"] is None


def test_a_custom_port_gets_the_collections_rule_for_the_asked_profiles_and_leaves_sppsvc_in_tcp_alone():
    plan = plan_host(host_params(port=1700, firewall_profiles=["Domain"]), kms_host_state(firewall=SPPSVC_OFF))
    assert steps(plan) == [("service", "SetKeyManagementServiceListeningPort"), ("firewall_open", None), *RESTART]
    assert plan.operations[1]["port"] == 1700 and plan.operations[1]["profiles"] == ["Domain"]
    assert plan.after["firewall_rule"] == "kmsops-kms-KMS-In-TCP"


def test_the_collections_rule_with_other_profiles_is_made_again():
    current = kms_host_state(
        KeyManagementServiceListeningPort=1700, firewall={"rule_port": 1700, "rule_profiles": "Any"}
    )
    plan = plan_host(host_params(port=1700), current)
    assert steps(plan) == [("firewall_open", None)]
    assert plan.operations[0]["profiles"] == ["Domain", "Private"]


def test_without_port_the_firewall_follows_the_port_the_host_listens_on():
    current = kms_host_state(KeyManagementServiceListeningPort=1700, firewall=SPPSVC_OFF)
    assert steps(plan_host(host_params(), current)) == [("firewall_open", None)]


def test_a_host_without_sppsvc_in_tcp_warns_what_to_open():
    current = kms_host_state(firewall={"builtin_exists": False, "builtin_enabled": None, "builtin_profiles": None})
    plan = plan_host(host_params(), current)
    assert plan.operations == []
    assert plan.warnings == [
        "WIN01 has no built-in Windows Firewall rule SPPSVC-In-TCP: open inbound TCP 1688 for KMS clients yourself"
    ]


def test_the_result_says_which_rule_lets_clients_in():
    assert summarize(state())["firewall_rule"] is None  # fresh host: SPPSVC-In-TCP off
    assert summarize(kms_host_state())["firewall_rule"] == "SPPSVC-In-TCP"
    facts = summarize(kms_host_state(KeyManagementServiceListeningPort=1700, firewall={"rule_port": 1700}))
    assert facts["firewall_rule"] == "kmsops-kms-KMS-In-TCP" and facts["firewall_rule_profiles"] == [
        "Domain",
        "Private",
    ]
    # a custom port with only SPPSVC-In-TCP enabled: nothing lets clients in
    assert summarize(kms_host_state(KeyManagementServiceListeningPort=1700))["firewall_rule"] is None
    assert (
        summarize(state(firewall={"error": "no NetSecurity", "builtin_exists": False, "builtin_enabled": None}))[
            "firewall_builtin_enabled"
        ]
        is None
    )


def test_read_back_of_sppsvc_in_tcp_still_disabled_warns():
    plan = plan_host(host_params(), kms_host_state(firewall=SPPSVC_OFF))
    finish_host(plan, kms_host_state(firewall=SPPSVC_OFF))
    assert plan.late_warnings and "SPPSVC-In-TCP Enabled=False" in plan.late_warnings[0]
    plan = plan_host(host_params(), kms_host_state(firewall=SPPSVC_OFF))
    finish_host(plan, kms_host_state())
    assert plan.late_warnings == []


def test_fresh_host_holds_the_firewall_with_the_other_settings_until_it_is_an_activated_kms_host():
    plan = plan_host(host_params(activation="none"), state())
    assert not any(op["action"].startswith("firewall_") for op in plan.operations)
    assert plan.pending == [
        "Enable the built-in Windows Firewall rule SPPSVC-In-TCP (inbound TCP 1688; profiles Domain, Private)"
    ]
