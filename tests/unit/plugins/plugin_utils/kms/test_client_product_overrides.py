# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 17 point 8: per-product KMS settings (slmgr.vbs /skms ... <Activation ID>) and kms_client."""

from __future__ import annotations

import pytest
from _kms_fixtures import GVLK_2022_DC, WINDOWS_11, client_params, product, state, steps

from ansible_collections.kmsops.kms.plugins.plugin_utils.kms._client_plan import finish_client, plan_client
from ansible_collections.kmsops.kms.plugins.plugin_utils.kms._keys import ExecutorError, GuardRefused


def _pinned(**values):
    item = product(GVLK_2022_DC[-5:])
    item.update(values)
    return state(products=[item])


def test_dns_discovery_clears_a_host_pinned_on_the_product():
    plan = plan_client(
        client_params(dns_discovery=True),
        _pinned(KeyManagementServiceMachine="rogue.example", KeyManagementServicePort=1700),
    )
    assert steps(plan) == [
        ("product", "ClearKeyManagementServiceMachine"),
        ("product", "ClearKeyManagementServicePort"),
    ]
    assert all(op["partial_key"] == GVLK_2022_DC[-5:] for op in plan.operations)
    assert "slmgr.vbs /ckms id-" in plan.operations[0]["title"]
    assert plan.before["product_kms_host"] == "rogue.example" and plan.after["product_kms_host"] is None
    assert plan.before["product_kms_port"] == 1700 and plan.after["product_kms_port"] is None


def test_product_override_is_refused_with_the_slmgr_command_when_not_to_be_cleared():
    with pytest.raises(
        GuardRefused, match=r"slmgr\.vbs /ckms id-6VM33 \(the product .* pins the KMS host rogue\.example\)"
    ):
        plan_client(
            client_params(dns_discovery=True, clear_product_overrides=False),
            _pinned(KeyManagementServiceMachine="rogue.example"),
        )


def test_product_value_equal_to_the_task_is_left_alone():
    """Windows may report the machine-wide value on the product: not a contradiction."""
    current = _pinned(KeyManagementServiceMachine="kms01.example", KeyManagementServicePort=1688)
    current["service"]["KeyManagementServiceMachine"] = "kms01.example"
    assert plan_client(client_params(kms_host="kms01.example"), current).operations == []


def test_product_port_that_contradicts_the_fixed_host_port_is_cleared():
    current = _pinned(KeyManagementServiceMachine="kms01.example", KeyManagementServicePort=1700)
    current["service"]["KeyManagementServiceMachine"] = "kms01.example"
    plan = plan_client(client_params(kms_host="kms01.example:1688"), current)
    assert steps(plan) == [("product", "ClearKeyManagementServicePort")]


def test_product_lookup_domain_that_contradicts_kms_domain_is_cleared():
    plan = plan_client(
        client_params(kms_domain="corp.example"), _pinned(KeyManagementServiceLookupDomain="other.example")
    )
    assert steps(plan) == [
        ("product", "ClearKeyManagementServiceLookupDomain"),
        ("service", "SetKeyManagementServiceLookupDomain"),
    ]


def test_untouched_settings_do_not_look_at_product_values():
    plan = plan_client(client_params(host_caching=False), _pinned(KeyManagementServiceMachine="rogue.example"))
    assert steps(plan) == [("service", "DisableKeyManagementServiceHostCaching")]


def test_product_clears_come_before_a_key_install():
    """The override belongs to the product of the installed key, addressed by its partial key."""
    current = state(
        os_info=WINDOWS_11,
        products=[dict(product("XXXXX", licensed=False), KeyManagementServiceMachine="rogue.example")],
    )
    plan = plan_client(client_params(product_key="auto", dns_discovery=True, activate=True), current)
    assert steps(plan)[:3] == [
        ("product", "ClearKeyManagementServiceMachine"),
        ("product", "ClearKeyManagementServicePort"),
        ("service", "InstallProductKey"),
    ]
    assert plan.operations[0]["partial_key"] == "XXXXX"


def test_read_back_with_a_product_still_pinning_a_host_fails_the_task():
    plan = plan_client(client_params(dns_discovery=True), _pinned(KeyManagementServiceMachine="rogue.example"))
    with pytest.raises(ExecutorError, match=r"pins the KMS host rogue\.example \(slmgr\.vbs /ckms id-6VM33"):
        finish_client(plan, _pinned(KeyManagementServiceMachine="rogue.example"))
    assert finish_client(plan, _pinned())["product_kms_host"] is None
