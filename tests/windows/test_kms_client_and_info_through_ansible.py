# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 17 points 5, 8 and 10 through ansible-playbook with the executor double."""

from __future__ import annotations

from conftest import server_state

OFFICE_KMS_HOST = {
    "ApplicationID": "0ff1ce15-a989-479d-af46-f275c6370663",
    "Name": "Office 16, VL_KMS_Host",
    "Description": "Office 16, VOLUME_KMS channel",
    "IsKeyManagementServiceMachine": 1,
}


def _client_state(**product_values):
    state = server_state()
    state["os"].update(caption="Microsoft Windows 11 Enterprise", edition_id="Enterprise", build=22631, product_type=1)
    state["products"][0].update(product_values)
    return state


def test_kms_info_hides_a_stale_discovered_host_behind_a_fixed_one_and_reads_the_windows_product(win):
    """Point 5: slmgr /dlv shows no discovered host while one is registered; point 8: an Office-only
    KMS host (service-level flag 1) is not a Windows KMS host."""
    state = _client_state(
        DiscoveredKeyManagementServiceMachineName="old-kms.corp.example",
        DiscoveredKeyManagementServiceMachinePort=1688,
        DiscoveredKeyManagementServiceMachineIpAddress="192.0.2.10",
    )
    state["service"].update(KeyManagementServiceMachine="kms01.corp.example", IsKeyManagementServiceMachine=1)
    state["other_products"] = [OFFICE_KMS_HOST]
    win.write_state(state)
    proc, (info,) = win.run([{"kmsops.kms.kms_info": {}}])
    assert proc.returncode == 0, proc.stdout
    assert info["kms_host"] == "kms01.corp.example" and info["product_kms_host"] == "kms01.corp.example"
    assert info["last_kms_host"] is None and info["last_kms_port"] is None
    assert info["last_kms_ip"] == "192.0.2.10"
    assert info["is_kms_host"] is False


def test_kms_client_dns_discovery_clears_a_product_override_or_names_the_slmgr_command(win):
    """Point 8: the double keeps the override apart from the machine-wide value; only the product's
    Clear* methods remove it, and the read-back shows it until then."""
    state = _client_state()
    state["product_overrides"] = {"gvlk": {"machine": "rogue.corp.example", "port": 1700}}
    win.write_state(state)
    refuse = {"kmsops.kms.kms_client": {"dns_discovery": True, "clear_product_overrides": False}}
    clear = {"kmsops.kms.kms_client": {"dns_discovery": True}}
    _proc, (refused, cleared, again, info) = win.run([refuse, clear, clear, {"kmsops.kms.kms_info": {}}])
    assert refused["failed"] is True and "slmgr.vbs /ckms gvlk" in refused["msg"]
    assert "rogue.corp.example" in refused["msg"]
    assert cleared.get("failed") is not True, cleared
    assert [(op["action"], op["method"]) for op in cleared["operations"]] == [
        ("product", "ClearKeyManagementServiceMachine"),
        ("product", "ClearKeyManagementServicePort"),
    ]
    assert cleared["changed"] is True and cleared["product_kms_host"] is None and cleared["kms_host"] is None
    assert again["changed"] is False and again["operations"] == []
    assert info["product_kms_host"] is None
    assert win.read_state()["product_overrides"] == {"gvlk": {}}
    sent = [c["params"]["operations"] for c in win.executor_calls() if c["params"]["operations"]]
    assert len(sent) == 1, "the refused task sent nothing"


def test_kms_client_restarts_sppsvc_after_the_key_and_warns_about_a_useless_lookup_domain(win):
    """Point 10."""
    state = _client_state()
    state["products"] = []
    win.write_state(state)
    task = {
        "kmsops.kms.kms_client": {
            "product_key": "auto",
            "kms_host": "kms01.corp.example",
            "kms_domain": "corp.example",
            "activate": True,
        }
    }
    proc, (applied,) = win.run([task])
    assert proc.returncode == 0, proc.stdout
    names = [op.get("method") or op.get("name") for op in applied["operations"]]
    assert names.index("InstallProductKey") < names.index("sppsvc") < names.index("Activate")
    assert win.read_state()["restarts"] == 1
    assert any("/skms overrides /skms-domain" in w for w in applied["warnings"])
    assert "[WARNING]" in proc.stdout + proc.stderr


def test_windows_without_powershell_5_1_is_refused_and_nothing_is_sent(win):
    """Point 10: detected in the executor's read, refused in Python."""
    state = server_state()
    state["os"]["powershell_version"] = "4.0"
    win.write_state(state)
    _proc, (client,) = win.run([{"kmsops.kms.kms_client": {"host_caching": False}}])
    assert client["failed"] is True and "needs PowerShell 5.1" in client["msg"]
    assert all(not c["params"]["operations"] for c in win.executor_calls())
