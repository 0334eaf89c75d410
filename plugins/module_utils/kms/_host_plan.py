# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""KMS host planner: kms_host options + licensing state -> ordered operations (see ``_facts``)."""

from __future__ import annotations

from ansible_collections.kmsops.kms.plugins.module_utils.kms._facts import (
    LICENSED,
    Plan,
    check_port,
    installed_key,
    is_client_edition,
    is_kms_host_product,
    summarize,
)
from ansible_collections.kmsops.kms.plugins.module_utils.kms._gvlk import find_gvlk, is_gvlk
from ansible_collections.kmsops.kms.plugins.module_utils.kms._keys import (
    ExecutorError,
    GuardRefused,
    InvalidSetting,
    mask_key,
    normalize_confirmation_id,
    normalize_product_key,
)
from ansible_collections.kmsops.kms.plugins.module_utils.kms._publish_list import (
    format_publish_list,
    normalize_publish_list,
)

INTERVAL_MIN = 15
INTERVAL_MAX = 43200


def check_interval(name, value):
    if value is None:
        return None
    if not INTERVAL_MIN <= int(value) <= INTERVAL_MAX:
        raise InvalidSetting("%s must be between %d and %d minutes (15 minutes to 30 days), got %s"
                             % (name, INTERVAL_MIN, INTERVAL_MAX, value))
    return int(value)


def _host_view(facts):
    return {
        "kms_host_key": mask_key(facts["partial_product_key"]) if facts["is_kms_host"] else None,
        "license_status": facts["license_status"],
        "port": facts["port"],
        "dns_publishing": facts["dns_publishing"],
        "publish_domains": facts["publish_domains"],
        "low_priority": facts["low_priority"],
        "activation_interval": facts["activation_interval"],
        "renewal_interval": facts["renewal_interval"],
    }


def plan_host(params, state):
    """Plan a KMS host. ``params`` are the validated kms_host options."""
    facts = summarize(state)
    plan = Plan()
    plan.before = _host_view(facts)
    after = dict(plan.before)
    product, installed_partial, licensed = installed_key(state)

    if params.get("state") == "absent":
        if is_kms_host_product(product):
            entry = find_gvlk(facts["os"].get("edition_id"), facts["os"].get("build"), facts["os"].get("caption"))
            plan.add("Uninstall the KMS host key %s" % mask_key(installed_partial), "product",
                     partial_key=installed_partial, method="UninstallProductKey", args={})
            plan.add_then_refresh("Install the KMS client setup key for %s" % entry.editions[0], "service",
                                  method="InstallProductKey", args={}, secret_args={"ProductKey": "product_key"})
            plan.install_key = entry.key
            after.update(kms_host_key=None, license_status="Unknown")
        plan.after = after
        return plan

    key = normalize_product_key(params["product_key"])
    confirmation_id = params.get("confirmation_id")
    if confirmation_id is not None:
        confirmation_id = normalize_confirmation_id(confirmation_id)
    activation = params.get("activation") or "online"
    if confirmation_id and activation != "phone":
        raise InvalidSetting("confirmation_id is only used with activation=phone")
    port = check_port("port", params.get("port"))
    activation_interval = check_interval("activation_interval", params.get("activation_interval"))
    renewal_interval = check_interval("renewal_interval", params.get("renewal_interval"))
    publish = params.get("publish_domains")
    publish = normalize_publish_list(publish) if publish is not None else None

    if is_gvlk(key):
        raise GuardRefused("the product_key %s is a KMS client setup key (GVLK), not a KMS host key"
                           % mask_key(key))

    wanted_partial = key[-5:]
    key_installed = installed_partial == wanted_partial
    if not key_installed:
        if is_client_edition(state) and not params.get("allow_client_edition"):
            raise GuardRefused(
                "%s is a client edition of Windows (%s): KMS host keys belong on KMS hosts. "
                "Set allow_client_edition=true only if this client is meant to be a KMS host"
                % (facts["computer_name"] or "this machine", facts["os"].get("caption") or "ProductType 1"))
        if confirmation_id:
            raise InvalidSetting(
                "confirmation_id was given but the KMS host key %s is not installed yet; run without "
                "confirmation_id first to install it and get the Installation ID" % mask_key(key))
        title = "Install the KMS host key %s" % mask_key(key)
        if installed_partial:
            title = "Replace the installed key %s with the KMS host key %s" % (mask_key(installed_partial), mask_key(key))
        plan.add_then_refresh(title, "service", method="InstallProductKey", args={}, secret_args={"ProductKey": "product_key"})
        plan.install_key = key
        licensed = False
        after.update(kms_host_key=mask_key(key), license_status="Unlicensed")

    if not licensed:
        if activation == "online":
            plan.add("Activate the KMS host online", "product", partial_key=wanted_partial, method="Activate", args={})
            plan.activation, plan.activation_key, plan.expect_licensed = "online", key, True
            after["license_status"] = "Licensed"
        elif activation == "phone" and confirmation_id:
            iid = product.get("OfflineInstallationId") if product else None
            if not iid:
                raise ExecutorError("Windows reports no Installation ID for the key %s; cannot deposit the "
                                    "Confirmation ID" % mask_key(key))
            plan.add_then_refresh("Deposit the telephone Confirmation ID", "product", partial_key=wanted_partial,
                                  method="DepositOfflineConfirmationId", args={"InstallationId": iid},
                                  secret_args={"ConfirmationId": "confirmation_id"})
            plan.confirmation_id = confirmation_id
            plan.activation, plan.activation_key, plan.expect_licensed = "phone", key, True
            after["license_status"] = "Licensed"
        elif activation == "phone":
            plan.activation_pending = True
            plan.installation_id = None if plan.install_key else (product.get("OfflineInstallationId") or None)
            plan.messages.append(
                "Telephone activation pending: call the Microsoft Activation Call Center with the Installation ID "
                "(returned as installation_id), then run again with confirmation_id set to the Confirmation ID.")

    restart = False
    if port is not None and port != facts["port"]:
        plan.add("Set the KMS listening port to %d" % port, "service",
                 method="SetKeyManagementServiceListeningPort", args={"PortNumber": port})
        after["port"] = port
    dns_publishing = params.get("dns_publishing")
    if dns_publishing is not None and bool(dns_publishing) != facts["dns_publishing"]:
        plan.add("%s DNS auto-publishing of the SRV record" % ("Enable" if dns_publishing else "Disable"), "service",
                 method="DisableKeyManagementServiceDnsPublishing", args={"DisablePublishing": not dns_publishing})
        after["dns_publishing"] = bool(dns_publishing)
    if publish is not None and publish != facts["publish_domains"]:
        if publish:
            plan.add("Write DnsDomainPublishList (%s)" % ", ".join(e["domain"] for e in publish), "registry_set",
                     name="DnsDomainPublishList", type="MultiString", value=format_publish_list(publish))
        else:
            plan.add("Remove DnsDomainPublishList", "registry_remove", name="DnsDomainPublishList")
        after["publish_domains"] = publish
        restart = True
    low_priority = params.get("low_priority")
    if low_priority is not None and bool(low_priority) != facts["low_priority"]:
        plan.add("%s KMS low priority" % ("Enable" if low_priority else "Disable"), "registry_set",
                 name="EnableKmsLowPriority", type="DWord", value=1 if low_priority else 0)
        after["low_priority"] = bool(low_priority)
        restart = True
    if activation_interval is not None and activation_interval != facts["activation_interval"]:
        plan.add("Set the activation interval to %d minutes" % activation_interval, "service",
                 method="SetVLActivationInterval", args={"ActivationInterval": activation_interval})
        after["activation_interval"] = activation_interval
    if renewal_interval is not None and renewal_interval != facts["renewal_interval"]:
        plan.add("Set the renewal interval to %d minutes" % renewal_interval, "service",
                 method="SetVLRenewalInterval", args={"RenewalInterval": renewal_interval})
        after["renewal_interval"] = renewal_interval
    if restart:
        plan.add("Restart the Software Protection service (sppsvc)", "restart_service", name="sppsvc")
    plan.after = after
    return plan


def finish_host(plan, after_state):
    """After applying: check the outcome and fill in the pending telephone activation facts."""
    facts = summarize(after_state)
    if plan.expect_licensed and facts["license_status_code"] != LICENSED:
        raise ExecutorError("the KMS host was activated (%s) but Windows reports licence status %s"
                            % (plan.activation, facts["license_status"]))
    if plan.activation_pending:
        plan.installation_id = facts["installation_id"]
    return facts
