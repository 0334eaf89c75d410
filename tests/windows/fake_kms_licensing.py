# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""TEST DOUBLE of the PowerShell executor kmsops.kms.kms_licensing (tests only).

The Ansible-level tests copy the collection to a temporary tree and install this file there as
plugins/modules/kms_licensing.py, so the action plugins run against localhost while this module
plays Windows: it keeps the licensing state in the JSON file named by $KMSOPS_FAKE_STATE, applies
the operations the way Windows would, and appends the arguments it received to $KMSOPS_FAKE_LOG
(which is how the tests prove that the product key reached the executor but never the output).
Set "fail_on": "<method or registry name>" in the state file to make that operation fail.
"""

from __future__ import annotations

import json
import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kmsops.kms.plugins.module_utils.kms._gvlk import is_gvlk

INSTALLATION_ID = "1234567" * 9


def product_for(key):
    client = is_gvlk(key)
    return {
        "ID": "fake-" + key[-5:],
        "Name": "Windows(R), ServerDatacenter edition",
        "Description": "Windows(R) Operating System, %s channel" % ("VOLUME_KMSCLIENT" if client else "VOLUME_KMS_2022"),
        "LicenseStatus": 5, "PartialProductKey": key[-5:], "ProductKeyID": "00000-" + key[-5:],
        "LicenseFamily": "ServerDatacenter", "OfflineInstallationId": INSTALLATION_ID,
        "GracePeriodRemaining": 43200, "LicenseIsAddon": False,
    }


def find_product(state, partial):
    found = [p for p in state["products"] if p["PartialProductKey"] == partial]
    if len(found) != 1:
        raise RuntimeError("found %d Windows products with partial key %s" % (len(found), partial))
    return found[0]


SERVICE_SETTERS = {
    "SetKeyManagementServiceListeningPort": ("KeyManagementServiceListeningPort", lambda a: a["PortNumber"]),
    "ClearKeyManagementServiceListeningPort": ("KeyManagementServiceListeningPort", lambda a: 1688),
    "DisableKeyManagementServiceDnsPublishing": ("KeyManagementServiceDnsPublishing", lambda a: not a["DisablePublishing"]),
    "SetVLActivationInterval": ("VLActivationInterval", lambda a: a["ActivationInterval"]),
    "SetVLRenewalInterval": ("VLRenewalInterval", lambda a: a["RenewalInterval"]),
    "SetKeyManagementServiceMachine": ("KeyManagementServiceMachine", lambda a: a["MachineName"]),
    "ClearKeyManagementServiceMachine": ("KeyManagementServiceMachine", lambda a: ""),
    "SetKeyManagementServicePort": ("KeyManagementServicePort", lambda a: a["PortNumber"]),
    "ClearKeyManagementServicePort": ("KeyManagementServicePort", lambda a: 1688),
    "SetKeyManagementServiceLookupDomain": ("KeyManagementServiceLookupDomain", lambda a: a["LookupDomain"]),
    "ClearKeyManagementServiceLookupDomain": ("KeyManagementServiceLookupDomain", lambda a: ""),
    "DisableKeyManagementServiceHostCaching": ("KeyManagementServiceHostCaching", lambda a: not a["DisableCaching"]),
}


def apply(state, op, params):
    args = dict(op.get("args") or {})
    for name, source in (op.get("secret_args") or {}).items():
        args[name] = params[source]
    target = op.get("method") or op.get("name")
    if state.get("fail_on") == target:
        raise RuntimeError("simulated failure of %s (0xC004F074)" % target)
    action = op["action"]
    service = state["service"]
    if action == "service":
        method = op["method"]
        if method == "InstallProductKey":
            key = args["ProductKey"]
            state["products"] = [product_for(key)]
            service["IsKeyManagementServiceMachine"] = 0 if is_gvlk(key) else 1
            service["KeyManagementServiceCurrentCount"] = -1 if is_gvlk(key) else 0
        elif method == "RefreshLicenseStatus":
            pass
        elif method in SERVICE_SETTERS:
            prop, value = SERVICE_SETTERS[method]
            service[prop] = value(args)
        else:
            raise RuntimeError("unknown service method %s" % method)
    elif action == "product":
        product = find_product(state, op["partial_key"])
        method = op["method"]
        if method == "Activate":
            if state.get("activation_result", 1) != 1:
                raise RuntimeError("activation failed (0xC004F038)")
            product["LicenseStatus"] = 1
        elif method == "DepositOfflineConfirmationId":
            if args["InstallationId"] != product["OfflineInstallationId"]:
                raise RuntimeError("wrong Installation ID")
            if not (args["ConfirmationId"].isdigit() and len(args["ConfirmationId"]) == 48):
                raise RuntimeError("invalid Confirmation ID (0xC004F04D)")
            product["LicenseStatus"] = 1
        elif method == "UninstallProductKey":
            state["products"].remove(product)
            service["IsKeyManagementServiceMachine"] = 0
        else:
            raise RuntimeError("unknown product method %s" % method)
    elif action == "registry_set":
        state["registry"][op["name"]] = op["value"]
    elif action == "registry_remove":
        state["registry"][op["name"]] = None
    elif action == "restart_service":
        assert op["name"] == "sppsvc"
        service["KeyManagementServiceLowPriority"] = bool(state["registry"].get("EnableKmsLowPriority"))
        state.setdefault("restarts", 0)
        state["restarts"] += 1
    else:
        raise RuntimeError("unknown action %s" % action)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            operations=dict(type="list", elements="dict", default=[]),
            product_key=dict(type="str", no_log=True),
            confirmation_id=dict(type="str", no_log=True),
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
    applied, failure = [], None
    for index, op in enumerate(operations):
        try:
            apply(state, op, module.params)
            applied.append(index)
        except Exception as exc:  # the real executor also stops at the first failure
            failure = "operation %d (%s) failed: %s" % (index + 1, op.get("title"), exc)
            break
    with open(path, "w") as handle:
        json.dump(state, handle, indent=2)
    public = {k: v for k, v in state.items() if k in ("computer_name", "os", "service", "products", "registry")}
    if failure:
        module.fail_json(msg=failure, applied=applied, state=public, changed=bool(applied))
    module.exit_json(changed=bool(applied), applied=applied, state=public)


if __name__ == "__main__":
    main()
