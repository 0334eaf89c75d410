# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""KMS host and KMS client planners: desired settings + licensing state -> ordered operations.

The licensing state is what the Windows executor (``kmsops.kms.kms_licensing``) reads:

``{"computer_name", "os": {caption, edition_id, build, product_type},
   "service": {<SoftwareLicensingService properties>},
   "products": [<SoftwareLicensingProduct of Windows with a key installed>],
   "registry": {<SoftwareProtectionPlatform values>}}``

An operation is a plain dict the executor applies without deciding anything:

* ``{"action": "service", "method": M, "args": {...}, "secret_args": {...}}`` - a method of
  SoftwareLicensingService; ``secret_args`` maps a method argument to the name of a no_log
  option of the executor (``product_key`` or ``confirmation_id``), so no secret is ever in an
  operation list;
* ``{"action": "product", "partial_key": "XXXXX", "method": M, "args": ..., "secret_args": ...}`` -
  a method of the Windows SoftwareLicensingProduct whose PartialProductKey is ``partial_key``;
* ``{"action": "registry_set", "name": N, "type": "DWord"|"String"|"MultiString", "value": V}``,
  ``{"action": "registry_remove", "name": N}`` - values under SoftwareProtectionPlatform;
* ``{"action": "restart_service", "name": "sppsvc"}``.

Every operation also carries a ``title`` for people. Nothing here touches the network or files.
"""

from __future__ import annotations

import ipaddress
import re

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
    PublishListError,
    format_publish_list,
    normalize_domain,
    normalize_publish_list,
    parse_publish_list,
)

DEFAULT_PORT = 1688
INTERVAL_MIN = 15
INTERVAL_MAX = 43200
WINDOWS_APPLICATION_ID = "55c92734-d682-4d71-983e-d6ec3f16059f"

LICENSE_STATUS = {
    0: "Unlicensed",
    1: "Licensed",
    2: "OOBGrace",
    3: "OOTGrace",
    4: "NonGenuineGrace",
    5: "Notification",
    6: "ExtendedGrace",
}
LICENSED = 1


class Plan(object):
    """The result of planning: operations in order, before/after views, activation facts."""

    def __init__(self):
        self.operations = []
        self.before = {}
        self.after = {}
        self.install_key = None        # the key the executor receives as its no_log product_key
        self.confirmation_id = None    # the Confirmation ID the executor receives (no_log)
        self.activation = None         # 'online' or 'phone' when this run activates a KMS host
        self.activation_key = None     # the KMS host key that activation counts against
        self.activation_pending = False
        self.installation_id = None
        self.messages = []
        self.expect_licensed = False

    @property
    def changed(self):
        return bool(self.operations)

    def add(self, title, action, **fields):
        op = {"action": action, "title": title}
        op.update(fields)
        self.operations.append(op)
        return op

    def public_operations(self):
        """The operations as shown to users (they never contain secrets)."""
        return [dict(op) for op in self.operations]


# ---------------------------------------------------------------------------------------------
# Reading the state


def _int(value, default=None):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _bool(value):
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes")
    return bool(value)


_KMS_HOST_CHANNEL = re.compile(r"VOLUME_KMS(?!CLIENT)", re.IGNORECASE)


def is_kms_host_product(product):
    """KMS host keys have a VOLUME_KMS channel (clients VOLUME_KMSCLIENT)."""
    return bool(product) and bool(_KMS_HOST_CHANNEL.search(product.get("Description") or ""))


def os_product(state):
    """The Windows SoftwareLicensingProduct that has a key installed (not an add-on)."""
    products = [p for p in (state.get("products") or [])
                if p.get("PartialProductKey") and not _bool(p.get("LicenseIsAddon"))]
    kms = [p for p in products if is_kms_host_product(p)]
    if kms:
        return kms[0]
    return products[0] if products else None


def installed_key(state):
    """The OS product of STATE, the last five characters of its key (upper case; None without a
    product) and whether it is licensed."""
    product = os_product(state)
    installed_partial = (product.get("PartialProductKey") or "").upper() if product else None
    licensed = bool(product) and _int(product.get("LicenseStatus")) == LICENSED
    return product, installed_partial, licensed


def is_client_edition(state):
    """Win32_OperatingSystem.ProductType 1 = workstation (2 = domain controller, 3 = server)."""
    return _int((state.get("os") or {}).get("product_type")) == 1


def _port(value):
    port = _int(value, 0)
    return port if port else DEFAULT_PORT


def _machine(value):
    text = (value or "").strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    return text.lower() or None


def summarize(state):
    """Facts for users: the same shape for kms_info, kms_host and kms_client results."""
    service = state.get("service") or {}
    registry = state.get("registry") or {}
    product = os_product(state)
    status = _int(product.get("LicenseStatus")) if product else None
    try:
        publish = parse_publish_list(registry.get("DnsDomainPublishList"))
    except PublishListError:
        publish = None
    facts = {
        "computer_name": state.get("computer_name"),
        "os": dict(state.get("os") or {}),
        "is_kms_host": is_kms_host_product(product) or _int(service.get("IsKeyManagementServiceMachine"), 0) == 1,
        "partial_product_key": product.get("PartialProductKey") if product else None,
        "product_name": product.get("Name") if product else None,
        "product_description": product.get("Description") if product else None,
        "license_status_code": status,
        "license_status": LICENSE_STATUS.get(status, "Unknown") if product else "NoKeyInstalled",
        "grace_period_remaining": _int(product.get("GracePeriodRemaining")) if product else None,
        "installation_id": (product.get("OfflineInstallationId") or None)
        if product and status != LICENSED else None,
        "current_count": _int(service.get("KeyManagementServiceCurrentCount")),
        "required_count": _int(service.get("RequiredClientCount")),
        "port": _port(service.get("KeyManagementServiceListeningPort")),
        "dns_publishing": _bool(service.get("KeyManagementServiceDnsPublishing")),
        "publish_domains": publish,
        "low_priority": _bool(service.get("KeyManagementServiceLowPriority")),
        "activation_interval": _int(service.get("VLActivationInterval")),
        "renewal_interval": _int(service.get("VLRenewalInterval")),
        "kms_host": _machine(service.get("KeyManagementServiceMachine")),
        "kms_port": _port(service.get("KeyManagementServicePort")),
        "kms_domain": (service.get("KeyManagementServiceLookupDomain") or "").rstrip(".").lower() or None,
        "host_caching": _bool(service.get("KeyManagementServiceHostCaching")),
    }
    return facts


# ---------------------------------------------------------------------------------------------
# Validation of user input


def check_interval(name, value):
    if value is None:
        return None
    if not INTERVAL_MIN <= int(value) <= INTERVAL_MAX:
        raise InvalidSetting("%s must be between %d and %d minutes (15 minutes to 30 days), got %s"
                             % (name, INTERVAL_MIN, INTERVAL_MAX, value))
    return int(value)


def check_port(name, value):
    if value is None:
        return None
    if not 1 <= int(value) <= 65535:
        raise InvalidSetting("%s must be a TCP port 1..65535, got %s" % (name, value))
    return int(value)


_HOSTNAME_RE = re.compile(r"^(?=.{1,253}$)(?!-)[A-Za-z0-9_-]{1,63}(?<!-)(?:\.(?!-)[A-Za-z0-9_-]{1,63}(?<!-))*\.?$")


def parse_kms_host(text):
    """'name', 'name:port', 'a.b.c.d[:port]', '[v6]' or '[v6]:port' -> (machine, port or None)."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidSetting("kms_host must be a host name or address, optionally with :port")
    value = text.strip()
    port = None
    if value.startswith("["):
        match = re.match(r"^\[([^\]]+)\](?::(\d+))?$", value)
        if not match:
            raise InvalidSetting("kms_host %r: an IPv6 address is written in brackets, e.g. [2001:db8::10]:1688" % text)
        machine, port_text = match.group(1), match.group(2)
        try:
            machine = str(ipaddress.IPv6Address(machine))
        except ValueError:
            raise InvalidSetting("kms_host %r: %r is not an IPv6 address" % (text, machine))
    else:
        if value.count(":") > 1:
            raise InvalidSetting("kms_host %r: write an IPv6 address in brackets, e.g. [%s] or [%s]:1688"
                                 % (text, value, value))
        machine, _sep, port_text = value.partition(":")
        if _sep and not port_text:
            raise InvalidSetting("kms_host %r: empty port" % text)
        if not _HOSTNAME_RE.match(machine):
            raise InvalidSetting("kms_host %r: %r is not a host name or IPv4 address" % (text, machine))
        machine = machine.rstrip(".").lower()
    if port_text:
        port = check_port("the port in kms_host", int(port_text))
    return machine, port


# ---------------------------------------------------------------------------------------------
# KMS host


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
            plan.add("Install the KMS client setup key for %s" % entry.editions[0], "service",
                     method="InstallProductKey", args={}, secret_args={"ProductKey": "product_key"})
            plan.add("Refresh the licence status", "service", method="RefreshLicenseStatus", args={})
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
        plan.add(title, "service", method="InstallProductKey", args={}, secret_args={"ProductKey": "product_key"})
        plan.add("Refresh the licence status", "service", method="RefreshLicenseStatus", args={})
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
            plan.add("Deposit the telephone Confirmation ID", "product", partial_key=wanted_partial,
                     method="DepositOfflineConfirmationId", args={"InstallationId": iid},
                     secret_args={"ConfirmationId": "confirmation_id"})
            plan.add("Refresh the licence status", "service", method="RefreshLicenseStatus", args={})
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


# ---------------------------------------------------------------------------------------------
# KMS client


def _client_view(facts):
    return {
        "product_key": mask_key(facts["partial_product_key"]),
        "license_status": facts["license_status"],
        "kms_host": facts["kms_host"],
        "kms_port": facts["kms_port"],
        "kms_domain": facts["kms_domain"],
        "host_caching": facts["host_caching"],
    }


def plan_client(params, state):
    """Plan a KMS client. ``params`` are the validated kms_client options."""
    facts = summarize(state)
    plan = Plan()
    plan.before = _client_view(facts)
    after = dict(plan.before)
    product, installed_partial, licensed = installed_key(state)

    requested = params.get("product_key")
    key = None
    if requested is not None:
        if str(requested).strip().lower() == "auto":
            os_facts = facts["os"]
            key = find_gvlk(os_facts.get("edition_id"), os_facts.get("build"), os_facts.get("caption")).key
        else:
            key = normalize_product_key(requested)
            if not is_gvlk(key) and not params.get("allow_unlisted_key"):
                raise GuardRefused(
                    "the product_key %s is not a published KMS client setup key (GVLK). A KMS host key must "
                    "never be installed on a KMS client. Set allow_unlisted_key=true only for a client key "
                    "missing from the collection's table" % mask_key(key))
    active_partial = installed_partial
    if key is not None and installed_partial != key[-5:]:
        title = "Install the KMS client setup key %s" % mask_key(key)
        if installed_partial:
            title = "Replace the installed key %s with the KMS client setup key %s" % (mask_key(installed_partial), mask_key(key))
        plan.add(title, "service", method="InstallProductKey", args={}, secret_args={"ProductKey": "product_key"})
        plan.add("Refresh the licence status", "service", method="RefreshLicenseStatus", args={})
        plan.install_key = key
        active_partial = key[-5:]
        licensed = False
        after.update(product_key=mask_key(key), license_status="Unlicensed")

    if params.get("kms_host") and params.get("dns_discovery"):
        raise InvalidSetting("kms_host and dns_discovery are mutually exclusive")
    if params.get("kms_host"):
        machine, port = parse_kms_host(params["kms_host"])
        port = port or DEFAULT_PORT
        if machine != facts["kms_host"]:
            plan.add("Set the KMS host to %s" % machine, "service",
                     method="SetKeyManagementServiceMachine", args={"MachineName": machine})
            after["kms_host"] = machine
        if port != facts["kms_port"]:
            if port == DEFAULT_PORT:
                plan.add("Reset the KMS port to %d" % DEFAULT_PORT, "service",
                         method="ClearKeyManagementServicePort", args={})
            else:
                plan.add("Set the KMS port to %d" % port, "service",
                         method="SetKeyManagementServicePort", args={"PortNumber": port})
            after["kms_port"] = port
    elif params.get("dns_discovery"):
        if facts["kms_host"]:
            plan.add("Clear the fixed KMS host (use DNS discovery)", "service",
                     method="ClearKeyManagementServiceMachine", args={})
            after["kms_host"] = None
        if facts["kms_port"] != DEFAULT_PORT:
            plan.add("Reset the KMS port to %d" % DEFAULT_PORT, "service",
                     method="ClearKeyManagementServicePort", args={})
            after["kms_port"] = DEFAULT_PORT

    kms_domain = params.get("kms_domain")
    if kms_domain is not None:
        if kms_domain.strip():
            try:
                domain = normalize_domain(kms_domain)
            except PublishListError:
                raise InvalidSetting("kms_domain %r is not a DNS domain name" % kms_domain)
            if domain != facts["kms_domain"]:
                plan.add("Set the KMS lookup domain to %s" % domain, "service",
                         method="SetKeyManagementServiceLookupDomain", args={"LookupDomain": domain})
                after["kms_domain"] = domain
        elif facts["kms_domain"]:
            plan.add("Clear the KMS lookup domain", "service", method="ClearKeyManagementServiceLookupDomain", args={})
            after["kms_domain"] = None

    host_caching = params.get("host_caching")
    if host_caching is not None and bool(host_caching) != facts["host_caching"]:
        plan.add("%s KMS host caching" % ("Enable" if host_caching else "Disable"), "service",
                 method="DisableKeyManagementServiceHostCaching", args={"DisableCaching": not host_caching})
        after["host_caching"] = bool(host_caching)

    if params.get("activate") and not licensed:
        if not active_partial:
            raise InvalidSetting("activate=true but no product key is installed; give product_key (e.g. auto)")
        plan.add("Activate against the KMS host", "product", partial_key=active_partial, method="Activate", args={})
        plan.add("Refresh the licence status", "service", method="RefreshLicenseStatus", args={})
        plan.expect_licensed = True
        after["license_status"] = "Licensed"
    plan.after = after
    return plan


def finish_client(plan, after_state):
    facts = summarize(after_state)
    if plan.expect_licensed and facts["license_status_code"] != LICENSED:
        raise ExecutorError("activation was requested but Windows reports licence status %s"
                            % facts["license_status"])
    return facts
