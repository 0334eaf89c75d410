# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""KMS host planner: kms_host options + licensing state -> ordered operations (see ``_facts``).

Order of a run, from what Microsoft documents and what slmgr.vbs does:

1. the key (InstallProductKey, RefreshLicenseStatus);
2. the activation (Activate or DepositOfflineConfirmationId, then RefreshLicenseStatus);
3. the host settings (listening port, firewall rule, DNS publishing, publish list, low priority,
   intervals) - only when the host is an activated KMS host, since Windows refuses the SetVL*,
   port, publishing and priority methods on any other machine. When this run activates, the
   action plugin plans them again from the state read back after activation (``settings_follow``);
   otherwise they are reported as pending and never sent;
4. one restart of sppsvc after the last change that needs it (a new key, the port, publishing,
   the publish list, the intervals, the priority); the executor reads the state back after it.
"""

from __future__ import annotations

from ansible_collections.kmsops.kms.plugins.module_utils.common._errors import InvalidValue
from ansible_collections.kmsops.kms.plugins.module_utils.common._primitives import (
    KMS_PORT,
    check_port,
    normalize_domain,
)
from ansible_collections.kmsops.kms.plugins.plugin_utils.kms._facts import (
    BUILTIN_FIREWALL_RULE,
    FIREWALL_PROFILES,
    FIREWALL_RULE,
    LICENSED,
    Plan,
    check_supported,
    installed_key,
    is_activated_kms_host,
    is_azure_edition,
    is_client_edition,
    is_kms_host_product,
    product_channel,
    summarize,
    support_warnings,
)
from ansible_collections.kmsops.kms.plugins.plugin_utils.kms._gvlk import find_gvlk, is_gvlk
from ansible_collections.kmsops.kms.plugins.plugin_utils.kms._keys import (
    ExecutorError,
    GuardRefused,
    InvalidSetting,
    mask_key,
    normalize_confirmation_id,
    normalize_product_key,
)
from ansible_collections.kmsops.kms.plugins.plugin_utils.kms._kms_version import plan_kms_version, remove_kms_version
from ansible_collections.kmsops.kms.plugins.plugin_utils.kms._publish_list import (
    format_publish_list,
    normalize_publish_list,
)

INTERVAL_MIN = 15
INTERVAL_MAX = 43200
DEFAULT_FIREWALL_PROFILES = ("Domain", "Private")  # Microsoft's example in "Create a KMS activation host"

SRV_STAYS = (
    "%s is a KMS client again, but the SRV value that names it in _vlmcs._tcp stays in DNS: remove it "
    "with kmsops.kms.kms_publish (state=absent for this host, or prune=true without it), or delete it in "
    "DNS if the host published it itself."
)


def check_interval(name, value):
    if value is None:
        return None
    if not INTERVAL_MIN <= int(value) <= INTERVAL_MAX:
        raise InvalidSetting(
            "%s must be between %d and %d minutes (15 minutes to 30 days), got %s"
            % (name, INTERVAL_MIN, INTERVAL_MAX, value)
        )
    return int(value)


def _host_view(facts):
    return {
        "kms_host_key": mask_key(facts["partial_product_key"]) if facts["is_kms_host"] else None,
        "license_status": facts["license_status"],
        "port": facts["port"],
        "firewall_rule": facts["firewall_rule"],
        "firewall_rule_port": facts["firewall_rule_port"],
        "firewall_builtin_enabled": facts["firewall_builtin_enabled"],
        "dns_publishing": facts["dns_publishing"],
        "publish_domains": facts["publish_domains"],
        "low_priority": facts["low_priority"],
        "activation_interval": facts["activation_interval"],
        "renewal_interval": facts["renewal_interval"],
    }


class _Settings:
    """The host-setting changes of one plan: operations not yet added, the facts they lead to."""

    def __init__(self):
        self.operations = []  # (title, action, fields)
        self.after = {}
        self.verify = {}  # facts the read-back must show (settings that take effect at the restart)
        self.restart = False
        self.warnings = []
        self.firewall_rule = None  # the rule that must let clients in after the run

    def change(self, fact, new, title, action, **fields):
        self.operations.append((title, action, fields))
        self.after[fact] = new
        if not action.startswith("firewall_"):
            self.verify[fact] = new
            self.restart = True


def check_profiles(value):
    """firewall_profiles -> canonical list (Domain, Private, Public order) or InvalidSetting."""
    if value is None:
        return list(DEFAULT_FIREWALL_PROFILES)
    names = [str(v).strip().lower() for v in value]
    unknown = [v for v in names if v not in [p.lower() for p in FIREWALL_PROFILES]]
    if unknown or not names:
        raise InvalidSetting(
            "firewall_profiles must be a non-empty list of %s, got %r" % (", ".join(FIREWALL_PROFILES), value)
        )
    return [p for p in FIREWALL_PROFILES if p.lower() in names]


def _firewall(settings, params, state, facts, port):
    """Let KMS clients in on PORT (issue 17 point 1): on 1688 the built-in rule SPPSVC-In-TCP, which
    is off on a fresh host (Microsoft, "Create a KMS activation host", enables it by hand); on any
    other port the collection's own rule. Moving back to 1688 enables SPPSVC-In-TCP before the
    collection's rule is removed, so the host is never left without a rule for its port."""
    host = facts["computer_name"] or "the host"
    if not params.get("manage_firewall", True):
        if port != KMS_PORT and port != facts["port"]:
            settings.warnings.append(
                "manage_firewall=false: open inbound TCP %d on %s for KMS clients yourself (the built-in "
                "rule SPPSVC-In-TCP covers port 1688 only)" % (port, host)
            )
        return
    profiles = check_profiles(params.get("firewall_profiles"))
    error = (state.get("firewall") or {}).get("error")
    if error:
        settings.warnings.append(
            "the Windows Firewall rules of %s could not be read (%s): open inbound "
            "TCP %d for KMS clients yourself" % (host, error, port)
        )
        return
    shown = ", ".join(profiles)
    if port == KMS_PORT:
        enabled = facts["firewall_builtin_enabled"]
        current = facts["firewall_builtin_profiles"] or []
        if enabled is None:
            settings.warnings.append(
                "%s has no built-in Windows Firewall rule %s: open inbound TCP %d for KMS "
                "clients yourself" % (host, BUILTIN_FIREWALL_RULE, KMS_PORT)
            )
        elif not enabled or not set(profiles) <= set(current):
            # an enabled rule keeps the profiles it has; a disabled one gets exactly the asked ones
            wanted = [p for p in FIREWALL_PROFILES if p in profiles or (enabled and p in current)]
            settings.change(
                "firewall_builtin_enabled",
                True,
                "Enable the built-in Windows Firewall rule %s (inbound TCP %d; profiles %s)"
                % (BUILTIN_FIREWALL_RULE, KMS_PORT, ", ".join(wanted)),
                "firewall_enable_builtin",
                profiles=wanted,
                on_error="warn",
                hint="enable it on %s yourself: Set-NetFirewallRule -Name %s -Profile %s -Enabled True"
                % (host, BUILTIN_FIREWALL_RULE, ",".join(wanted)),
            )
        if facts["firewall_rule_port"] is not None:
            settings.change(
                "firewall_rule_port",
                None,
                "Remove the Windows Firewall rule %s (port 1688 is let in "
                "by %s)" % (FIREWALL_RULE, BUILTIN_FIREWALL_RULE),
                "firewall_remove",
                on_error="warn",
                hint="remove the firewall rule %s on %s yourself" % (FIREWALL_RULE, host),
            )
        if enabled is not None:
            settings.after["firewall_rule"] = BUILTIN_FIREWALL_RULE
            settings.firewall_rule = BUILTIN_FIREWALL_RULE
        return
    if facts["firewall_rule_port"] != port or facts["firewall_rule_profiles"] != profiles:
        settings.change(
            "firewall_rule_port",
            port,
            "Allow inbound TCP %d in the Windows Firewall (rule %s, profiles %s)" % (port, FIREWALL_RULE, shown),
            "firewall_open",
            port=port,
            profiles=profiles,
            on_error="warn",
            hint="open inbound TCP %d on %s yourself" % (port, host),
        )
    settings.after["firewall_rule"] = FIREWALL_RULE
    settings.firewall_rule = FIREWALL_RULE


def own_domain(state):
    """The host's primary DNS suffix (what the executor reads), normalized, or None."""
    text = str(state.get("dns_domain") or "").strip()
    if not text:
        return None
    try:
        return normalize_domain(text, "the host's primary DNS suffix", service=True)
    except InvalidValue:
        return None


def _add_own_domain(settings, publish, state):
    """Microsoft contradicts itself on whether a DnsDomainPublishList stops the host publishing in
    its own domain ("Registry Settings for Volume Activation": the home domain is always used;
    "Deploy KMS Activation": setting the value suspends publishing in the primary DNS suffix). Safe
    under both: the own domain is in the list that is written (priority 0, weight 0, the Windows
    defaults) unless the user lists it or sets publish_own_domain=false."""
    own = own_domain(state)
    if own is None:
        settings.warnings.append(
            "publish_own_domain: %s reports no primary DNS suffix, so no own domain was added to "
            "DnsDomainPublishList" % (state.get("computer_name") or "the host")
        )
        return
    if own not in [entry["domain"] for entry in publish]:
        publish.append({"domain": own, "priority": 0, "weight": 0})


def _settings(params, state, facts):
    """Every host setting that differs from FACTS (checked input; nothing is added to a plan)."""
    port = None if params.get("port") is None else check_port(params["port"], "port")
    activation_interval = check_interval("activation_interval", params.get("activation_interval"))
    renewal_interval = check_interval("renewal_interval", params.get("renewal_interval"))
    publish = params.get("publish_domains")
    publish = normalize_publish_list(publish) if publish is not None else None
    settings = _Settings()
    if publish and params.get("publish_own_domain", True):
        _add_own_domain(settings, publish, state)
    if port is not None and port != facts["port"]:
        settings.change(
            "port",
            port,
            "Set the KMS listening port to %d" % port,
            "service",
            method="SetKeyManagementServiceListeningPort",
            args={"PortNumber": port},
        )
    _firewall(settings, params, state, facts, facts["port"] if port is None else port)
    dns_publishing = params.get("dns_publishing")
    if dns_publishing is not None and bool(dns_publishing) != facts["dns_publishing"]:
        settings.change(
            "dns_publishing",
            bool(dns_publishing),
            "%s DNS auto-publishing of the SRV record" % ("Enable" if dns_publishing else "Disable"),
            "service",
            method="DisableKeyManagementServiceDnsPublishing",
            args={"DisablePublishing": not dns_publishing},
        )
    if publish is not None and publish != facts["publish_domains"]:
        if publish:
            settings.change(
                "publish_domains",
                publish,
                "Write DnsDomainPublishList (%s)" % ", ".join(e["domain"] for e in publish),
                "registry_set",
                name="DnsDomainPublishList",
                type="MultiString",
                value=format_publish_list(publish),
            )
        else:
            settings.change(
                "publish_domains", [], "Remove DnsDomainPublishList", "registry_remove", name="DnsDomainPublishList"
            )
    low_priority = params.get("low_priority")
    if low_priority is not None and bool(low_priority) != facts["low_priority"]:
        settings.change(
            "low_priority",
            bool(low_priority),
            "%s KMS low priority (slmgr.vbs %s)" % (("Enable", "/cpri") if low_priority else ("Disable", "/spri")),
            "service",
            method="EnableKeyManagementServiceLowPriority",
            args={"EnableLowPriority": bool(low_priority)},
        )
    if activation_interval is not None and activation_interval != facts["activation_interval"]:
        settings.change(
            "activation_interval",
            activation_interval,
            "Set the activation interval to %d minutes" % activation_interval,
            "service",
            method="SetVLActivationInterval",
            args={"ActivationInterval": activation_interval},
        )
    if renewal_interval is not None and renewal_interval != facts["renewal_interval"]:
        settings.change(
            "renewal_interval",
            renewal_interval,
            "Set the renewal interval to %d minutes" % renewal_interval,
            "service",
            method="SetVLRenewalInterval",
            args={"RenewalInterval": renewal_interval},
        )
    return settings


def _plan_absent(plan, params, state, facts, product, installed_partial):
    """Back to a KMS client the way Microsoft documents it: /ipk <GVLK> and a restart (no /upk)."""
    if not is_kms_host_product(product):
        return
    entry = find_gvlk(facts["os"].get("edition_id"), facts["os"].get("build"), facts["os"].get("caption"))
    plan.add_then_refresh(
        "Replace the KMS host key %s with the KMS client setup key for %s"
        % (mask_key(installed_partial), entry.editions[0]),
        "service",
        method="InstallProductKey",
        args={},
        secret_args={"ProductKey": "product_key"},
    )
    plan.install_key = entry.key
    remove_kms_version(plan, state)
    plan.after.update(kms_host_key=None, license_status="Unknown")
    plan.verify["partial_product_key"] = entry.key[-5:]
    if params.get("manage_firewall", True) and facts["firewall_rule_port"] is not None:
        plan.add(
            "Remove the Windows Firewall rule %s" % FIREWALL_RULE,
            "firewall_remove",
            on_error="warn",
            hint="remove the firewall rule %s yourself" % FIREWALL_RULE,
        )
        plan.after["firewall_rule_port"] = None
    plan.restart()
    plan.messages.append(SRV_STAYS % (facts["computer_name"] or "The host"))


def plan_host(params, state, restart_owed=False):
    """Plan a KMS host. ``params`` are the validated kms_host options.

    ``restart_owed``: an earlier plan of this run (the activation step) made a change that needs
    the sppsvc restart and left the restart to this one.
    """
    check_supported(state, what="kms_host")
    facts = summarize(state)
    plan = Plan()
    if not restart_owed:  # the follow-up plan of the same run does not repeat the warning
        plan.warnings.extend(support_warnings(state, "kms_host"))
    plan.before = _host_view(facts)
    plan.after = dict(plan.before)
    product, installed_partial, licensed = installed_key(state)

    if params.get("state") == "absent":
        _plan_absent(plan, params, state, facts, product, installed_partial)
        return plan

    key = normalize_product_key(params["product_key"])
    confirmation_id = params.get("confirmation_id")
    if confirmation_id is not None:
        confirmation_id = normalize_confirmation_id(confirmation_id)
    activation = params.get("activation") or "online"
    if confirmation_id and activation != "phone":
        raise InvalidSetting("confirmation_id is only used with activation=phone")
    settings = _settings(params, state, facts)

    if is_gvlk(key):
        raise GuardRefused("the product_key %s is a KMS client setup key (GVLK), not a KMS host key" % mask_key(key))

    wanted_partial = key[-5:]
    key_installed = installed_partial == wanted_partial
    if not key_installed:
        who = facts["computer_name"] or "this machine"
        if is_azure_edition(state):
            raise GuardRefused(
                "%s runs %s: Microsoft does not support an Azure Edition as a KMS host; use another edition "
                "for the KMS host" % (who, facts["os"].get("caption") or "Windows Server Datacenter: Azure Edition")
            )
        if is_client_edition(state) and not params.get("allow_client_edition"):
            raise GuardRefused(
                "%s is a client edition of Windows (%s): KMS host keys belong on KMS hosts. "
                "Set allow_client_edition=true only if this client is meant to be a KMS host"
                % (who, facts["os"].get("caption") or "ProductType 1")
            )
        if confirmation_id:
            raise InvalidSetting(
                "confirmation_id was given but the KMS host key %s is not installed yet; run without "
                "confirmation_id first to install it and get the Installation ID" % mask_key(key)
            )
        plan.install_product_key(key, installed_partial, "KMS host key")
        # Microsoft's slmgr.vbs options page, /ipk: "To prevent instability in the license service,
        # the system should be restarted or the Software Protection Service should be restarted."
        plan.restart_owed = True
        licensed = False
        plan.after.update(kms_host_key=mask_key(key), license_status="Unlicensed")
        # the channel of a key is known only once Windows has installed it (the key text does not
        # say): stop after the install and read the product's Description before anything else
        plan.key_check_after = len(plan.operations)
        plan.key_check_partial = wanted_partial
        plan.check_mode_notes.append(
            "Check mode cannot install the key to learn its channel: after installing it, the task reads the "
            "product's Description and refuses to go on (no activation, no ledger record) unless Windows "
            "reports a KMS host key (VOLUME_KMS channel); a MAK (VOLUME_MAK) or retail key (RETAIL) is refused."
        )
        # sent after that check only, like everything after the install
        plan_kms_version(plan, state, force=True)
    elif is_kms_host_product(product):
        plan_kms_version(plan, state, force=False)
    elif not licensed and activation != "none":
        # installed earlier but not a KMS host key: never activate it (issue 17 point 2)
        refuse_not_a_host_key(product, wanted_partial, installed=False)
    if not licensed:
        _plan_activation(plan, key, activation, confirmation_id, product)

    plan.warnings.extend(settings.warnings)
    if key_installed and licensed and is_activated_kms_host(state):
        for title, action, fields in settings.operations:
            plan.add(title, action, **fields)
        plan.after.update(settings.after)
        plan.verify.update(settings.verify)
        plan.firewall_rule = settings.firewall_rule if settings.operations else None
        plan.restart_owed = plan.restart_owed or settings.restart
    elif settings.operations:
        plan.pending = [title for title, _action, _fields in settings.operations]
        plan.settings_follow = plan.expect_licensed
        if plan.settings_follow:
            plan.after.update(settings.after)
            plan.messages.append(
                "The host settings are applied right after the activation, once Windows reports an activated KMS host."
            )
        else:
            plan.messages.append(
                "Host settings pending until the host is an activated KMS host (Windows refuses "
                "them before): %s." % "; ".join(plan.pending)
            )
        plan.after["pending_settings"] = list(plan.pending)

    plan.restart_owed = plan.restart_owed or restart_owed
    if plan.restart_owed and not plan.settings_follow:
        plan.restart()
    return plan


def _plan_activation(plan, key, activation, confirmation_id, product):
    wanted_partial = key[-5:]
    if activation == "online":
        plan.add_then_refresh(
            "Activate the KMS host online", "product", partial_key=wanted_partial, method="Activate", args={}
        )
        plan.activation, plan.activation_key, plan.expect_licensed = "online", key, True
        plan.after["license_status"] = "Licensed"
    elif activation == "phone" and confirmation_id:
        iid = product.get("OfflineInstallationId") if product else None
        if not iid:
            raise ExecutorError(
                "Windows reports no Installation ID for the key %s; cannot deposit the Confirmation ID" % mask_key(key)
            )
        plan.add_then_refresh(
            "Deposit the telephone Confirmation ID",
            "product",
            partial_key=wanted_partial,
            method="DepositOfflineConfirmationId",
            args={"InstallationId": iid},
            secret_args={"ConfirmationId": "confirmation_id"},
        )
        plan.confirmation_id = confirmation_id
        plan.activation, plan.activation_key, plan.expect_licensed = "phone", key, True
        plan.after["license_status"] = "Licensed"
    elif activation == "phone":
        plan.activation_pending = True
        plan.installation_id = None if plan.install_key else (product.get("OfflineInstallationId") or None)
        plan.messages.append(
            "Telephone activation pending: call the Microsoft Activation Call Center with the Installation ID "
            "(returned as installation_id), then run again with confirmation_id set to the Confirmation ID."
        )


def refuse_not_a_host_key(product, partial, installed):
    """Issue 17 point 2: never activate (and spend) a key that is not a KMS host key."""
    channel = product_channel(product) or "unknown"
    kind = {
        "VOLUME_MAK": "a Multiple Activation Key (MAK)",
        "RETAIL": "a retail key",
        "VOLUME_KMSCLIENT": "a KMS client setup key (GVLK)",
    }.get(channel, "not a KMS host key")
    if channel.startswith("OEM"):
        kind = "an OEM key"
    what = "was installed by this task but" if installed else "is installed but"
    raise GuardRefused(
        "Windows reports the key %s as %r (channel %s): %s, not a KMS host key (VOLUME_KMS channel). The key %s "
        "was not activated and the activation ledger is unchanged. kms_host only activates KMS host keys; to "
        "return this machine to a KMS client, install its client setup key (kmsops.kms.kms_client "
        "product_key=auto)" % (mask_key(partial), (product or {}).get("Description"), channel, kind, what)
    )


def check_installed_host_key(plan, state):
    """After the install operations of PLAN: the product Windows reports for the new key must be a
    KMS host key, or GuardRefused (nothing after the install is sent)."""
    partial = plan.key_check_partial
    products = [p for p in (state.get("products") or []) if (p.get("PartialProductKey") or "").upper() == partial]
    if not products:
        raise ExecutorError(
            "the key %s was installed but Windows reports no Windows product with it; nothing "
            "more was sent" % mask_key(partial)
        )
    if not any(is_kms_host_product(p) for p in products):
        refuse_not_a_host_key(products[0], partial, installed=True)


def finish_host(plan, after_state):
    """After applying: check the outcome against what Windows reads back (after the restart) and
    fill in the pending telephone activation facts."""
    facts = summarize(after_state)
    if plan.expect_licensed and facts["license_status_code"] != LICENSED:
        raise ExecutorError(
            "the KMS host was activated (%s) but Windows reports licence status %s"
            % (plan.activation, facts["license_status"])
        )
    wrong = [
        "%s=%r (expected %r)" % (name, facts.get(name), value)
        for name, value in sorted(plan.verify.items())
        if facts.get(name) != value
    ]
    if wrong:
        raise ExecutorError("the changes were applied but Windows reads back %s" % ", ".join(wrong))
    if plan.activation_pending:
        plan.installation_id = facts["installation_id"]
    if plan.firewall_rule and facts["firewall_rule"] != plan.firewall_rule:
        # the firewall never fails the task (on_error=warn), but the read-back is reported
        plan.late_warnings.append(
            "after the run Windows reads back no firewall rule letting KMS clients in on TCP %d of %s (%s "
            "Enabled=%s): open it yourself"
            % (
                facts["port"],
                facts["computer_name"] or "the host",
                plan.firewall_rule,
                facts["firewall_builtin_enabled"]
                if plan.firewall_rule == BUILTIN_FIREWALL_RULE
                else facts["firewall_rule_port"] is not None,
            )
        )
    return facts
