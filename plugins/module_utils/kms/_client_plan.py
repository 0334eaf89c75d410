# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""KMS client planner: kms_client options + licensing state -> ordered operations (see ``_facts``)."""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.kmsops.kms.plugins.module_utils.common._primitives import (
    KMS_PORT,
    check_host_name,
    check_port,
    normalize_domain,
)
from ansible_collections.kmsops.kms.plugins.module_utils.kms._facts import (
    LICENSED,
    LOOKUP_DOMAIN_MIN_BUILD,
    Plan,
    check_supported,
    installed_key,
    summarize,
)
from ansible_collections.kmsops.kms.plugins.module_utils.kms._gvlk import find_gvlk, is_gvlk
from ansible_collections.kmsops.kms.plugins.module_utils.kms._keys import (
    ExecutorError,
    GuardRefused,
    InvalidSetting,
    mask_key,
    normalize_product_key,
)


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
        machine = check_host_name(machine, "kms_host").rstrip(".").lower()
    if port_text:
        port = check_port(port_text, "kms_host")
    return machine, port


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
    check_supported(state, what="kms_client")
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
        plan.add_then_refresh(title, "service", method="InstallProductKey", args={}, secret_args={"ProductKey": "product_key"})
        plan.install_key = key
        active_partial = key[-5:]
        licensed = False
        after.update(product_key=mask_key(key), license_status="Unlicensed")

    if params.get("kms_host") and params.get("dns_discovery"):
        raise InvalidSetting("kms_host and dns_discovery are mutually exclusive")
    if params.get("kms_host"):
        machine, port = parse_kms_host(params["kms_host"])
        port = port or KMS_PORT
        if machine != facts["kms_host"]:
            # an IPv6 address goes in brackets, as slmgr.vbs /skms passes it ([hostname]:port)
            machine_name = "[%s]" % machine if ":" in machine else machine
            plan.add("Set the KMS host to %s" % machine_name, "service",
                     method="SetKeyManagementServiceMachine", args={"MachineName": machine_name})
            after["kms_host"] = machine
        if port != facts["kms_port"]:
            if port == KMS_PORT:
                plan.add("Reset the KMS port to %d" % KMS_PORT, "service",
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
        if facts["kms_port"] != KMS_PORT:
            plan.add("Reset the KMS port to %d" % KMS_PORT, "service",
                     method="ClearKeyManagementServicePort", args={})
            after["kms_port"] = KMS_PORT

    kms_domain = params.get("kms_domain")
    if kms_domain is not None:
        check_supported(state, LOOKUP_DOMAIN_MIN_BUILD, "kms_domain (the KMS lookup-domain methods)")
        if kms_domain.strip():
            domain = normalize_domain(kms_domain, "kms_domain", service=True)
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
        plan.add_then_refresh("Activate against the KMS host", "product", partial_key=active_partial, method="Activate", args={})
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
