# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""kms_info facts: the KMS host a machine last found through DNS (for the discovery report)."""

from __future__ import annotations

from _kms_fixtures import product, state

from ansible_collections.kmsops.kms.plugins.plugin_utils.kms._facts import summarize


def _client(**discovered):
    item = product("3V66T", licensed=False)
    item.update(discovered)
    return state(products=[item])


def test_last_kms_host_is_the_host_the_client_last_found_in_dns():
    facts = summarize(
        _client(
            DiscoveredKeyManagementServiceMachineName="KMS1.corp.example",
            DiscoveredKeyManagementServiceMachinePort=1688,
        )
    )
    assert (facts["last_kms_host"], facts["last_kms_port"]) == ("kms1.corp.example", 1688)


def test_last_kms_host_is_none_when_the_client_found_none():
    facts = summarize(
        _client(DiscoveredKeyManagementServiceMachineName="", DiscoveredKeyManagementServiceMachinePort=0)
    )
    assert (facts["last_kms_host"], facts["last_kms_port"]) == (None, None)


def test_last_kms_host_of_an_ipv6_host_loses_its_brackets():
    facts = summarize(
        _client(
            DiscoveredKeyManagementServiceMachineName="[2001:db8::10]", DiscoveredKeyManagementServiceMachinePort=1688
        )
    )
    assert facts["last_kms_host"] == "2001:db8::10"


def test_no_windows_product_means_no_last_kms_host():
    facts = summarize(state(products=[]))
    assert (facts["last_kms_host"], facts["last_kms_port"]) == (None, None)


# --- issue 17 point 5: as slmgr.vbs /dlv shows them -------------------------------------------


def test_last_kms_host_is_hidden_while_a_machine_wide_fixed_host_is_registered():
    """slmgr /dlv shows "Registered KMS machine name" then, never the stale discovered one."""
    current = _client(
        DiscoveredKeyManagementServiceMachineName="rogue.corp.example", DiscoveredKeyManagementServiceMachinePort=1688
    )
    current["service"]["KeyManagementServiceMachine"] = "kms1.corp.example"
    facts = summarize(current)
    assert (facts["last_kms_host"], facts["last_kms_port"]) == (None, None)
    assert facts["kms_host"] == "kms1.corp.example"


def test_last_kms_host_is_hidden_while_the_product_has_a_fixed_host():
    facts = summarize(
        _client(
            DiscoveredKeyManagementServiceMachineName="rogue.corp.example",
            DiscoveredKeyManagementServiceMachinePort=1688,
            KeyManagementServiceMachine="kms2.corp.example",
            KeyManagementServicePort=1700,
        )
    )
    assert (facts["last_kms_host"], facts["last_kms_port"]) == (None, None)
    assert (facts["product_kms_host"], facts["product_kms_port"]) == ("kms2.corp.example", 1700)


def test_discovered_port_0_means_not_available():
    facts = summarize(
        _client(
            DiscoveredKeyManagementServiceMachineName="kms1.corp.example", DiscoveredKeyManagementServiceMachinePort=0
        )
    )
    assert (facts["last_kms_host"], facts["last_kms_port"]) == (None, None)


def test_last_kms_ip_is_returned_as_windows_reports_it_fixed_host_or_not():
    facts = summarize(
        _client(
            KeyManagementServiceMachine="kms2.corp.example", DiscoveredKeyManagementServiceMachineIpAddress="192.0.2.10"
        )
    )
    assert facts["last_kms_ip"] == "192.0.2.10"
    older = _client()
    del older["products"][0]["DiscoveredKeyManagementServiceMachineIpAddress"]  # not on every Windows
    assert summarize(older)["last_kms_ip"] is None


def test_is_kms_host_comes_from_the_windows_product_not_the_service_flag():
    """A machine that is a KMS host for Office only: service-level flag 1, Windows product a client."""
    office_only = state(IsKeyManagementServiceMachine=1)
    office_only["other_products"] = [
        {
            "ApplicationID": "0ff1ce15-a989-479d-af46-f275c6370663",
            "Description": "Office 16, VOLUME_KMS channel",
            "IsKeyManagementServiceMachine": 1,
        }
    ]
    assert summarize(office_only)["is_kms_host"] is False
    windows_host = state(products=[product("6789B", kms_host=True)])
    assert summarize(windows_host)["is_kms_host"] is True
