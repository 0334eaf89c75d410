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
from ansible_collections.kmsops.kms.plugins.module_utils.kms._gvlk import NoGvlkForEdition
from ansible_collections.kmsops.kms.plugins.module_utils.kms._keys import (
    ExecutorError,
    GuardRefused,
    InvalidConfirmationId,
    InvalidProductKey,
    InvalidSetting,
)
from ansible_collections.kmsops.kms.plugins.module_utils.kms._host_plan import finish_host, plan_host

INSTALL = [("service", "InstallProductKey"), ("service", "RefreshLicenseStatus")]


def test_converged_host_plans_no_operations():
    current = kms_host_state(KeyManagementServiceListeningPort=1700, KeyManagementServiceDnsPublishing=False,
                             VLActivationInterval=60, VLRenewalInterval=1440,
                             registry={"DnsDomainPublishList": ["example.com,0,0"]})
    plan = plan_host(host_params(port=1700, dns_publishing=False, activation_interval=60, renewal_interval=1440,
                                 publish_domains=[{"domain": "example.com", "priority": 0, "weight": 0}],
                                 low_priority=False), current)
    assert plan.operations == []
    assert not plan.changed
    assert plan.before == plan.after


def test_fresh_server_installs_the_key_then_activates_online():
    plan = plan_host(host_params(), state())
    assert steps(plan) == INSTALL + [("product", "Activate")]
    assert plan.install_key == HOST_KEY
    assert plan.operations[2]["partial_key"] == HOST_KEY[-5:]
    assert plan.activation == "online" and plan.activation_key == HOST_KEY


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
    assert steps(plan) == [("product", "Activate")]
    assert plan.install_key is None


def test_activation_none_installs_the_key_only():
    plan = plan_host(host_params(activation="none"), state())
    assert steps(plan) == INSTALL
    assert plan.activation is None


def test_replacing_the_host_key_is_a_visible_planned_change():
    plan = plan_host(host_params(product_key=HOST_KEY_2), kms_host_state(HOST_KEY))
    assert steps(plan) == INSTALL + [("product", "Activate")]
    assert "Replace the installed key *****-*****-*****-*****-6789B" in plan.operations[0]["title"]
    assert plan.before["kms_host_key"].endswith(HOST_KEY[-5:])
    assert plan.after["kms_host_key"].endswith(HOST_KEY_2[-5:])


@pytest.mark.parametrize("option, value, expected", [
    ("port", 1700, [("service", "SetKeyManagementServiceListeningPort")]),
    ("dns_publishing", False, [("service", "DisableKeyManagementServiceDnsPublishing")]),
    ("publish_domains", [{"domain": "example.com", "priority": 0, "weight": 0}],
     [("registry_set", "DnsDomainPublishList"), ("restart_service", "sppsvc")]),
    ("low_priority", True, [("registry_set", "EnableKmsLowPriority"), ("restart_service", "sppsvc")]),
    ("activation_interval", 60, [("service", "SetVLActivationInterval")]),
    ("renewal_interval", 1440, [("service", "SetVLRenewalInterval")]),
])
def test_each_setting_plans_exactly_its_operations(option, value, expected):
    plan = plan_host(host_params(**{option: value}), kms_host_state())
    assert steps(plan) == expected


def test_setting_arguments_are_what_windows_expects():
    plan = plan_host(host_params(port=1700, dns_publishing=False, activation_interval=60, renewal_interval=1440,
                                 low_priority=True), kms_host_state())
    args = {op.get("method") or op.get("name"): op.get("args", op.get("value")) for op in plan.operations}
    assert args["SetKeyManagementServiceListeningPort"] == {"PortNumber": 1700}
    assert args["DisableKeyManagementServiceDnsPublishing"] == {"DisablePublishing": True}
    assert args["SetVLActivationInterval"] == {"ActivationInterval": 60}
    assert args["SetVLRenewalInterval"] == {"RenewalInterval": 1440}
    assert args["EnableKmsLowPriority"] == 1


def test_everything_at_once_runs_in_order_with_one_restart_at_the_end():
    plan = plan_host(host_params(port=1700, dns_publishing=False, low_priority=True,
                                 publish_domains=[{"domain": "a.example.com", "priority": 0, "weight": 10}],
                                 activation_interval=60, renewal_interval=1440), state())
    assert steps(plan) == INSTALL + [
        ("product", "Activate"),
        ("service", "SetKeyManagementServiceListeningPort"),
        ("service", "DisableKeyManagementServiceDnsPublishing"),
        ("registry_set", "DnsDomainPublishList"),
        ("registry_set", "EnableKmsLowPriority"),
        ("service", "SetVLActivationInterval"),
        ("service", "SetVLRenewalInterval"),
        ("restart_service", "sppsvc"),
    ]


def test_publish_list_is_written_as_canonical_multi_string_lines():
    plan = plan_host(host_params(publish_domains=[{"domain": "Branch.Example.com.", "priority": 0, "weight": 100},
                                                  {"domain": "example.com", "priority": 10, "weight": 0}]),
                     kms_host_state())
    assert plan.operations[0]["type"] == "MultiString"
    assert plan.operations[0]["value"] == ["branch.example.com,0,100", "example.com,10,0"]


def test_publish_list_in_another_order_is_a_change():
    current = kms_host_state(registry={"DnsDomainPublishList": ["a.example.com,0,0", "b.example.com,0,0"]})
    plan = plan_host(host_params(publish_domains=[{"domain": "b.example.com"}, {"domain": "a.example.com"}]), current)
    assert steps(plan) == [("registry_set", "DnsDomainPublishList"), ("restart_service", "sppsvc")]


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
    assert current == snapshot


@pytest.mark.parametrize("option, value", [
    ("activation_interval", 14), ("activation_interval", 43201), ("renewal_interval", 0),
    ("renewal_interval", 100000), ("port", 0), ("port", 65536),
])
def test_out_of_range_settings_are_refused(option, value):
    with pytest.raises(InvalidSetting):
        plan_host(host_params(**{option: value}), kms_host_state())


@pytest.mark.parametrize("value", [15, 43200])
def test_interval_limits_are_inclusive(value):
    assert steps(plan_host(host_params(renewal_interval=value), kms_host_state())) == [("service", "SetVLRenewalInterval")]


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
    assert steps(plan)[:2] == INSTALL


# --- telephone activation across two runs -------------------------------------------------


def test_phone_first_run_installs_the_key_and_marks_activation_pending():
    plan = plan_host(host_params(activation="phone"), state())
    assert steps(plan) == INSTALL
    assert plan.activation_pending is True
    assert plan.installation_id is None          # known only once the key is installed
    assert plan.activation is None               # nothing is counted before the deposit
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


def test_absent_turns_a_kms_host_back_into_a_kms_client():
    plan = plan_host(host_params(state="absent", product_key=None), kms_host_state())
    assert steps(plan) == [("product", "UninstallProductKey")] + INSTALL
    assert plan.operations[0]["partial_key"] == HOST_KEY[-5:]
    assert plan.install_key == GVLK_2022_DC
    assert plan.after["kms_host_key"] is None


def test_absent_on_a_kms_client_changes_nothing():
    assert plan_host(host_params(state="absent", product_key=None), state()).operations == []


def test_absent_fails_clearly_when_the_edition_has_no_client_key():
    current = kms_host_state()
    current["os"] = {"caption": "Microsoft Windows Server 2022 Datacenter Evaluation",
                     "edition_id": "ServerDatacenterEval", "build": 20348, "product_type": 3}
    with pytest.raises(NoGvlkForEdition):
        plan_host(host_params(state="absent", product_key=None), current)
