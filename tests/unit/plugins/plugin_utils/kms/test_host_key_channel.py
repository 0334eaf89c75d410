# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 17 point 2: never activate a key that is not a KMS host key. Its channel is known only
once Windows has installed it (the product's Description): the plan stops after the install."""

from __future__ import annotations

import pytest
from _kms_fixtures import HOST_KEY, host_params, kms_host_state, product, state, steps

from ansible_collections.kmsops.kms.plugins.plugin_utils.kms._facts import product_channel
from ansible_collections.kmsops.kms.plugins.plugin_utils.kms._host_plan import check_installed_host_key, plan_host
from ansible_collections.kmsops.kms.plugins.plugin_utils.kms._keys import ExecutorError, GuardRefused

PARTIAL = HOST_KEY[-5:]


def with_channel(channel, licensed=False):
    item = product(PARTIAL, licensed=licensed)
    item["Description"] = "Windows(R) Operating System, %s channel" % channel
    return state(products=[item])


def test_installing_a_host_key_stops_after_the_install_to_read_its_channel():
    plan = plan_host(host_params(), state())
    assert plan.key_check_after == 2 and plan.key_check_partial == PARTIAL
    assert steps(plan)[:2] == [("service", "InstallProductKey"), ("service", "RefreshLicenseStatus")]
    # everything else - the KeyManagementServiceVersion slmgr /ipk writes for a KMS host key, the
    # activation - comes after the check
    assert ("product", "Activate") in steps(plan)[2:]
    assert ("registry_set", "KeyManagementServiceVersion") in steps(plan)[2:]


@pytest.mark.parametrize("activation", ["online", "phone", "none"])
def test_check_mode_says_truthfully_what_it_cannot_know(activation):
    plan = plan_host(host_params(activation=activation), state())
    note = " ".join(plan.check_mode_notes)
    assert "Check mode cannot install the key to learn its channel" in note
    assert "unless Windows reports a KMS host key (VOLUME_KMS channel)" in note and "VOLUME_MAK" in note


def test_an_installed_key_plans_no_check():
    plan = plan_host(host_params(), kms_host_state(licensed=False))
    assert plan.key_check_after is None and plan.check_mode_notes == []


@pytest.mark.parametrize(
    "channel, kind",
    [
        ("VOLUME_MAK", "Multiple Activation Key (MAK)"),
        ("RETAIL", "a retail key"),
        ("OEM_DM", "an OEM key"),
        ("VOLUME_KMSCLIENT", "KMS client setup key"),
    ],
)
def test_a_key_that_reads_back_as_not_volume_kms_is_refused_after_the_install(channel, kind):
    plan = plan_host(host_params(), state())
    with pytest.raises(GuardRefused) as refused:
        check_installed_host_key(plan, with_channel(channel))
    msg = str(refused.value)
    assert "channel %s" % channel in msg and kind in msg
    assert "was installed by this task but was not activated and the activation ledger is unchanged" in msg
    assert HOST_KEY not in msg and "*****-*****-*****-*****-%s" % PARTIAL in msg


@pytest.mark.parametrize("channel", ["VOLUME_KMS_2022", "VOLUME_KMS_WS22", "VOLUME_KMS_W10", "VOLUME_KMS"])
def test_a_kms_host_key_passes_the_check(channel):
    plan = plan_host(host_params(), state())
    check_installed_host_key(plan, with_channel(channel))


def test_a_key_windows_does_not_report_after_the_install_stops_the_run():
    plan = plan_host(host_params(), state())
    with pytest.raises(ExecutorError, match="reports no Windows product with it"):
        check_installed_host_key(plan, state())


@pytest.mark.parametrize("activation", ["online", "phone"])
def test_an_installed_unlicensed_mak_is_never_activated_and_nothing_is_planned(activation):
    with pytest.raises(GuardRefused, match=r"VOLUME_MAK.*is installed but was not activated"):
        plan_host(host_params(activation=activation), with_channel("VOLUME_MAK"))


def test_an_installed_mak_with_activation_none_is_left_alone():
    plan = plan_host(host_params(activation="none"), with_channel("VOLUME_MAK"))
    assert not any(op["action"] == "product" for op in plan.operations)


def test_product_channel_reads_the_description():
    assert product_channel({"Description": "Windows(R) Operating System, VOLUME_MAK channel"}) == "VOLUME_MAK"
    assert product_channel({"Description": "Windows(R) Operating System, RETAIL channel"}) == "RETAIL"
    assert product_channel({"Description": ""}) is None
