# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""kms_info facts: the KMS host a machine last found through DNS (for the discovery report)."""

from __future__ import annotations

from _kms_fixtures import product, state

from ansible_collections.kmsops.kms.plugins.module_utils.kms._facts import summarize


def _client(**discovered):
    item = product("3V66T", licensed=False)
    item.update(discovered)
    return state(products=[item])


def test_last_kms_host_is_the_host_the_client_last_found_in_dns():
    facts = summarize(_client(DiscoveredKeyManagementServiceMachineName="KMS1.corp.example",
                              DiscoveredKeyManagementServiceMachinePort=1688))
    assert (facts["last_kms_host"], facts["last_kms_port"]) == ("kms1.corp.example", 1688)


def test_last_kms_host_is_none_when_the_client_found_none():
    facts = summarize(_client(DiscoveredKeyManagementServiceMachineName="",
                              DiscoveredKeyManagementServiceMachinePort=0))
    assert (facts["last_kms_host"], facts["last_kms_port"]) == (None, None)


def test_last_kms_host_of_an_ipv6_host_loses_its_brackets():
    facts = summarize(_client(DiscoveredKeyManagementServiceMachineName="[2001:db8::10]"))
    assert facts["last_kms_host"] == "2001:db8::10"


def test_no_windows_product_means_no_last_kms_host():
    facts = summarize(state(products=[]))
    assert (facts["last_kms_host"], facts["last_kms_port"]) == (None, None)
