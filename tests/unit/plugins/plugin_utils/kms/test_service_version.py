# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 17 point 9: KeyManagementServiceVersion, as slmgr.vbs /ipk writes and deletes it."""

from __future__ import annotations

from _kms_fixtures import GVLK_2022_DC, WINDOWS_11, client_params, host_params, kms_host_state, product, state

from ansible_collections.kmsops.kms.plugins.plugin_utils.kms._client_plan import plan_client
from ansible_collections.kmsops.kms.plugins.plugin_utils.kms._host_plan import plan_host

VERSION = "10.0.20348.1"


def _registry_ops(plan):
    return [
        (op["action"], op.get("view", "native"), op.get("value"))
        for op in plan.operations
        if op.get("name") == "KeyManagementServiceVersion"
    ]


def test_kms_host_key_install_writes_the_service_version_in_both_views_right_after_the_install():
    current = state()
    current["registry_wow6432"] = {"present": True, "KeyManagementServiceVersion": None}
    plan = plan_host(host_params(), current)
    assert _registry_ops(plan) == [("registry_set", "native", VERSION), ("registry_set", "wow6432", VERSION)]
    assert [op.get("method") or op.get("name") for op in plan.operations[:4]] == [
        "InstallProductKey",
        "RefreshLicenseStatus",
        "KeyManagementServiceVersion",
        "KeyManagementServiceVersion",
    ]
    assert plan.operations[2]["type"] == "String"


def test_no_wow6432node_key_means_only_the_native_value():
    """slmgr.vbs writes the Wow6432Node value only when that key exists (32-bit Windows has none)."""
    current = state()
    current["registry_wow6432"] = {"present": False, "KeyManagementServiceVersion": None}
    assert _registry_ops(plan_host(host_params(), current)) == [("registry_set", "native", VERSION)]


def test_converged_host_missing_the_value_gets_it_and_an_older_value_is_left():
    missing = kms_host_state(registry={"KeyManagementServiceVersion": None})
    assert _registry_ops(plan_host(host_params(), missing)) == [("registry_set", "native", VERSION)]
    older = kms_host_state(registry={"KeyManagementServiceVersion": "10.0.20348.0"})
    assert plan_host(host_params(), older).operations == []


def test_absent_deletes_the_value_in_both_views():
    current = kms_host_state()
    current["registry_wow6432"] = {"present": True, "KeyManagementServiceVersion": VERSION}
    plan = plan_host(host_params(state="absent", product_key=None), current)
    assert _registry_ops(plan) == [("registry_remove", "native", None), ("registry_remove", "wow6432", None)]


def test_client_key_install_deletes_the_value_unless_office_is_a_kms_host():
    current = state(
        os_info=WINDOWS_11,
        products=[product("XXXXX", licensed=False)],
        registry={"KeyManagementServiceVersion": VERSION},
    )
    plan = plan_client(client_params(product_key="auto"), current)
    assert _registry_ops(plan) == [("registry_remove", "native", None)]
    current["other_products"] = [
        {"ApplicationID": "0ff1ce15-a989-479d-af46-f275c6370663", "Description": "Office 16, VOLUME_KMS channel"}
    ]
    assert _registry_ops(plan_client(client_params(product_key="auto"), current)) == []


def test_client_without_a_key_change_leaves_the_value_alone():
    current = state(registry={"KeyManagementServiceVersion": VERSION})
    assert plan_client(client_params(product_key=GVLK_2022_DC), current).operations == []
