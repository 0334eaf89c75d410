# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest
from _kms_fixtures import (
    GVLK_2022_DC,
    HOST_KEY,
    WINDOWS_11,
    client_params,
    product,
    state,
    steps,
)

from ansible_collections.kmsops.kms.plugins.module_utils.common._errors import InvalidValue
from ansible_collections.kmsops.kms.plugins.plugin_utils.kms._client_plan import (
    finish_client,
    parse_kms_host,
    plan_client,
)
from ansible_collections.kmsops.kms.plugins.plugin_utils.kms._facts import UnsupportedWindows
from ansible_collections.kmsops.kms.plugins.plugin_utils.kms._keys import ExecutorError, GuardRefused, InvalidSetting

# issue 17 point 10: the sppsvc restart Microsoft's slmgr.vbs page asks for after /ipk
INSTALL = [("service", "InstallProductKey"), ("service", "RefreshLicenseStatus"), ("restart_service", "sppsvc")]


def test_converged_client_plans_no_operations():
    current = state(
        KeyManagementServiceMachine="kms01.example.com",
        KeyManagementServicePort=1700,
        KeyManagementServiceLookupDomain="example.com",
        KeyManagementServiceHostCaching=False,
    )
    plan = plan_client(
        client_params(
            product_key="auto",
            kms_host="KMS01.example.com:1700",
            kms_domain="example.com",
            host_caching=False,
            activate=True,
        ),
        current,
    )
    assert plan.operations == []
    assert plan.before == plan.after


def test_auto_installs_the_key_of_the_edition():
    current = state(os_info=WINDOWS_11, products=[product("XXXXX")])
    plan = plan_client(client_params(product_key="auto"), current)
    assert steps(plan) == INSTALL
    assert plan.install_key == "NPPR9-FWDCX-D2C8J-H872K-2YT43"


def test_auto_on_windows_server_23h2_is_refused_not_guessed_from_the_caption():
    """Issue 17 point 4: build 25398 is not in Microsoft's table; its caption is the one of the
    1809-20H2 SAC rows, whose key must not be picked."""
    from ansible_collections.kmsops.kms.plugins.plugin_utils.kms._gvlk import NoGvlkForEdition

    server_23h2 = {
        "caption": "Microsoft Windows Server Datacenter",
        "edition_id": "ServerDatacenterCor",
        "build": 25398,
        "product_type": 3,
    }
    with pytest.raises(NoGvlkForEdition, match="give product_key explicitly"):
        plan_client(client_params(product_key="auto"), state(os_info=server_23h2))


def test_auto_does_not_reinstall_the_installed_client_key():
    assert plan_client(client_params(product_key="AUTO"), state()).operations == []


def test_explicit_gvlk_is_installed_on_a_machine_without_key():
    plan = plan_client(client_params(product_key=GVLK_2022_DC), state(products=[]))
    assert steps(plan) == INSTALL
    assert plan.operations[0]["title"] == "Install the KMS client setup key *****-*****-*****-*****-6VM33"


def test_a_kms_host_key_is_refused_on_a_client():
    with pytest.raises(GuardRefused, match="never be installed on a KMS client"):
        plan_client(client_params(product_key=HOST_KEY), state())


def test_an_unlisted_key_is_accepted_when_forced():
    plan = plan_client(client_params(product_key=HOST_KEY, allow_unlisted_key=True), state())
    assert steps(plan) == INSTALL


def test_fixed_kms_host_without_port_sets_the_machine():
    plan = plan_client(client_params(kms_host="kms01.example.com"), state())
    assert steps(plan) == [("service", "SetKeyManagementServiceMachine")]
    assert plan.operations[0]["args"] == {"MachineName": "kms01.example.com"}


def test_fixed_kms_host_with_port_sets_machine_and_port():
    plan = plan_client(client_params(kms_host="kms01.example.com:1700"), state())
    assert steps(plan) == [("service", "SetKeyManagementServiceMachine"), ("service", "SetKeyManagementServicePort")]
    assert plan.operations[1]["args"] == {"PortNumber": 1700}


def test_fixed_kms_host_without_port_resets_a_custom_port():
    plan = plan_client(
        client_params(kms_host="kms01.example.com"),
        state(KeyManagementServiceMachine="kms01.example.com", KeyManagementServicePort=1700),
    )
    assert steps(plan) == [("service", "ClearKeyManagementServicePort")]


def test_ipv6_kms_host_is_sent_in_brackets_with_the_port_apart():
    """Issue 9 point 4: MachineName [addr], as slmgr.vbs /skms passes it ([hostname]:port)."""
    plan = plan_client(client_params(kms_host="[2001:DB8::10]:1700"), state())
    assert plan.operations[0]["args"] == {"MachineName": "[2001:db8::10]"}
    assert plan.operations[1]["args"] == {"PortNumber": 1700}
    assert plan.after["kms_host"] == "2001:db8::10"


def test_ipv6_kms_host_read_back_in_brackets_is_converged():
    plan = plan_client(client_params(kms_host="[2001:db8::10]"), state(KeyManagementServiceMachine="[2001:db8::10]"))
    assert plan.operations == []


def test_ipv4_kms_host_is_sent_without_brackets():
    plan = plan_client(client_params(kms_host="192.0.2.10:1700"), state())
    assert plan.operations[0]["args"] == {"MachineName": "192.0.2.10"}


def _os(build, caption):
    return {"caption": caption, "edition_id": "Enterprise", "build": build, "product_type": 1}


def test_client_older_than_windows_7_is_refused():
    """Issue 9 point 5."""
    with pytest.raises(UnsupportedWindows, match="kms_client needs Windows 7 / Windows Server 2008 R2"):
        plan_client(client_params(kms_host="kms01"), state(os_info=_os(6002, "Windows Vista Enterprise")))


def test_lookup_domain_needs_windows_8_or_server_2012():
    windows7 = state(os_info=_os(7601, "Windows 7 Enterprise"))
    assert steps(plan_client(client_params(kms_host="kms01"), windows7)) == [
        ("service", "SetKeyManagementServiceMachine")
    ]
    with pytest.raises(UnsupportedWindows, match=r"kms_domain .* needs Windows 8 / Windows Server 2012 \(build 9200\)"):
        plan_client(client_params(kms_domain="example.com"), windows7)
    windows8 = state(os_info=_os(9200, "Windows 8 Enterprise"))
    assert steps(plan_client(client_params(kms_domain="example.com"), windows8)) == [
        ("service", "SetKeyManagementServiceLookupDomain")
    ]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("kms01", ("kms01", None)),
        ("kms01.example.com.", ("kms01.example.com", None)),
        ("192.0.2.10:1688", ("192.0.2.10", 1688)),
        ("[2001:db8::10]", ("2001:db8::10", None)),
        ("[2001:db8::10]:1700", ("2001:db8::10", 1700)),
    ],
)
def test_parse_kms_host_forms(text, expected):
    assert parse_kms_host(text) == expected


@pytest.mark.parametrize(
    "text",
    ["2001:db8::10", "[2001:db8::10", "[not-v6]:1688", "kms01:", "kms01:70000", "bad host", "", "[2001:db8::10]:x"],
)
def test_parse_kms_host_refuses_malformed_values(text):
    with pytest.raises(InvalidValue, match=r"^kms_host"):
        parse_kms_host(text)


def test_dns_discovery_clears_the_fixed_host_and_port():
    plan = plan_client(
        client_params(dns_discovery=True),
        state(KeyManagementServiceMachine="kms01.example.com", KeyManagementServicePort=1700),
    )
    assert steps(plan) == [
        ("service", "ClearKeyManagementServiceMachine"),
        ("service", "ClearKeyManagementServicePort"),
    ]
    assert plan.after["kms_host"] is None


def test_dns_discovery_when_already_discovering_is_no_change():
    assert plan_client(client_params(dns_discovery=True), state()).operations == []


def test_kms_host_and_dns_discovery_together_are_refused():
    with pytest.raises(InvalidSetting):
        plan_client(client_params(kms_host="kms01", dns_discovery=True), state())


def test_lookup_domain_is_set_and_cleared():
    plan = plan_client(client_params(kms_domain="Example.com."), state())
    assert steps(plan) == [("service", "SetKeyManagementServiceLookupDomain")]
    assert plan.operations[0]["args"] == {"LookupDomain": "example.com"}
    plan = plan_client(client_params(kms_domain=""), state(KeyManagementServiceLookupDomain="example.com"))
    assert steps(plan) == [("service", "ClearKeyManagementServiceLookupDomain")]


def test_malformed_lookup_domain_is_refused():
    with pytest.raises(InvalidValue, match=r"^kms_domain: 'bad\.\.domain' is not a valid domain name"):
        plan_client(client_params(kms_domain="bad..domain"), state())


def test_host_caching_is_turned_off_with_disable_caching_true():
    plan = plan_client(client_params(host_caching=False), state())
    assert steps(plan) == [("service", "DisableKeyManagementServiceHostCaching")]
    assert plan.operations[0]["args"] == {"DisableCaching": True}


def test_activate_runs_after_key_and_settings():
    current = state(os_info=WINDOWS_11, products=[product("XXXXX", licensed=False)])
    plan = plan_client(client_params(product_key="auto", kms_host="kms01", activate=True), current)
    assert steps(plan) == [
        *INSTALL,
        ("service", "SetKeyManagementServiceMachine"),
        ("product", "Activate"),
        ("service", "RefreshLicenseStatus"),
    ]
    assert plan.operations[4]["partial_key"] == "2YT43"


def test_activate_on_a_licensed_client_is_no_change():
    assert plan_client(client_params(activate=True), state()).operations == []


def test_activate_without_any_key_is_refused():
    with pytest.raises(InvalidSetting, match="no product key"):
        plan_client(client_params(activate=True), state(products=[]))


def test_client_activation_is_verified_after_apply():
    plan = plan_client(client_params(activate=True), state(products=[product("6VM33", licensed=False)]))
    with pytest.raises(ExecutorError):
        finish_client(plan, state(products=[product("6VM33", licensed=False)]))
    assert finish_client(plan, state())["license_status"] == "Licensed"


def test_client_diff_shows_before_and_after():
    plan = plan_client(client_params(kms_host="kms01:1700"), state())
    assert plan.before["kms_host"] is None and plan.after["kms_host"] == "kms01"
    assert plan.before["kms_port"] == 1688 and plan.after["kms_port"] == 1700
