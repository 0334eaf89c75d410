# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Licensing states as the Windows executor reports them, for planner tests."""

from __future__ import annotations

import copy

# Format-valid keys that are not KMS client setup keys: stand-ins for KMS host keys.
HOST_KEY = "BCDFG-HJKMP-QRTVW-XY234-6789B"
HOST_KEY_2 = "QRTVW-XY234-6789B-CDFGH-JKMPN"
GVLK_2022_DC = "WX4NM-KYWYW-QJJR4-XV3QB-6VM33"
CONFIRMATION_ID = "123456-234567-345678-456789-567890-678901-789012-890123"
INSTALLATION_ID = "1" * 63

SERVER_2022 = {
    "caption": "Microsoft Windows Server 2022 Datacenter",
    "edition_id": "ServerDatacenter",
    "build": 20348,
    "product_type": 3,
}
WINDOWS_11 = {
    "caption": "Microsoft Windows 11 Enterprise",
    "edition_id": "Enterprise",
    "build": 22631,
    "product_type": 1,
}


def product(partial, licensed=True, kms_host=False, iid=INSTALLATION_ID):
    channel = "VOLUME_KMS_2022 channel" if kms_host else "VOLUME_KMSCLIENT channel"
    return {
        "ID": "id-" + partial,
        "Name": "Windows(R), ServerDatacenter edition",
        "Description": "Windows(R) Operating System, " + channel,
        "LicenseStatus": 1 if licensed else 5,
        "PartialProductKey": partial,
        "ProductKeyID": "00000-00000-00000-" + partial,
        "LicenseFamily": "ServerDatacenter",
        "OfflineInstallationId": iid,
        "GracePeriodRemaining": 0 if licensed else 43200,
        "LicenseIsAddon": False,
        # product-level values (slmgr.vbs /dlv reads them from the product)
        "IsKeyManagementServiceMachine": 1 if kms_host else 0,
        "KeyManagementServiceMachine": "",
        "KeyManagementServicePort": 0,
        "KeyManagementServiceLookupDomain": "",
        "DiscoveredKeyManagementServiceMachineName": "",
        "DiscoveredKeyManagementServiceMachinePort": 0,
        "DiscoveredKeyManagementServiceMachineIpAddress": "",
    }


# A fresh host: the built-in rule SPPSVC-In-TCP exists and is disabled (issue 17 point 1). The
# profiles of the collection's rule are read only when the rule exists (rule_port set).
FRESH_FIREWALL = {
    "rule_port": None,
    "rule_profiles": "Domain, Private",
    "builtin_exists": True,
    "builtin_enabled": False,
    "builtin_profiles": "Any",
}


def state(os_info=None, products=None, **service):
    svc = {
        "Version": "10.0.20348.1",
        "IsKeyManagementServiceMachine": 0,
        "KeyManagementServiceCurrentCount": -1,
        "RequiredClientCount": -1,
        "KeyManagementServiceListeningPort": 1688,
        "KeyManagementServiceDnsPublishing": True,
        "KeyManagementServiceLowPriority": False,
        "KeyManagementServiceHostCaching": True,
        "KeyManagementServiceProductKeyID": "",
        "VLActivationInterval": 120,
        "VLRenewalInterval": 10080,
        "KeyManagementServiceMachine": "",
        "KeyManagementServicePort": 1688,
        "KeyManagementServiceLookupDomain": "",
    }
    registry = service.pop("registry", {})
    firewall = dict(FRESH_FIREWALL, **service.pop("firewall", {}))
    svc.update(service)
    return {
        "computer_name": "WIN01",
        "os": copy.deepcopy(os_info or SERVER_2022),
        "service": svc,
        "products": products if products is not None else [product(GVLK_2022_DC[-5:])],
        "registry": dict(
            {"DnsDomainPublishList": None, "EnableKmsLowPriority": None, "DisableDnsPublishing": None}, **registry
        ),
        "firewall": firewall,
    }


def kms_host_state(key=HOST_KEY, licensed=True, **service):
    service.setdefault("IsKeyManagementServiceMachine", 1)
    service.setdefault("KeyManagementServiceCurrentCount", 3)
    service.setdefault("RequiredClientCount", 5)
    # what slmgr.vbs /ipk leaves beside a KMS host key (issue 17 point 9)
    service["registry"] = dict({"KeyManagementServiceVersion": "10.0.20348.1"}, **service.get("registry", {}))
    # a working KMS host lets clients in on 1688
    service["firewall"] = dict(
        {"builtin_enabled": True, "builtin_profiles": "Domain, Private"}, **service.get("firewall", {})
    )
    return state(products=[product(key[-5:], licensed=licensed, kms_host=True)], **service)


def host_params(**overrides):
    params = {
        "product_key": HOST_KEY,
        "state": "present",
        "activation": "online",
        "confirmation_id": None,
        "port": None,
        "dns_publishing": None,
        "publish_domains": None,
        "low_priority": None,
        "activation_interval": None,
        "renewal_interval": None,
        "allow_client_edition": False,
        "manage_firewall": True,
        "firewall_profiles": ["Domain", "Private"],
        "ledger_path": None,
        "extra_hosts_granted": 0,
        "extra_activations_granted": 0,
    }
    params.update(overrides)
    return params


def client_params(**overrides):
    params = {
        "product_key": None,
        "kms_host": None,
        "dns_discovery": None,
        "kms_domain": None,
        "host_caching": None,
        "activate": False,
        "allow_unlisted_key": False,
    }
    params.update(overrides)
    return params


def steps(plan):
    """(action, method or registry name) of each planned operation, in order."""
    return [(op["action"], op.get("method") or op.get("name")) for op in plan.operations]
