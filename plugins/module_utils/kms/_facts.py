# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The licensing state the Windows executor reports, read into facts, and the Plan both planners
(``_host_plan``, ``_client_plan``) return.

The licensing state is what the Windows executor (``kmsops.kms.kms_licensing``) reads:

``{"computer_name", "os": {caption, edition_id, build, product_type},
   "service": {<SoftwareLicensingService properties>},
   "products": [<SoftwareLicensingProduct of Windows with a key installed>],
   "registry": {<SoftwareProtectionPlatform values>},
   "firewall": {"rule_port": <LocalPort of the collection's own rule or None>, "error": <why it
                could not be read, if so>}}``

An operation is a plain dict the executor applies without deciding anything:

* ``{"action": "service", "method": M, "args": {...}, "secret_args": {...}}`` - a method of
  SoftwareLicensingService; ``secret_args`` maps a method argument to the name of a no_log
  option of the executor (``product_key`` or ``confirmation_id``), so no secret is ever in an
  operation list;
* ``{"action": "product", "partial_key": "XXXXX", "method": M, "args": ..., "secret_args": ...}`` -
  a method of the Windows SoftwareLicensingProduct whose PartialProductKey is ``partial_key``;
* ``{"action": "registry_set", "name": N, "type": "MultiString", "value": V}``,
  ``{"action": "registry_remove", "name": N}`` - values under SoftwareProtectionPlatform (only
  DnsDomainPublishList is written);
* ``{"action": "restart_service", "name": "sppsvc"}``;
* ``{"action": "firewall_open", "port": P}``, ``{"action": "firewall_remove"}`` - the inbound TCP
  rule of the collection (one fixed rule name) for a KMS listening port other than 1688.

Every operation also carries a ``title`` for people. An operation with ``"on_error": "warn"``
does not stop the run when it fails: the executor reports it and goes on (used for the firewall,
so a port change never fails because of the firewall). Nothing here touches the network or files.
"""

from __future__ import annotations

import re

from ansible_collections.kmsops.kms.plugins.module_utils.common._errors import InvalidValue
from ansible_collections.kmsops.kms.plugins.module_utils.common._primitives import KMS_PORT
from ansible_collections.kmsops.kms.plugins.module_utils.kms._keys import GuardRefused
from ansible_collections.kmsops.kms.plugins.module_utils.kms._publish_list import parse_publish_list

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
UINT32_MINUS_ONE = 4294967295      # -1 as a CIM uint32 (KeyManagementServiceCurrentCount on a non-host)

# Oldest builds the methods used exist on (Microsoft's SoftwareLicensingService class page):
# Windows 7 / Server 2008 R2 (6.1, build 7600); the lookup-domain methods Windows 8 / Server 2012
# (6.2, build 9200). WMF 5.1 (PowerShell 5.1, which the executor needs) does not install on
# Vista / Server 2008 either.
MIN_BUILD = 7600
LOOKUP_DOMAIN_MIN_BUILD = 9200


class UnsupportedWindows(GuardRefused):
    """The Windows version or edition cannot do what was asked."""


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
        self.warnings = []
        self.expect_licensed = False
        self.pending = []              # titles of host settings held back until the host is an activated KMS host
        self.settings_follow = False   # this run activates; the held settings are planned again right after
        self.restart_owed = False      # a change needing the sppsvc restart was made and the restart is not planned yet
        self.verify = {}               # facts the read-back must show after this plan (setting -> value)

    @property
    def changed(self):
        return bool(self.operations)

    def add(self, title, action, **fields):
        op = {"action": action, "title": title}
        op.update(fields)
        self.operations.append(op)
        return op

    def add_then_refresh(self, title, action, **fields):
        """Add an operation that changes the licence (a key, an activation, a deposit) and the
        RefreshLicenseStatus that makes Windows re-evaluate it (what slmgr.vbs does after each)."""
        op = self.add(title, action, **fields)
        self.add("Refresh the licence status", "service", method="RefreshLicenseStatus", args={})
        return op

    def restart(self):
        """The one restart of the Software Protection service, after the last change that needs
        it (port, publishing, publish list, intervals, priority, a new key)."""
        self.add("Restart the Software Protection service (sppsvc) so the changes take effect",
                 "restart_service", name="sppsvc")
        self.restart_owed = False

    def public_operations(self):
        """The operations as shown to users (they never contain secrets)."""
        return [dict(op) for op in self.operations]


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


def is_azure_edition(state):
    """Windows Server Datacenter: Azure Edition (EditionID ServerTurbine...)."""
    os_info = state.get("os") or {}
    edition = str(os_info.get("edition_id") or "").lower()
    return edition.startswith("serverturbine") or "azure edition" in str(os_info.get("caption") or "").lower()


def is_activated_kms_host(state):
    """IsKeyManagementServiceMachine is 1 and the installed KMS host key is licensed: only then
    does Windows accept the KMS host settings (slmgr.vbs checks the same before /sprt, /sai...)."""
    product, _partial, licensed = installed_key(state)
    service = state.get("service") or {}
    return (_int(service.get("IsKeyManagementServiceMachine"), 0) == 1 and is_kms_host_product(product)
            and licensed)


def check_supported(state, min_build=MIN_BUILD, what="kmsops.kms"):
    """Refuse Windows builds older than MIN_BUILD (or a higher minimum for one feature)."""
    os_info = state.get("os") or {}
    build = _int(os_info.get("build"))
    if build is not None and build < min_build:
        names = {MIN_BUILD: "Windows 7 / Windows Server 2008 R2 (build 7600)",
                 LOOKUP_DOMAIN_MIN_BUILD: "Windows 8 / Windows Server 2012 (build 9200)"}
        raise UnsupportedWindows(
            "%s needs %s or later; %s is %s (build %d)"
            % (what, names.get(min_build, "build %d" % min_build), state.get("computer_name") or "this machine",
               os_info.get("caption") or "Windows", build))


def _count(value):
    """A client count as a signed number: CIM sends the uint32 4294967295 for the documented -1."""
    number = _int(value)
    return -1 if number == UINT32_MINUS_ONE else number


def _port(value):
    port = _int(value, 0)
    return port if port else KMS_PORT


def _machine(value):
    text = (value or "").strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    return text.lower() or None


def summarize(state):
    """Facts for users: the same shape for kms_info, kms_host and kms_client results."""
    service = state.get("service") or {}
    registry = state.get("registry") or {}
    firewall = state.get("firewall") or {}
    product = os_product(state)
    status = _int(product.get("LicenseStatus")) if product else None
    try:
        publish = parse_publish_list(registry.get("DnsDomainPublishList"))
    except InvalidValue:
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
        "current_count": _count(service.get("KeyManagementServiceCurrentCount")),
        "required_count": _count(service.get("RequiredClientCount")),
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
        # what slmgr /dlv shows as "KMS machine name from DNS": the KMS host last found in DNS
        "last_kms_host": _machine(product.get("DiscoveredKeyManagementServiceMachineName")) if product else None,
        "last_kms_port": (_int(product.get("DiscoveredKeyManagementServiceMachinePort")) or None) if product else None,
        "firewall_rule_port": _int(firewall.get("rule_port")),
    }
    return facts
