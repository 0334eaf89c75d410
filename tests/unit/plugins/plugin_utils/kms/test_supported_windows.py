# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 17 point 10: supported / may work / refused Windows, and kms_client consistency."""

from __future__ import annotations

import pytest
from _kms_fixtures import WINDOWS_11, client_params, host_params, product, state, steps

from ansible_collections.kmsops.kms.plugins.plugin_utils.kms._client_plan import plan_client
from ansible_collections.kmsops.kms.plugins.plugin_utils.kms._facts import UnsupportedWindows
from ansible_collections.kmsops.kms.plugins.plugin_utils.kms._host_plan import plan_host

SERVER_2012_R2 = {
    "caption": "Microsoft Windows Server 2012 R2 Datacenter",
    "edition_id": "ServerDatacenter",
    "build": 9600,
    "product_type": 3,
    "powershell_version": "5.1.14409.1005",
    "dotnet4_version": "4.8.03761",
}


def _on(os_info, **os_values):
    info = dict(os_info, **os_values)
    return state(os_info=info)


@pytest.mark.parametrize("plan, params", [(plan_host, host_params()), (plan_client, client_params(host_caching=False))])
def test_powershell_older_than_5_1_is_refused(plan, params):
    with pytest.raises(UnsupportedWindows, match=r"needs PowerShell 5\.1 .* has PowerShell 4\.0"):
        plan(params, _on(SERVER_2012_R2, powershell_version="4.0"))


@pytest.mark.parametrize("plan, params", [(plan_host, host_params()), (plan_client, client_params(host_caching=False))])
def test_no_dotnet_4_is_refused(plan, params):
    with pytest.raises(UnsupportedWindows, match=r"needs the \.NET Framework 4"):
        plan(params, _on(SERVER_2012_R2, dotnet4_version=None))


def test_windows_server_2012_r2_may_work_and_is_warned_about():
    plan = plan_host(host_params(), _on(SERVER_2012_R2))
    assert plan.operations and any("may work" in w and "Windows Server 2016" in w for w in plan.warnings)


@pytest.mark.parametrize(
    "os_info",
    [
        {
            "caption": "Microsoft Windows Server 2016 Datacenter",
            "edition_id": "ServerDatacenter",
            "build": 14393,
            "product_type": 3,
            "powershell_version": "5.1.14393.0",
            "dotnet4_version": "4.6.01590",
        },
        dict(WINDOWS_11, powershell_version="5.1.22621.4391", dotnet4_version="4.8.09032"),
    ],
)
def test_windows_server_2016_and_windows_10_or_later_are_supported_without_warning(os_info):
    assert plan_client(client_params(host_caching=False), state(os_info=os_info)).warnings == []


def test_kms_client_restarts_sppsvc_after_installing_a_key_before_activating():
    current = state(os_info=WINDOWS_11, products=[product("XXXXX", licensed=False)])
    plan = plan_client(client_params(product_key="auto", activate=True), current)
    assert steps(plan) == [
        ("service", "InstallProductKey"),
        ("service", "RefreshLicenseStatus"),
        ("restart_service", "sppsvc"),
        ("product", "Activate"),
        ("service", "RefreshLicenseStatus"),
    ]


def test_kms_host_and_kms_domain_together_warn_that_the_domain_has_no_effect():
    plan = plan_client(client_params(kms_host="kms01.example", kms_domain="corp.example"), state())
    assert any("/skms overrides /skms-domain" in w for w in plan.warnings)
    assert plan_client(client_params(kms_domain="corp.example"), state()).warnings == []
