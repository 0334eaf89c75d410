# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The KMS estate: the inventory read once, checked as a whole, planned per domain.

The one reader of the ``kms_*`` inventory variables (controller side only). :data:`VARIABLES`
is the one table of those variables with their defaults; a unit test holds it against
``roles/kms/meta/argument_specs.yml`` and ``inventories/README.md``. Everything else is a view of
the model :func:`read_estate` returns: the DNS publishing per domain and per DNS server
(``publish``), each site's Windows and discovery steps (``sites``, ``hosts``), the discovery
report (``plugin_utils/_kms_report.py``).

Inputs are plain data: ``groups`` maps a group name to its hosts, ``hostvars`` a host name to its
variables (Ansible's ``groups`` and ``hostvars`` work as they are). Every error is an
:class:`EstateError` whose ``option`` is the inventory variable, and whose text names the site
and the host it is about. Nothing is written by this module; the checks run before the roles
change anything.

Secrets: ``kms_dns_key_secret`` and ``kms_host_key`` are never copied into the model. The model
says which host's variables hold the TSIG secret (:func:`unit_secret` reads it for the one task
that sends the update); the key check reads the host keys through :func:`key_assignments`.
"""

from __future__ import annotations

import difflib
from typing import Any

from ansible_collections.kmsops.kms.plugins.module_utils.common._errors import InvalidValue, KmsOpsError
from ansible_collections.kmsops.kms.plugins.module_utils.common._primitives import (
    KMS_PORT,
    check_address,
    check_uint16,
    name_key,
    normalize_domain,
)
from ansible_collections.kmsops.kms.plugins.module_utils.dns._owners import check_owner_id
from ansible_collections.kmsops.kms.plugins.plugin_utils.kms._keys import KmsError, partial_key
from ansible_collections.kmsops.kms.plugins.plugin_utils.kms._ledger import granted_extra_hosts

# -- the one table of the inventory variables ---------------------------------------------------

SITE = "site"  # set per site (group_vars of the site group); read from the site's hosts
HOST = "host"  # set per KMS host (host_vars)

# variable -> (scope, default). Site variables are the options of the kms role
# (roles/kms/meta/argument_specs.yml); host variables are read from each KMS host.
# REQUIRED marks a variable without a default.
REQUIRED = object()
VARIABLES = {
    "kms_site_group": (SITE, REQUIRED),
    "kms_site_domains": (SITE, REQUIRED),
    "kms_site_priority": (SITE, 0),
    "kms_prune": (SITE, False),
    "kms_prune_unowned": (SITE, False),
    "kms_dns_owner": (SITE, "kmsops"),
    "kms_hosts_group": (SITE, "kms_hosts"),
    "kms_clients_group": (SITE, "kms_clients"),
    "kms_dns_server": (SITE, REQUIRED),
    "kms_dns_port": (SITE, 53),
    "kms_dns_key_name": (SITE, None),
    "kms_dns_key_secret": (SITE, None),
    "kms_dns_key_file": (SITE, None),
    "kms_dns_key_algorithm": (SITE, "hmac-sha256"),
    "kms_dns_kerberos_principal": (SITE, None),
    "kms_dns_kerberos_keytab": (SITE, None),
    "kms_dns_kerberos_ccache": (SITE, None),
    "kms_dns_verify_reply_signature": (SITE, None),
    "kms_dns_ttl": (SITE, 3600),
    "kms_dns_update_host": (SITE, "localhost"),
    "kms_fallback_site": (SITE, None),
    "kms_fallback_priority": (SITE, 10),
    "kms_activation": (SITE, None),
    "kms_ledger_path": (SITE, None),
    "kms_extra_hosts_granted": (SITE, 0),
    "kms_client_product_key": (SITE, None),
    "kms_client_kms_domain": (SITE, None),
    "kms_client_kms_host": (SITE, None),
    "kms_client_activate": (SITE, False),
    "kms_discovery_check": (SITE, True),
    "kms_discovery_domains": (SITE, None),
    "kms_discovery_nameservers": (SITE, None),
    "kms_discovery_probe": (SITE, True),
    "kms_discovery_timeout": (SITE, 5.0),
    "kms_host_fqdn": (HOST, None),
    "kms_host_addresses": (HOST, []),
    "kms_host_port": (HOST, KMS_PORT),
    "kms_host_weight": (HOST, 0),
    "kms_host_key": (HOST, None),
    "kms_host_confirmation_id": (HOST, None),
}

# read only where they are used (unit_secret, key_assignments), never into the model
SECRETS = ("kms_dns_key_secret", "kms_host_key")

# topology group -> topology; a site is a child of exactly one of them
TOPOLOGY_GROUPS = {"kms_core_sites": "core", "kms_branch_sites": "branch", "kms_isolated_sites": "isolated"}
TOPOLOGY_LABELS = {"core": "core", "branch": "branch office", "isolated": "isolated network"}
DEFAULT_ACTIVATION = {"core": "online", "branch": "online", "isolated": "phone"}
ACTIVATIONS = ("online", "phone", "none")


class EstateError(KmsOpsError):
    """An inventory the estate model cannot use; ``option`` names the inventory variable."""


def default(variable):
    """The default of an inventory variable (None for a required one)."""
    value = VARIABLES[variable][1]
    return None if value is REQUIRED else value


def read(host_vars, variable):
    """The value of VARIABLE for one host: its own, else the table's default.

    A variable set to null (as the role defaults set the optional ones) is unset."""
    if variable not in VARIABLES:
        raise KeyError(variable)
    if variable in host_vars:
        value = host_vars[variable]
        if value is not None:
            return value
    return default(variable)


def _where(site=None, host=None):
    parts = []
    if site is not None:
        parts.append(f"site {site}")
    if host is not None:
        parts.append(f"host {host}")
    return " (" + ", ".join(parts) + ")" if parts else ""


def _fail(variable, message, site=None, host=None):
    raise EstateError(message + _where(site, host), variable)


def _text(value, variable, site=None, host=None):
    if not isinstance(value, str) or not value.strip():
        _fail(variable, f"must be a non-empty text, got {value!r}", site, host)
    return value.strip()


def _number(value, variable, low, site=None, host=None):
    try:
        return check_uint16(value, variable, minimum=low)
    except InvalidValue as exc:
        _fail(variable, exc.message, site, host)


def _bool(value, variable, site=None, host=None):
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "on", "1"):
        return True
    if text in ("false", "no", "off", "0"):
        return False
    return _fail(variable, f"must be a boolean, got {value!r}", site, host)


def _owner(value, site=None, host=None):
    """kms_dns_owner, checked as kms_publish checks its owner option (before anything is sent)."""
    try:
        return check_owner_id(_text(value, "kms_dns_owner", site, host), "kms_dns_owner")
    except KmsOpsError as exc:
        return _fail("kms_dns_owner", exc.message, site, host)


def _text_list(value, variable, site=None, host=None):
    """A list of texts; one text is taken as a list of one."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)):
        _fail(variable, f"must be a list of texts, got {value!r}", site, host)
    return [_text(item, f"{variable}[{index}]", site, host) for index, item in enumerate(value)]


def _domain(value, variable, site=None, host=None):
    try:
        return normalize_domain(value, variable, service=True)
    except InvalidValue as exc:
        return _fail(variable, exc.message, site, host)


def _domain_list(value, variable, site=None, host=None):
    """A list of domains where KMS SRV records go (normalize_domain with service=True: no
    '_vlmcs._tcp.' in front), in canonical form, each error naming its index."""
    return _unique(
        _domain(item, f"{variable}[{index}]", site, host)
        for index, item in enumerate(_text_list(value, variable, site, host))
    )


def _unique(items):
    seen, result = set(), []
    for item in items:
        if item not in seen:
            seen.add(item)
            result.append(item)
    return result


def _members(groups, name):
    return list(groups.get(name) or []) if hasattr(groups, "get") else []


def vars_of(hostvars, host):
    """The variables of HOST, {} for a host the inventory does not have (not hostvars.get(host, {}):
    Ansible's HostVars gives an undefined marker for an unknown host)."""
    if host in hostvars:
        return hostvars[host]
    return {}


def _os_family(hostvars, host):
    facts: Any = vars_of(hostvars, host).get("ansible_facts") if hasattr(vars_of(hostvars, host), "get") else None
    return str(facts.get("os_family") or "") if hasattr(facts, "get") else ""


# -- the checks of group names -------------------------------------------------------------------


def _looks_like_topology_group(name):
    """The topology group NAME was probably meant to be, or None."""
    if name in TOPOLOGY_GROUPS or not name.lower().startswith("kms"):
        return None
    close = difflib.get_close_matches(name.lower(), list(TOPOLOGY_GROUPS), n=1, cutoff=0.8)
    return close[0] if close else None


def check_group_names(groups):
    """A group whose name looks like a topology group but is not one (a typo) is an error."""
    for name in groups:
        meant = _looks_like_topology_group(str(name))
        if meant:
            members = _members(groups, name)
            _fail(
                "kms_site_group",
                f"the inventory group {name} looks like the topology group {meant} but is not one, so "
                f"its sites get no role and are not published; rename it to {meant}",
                host=members[0] if members else None,
            )


# -- the reader ----------------------------------------------------------------------------------


def _site_names(groups, hostvars):
    """[(site, topology, first host)] in inventory order, after the checks that every host of a
    topology group names its site, that a host is in one site, that it names the site it is in,
    and that a site is under one topology group."""
    names = []
    for group in TOPOLOGY_GROUPS:
        for host in _members(groups, group):
            name = read(vars_of(hostvars, host), "kms_site_group")
            if name is None or name == "":
                _fail(
                    "kms_site_group",
                    f"is not set: a host of the topology group {group} must name its site "
                    "(set kms_site_group in the site's group_vars)",
                    host=host,
                )
            name = _text(name, "kms_site_group", host=host)
            if name not in groups:
                _fail(
                    "kms_site_group",
                    f"names the site {name}, which is not a group of the inventory",
                    site=name,
                    host=host,
                )
            if name not in names:
                names.append(name)
    site_of: dict[str, str] = {}
    for name in names:
        for host in _members(groups, name):
            if host in site_of and site_of[host] != name:
                _fail(
                    "kms_site_group",
                    f"the host is in two sites, {site_of[host]} and {name}: a host belongs "
                    "to one site (it would be planned for one and its other site skipped)",
                    site=name,
                    host=host,
                )
            site_of[host] = name
    for name in names:
        for host in _members(groups, name):
            value = read(vars_of(hostvars, host), "kms_site_group")
            if value not in (None, name):
                _fail(
                    "kms_site_group",
                    f"names the site {value}, but the host is in the site group {name} (a host belongs to one site)",
                    site=name,
                    host=host,
                )
    result = []
    for name in names:
        members = _members(groups, name)
        under = [group for group in TOPOLOGY_GROUPS if any(h in _members(groups, group) for h in members)]
        if len(under) > 1:
            host = next(h for h in members if h in _members(groups, under[1]))
            _fail(
                "kms_site_group",
                f"the site {name} is under two topology groups, {under[0]} and {under[1]}: a site has one topology",
                site=name,
                host=host,
            )
        first = next(h for h in members if read(vars_of(hostvars, h), "kms_site_group") == name)
        result.append((name, TOPOLOGY_GROUPS[under[0]], first))
    return result


def _site_settings(name, hostvars, members, first):
    """The site variables of site NAME, read from its first host (they come from the site's
    group_vars)."""
    first_vars = vars_of(hostvars, first)
    settings = {
        variable: read(first_vars, variable)
        for variable, (scope, _d) in VARIABLES.items()
        if scope == SITE and variable not in SECRETS
    }
    # whether the secret is set, not its value: reading it could template a vault
    settings["_secret_set"] = "kms_dns_key_secret" in first_vars
    for variable, (scope, value) in VARIABLES.items():
        if scope == SITE and value is REQUIRED and settings[variable] in (None, ""):
            _fail(
                variable,
                "is not set: it is required for every site (set it in the site's group_vars)",
                site=name,
                host=first,
            )
    return settings


def _kms_host(hostvars, host, site):
    """What kms_publish needs of one KMS host, from its host variables."""
    host_vars = vars_of(hostvars, host)
    fqdn = read(host_vars, "kms_host_fqdn")
    fqdn = _domain(fqdn if fqdn is not None else host, "kms_host_fqdn", site, host)
    addresses = read(host_vars, "kms_host_addresses")
    if isinstance(addresses, str) or not isinstance(addresses, (list, tuple)):
        _fail("kms_host_addresses", f"must be a list of IPv4/IPv6 addresses, got {addresses!r}", site, host)
    for address in addresses:
        try:
            check_address(str(address), "kms_host_addresses")
        except InvalidValue as exc:
            _fail("kms_host_addresses", exc.message, site, host)
    return {
        "host": host,
        "name": fqdn,
        "addresses": [str(address).strip() for address in addresses],
        "port": _number(read(host_vars, "kms_host_port"), "kms_host_port", 1, site, host),
        "weight": _number(read(host_vars, "kms_host_weight"), "kms_host_weight", 0, site, host),
    }


def _extra_hosts_granted(value, key, site, host):
    try:
        partial = partial_key(key) if key else None
    except KmsError:  # kms_host reports a malformed key; it matches no mapping entry here
        partial = None
    try:
        return granted_extra_hosts(value, partial)
    except KmsError as exc:
        return _fail("kms_extra_hosts_granted", exc.message or str(exc), site, host)


def _dns(settings, name, first):
    """The DNS-update settings of a site (no secret: only whether one is set, and where)."""
    return {
        "server": _text(
            str(settings["kms_dns_server"]) if settings["kms_dns_server"] is not None else None,
            "kms_dns_server",
            name,
            first,
        ),
        "port": _number(settings["kms_dns_port"], "kms_dns_port", 1, name, first),
        "update_host": _text(settings["kms_dns_update_host"], "kms_dns_update_host", name, first),
        "ttl": _number(settings["kms_dns_ttl"], "kms_dns_ttl", 0, name, first),
        "prune": _bool(settings["kms_prune"], "kms_prune", name, first),
        "prune_unowned": _bool(settings["kms_prune_unowned"], "kms_prune_unowned", name, first),
        "owner": _owner(settings["kms_dns_owner"], name, first),
        "key_name": settings["kms_dns_key_name"] or None,
        "key_file": settings["kms_dns_key_file"] or None,
        "key_algorithm": str(settings["kms_dns_key_algorithm"]).lower(),
        "kerberos_principal": settings["kms_dns_kerberos_principal"] or None,
        "kerberos_keytab": settings["kms_dns_kerberos_keytab"] or None,
        "kerberos_ccache": settings["kms_dns_kerberos_ccache"] or None,
        "verify_reply_signature": (
            None
            if settings["kms_dns_verify_reply_signature"] is None
            else _bool(settings["kms_dns_verify_reply_signature"], "kms_dns_verify_reply_signature", name, first)
        ),
        # the host whose kms_dns_key_secret signs the updates (None: no secret is set)
        "secret_host": first if settings["_secret_set"] else None,
    }


# which DNS setting comes from which variable (for the messages of a domain conflict)
_DNS_VARIABLE = {
    "server": "kms_dns_server",
    "port": "kms_dns_port",
    "update_host": "kms_dns_update_host",
    "ttl": "kms_dns_ttl",
    "prune": "kms_prune",
    "prune_unowned": "kms_prune_unowned",
    "owner": "kms_dns_owner",
    "key_name": "kms_dns_key_name",
    "key_file": "kms_dns_key_file",
    "key_algorithm": "kms_dns_key_algorithm",
    "kerberos_principal": "kms_dns_kerberos_principal",
    "kerberos_keytab": "kms_dns_kerberos_keytab",
    "kerberos_ccache": "kms_dns_kerberos_ccache",
    "verify_reply_signature": "kms_dns_verify_reply_signature",
}
# the settings that make one kms_publish task (the unit of work); the secret is the key name's
_UNIT_KEYS = (
    "server",
    "port",
    "update_host",
    "ttl",
    "prune",
    "prune_unowned",
    "owner",
    "key_name",
    "key_file",
    "key_algorithm",
    "kerberos_principal",
    "kerberos_keytab",
    "kerberos_ccache",
    "verify_reply_signature",
)


def _same_estate_setting(sites, variable):
    for site in sites[1:]:
        first, other = sites[0]["settings"][variable], site["settings"][variable]
        if first != other:
            _fail(
                variable,
                f"sites {sites[0]['name']} and {site['name']} set different values ({first!r}, "
                f"{other!r}): it is one setting of the whole inventory (set it in group_vars/all)",
                site=site["name"],
                host=site["first_host"],
            )
    return sites[0]["settings"][variable] if sites else default(variable)


def read_estate(groups, hostvars, play_hosts=None):
    """The model of the whole KMS estate (see the module docstring), after every check.

    ``play_hosts``: the hosts of the running play (the discovery check of a site runs from its
    clients in the play that are not Windows, else from its DNS-update host); None for all.
    """
    check_group_names(groups)
    names = _site_names(groups, hostvars)
    site_of = {host: name for name, _t, _f in names for host in _members(groups, name)}
    sites = []
    for name, topology, first in names:
        members = _members(groups, name)
        settings = _site_settings(name, hostvars, members, first)
        sites.append(
            {"name": name, "topology": topology, "first_host": first, "members": members, "settings": settings}
        )

    kms_group_name = _same_estate_setting(sites, "kms_hosts_group")
    clients_group_name = _same_estate_setting(sites, "kms_clients_group")
    # one key check for the inventory: the ledger and the grants are the inventory's
    ledger_path = _same_estate_setting(sites, "kms_ledger_path")
    extra_hosts_granted = _same_estate_setting(sites, "kms_extra_hosts_granted")
    if sites and kms_group_name not in groups:
        _fail(
            "kms_hosts_group",
            f"{kms_group_name!r} is not a group of the inventory",
            site=sites[0]["name"],
            host=sites[0]["first_host"],
        )
    kms_group = _members(groups, kms_group_name)
    clients_group = set(_members(groups, clients_group_name))
    kms_set = set(kms_group)
    by_name = {site["name"]: site for site in sites}

    hosts = {}
    model_sites = {}
    for site in sites:
        name, topology, first, s = site["name"], site["topology"], site["first_host"], site["settings"]
        domains = _domain_list(
            s["kms_site_domains"] if s["kms_site_domains"] is not None else [], "kms_site_domains", name, first
        )
        if not domains:
            _fail("kms_site_domains", "must name at least one domain", name, first)
        priority = _number(s["kms_site_priority"], "kms_site_priority", 0, name, first)
        activation = s["kms_activation"] if s["kms_activation"] not in (None, "") else DEFAULT_ACTIVATION[topology]
        if activation not in ACTIVATIONS:
            _fail("kms_activation", f"must be one of {', '.join(ACTIVATIONS)}, got {activation!r}", name, first)
        fallback = s["kms_fallback_site"] or None
        if fallback is not None:
            fallback = _text(fallback, "kms_fallback_site", name, first)
            if topology != "branch":
                _fail(
                    "kms_fallback_site",
                    f"only a branch office has a fallback site; {name} is a "
                    f"{TOPOLOGY_LABELS[topology]} site (leave kms_fallback_site unset)",
                    name,
                    first,
                )
            if fallback == name:
                _fail(
                    "kms_fallback_site",
                    f"names the site itself ({name}); it must name a core site whose KMS hosts back up the branch",
                    name,
                    first,
                )
            if fallback not in by_name or by_name[fallback]["topology"] != "core":
                what = (
                    f"a {TOPOLOGY_LABELS[by_name[fallback]['topology']]} site"
                    if fallback in by_name
                    else "not a site of the inventory"
                )
                _fail(
                    "kms_fallback_site",
                    f"names {fallback}, which is {what}; it must name a core site "
                    f"({', '.join(x['name'] for x in sites if x['topology'] == 'core') or 'there is none'})",
                    name,
                    first,
                )
        fallback_priority = _number(s["kms_fallback_priority"], "kms_fallback_priority", 0, name, first)
        dns = _dns(s, name, first)
        kms_hosts = [h for h in site["members"] if h in kms_set]
        clients = [h for h in site["members"] if h in clients_group]
        discovery_domains = s["kms_discovery_domains"]
        if discovery_domains is None and s["kms_client_kms_domain"]:
            discovery_domains = [_domain(s["kms_client_kms_domain"], "kms_client_kms_domain", name, first)]
        elif discovery_domains is None:
            discovery_domains = domains
        discovery_domains = _domain_list(discovery_domains, "kms_discovery_domains", name, first)
        nameservers = s["kms_discovery_nameservers"]
        nameservers = (
            [dns["server"]]
            if nameservers is None
            else _text_list(nameservers, "kms_discovery_nameservers", name, first)
        )
        own = {h: _kms_host(hostvars, h, name) for h in kms_hosts}
        for host in site["members"]:
            # the key is read only when a mapping grants by key (its last five characters)
            key = (
                read(vars_of(hostvars, host), "kms_host_key")
                if host in kms_set and isinstance(s["kms_extra_hosts_granted"], dict)
                else None
            )
            hosts[host] = {
                "site": name,
                "port": own[host]["port"] if host in own else None,
                "kms_host": host in kms_set,
                "client": host in clients_group,
                "extra_hosts_granted": (
                    _extra_hosts_granted(s["kms_extra_hosts_granted"], key, name, host) if host in kms_set else 0
                ),
            }
        model_sites[name] = {
            "name": name,
            "topology": topology,
            "topology_label": TOPOLOGY_LABELS[topology],
            "first_host": first,
            "hosts": list(site["members"]),
            "kms_hosts": [own[h] for h in kms_hosts],
            "clients": clients,
            "domains": domains,
            "priority": priority,
            "fallback_site": fallback,
            "fallback_priority": fallback_priority,
            "activation": activation,
            "dns": dns,
            "ledger_path": s["kms_ledger_path"] or None,
            "extra_hosts_granted": s["kms_extra_hosts_granted"],
            "client_settings": {
                "product_key": s["kms_client_product_key"] or None,
                "kms_domain": s["kms_client_kms_domain"],  # "" is a value (kms_client: back to the own suffix)
                "kms_host": s["kms_client_kms_host"] or None,
                "activate": _bool(s["kms_client_activate"], "kms_client_activate", name, first),
            },
            "discovery": {
                "check": _bool(s["kms_discovery_check"], "kms_discovery_check", name, first),
                "domains": discovery_domains,
                "nameservers": nameservers,
                "probe": _bool(s["kms_discovery_probe"], "kms_discovery_probe", name, first),
                "timeout": float(s["kms_discovery_timeout"]),
            },
        }

    domains = _plan_domains(model_sites)
    for site in model_sites.values():
        discovery = site["discovery"]
        discovery["expected"] = _unique(
            value["target"]
            for domain in discovery["domains"]
            for value in (domains.get(domain) or {}).get("values", [])
        )
        play = set(play_hosts) if play_hosts is not None else None
        linux = [
            h for h in site["clients"] if (play is None or h in play) and _os_family(hostvars, h) not in ("Windows",)
        ]
        discovery["hosts"] = linux or [site["dns"]["update_host"]]
    return {
        "kms_hosts_group": kms_group_name,
        "clients_group": clients_group_name,
        "ledger_path": ledger_path or None,
        "extra_hosts_granted": extra_hosts_granted,
        "sites": model_sites,
        "site_order": [site["name"] for site in sites],
        "hosts": hosts,
        "domains": domains,
        "publish": _plan_publish(domains, model_sites),
        "kms_host_names": sorted({_kms_host(hostvars, h, site_of.get(h))["name"] for h in kms_group}),
        "kms_hosts": list(kms_group),
        "clients": _members(groups, clients_group_name),
        "windows_hosts": [
            h for h in _unique(kms_group + _members(groups, clients_group_name)) if _os_family(hostvars, h) == "Windows"
        ],
    }


# -- publishing per domain -----------------------------------------------------------------------


def _plan_domains(sites):
    """domain -> {sites, values, dns}: every SRV value the estate publishes in the domain (the
    union of the sites that publish into it), with the settings of the one task that writes it."""
    domains: dict[str, Any] = {}
    for site in sites.values():
        published = [(host, site["priority"], True, site["name"], "kms_site_priority") for host in site["kms_hosts"]]
        if site["fallback_site"]:
            published += [
                (host, site["fallback_priority"], False, site["name"], "kms_fallback_priority")
                for host in sites[site["fallback_site"]]["kms_hosts"]
            ]
        for domain in site["domains"]:
            entry = domains.setdefault(
                domain, {"domain": domain, "sites": [], "values": [], "dns": None, "_by_target": {}}
            )
            entry["sites"].append(site["name"])
            if entry["dns"] is None:
                entry["dns"] = site["dns"]
                entry["_dns_site"] = site
            else:
                _same_domain_settings(domain, entry["_dns_site"], site)
            for host, priority, addresses, owner, variable in published:
                known = entry["_by_target"].get(host["name"])
                if known is not None:
                    if known["priority"] != priority:
                        _fail(
                            variable,
                            f"the KMS host {host['name']} would be published in {domain} with two "
                            f"priorities, {known['priority']} (site {known['site']}) and {priority} (site "
                            f"{owner}): a host has one SRV value per domain",
                            owner,
                            host["host"],
                        )
                    known["addresses"] = known["addresses"] or addresses
                    continue
                value = {
                    "target": host["name"],
                    "host": host["host"],
                    "priority": priority,
                    "weight": host["weight"],
                    "port": host["port"],
                    "site": owner,
                    "addresses": addresses,
                }
                entry["_by_target"][host["name"]] = value
                entry["values"].append(value)
    for entry in domains.values():
        entry.pop("_by_target")
        entry.pop("_dns_site")
    return domains


def _same_domain_settings(domain, first, other):
    for setting, variable in _DNS_VARIABLE.items():
        a, b = first["dns"][setting], other["dns"][setting]
        if a != b:
            _fail(
                variable,
                f"sites {first['name']} and {other['name']} both publish into {domain} with different "
                f"values ({a!r} and {b!r}); one domain is written by one task with one setting: give both "
                "sites the same value",
                other["name"],
                other["first_host"],
            )


def _plan_publish(domains, sites):
    """One kms_publish task per DNS server and update host (and per signing, TTL and prune
    settings, which sites sharing a domain agree on): its ``hosts`` option holds every KMS host
    published in its domains, with its addresses where its own site publishes it."""
    addresses = {h["name"]: h["addresses"] for s in sites.values() for h in s["kms_hosts"]}
    units = {}
    for domain, entry in domains.items():
        dns = entry["dns"]
        key = tuple(dns[k] for k in _UNIT_KEYS)
        if key not in units:
            units[key] = {
                **{k: dns[k] for k in _UNIT_KEYS},
                "secret_host": dns["secret_host"],
                "domains": [],
                "sites": [],
                "hosts": [],
            }
        unit = units[key]
        unit["domains"].append(domain)
        unit["sites"] = _unique(unit["sites"] + entry["sites"])
        for value in entry["values"]:
            host = next((h for h in unit["hosts"] if h["name"] == value["target"]), None)
            if host is None:
                host = {"name": value["target"], "addresses": [], "port": value["port"], "publish": []}
                unit["hosts"].append(host)
            if value["addresses"]:
                host["addresses"] = list(addresses[value["target"]])
            host["publish"].append({"domain": domain, "priority": value["priority"], "weight": value["weight"]})
    result = []
    for unit in units.values():
        unit["name"] = f"{unit['server']} port {unit['port']} from {unit['update_host']}"
        result.append(unit)
    return result


# -- secrets and keys (read only where they are used) --------------------------------------------


def unit_secret(unit, hostvars):
    """The TSIG secret of one publishing unit (``kms_dns_key_secret`` of its sites), or None."""
    host = unit.get("secret_host") if hasattr(unit, "get") else None
    if not host:
        return None
    return read(vars_of(hostvars, host), "kms_dns_key_secret")


def key_assignments(groups, hostvars, kms_hosts_group=None):
    """{host: kms_host_key} of every KMS host of the inventory that has one."""
    group = kms_hosts_group or default("kms_hosts_group")
    result = {}
    for host in _members(groups, group):
        key = read(vars_of(hostvars, host), "kms_host_key")
        if key not in (None, ""):
            result[host] = key
    return result


# -- the discovery check of a site ---------------------------------------------------------------


def _target(candidate):
    return name_key(candidate.get("target")) if hasattr(candidate, "get") else ""


def discovery_verdict(result, expected, domains, source=None):
    """Whether a kms_discover result proves the site's discovery, and the message that says so.

    ``result``: one result of the kms_discover task (its loop item is the host it ran from);
    ``expected``: the SRV targets the estate publishes in ``domains``. The check passes when every
    expected target is found and one candidate was selected (it answers when probed). The message
    always says what was expected and what was found, on success and on failure, including when
    nothing answered or the task itself failed. Returns ``{"ok": bool, "msg": text}``.
    """
    result = result if hasattr(result, "get") else {}
    source = source if source is not None else result.get("item")
    expected = [name_key(name) for name in expected or []]
    candidates = [c for c in (result.get("candidates") or []) if hasattr(c, "get")]
    found = [_target(c) for c in candidates]
    selected = _target(result.get("selected")) or None
    missing = [name for name in expected if name not in found]
    where = ", ".join(str(d) for d in domains or []) or "no domain"
    problems = []
    if result.get("failed") or result.get("unreachable"):
        problems.append(f"kms_discover failed: {result.get('msg') or 'no result'}")
    if missing:
        problems.append(f"not found: {', '.join(missing)}")
    if selected is None and not problems:
        problems.append("no KMS host found answers" if candidates else "no KMS host found")
    elif selected is None:
        problems.append("no KMS host found answers" if candidates else "nothing answered")
    for error in result.get("errors") or []:
        if hasattr(error, "get") and error.get("msg"):
            problems.append(f"{error.get('domain') or '-'}: {error['msg']}")
    for candidate in candidates:
        if candidate.get("reachable") is False or not candidate.get("addresses"):
            problems.append(f"{_target(candidate)}: {candidate.get('error') or 'no address'}")
    text = (
        f"From {source}: expected {', '.join(expected) or 'nothing'} in {where}; "
        f"found {' -> '.join(found) or 'nothing'}; selected {selected or 'none'}."
    )
    ok = not missing and selected is not None and not result.get("failed") and not result.get("unreachable")
    if not ok:
        text += " " + "; ".join(_unique(problems)) + "."
    return {"ok": ok, "msg": text}


# kms_publish option -> the inventory variable it comes from
_PUBLISH_OPTIONS = {
    "server": "kms_dns_server",
    "server_port": "kms_dns_port",
    "ttl": "kms_dns_ttl",
    "prune": "kms_prune",
    "prune_unowned": "kms_prune_unowned",
    "owner": "kms_dns_owner",
    "key_name": "kms_dns_key_name",
    "key_secret": "kms_dns_key_secret",
    "key_file": "kms_dns_key_file",
    "key_algorithm": "kms_dns_key_algorithm",
    "kerberos_principal": "kms_dns_kerberos_principal",
    "kerberos_keytab": "kms_dns_kerberos_keytab",
    "kerberos_ccache": "kms_dns_kerberos_ccache",
    "verify_reply_signature": "kms_dns_verify_reply_signature",
}


def publish_error(results, unit=None):
    """The message of a failed kms_publish task of the estate, in the inventory's words: the
    variable behind the module option (``server: cannot reach ...`` becomes ``kms_dns_server /
    kms_dns_port ...``), the sites whose settings it is and the update host it ran from.

    ``results``: the registered result of the publishing loop (or one item of it); each failed
    item carries its publishing unit as ``item``."""
    if hasattr(results, "get") and "results" in results:
        results = results["results"]
    if hasattr(results, "get"):
        results = [results]
    messages = [
        _publish_error(result, unit if unit is not None else result.get("item"))
        for result in results or []
        if hasattr(result, "get") and result.get("failed")
    ]
    return " | ".join(messages) or "kms_publish failed"


def _publish_error(result, unit):
    result = result if hasattr(result, "get") else {}
    unit = unit if hasattr(unit, "get") else {}
    msg = str(result.get("msg") or "kms_publish failed")
    option = result.get("option")
    variable = _PUBLISH_OPTIONS.get(option)
    if variable and msg.startswith(f"{option}: "):
        msg = msg[len(option) + 2 :]
    if option == "server" and variable:
        variable = "kms_dns_server / kms_dns_port"
    elif option and option.startswith("hosts") and not variable:
        variable = "kms_host_fqdn / kms_host_addresses / kms_host_port / kms_host_weight"
    sites = ", ".join(unit.get("sites") or []) or "-"
    head = (
        f"{variable} ({unit.get('server')} port {unit.get('port')}) of site(s) {sites}"
        if variable
        else f"publishing to {unit.get('server')} port {unit.get('port')} for site(s) {sites}"
    )
    return f"{head}, sent from {unit.get('update_host')}: {msg}"


def host_view(estate, host, topology=None, play_hosts=None):
    """What the topology role does on HOST: the host's entry of the estate, its site, and
    whether it runs the site's once-per-site steps (the first host of the site in the play).

    ``topology``: the topology the including role names; a site of another topology is an error
    (the role was applied to the wrong group)."""
    hosts = estate.get("hosts") or {}
    if host not in hosts:
        _fail(
            "kms_site_group",
            "the host is in no site of the inventory: a site is a group under one of "
            f"{', '.join(TOPOLOGY_GROUPS)} whose hosts set kms_site_group to its name",
            host=host,
        )
    entry = hosts[host]
    site = estate["sites"][entry["site"]]
    if topology is not None and topology != site["topology"]:
        group = next(g for g, t in TOPOLOGY_GROUPS.items() if t == site["topology"])
        _fail(
            "kms_site_group",
            f"the {TOPOLOGY_LABELS.get(topology, topology)} role was applied to a site of "
            f"{group}; apply the role of its topology",
            site=site["name"],
            host=host,
        )
    play = list(play_hosts) if play_hosts is not None else site["hosts"]
    first = next((name for name in play if name in site["hosts"]), None)
    return {**entry, "site_plan": site, "runs_site_steps": first == host}
