# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""KMS client planner: kms_client options + licensing state -> ordered operations (see ``_facts``)."""

from __future__ import annotations

import ipaddress
import re
from typing import cast

from ansible_collections.kmsops.kms.plugins.module_utils.common._primitives import (
    KMS_PORT,
    check_host_name,
    check_port,
    name_key,
    normalize_domain,
)
from ansible_collections.kmsops.kms.plugins.plugin_utils.kms._facts import (
    LICENSED,
    LOOKUP_DOMAIN_MIN_BUILD,
    Plan,
    check_supported,
    installed_key,
    product_kms,
    summarize,
    support_warnings,
)
from ansible_collections.kmsops.kms.plugins.plugin_utils.kms._gvlk import find_gvlk, is_gvlk
from ansible_collections.kmsops.kms.plugins.plugin_utils.kms._keys import (
    ExecutorError,
    GuardRefused,
    InvalidSetting,
    mask_key,
    normalize_product_key,
)
from ansible_collections.kmsops.kms.plugins.plugin_utils.kms._kms_version import remove_kms_version


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
            raise InvalidSetting("kms_host %r: %r is not an IPv6 address" % (text, machine)) from None
    else:
        if value.count(":") > 1:
            raise InvalidSetting(
                "kms_host %r: write an IPv6 address in brackets, e.g. [%s] or [%s]:1688" % (text, value, value)
            )
        machine, _sep, port_text = value.partition(":")
        if _sep and not port_text:
            raise InvalidSetting("kms_host %r: empty port" % text)
        machine = name_key(check_host_name(machine, "kms_host"))
    if port_text:
        port = check_port(port_text, "kms_host")
    return machine, port


OVERRIDE_SOURCE = (
    "slmgr.vbs /skms <name[:port]> <Activation ID> and /skms-domain <FQDN> <Activation ID> set "
    "them on the product; slmgr.vbs /dlv reads them from there"
)


def _machine_text(machine):
    return "[%s]" % machine if machine and ":" in machine else machine


def _plan_product_overrides(plan, params, state, wanted_host, wanted_port, wanted_domain):
    """Per-product KMS settings (SoftwareLicensingProduct) that contradict what the task asks for:
    clear them on the product (what slmgr.vbs /ckms <Activation ID> and /ckms-domain <Activation ID>
    do), or fail naming those commands when clear_product_overrides=false.

    ``wanted_host``: the fixed host after this plan (None for DNS discovery; ``False`` when the task
    does not manage it); ``wanted_domain``: likewise for the lookup domain. A product value equal to
    the wanted one is left alone (Windows may report the machine-wide value on the product too)."""
    clears, commands = [], []
    for product in state.get("products") or []:
        partial = (product.get("PartialProductKey") or "").upper()
        if not partial:
            continue
        host, port, domain = product_kms(product)
        act_id = product.get("ID") or "<Activation ID>"
        name = product.get("Name") or "Windows"
        if wanted_host is not False:
            if host and host != wanted_host:
                clears.append(
                    (
                        partial,
                        "ClearKeyManagementServiceMachine",
                        "Clear the KMS host %s set on the product %s (slmgr.vbs /ckms %s)"
                        % (_machine_text(host), name, act_id),
                    )
                )
                clears.append(
                    (partial, "ClearKeyManagementServicePort", "Clear the KMS port set on the product %s" % name)
                )
                commands.append(
                    "slmgr.vbs /ckms %s (the product %s pins the KMS host %s)" % (act_id, name, _machine_text(host))
                )
            elif port and wanted_host and port != wanted_port:
                clears.append(
                    (
                        partial,
                        "ClearKeyManagementServicePort",
                        "Clear the KMS port %d set on the product %s" % (port, name),
                    )
                )
                commands.append(
                    "slmgr.vbs /skms %s:%d %s (the product %s sets the KMS port %d)"
                    % (_machine_text(wanted_host), wanted_port, act_id, name, port)
                )
        if wanted_domain is not False and domain and domain != wanted_domain:
            clears.append(
                (
                    partial,
                    "ClearKeyManagementServiceLookupDomain",
                    "Clear the KMS lookup domain %s set on the product %s (slmgr.vbs /ckms-domain %s)"
                    % (domain, name, act_id),
                )
            )
            commands.append(
                "slmgr.vbs /ckms-domain %s (the product %s sets the lookup domain %s)" % (act_id, name, domain)
            )
    if not clears:
        return []
    if not params.get("clear_product_overrides", True):
        raise GuardRefused(
            "per-product KMS settings contradict the task (%s): run %s on %s, or set clear_product_overrides=true"
            % (OVERRIDE_SOURCE, "; ".join(commands), state.get("computer_name") or "the machine")
        )
    for partial, method, title in clears:
        plan.add(title, "product", partial_key=partial, method=method, args={})
    return clears


def _client_view(facts):
    return {
        "product_key": mask_key(facts["partial_product_key"]),
        "license_status": facts["license_status"],
        "kms_host": facts["kms_host"],
        "kms_port": facts["kms_port"],
        "kms_domain": facts["kms_domain"],
        "host_caching": facts["host_caching"],
        "product_kms_host": facts["product_kms_host"],
        "product_kms_port": facts["product_kms_port"],
        "product_kms_domain": facts["product_kms_domain"],
    }


def plan_client(params, state):
    """Plan a KMS client. ``params`` are the validated kms_client options."""
    check_supported(state, what="kms_client")
    facts = summarize(state)
    plan = Plan()
    plan.warnings.extend(support_warnings(state, "kms_client"))
    plan.before = _client_view(facts)
    after = dict(plan.before)
    _product, installed_partial, licensed = installed_key(state)
    if params.get("kms_host") and params.get("dns_discovery"):
        raise InvalidSetting("kms_host and dns_discovery are mutually exclusive")
    # False: not asked for; None: cleared (DNS discovery, no lookup domain)
    wanted_host: str | bool | None = False
    wanted_domain: str | bool | None = False
    wanted_port = KMS_PORT
    if params.get("kms_host"):
        wanted_host, wanted_port = parse_kms_host(params["kms_host"])
        wanted_port = wanted_port or KMS_PORT
    elif params.get("dns_discovery"):
        wanted_host = None
    if params.get("kms_domain") is not None:
        check_supported(state, LOOKUP_DOMAIN_MIN_BUILD, "kms_domain (the KMS lookup-domain methods)")
        wanted_domain = (
            normalize_domain(params["kms_domain"], "kms_domain", service=True) if params["kms_domain"].strip() else None
        )
    # before any key change: the overrides are set on the product the installed key belongs to
    cleared = _plan_product_overrides(plan, params, state, wanted_host, wanted_port, wanted_domain)
    facts_of = {
        "ClearKeyManagementServiceMachine": "product_kms_host",
        "ClearKeyManagementServicePort": "product_kms_port",
        "ClearKeyManagementServiceLookupDomain": "product_kms_domain",
    }
    for partial, method, _title in cleared:
        if partial == installed_partial:  # the view shows the OS product
            after[facts_of[method]] = None
    plan.product_wanted = (wanted_host, wanted_domain)

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
                    "missing from the collection's table" % mask_key(key)
                )
    active_partial = installed_partial
    if key is not None and installed_partial != key[-5:]:
        plan.install_product_key(key, installed_partial, "KMS client setup key")
        active_partial = key[-5:]
        licensed = False
        after.update(product_key=mask_key(key), license_status="Unlicensed")
        remove_kms_version(plan, state)
        # Microsoft's slmgr.vbs options page, /ipk: "To prevent instability in the license service,
        # the system should be restarted or the Software Protection Service should be restarted."
        plan.restart()

    if params.get("kms_host"):
        machine, port = cast(str, wanted_host), wanted_port  # kms_host given: parse_kms_host's name
        if machine != facts["kms_host"]:
            # an IPv6 address goes in brackets, as slmgr.vbs /skms passes it ([hostname]:port)
            machine_name = "[%s]" % machine if ":" in machine else machine
            plan.add(
                "Set the KMS host to %s" % machine_name,
                "service",
                method="SetKeyManagementServiceMachine",
                args={"MachineName": machine_name},
            )
            after["kms_host"] = machine
        if port != facts["kms_port"]:
            if port == KMS_PORT:
                plan.add(
                    "Reset the KMS port to %d" % KMS_PORT, "service", method="ClearKeyManagementServicePort", args={}
                )
            else:
                plan.add(
                    "Set the KMS port to %d" % port,
                    "service",
                    method="SetKeyManagementServicePort",
                    args={"PortNumber": port},
                )
            after["kms_port"] = port
    elif params.get("dns_discovery"):
        if facts["kms_host"]:
            plan.add(
                "Clear the fixed KMS host (use DNS discovery)",
                "service",
                method="ClearKeyManagementServiceMachine",
                args={},
            )
            after["kms_host"] = None
        if facts["kms_port"] != KMS_PORT:
            plan.add("Reset the KMS port to %d" % KMS_PORT, "service", method="ClearKeyManagementServicePort", args={})
            after["kms_port"] = KMS_PORT

    kms_domain = params.get("kms_domain")
    if kms_domain is not None:
        if kms_domain.strip():
            domain = wanted_domain
            if domain != facts["kms_domain"]:
                plan.add(
                    "Set the KMS lookup domain to %s" % domain,
                    "service",
                    method="SetKeyManagementServiceLookupDomain",
                    args={"LookupDomain": domain},
                )
                after["kms_domain"] = domain
        elif facts["kms_domain"]:
            plan.add("Clear the KMS lookup domain", "service", method="ClearKeyManagementServiceLookupDomain", args={})
            after["kms_domain"] = None

    host_caching = params.get("host_caching")
    if host_caching is not None and bool(host_caching) != facts["host_caching"]:
        plan.add(
            "%s KMS host caching" % ("Enable" if host_caching else "Disable"),
            "service",
            method="DisableKeyManagementServiceHostCaching",
            args={"DisableCaching": not host_caching},
        )
        after["host_caching"] = bool(host_caching)

    if params.get("activate") and not licensed:
        if not active_partial:
            raise InvalidSetting("activate=true but no product key is installed; give product_key (e.g. auto)")
        plan.add_then_refresh(
            "Activate against the KMS host", "product", partial_key=active_partial, method="Activate", args={}
        )
        plan.expect_licensed = True
        after["license_status"] = "Licensed"
    if after["kms_host"] and after["kms_domain"]:
        plan.warnings.append(
            "kms_host %s and kms_domain %s are both set: the fixed KMS host is used and the lookup domain has no "
            "effect (slmgr.vbs: /skms overrides /skms-domain; Microsoft's slmgr.vbs options page, /skms-domain: "
            '"This setting has no effect if the specific single KMS host is set by using the /skms option")'
            % (_machine_text(after["kms_host"]), after["kms_domain"])
        )
    plan.after = after
    return plan


def finish_client(plan, after_state):
    facts = summarize(after_state)
    if plan.expect_licensed and facts["license_status_code"] != LICENSED:
        raise ExecutorError("activation was requested but Windows reports licence status %s" % facts["license_status"])
    wanted_host, wanted_domain = plan.product_wanted
    wrong = []
    for product in after_state.get("products") or []:
        host, _port, domain = product_kms(product)
        if wanted_host is not False and host and host != wanted_host:
            wrong.append(
                "the product %s pins the KMS host %s (slmgr.vbs /ckms %s clears it)"
                % (product.get("Name") or "Windows", _machine_text(host), product.get("ID"))
            )
        if wanted_domain is not False and domain and domain != wanted_domain:
            wrong.append(
                "the product %s sets the lookup domain %s (slmgr.vbs /ckms-domain %s clears it)"
                % (product.get("Name") or "Windows", domain, product.get("ID"))
            )
    if wrong:
        raise ExecutorError(
            "the changes were applied but Windows still reads back per-product KMS settings that "
            "contradict the task: %s" % "; ".join(wrong)
        )
    return facts
