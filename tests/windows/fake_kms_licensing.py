# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""TEST DOUBLE of the PowerShell executor kmsops.kms.kms_licensing (tests only).

The Ansible-level tests copy the collection to a temporary tree and install this file there as
plugins/modules/kms_licensing.py, so the action plugins run against localhost while this module
plays Windows: it keeps the licensing state in the JSON file named by $KMSOPS_FAKE_STATE, applies
the operations the way Windows would, and appends the arguments it received to $KMSOPS_FAKE_LOG
(which is how the tests prove that the product key reached the executor but never the output).
Set "fail_on": "<method, registry name or action>" in the state file to make that operation fail
(as Windows does: a CIM exception whose HResult is "fail_hresult", default 0xC004F074),
"firewall_broken": true to make the firewall operations fail, "key_channels": {"<last five>":
"VOLUME_MAK"} to make a key install as that channel (a MAK, a retail key), "read_failures_after_restart":
N to make the next N reads of the state after an sppsvc restart throw (the service is still starting).

What it models of Windows (what makes the plan's order matter):
* the KMS host settings (SetVL*, listening port, DNS publishing, low priority) fail on a machine
  that is not an activated KMS host (IsKeyManagementServiceMachine 1 and licensed);
* they take effect, and read back, only after sppsvc restarts (until then they wait in "staged";
  the publish list in effect is "running_publish_list", copied from the registry at the restart);
* a licence change (Activate, DepositOfflineConfirmationId) shows in LicenseStatus only after
  RefreshLicenseStatus;
* a non-host reports KeyManagementServiceCurrentCount as the CIM uint32 4294967295;
* per-product KMS settings (slmgr.vbs /skms ... <Activation ID>): "product_overrides" maps a
  product ID to {"machine", "port", "domain"}; a product reports its own value where one is set
  and the machine-wide one otherwise (what slmgr.vbs /dlv shows), and only the product's Clear*
  methods remove its own values;
* the product-level IsKeyManagementServiceMachine is 1 only for a Windows KMS host key, while the
  service-level one may also be 1 for an Office KMS host ("other_products");
* registry values under the Wow6432Node view exist only when that key exists
  ("registry_wow6432": {"present": ...});
* only the executor's allow-listed methods, registry values and actions exist;
* a key's channel shows in the product's Description (VOLUME_KMSCLIENT for a GVLK, VOLUME_KMS_2022
  for another key unless "key_channels" says VOLUME_MAK or RETAIL), and Activate spends an activation
  of whatever key is installed, a MAK included (counted in "activations");
* the built-in rule SPPSVC-In-TCP exists and is disabled on a fresh host (Microsoft: "Create a KMS
  activation host" has it enabled by hand); Set-NetFirewallRule -Enabled True -Profile sets it;
* errors are CIM exceptions carrying the licensing HResult, which the executor returns as 0x%08X;
* the read after the operations may throw (see read_failures_after_restart) and is retried
  read_attempts times, never sleeping (no timed test).
"""

from __future__ import annotations

import json
import os

from ansible.module_utils.basic import AnsibleModule

INSTALLATION_ID = "1234567" * 9


def is_gvlk(key):
    """Whether Windows takes KEY for a KMS client setup key: the published keys, which the tests
    list from the collection's table in the JSON file named by $KMSOPS_FAKE_GVLKS (the table is
    controller code, plugin_utils, which Ansible does not ship with a module)."""
    with open(os.environ["KMSOPS_FAKE_GVLKS"], encoding="utf-8") as handle:
        return key.strip().upper() in json.load(handle)


class CimException(Exception):
    """What Invoke-CimMethod throws when Software Protection fails: the code is in HResult."""

    def __init__(self, message, hresult):
        super().__init__(message)
        self.hresult = hresult


def product_for(key, channels=None):
    channel = "VOLUME_KMSCLIENT" if is_gvlk(key) else (channels or {}).get(key[-5:], "VOLUME_KMS_2022")
    host_key = channel.startswith("VOLUME_KMS") and channel != "VOLUME_KMSCLIENT"
    return {
        "ID": "fake-" + key[-5:],
        "Name": "Windows(R), ServerDatacenter edition",
        "Description": "Windows(R) Operating System, %s channel" % channel,
        "LicenseStatus": 5,
        "PartialProductKey": key[-5:],
        "ProductKeyID": "00000-" + key[-5:],
        "LicenseFamily": "ServerDatacenter",
        "OfflineInstallationId": INSTALLATION_ID,
        "GracePeriodRemaining": 43200,
        "LicenseIsAddon": False,
        "IsKeyManagementServiceMachine": 1 if host_key else 0,
        "DiscoveredKeyManagementServiceMachineName": "",
        "DiscoveredKeyManagementServiceMachinePort": 0,
        "DiscoveredKeyManagementServiceMachineIpAddress": "",
    }


def find_product(state, partial):
    found = [p for p in state["products"] if p["PartialProductKey"] == partial]
    if len(found) != 1:
        raise RuntimeError("found %d Windows products with partial key %s" % (len(found), partial))
    return found[0]


# The executor's allow-lists (test_executor_double_matches_the_powershell_allow_lists compares them
# with plugins/modules/kms_licensing.ps1): an operation outside them fails here as it would there.
SERVICE_METHODS = (
    "InstallProductKey",
    "RefreshLicenseStatus",
    "SetKeyManagementServiceListeningPort",
    "ClearKeyManagementServiceListeningPort",
    "DisableKeyManagementServiceDnsPublishing",
    "SetVLActivationInterval",
    "SetVLRenewalInterval",
    "SetKeyManagementServiceMachine",
    "ClearKeyManagementServiceMachine",
    "SetKeyManagementServicePort",
    "ClearKeyManagementServicePort",
    "SetKeyManagementServiceLookupDomain",
    "ClearKeyManagementServiceLookupDomain",
    "DisableKeyManagementServiceHostCaching",
    "EnableKeyManagementServiceLowPriority",
)
PRODUCT_METHODS = (
    "Activate",
    "DepositOfflineConfirmationId",
    "ClearKeyManagementServiceMachine",
    "ClearKeyManagementServicePort",
    "ClearKeyManagementServiceLookupDomain",
)
REGISTRY_WRITABLE = ("DnsDomainPublishList", "KeyManagementServiceVersion")
PRODUCT_CLEARS = {
    "ClearKeyManagementServiceMachine": "machine",
    "ClearKeyManagementServicePort": "port",
    "ClearKeyManagementServiceLookupDomain": "domain",
}

# Client settings: take effect at once.
CLIENT_SETTERS = {
    "SetKeyManagementServiceMachine": ("KeyManagementServiceMachine", lambda a: a["MachineName"]),
    "ClearKeyManagementServiceMachine": ("KeyManagementServiceMachine", lambda a: ""),
    "SetKeyManagementServicePort": ("KeyManagementServicePort", lambda a: a["PortNumber"]),
    "ClearKeyManagementServicePort": ("KeyManagementServicePort", lambda a: 1688),
    "SetKeyManagementServiceLookupDomain": ("KeyManagementServiceLookupDomain", lambda a: a["LookupDomain"]),
    "ClearKeyManagementServiceLookupDomain": ("KeyManagementServiceLookupDomain", lambda a: ""),
    "DisableKeyManagementServiceHostCaching": ("KeyManagementServiceHostCaching", lambda a: not a["DisableCaching"]),
}
# KMS host settings: Windows refuses them unless the machine is an activated KMS host, and they
# take effect (and read back) only after sppsvc restarts; until then they wait in "staged".
HOST_SETTERS = {
    "SetKeyManagementServiceListeningPort": ("KeyManagementServiceListeningPort", lambda a: a["PortNumber"]),
    "ClearKeyManagementServiceListeningPort": ("KeyManagementServiceListeningPort", lambda a: 1688),
    "DisableKeyManagementServiceDnsPublishing": (
        "KeyManagementServiceDnsPublishing",
        lambda a: not a["DisablePublishing"],
    ),
    "SetVLActivationInterval": ("VLActivationInterval", lambda a: a["ActivationInterval"]),
    "SetVLRenewalInterval": ("VLRenewalInterval", lambda a: a["RenewalInterval"]),
    "EnableKeyManagementServiceLowPriority": (
        "KeyManagementServiceLowPriority",
        lambda a: bool(a["EnableLowPriority"]),
    ),
}
UINT32_MINUS_ONE = 4294967295


def activated_kms_host(state):
    service = state["service"]
    return service.get("IsKeyManagementServiceMachine") == 1 and any(
        "VOLUME_KMSCLIENT" not in p["Description"] and p["LicenseStatus"] == 1 for p in state["products"]
    )


def apply(state, op, params):
    args = dict(op.get("args") or {})
    for name, source in (op.get("secret_args") or {}).items():
        args[name] = params[source]
    target = op.get("method") or op.get("name") or op["action"]
    if state.get("fail_on") == target:
        hresult = int(state.get("fail_hresult", "0xC004F074"), 16)
        raise CimException("simulated failure of %s" % target, hresult)
    action = op["action"]
    service = state["service"]
    staged = state.setdefault("staged", {})
    # a licence change (key, activation, deposit) shows only once RefreshLicenseStatus re-evaluates it
    unrefreshed = state.setdefault("unrefreshed_status", {})
    if action == "service":
        method = op["method"]
        if method not in SERVICE_METHODS:
            raise RuntimeError("service method '%s' is not allowed" % method)
        if method == "InstallProductKey":
            key = args["ProductKey"]
            state["products"] = [product_for(key, state.get("key_channels"))]
            host_key = state["products"][0]["IsKeyManagementServiceMachine"] == 1
            service["IsKeyManagementServiceMachine"] = 1 if host_key else 0
            service["KeyManagementServiceCurrentCount"] = 0 if host_key else UINT32_MINUS_ONE
            state["installed_without_restart"] = True
        elif method == "RefreshLicenseStatus":
            for product in state["products"]:
                if product["PartialProductKey"] in unrefreshed:
                    product["LicenseStatus"] = unrefreshed.pop(product["PartialProductKey"])
        elif method in HOST_SETTERS:
            if not activated_kms_host(state):
                raise RuntimeError(
                    "simulated: Windows refuses %s on a machine that is not an activated KMS host" % method
                )
            prop, value = HOST_SETTERS[method]
            staged[prop] = value(args)
        else:
            prop, value = CLIENT_SETTERS[method]
            service[prop] = value(args)
    elif action == "product":
        method = op["method"]
        if method not in PRODUCT_METHODS:
            raise RuntimeError("product method '%s' is not allowed" % method)
        product = find_product(state, op["partial_key"])
        if method in PRODUCT_CLEARS:
            state.setdefault("product_overrides", {}).get(product["ID"], {}).pop(PRODUCT_CLEARS[method], None)
        elif method == "Activate":
            if state.get("activation_result", 1) != 1:
                raise CimException("activation failed", 0xC004F038)
            activations = state.setdefault("activations", {})
            activations[product["PartialProductKey"]] = activations.get(product["PartialProductKey"], 0) + 1
            unrefreshed[product["PartialProductKey"]] = 1
        elif method == "DepositOfflineConfirmationId":
            if args["InstallationId"] != product["OfflineInstallationId"]:
                raise RuntimeError("wrong Installation ID")
            if not (args["ConfirmationId"].isdigit() and len(args["ConfirmationId"]) == 48):
                raise CimException("invalid Confirmation ID", 0xC004F02C)
            unrefreshed[product["PartialProductKey"]] = 1
    elif action in ("registry_set", "registry_remove"):
        if op["name"] not in REGISTRY_WRITABLE:
            raise RuntimeError("registry value '%s' is not allowed" % op["name"])
        view = op.get("view") or "native"
        if view not in ("native", "wow6432"):
            raise RuntimeError("registry view '%s' is not allowed" % view)
        registry = state["registry"] if view == "native" else state.setdefault("registry_wow6432", {"present": False})
        if view == "wow6432" and not registry.get("present") and action == "registry_set":
            raise RuntimeError("simulated: the Wow6432Node SoftwareProtectionPlatform key does not exist")
        registry[op["name"]] = op["value"] if action == "registry_set" else None
    elif action == "restart_service":
        assert op["name"] == "sppsvc"
        service.update(staged)
        staged.clear()
        state["running_publish_list"] = state["registry"].get("DnsDomainPublishList")
        state["installed_without_restart"] = False
        state["restarts"] = state.get("restarts", 0) + 1
        state["reads_to_fail"] = state.get("read_failures_after_restart", 0)
    elif action in ("firewall_open", "firewall_remove", "firewall_enable_builtin"):
        if state.get("firewall_broken"):
            raise RuntimeError("simulated: the Windows Firewall service is not running")
        firewall = state["firewall"]
        if action == "firewall_enable_builtin":
            if not firewall.get("builtin_exists"):
                raise RuntimeError(
                    "No MSFT_NetFirewallRule objects found with property 'InstanceID' equal to 'SPPSVC-In-TCP'"
                )
            firewall["builtin_enabled"] = True
            firewall["builtin_profiles"] = ", ".join(op["profiles"])
        elif action == "firewall_open":
            firewall["rule_port"] = int(op["port"])
            firewall["rule_profiles"] = ", ".join(op["profiles"])
        else:
            firewall["rule_port"] = firewall["rule_profiles"] = None
    else:
        raise RuntimeError("unknown action '%s'" % action)


def with_product_kms(state, product):
    """The product as Windows reports it: its own KMS settings where set, else the machine-wide ones."""
    own = (state.get("product_overrides") or {}).get(product["ID"], {})
    service = state["service"]
    product = dict(product)
    product["KeyManagementServiceMachine"] = own.get("machine", service.get("KeyManagementServiceMachine") or "")
    product["KeyManagementServicePort"] = own.get("port", service.get("KeyManagementServicePort") or 0)
    product["KeyManagementServiceLookupDomain"] = own.get(
        "domain", service.get("KeyManagementServiceLookupDomain") or ""
    )
    return product


def main():
    module = AnsibleModule(
        argument_spec=dict(
            operations=dict(type="list", elements="dict", default=[]),
            product_key=dict(type="str", no_log=True),
            confirmation_id=dict(type="str", no_log=True),
            read_attempts=dict(type="int", default=1),
            read_delay_seconds=dict(type="int", default=0),
        ),
        supports_check_mode=True,
    )
    with open(os.environ["KMSOPS_FAKE_LOG"], "a") as log:
        log.write(json.dumps({"params": module.params, "check_mode": module.check_mode}) + "\n")
    operations = module.params["operations"]
    if module.check_mode and operations:
        module.fail_json(msg="operations were given in check mode; the executor never writes in check mode")
    path = os.environ["KMSOPS_FAKE_STATE"]
    with open(path) as handle:
        state = json.load(handle)
    applied, soft_failed, failure = [], [], None
    for index, op in enumerate(operations):
        try:
            apply(state, op, module.params)
            applied.append(index)
        except Exception as exc:  # the real executor also stops at the first failure
            code = "0x%08X" % exc.hresult if isinstance(exc, CimException) else None
            if op.get("on_error") == "warn":
                soft_failed.append({"index": index, "msg": str(exc), "code": code})
                continue
            failure = {"index": index, "title": op.get("title"), "code": code, "message": str(exc)}
            break
    # the read-back, retried read_attempts times (the real executor sleeps read_delay_seconds between)
    public, state_error = None, None
    for attempt in range(1, max(1, module.params["read_attempts"]) + 1):
        if state.get("reads_to_fail"):
            state["reads_to_fail"] -= 1
            state["failed_reads"] = state.get("failed_reads", 0) + 1
            state_error = {
                "part": "SoftwareLicensingService",
                "attempts": attempt,
                "code": "0x80070422",
                "message": "simulated: the Software Protection service is starting",
            }
            continue
        public = {
            k: v
            for k, v in state.items()
            if k
            in (
                "computer_name",
                "os",
                "service",
                "products",
                "other_products",
                "registry",
                "registry_wow6432",
                "dns_domain",
                "firewall",
            )
        }
        public["products"] = [with_product_kms(state, p) for p in state["products"]]
        state_error = None
        break
    with open(path, "w") as handle:
        json.dump(state, handle, indent=2)
    result = dict(changed=bool(applied), applied=applied, soft_failed=soft_failed, failure=failure)
    if public is not None:
        result["state"] = public
    else:
        result["state_error"] = state_error
    if failure:
        msg = "operation %d (%s) failed: %s" % (failure["index"] + 1, failure["title"], failure["message"])
        module.fail_json(msg=msg, **result)
    if state_error:
        module.fail_json(
            msg="the licensing state could not be read back (%s): %s" % (state_error["part"], state_error["message"]),
            **result,
        )
    module.exit_json(**result)


if __name__ == "__main__":
    main()
