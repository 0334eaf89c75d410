# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The licensing state the Windows executor reports, read into facts, and the Plan both planners
(``_host_plan``, ``_client_plan``) return.

The licensing state is what the Windows executor (``kmsops.kms.kms_licensing``) reads:

``{"computer_name", "os": {caption, edition_id, build, product_type},
   "service": {<SoftwareLicensingService properties>},
   "products": [<SoftwareLicensingProduct of Windows with a key installed>],
   "other_products": [<ApplicationID, Name, Description, IsKeyManagementServiceMachine of the other
                       products with a key installed (Office...)>],
   "registry": {<SoftwareProtectionPlatform values>},
   "registry_wow6432": {"present": <the Wow6432Node SoftwareProtectionPlatform key exists>,
                        "KeyManagementServiceVersion": <its value>},
   "dns_domain": <the primary DNS suffix (IPGlobalProperties.DomainName)>,
   "firewall": {"rule_port": <LocalPort of the collection's own rule or None>,
                "rule_profiles": <its Profile, e.g. "Domain, Private">,
                "builtin_exists": <whether the built-in rule SPPSVC-In-TCP exists>,
                "builtin_enabled": <its Enabled read back as a bool>, "builtin_profiles": <its Profile>,
                "error": <why the rules could not be read, if so>}}``

An operation is a plain dict the executor applies without deciding anything:

* ``{"action": "service", "method": M, "args": {...}, "secret_args": {...}}`` - a method of
  SoftwareLicensingService; ``secret_args`` maps a method argument to the name of a no_log
  option of the executor (``product_key`` or ``confirmation_id``), so no secret is ever in an
  operation list;
* ``{"action": "product", "partial_key": "XXXXX", "method": M, "args": ..., "secret_args": ...}`` -
  a method of the Windows SoftwareLicensingProduct whose PartialProductKey is ``partial_key``
  (Activate, DepositOfflineConfirmationId, and the Clear* methods of a per-product KMS override);
* ``{"action": "registry_set", "name": N, "type": "MultiString", "value": V}``,
  ``{"action": "registry_remove", "name": N}`` - values under SoftwareProtectionPlatform (only
  DnsDomainPublishList and KeyManagementServiceVersion are written); ``"view": "wow6432"`` names
  the same key under Wow6432Node (where slmgr.vbs /ipk also writes KeyManagementServiceVersion);
* ``{"action": "restart_service", "name": "sppsvc"}``;
* ``{"action": "firewall_open", "port": P, "profiles": [...]}``, ``{"action": "firewall_remove"}`` -
  the inbound TCP rule of the collection (one fixed rule name) for a KMS listening port other than 1688;
* ``{"action": "firewall_enable_builtin", "profiles": [...]}`` - enable the built-in rule
  SPPSVC-In-TCP (inbound TCP 1688, off on a fresh host) for these profiles.

Every operation also carries a ``title`` for people. An operation with ``"on_error": "warn"``
does not stop the run when it fails: the executor reports it and goes on (used for the firewall,
so a port change never fails because of the firewall). Nothing here touches the network or files.
"""

from __future__ import annotations

import re

from ansible_collections.kmsops.kms.plugins.module_utils.common._errors import InvalidValue
from ansible_collections.kmsops.kms.plugins.module_utils.common._primitives import KMS_PORT, name_key
from ansible_collections.kmsops.kms.plugins.plugin_utils.kms._keys import GuardRefused, mask_key
from ansible_collections.kmsops.kms.plugins.plugin_utils.kms._publish_list import parse_publish_list

WINDOWS_APPLICATION_ID = "55c92734-d682-4d71-983e-d6ec3f16059f"

LICENSE_STATUS: dict[int | None, str] = {  # looked up with None when a product reports no status
    0: "Unlicensed",
    1: "Licensed",
    2: "OOBGrace",
    3: "OOTGrace",
    4: "NonGenuineGrace",
    5: "Notification",
    6: "ExtendedGrace",
}
LICENSED = 1
UINT32_MINUS_ONE = 4294967295  # -1 as a CIM uint32 (KeyManagementServiceCurrentCount on a non-host)

# Oldest builds the methods used exist on (Microsoft's SoftwareLicensingService class page):
# Windows 7 / Server 2008 R2 (6.1, build 7600); the lookup-domain methods Windows 8 / Server 2012
# (6.2, build 9200). WMF 5.1 (PowerShell 5.1, which the executor needs) does not install on
# Vista / Server 2008 either.
MIN_BUILD = 7600
LOOKUP_DOMAIN_MIN_BUILD = 9200
# What ansible-core itself supports on a managed Windows host (its Windows guide, "Using Ansible
# and Windows" / "Managing Windows hosts"): Windows Server 2016 / Windows 10 and later, with
# PowerShell 5.1 and .NET Framework 4. Older builds from MIN_BUILD on may work when WMF 5.1 and
# .NET 4 are installed, but neither ansible-core nor this collection supports them.
SUPPORTED_SERVER_BUILD = 14393  # Windows Server 2016
SUPPORTED_CLIENT_BUILD = 10240  # Windows 10
MIN_POWERSHELL = (5, 1)


class UnsupportedWindows(GuardRefused):
    """The Windows version or edition cannot do what was asked."""


class Plan:
    """The result of planning: operations in order, before/after views, activation facts."""

    def __init__(self):
        self.operations = []
        self.before = {}
        self.after = {}
        self.install_key = None  # the key the executor receives as its no_log product_key
        self.confirmation_id = None  # the Confirmation ID the executor receives (no_log)
        self.activation = None  # 'online' or 'phone' when this run activates a KMS host
        self.activation_key = None  # the KMS host key that activation counts against
        self.activation_pending = False
        self.installation_id = None
        self.messages = []
        self.warnings = []
        self.expect_licensed = False
        self.pending = []  # titles of host settings held back until the host is an activated KMS host
        self.settings_follow = False  # this run activates; the held settings are planned again right after
        self.restart_owed = False  # a change needing the sppsvc restart was made and the restart is not planned yet
        self.verify = {}  # facts the read-back must show after this plan (setting -> value)
        # kms_client: (fixed host, lookup domain) no product may contradict; False = not managed
        self.product_wanted: tuple[str | bool | None, str | bool | None] = (False, False)
        # a KMS host key is installed by this plan: after its first KEY_CHECK_AFTER operations (the
        # install and its refresh) the action plugin reads the product back and refuses to go on
        # unless Windows reports a KMS host key (VOLUME_KMS channel); see _host_plan.check_installed_host_key
        self.key_check_after = None
        self.key_check_partial = None
        self.check_mode_notes = []  # what check mode cannot know and says instead
        self.firewall_rule = None  # the firewall rule this plan makes let KMS clients in (checked on read-back)
        self.late_warnings = []  # warnings from the read-back (finish_host)

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

    def install_product_key(self, key, installed_partial, kind):
        """Install ``key`` (a ``kind`` such as "KMS host key") over what is installed, as slmgr /ipk
        does: InstallProductKey then RefreshLicenseStatus; the key reaches the executor only as its
        no_log product_key."""
        title = "Install the %s %s" % (kind, mask_key(key))
        if installed_partial:
            title = "Replace the installed key %s with the %s %s" % (mask_key(installed_partial), kind, mask_key(key))
        self.add_then_refresh(
            title, "service", method="InstallProductKey", args={}, secret_args={"ProductKey": "product_key"}
        )
        self.install_key = key

    def restart(self):
        """The one restart of the Software Protection service, after the last change that needs
        it (port, publishing, publish list, intervals, priority, a new key)."""
        self.add(
            "Restart the Software Protection service (sppsvc) so the changes take effect",
            "restart_service",
            name="sppsvc",
        )
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
_CHANNEL = re.compile(r"([A-Z0-9_]+) channel", re.IGNORECASE)


def is_kms_host_product(product):
    """KMS host keys have a VOLUME_KMS channel (clients VOLUME_KMSCLIENT). slmgr.vbs decides the
    same way: a Description holding VOLUME_KMS but not VOLUME_KMSCLIENT is a KMS host key."""
    return bool(product) and bool(_KMS_HOST_CHANNEL.search(product.get("Description") or ""))


def product_channel(product):
    """The channel named in a product's Description (``VOLUME_MAK``, ``RETAIL``, ``VOLUME_KMS_2022``...)."""
    match = _CHANNEL.search((product or {}).get("Description") or "")
    return match.group(1).upper() if match else None


def os_product(state):
    """The Windows SoftwareLicensingProduct that has a key installed (not an add-on)."""
    products = [
        p for p in (state.get("products") or []) if p.get("PartialProductKey") and not _bool(p.get("LicenseIsAddon"))
    ]
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


def is_windows_kms_host(product):
    """Whether the Windows product is a KMS host: its own IsKeyManagementServiceMachine (what
    slmgr.vbs reads from SoftwareLicensingProduct before /sprt, /sai, /sdns...), or, when Windows
    does not report that property, a VOLUME_KMS channel. Never the service-level flag, which is 1
    on a machine that is a KMS host for Office only."""
    if not product:
        return False
    flag = _int(product.get("IsKeyManagementServiceMachine"))
    if flag is not None:
        return flag == 1
    return is_kms_host_product(product)


def is_activated_kms_host(state):
    """The Windows product is a KMS host (product-level IsKeyManagementServiceMachine 1) with its KMS
    host key licensed: only then does Windows accept the KMS host settings (slmgr.vbs checks the
    product's IsKeyManagementServiceMachine before /sprt, /sai...)."""
    product, _partial, licensed = installed_key(state)
    return is_windows_kms_host(product) and is_kms_host_product(product) and licensed


def other_kms_host_products(state):
    """Products of other applications (Office...) that carry a KMS host key."""
    return [p for p in (state.get("other_products") or []) if is_kms_host_product(p)]


def _version(text):
    parts = []
    for part in str(text or "").split(".")[:2]:
        number = _int(part)
        if number is None:
            return None
        parts.append(number)
    return tuple(parts) if parts else None


def check_supported(state, min_build=MIN_BUILD, what="kmsops.kms"):
    """Refuse what cannot work: Windows builds older than MIN_BUILD (or a higher minimum for one
    feature), PowerShell older than 5.1, no .NET Framework 4 (what ansible-core needs)."""
    os_info = state.get("os") or {}
    who = state.get("computer_name") or "this machine"
    if min_build == MIN_BUILD:
        powershell = _version(os_info.get("powershell_version"))
        if "powershell_version" in os_info and (powershell is None or powershell < MIN_POWERSHELL):
            raise UnsupportedWindows(
                "%s needs PowerShell 5.1 or later (Windows Management Framework 5.1), as ansible-core does; %s "
                "has PowerShell %s" % (what, who, os_info.get("powershell_version") or "of an unknown version")
            )
        if "dotnet4_version" in os_info and not os_info.get("dotnet4_version"):
            raise UnsupportedWindows(
                "%s needs the .NET Framework 4 (as ansible-core does); %s has no .NET Framework 4 "
                "(HKLM\\SOFTWARE\\Microsoft\\NET Framework Setup\\NDP\\v4\\Full)" % (what, who)
            )
    build = _int(os_info.get("build"))
    if build is not None and build < min_build:
        names = {
            MIN_BUILD: "Windows 7 / Windows Server 2008 R2 (build 7600)",
            LOOKUP_DOMAIN_MIN_BUILD: "Windows 8 / Windows Server 2012 (build 9200)",
        }
        raise UnsupportedWindows(
            "%s needs %s or later; %s is %s (build %d)"
            % (
                what,
                names.get(min_build, "build %d" % min_build),
                state.get("computer_name") or "this machine",
                os_info.get("caption") or "Windows",
                build,
            )
        )


def support_warnings(state, what="kmsops.kms"):
    """Windows that may work but is not supported (older than Windows Server 2016 / Windows 10)."""
    os_info = state.get("os") or {}
    build = _int(os_info.get("build"))
    if build is None:
        return []
    floor = SUPPORTED_CLIENT_BUILD if is_client_edition(state) else SUPPORTED_SERVER_BUILD
    if build >= floor:
        return []
    return [
        "%s runs %s (build %d): %s supports Windows Server 2016 / Windows 10 and later (what ansible-core "
        "supports); older Windows from Windows 7 / Server 2008 R2 on may work with PowerShell 5.1 and "
        ".NET Framework 4 but is not tested"
        % (state.get("computer_name") or "this machine", os_info.get("caption") or "Windows", build, what)
    ]


def _count(value):
    """A client count as a signed number: CIM sends the uint32 4294967295 for the documented -1."""
    number = _int(value)
    return -1 if number == UINT32_MINUS_ONE else number


def _port(value):
    port = _int(value, 0)
    return port if port else KMS_PORT


def _machine(value):
    text = str(value or "").strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    return text.lower() or None


def _discovered(product, fixed):
    """The KMS host found in DNS as slmgr.vbs /dlv shows it: only when no KMS host is registered
    (a fixed one, machine-wide or on the product), and "not available" when the name is empty or
    the port is 0 (slmgr.vbs DisplayKMSClientInformation)."""
    if not product or fixed:
        return None, None
    name = _machine(product.get("DiscoveredKeyManagementServiceMachineName"))
    port = _int(product.get("DiscoveredKeyManagementServiceMachinePort"), 0)
    if not name or not port:
        return None, None
    return name, port


def product_kms(product):
    """The KMS client settings of a product (slmgr.vbs /skms ... <Activation ID> sets them, /dlv
    reads them from the product): machine, port (None for 0) and lookup domain, None when unset."""
    if not product:
        return None, None, None
    domain = name_key(product.get("KeyManagementServiceLookupDomain")) or None
    return (
        _machine(product.get("KeyManagementServiceMachine")),
        _int(product.get("KeyManagementServicePort"), 0) or None,
        domain,
    )


FIREWALL_PROFILES = ("Domain", "Private", "Public")
BUILTIN_FIREWALL_RULE = "SPPSVC-In-TCP"  # Windows' own rule for the KMS host on TCP 1688
FIREWALL_RULE = "kmsops-kms-KMS-In-TCP"  # the one rule name the executor may create or remove


def parse_profiles(value):
    """A NetFirewallRule Profile as read ("Domain, Private", "Any") -> canonical list, None when unknown."""
    if value is None:
        return None
    names = [p.strip().lower() for p in str(value).replace(";", ",").split(",") if p.strip()]
    if not names or "any" in names:
        return list(FIREWALL_PROFILES)
    return [p for p in FIREWALL_PROFILES if p.lower() in names]


def _firewall_facts(firewall, port):
    """Which rule lets KMS clients in on PORT (SPPSVC-In-TCP covers 1688 only)."""
    builtin_enabled = None
    if firewall.get("builtin_exists") or firewall.get("builtin_enabled") is not None:
        builtin_enabled = _bool(firewall.get("builtin_enabled"))
    rule_port = _int(firewall.get("rule_port"))
    rule = None
    if port == KMS_PORT and builtin_enabled:
        rule = BUILTIN_FIREWALL_RULE
    elif rule_port is not None and rule_port == port:
        rule = FIREWALL_RULE
    return {
        "firewall_rule": rule,
        "firewall_rule_port": rule_port,
        "firewall_rule_profiles": parse_profiles(firewall.get("rule_profiles")) if rule_port is not None else None,
        "firewall_builtin_enabled": builtin_enabled,
        "firewall_builtin_profiles": parse_profiles(firewall.get("builtin_profiles")),
    }


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
    product_host, product_port, product_domain = product_kms(product)
    last_host, last_port = _discovered(product, product_host or _machine(service.get("KeyManagementServiceMachine")))
    facts = {
        "computer_name": state.get("computer_name"),
        "os": dict(state.get("os") or {}),
        "is_kms_host": is_windows_kms_host(product),
        "partial_product_key": product.get("PartialProductKey") if product else None,
        "product_name": product.get("Name") if product else None,
        "product_description": product.get("Description") if product else None,
        "license_status_code": status,
        "license_status": LICENSE_STATUS.get(status, "Unknown") if product else "NoKeyInstalled",
        "grace_period_remaining": _int(product.get("GracePeriodRemaining")) if product else None,
        "installation_id": (product.get("OfflineInstallationId") or None) if product and status != LICENSED else None,
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
        "kms_domain": name_key(service.get("KeyManagementServiceLookupDomain")) or None,
        "host_caching": _bool(service.get("KeyManagementServiceHostCaching")),
        "product_kms_host": product_host,
        "product_kms_port": product_port,
        "product_kms_domain": product_domain,
        # what slmgr /dlv shows as "KMS machine name from DNS": the KMS host last found in DNS,
        # only when no KMS host is registered (then it shows "Registered KMS machine name")
        "last_kms_host": last_host,
        "last_kms_port": last_port,
        "last_kms_ip": str(product.get("DiscoveredKeyManagementServiceMachineIpAddress") or "").strip() or None
        if product
        else None,
    }
    facts.update(_firewall_facts(firewall, facts["port"]))
    return facts
