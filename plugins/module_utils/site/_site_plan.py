# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plan of one KMS site, read from the inventory (groups and host variables).

Used by the roles through the filters ``site_plan`` and ``site_key_assignments``
(plugins/filter/kms_site.py). Inputs are plain data: ``groups`` maps a group name to its hosts,
``hostvars`` a host name to its variables (Ansible's ``hostvars`` works as it is). Every error
names the inventory variable it is about (``SitePlanError.option``).

A site is an inventory group. Its KMS hosts are the site's hosts that are also in the KMS hosts
group, its clients those in the clients group. The site publishes its KMS hosts in its domains
with its priority; a fallback site (branch offices) adds that site's KMS hosts to the same
domains with a worse priority and without their address records, which belong to their own
site's zone.
"""

from __future__ import annotations

from ansible_collections.kmsops.kms.plugins.module_utils.common._errors import InvalidValue, KmsOpsError
from ansible_collections.kmsops.kms.plugins.module_utils.common._primitives import (
    KMS_PORT,
    check_address,
    check_uint16,
    normalize_domain,
)
from ansible_collections.kmsops.kms.plugins.module_utils.kms._keys import KmsError, partial_key
from ansible_collections.kmsops.kms.plugins.module_utils.kms._ledger import granted_extra_hosts

# What differs by topology: only a branch office has a fallback site; an isolated network has no
# route to Microsoft, so its KMS hosts are activated by telephone unless told otherwise.
TOPOLOGIES = ("core", "branch", "isolated")
DEFAULT_ACTIVATION = {"core": "online", "branch": "online", "isolated": "phone"}
ACTIVATIONS = ("online", "phone", "none")


class SitePlanError(KmsOpsError):
    """An inventory value the site plan cannot use; ``option`` names the inventory variable."""


def _host_option(variable, host):
    return f"{variable} of host {host}"


def _text(value, variable):
    if not isinstance(value, str) or not value.strip():
        raise SitePlanError(f"must be a non-empty text, got {value!r}", variable)
    return value.strip()


def _number(value, variable, low):
    """A 16-bit number from LOW (common._primitives.check_uint16), as a SitePlanError."""
    try:
        return check_uint16(value, variable, minimum=low)
    except InvalidValue as exc:
        raise SitePlanError(exc.message, variable) from None


def _text_list(value, variable, allow_empty=True):
    """A list of texts; one text is taken as a list of one."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)):
        raise SitePlanError(f"must be a list of texts, got {value!r}", variable)
    items = [_text(item, f"{variable}[{index}]") for index, item in enumerate(value)]
    if not items and not allow_empty:
        raise SitePlanError("must name at least one", variable)
    return items


def _domain_list(value, variable, allow_empty=True):
    """A list of domains where KMS SRV records go (common._primitives.normalize_domain with
    service=True: no '_vlmcs._tcp.' in front), kept as written."""
    items = _text_list(value, variable, allow_empty)
    for index, item in enumerate(items):
        _domain(item, f"{variable}[{index}]")
    return items


def _domain(value, variable):
    try:
        normalize_domain(value, variable, service=True)
    except InvalidValue as exc:
        raise SitePlanError(exc.message, exc.option) from None
    return value


def _domain_key(domain):
    return domain.lower().rstrip(".")


def _unique(items):
    seen, result = set(), []
    for item in items:
        if item not in seen:
            seen.add(item)
            result.append(item)
    return result


def _group(groups, name, variable):
    if name not in groups:
        raise SitePlanError(f"{name!r} is not a group of the inventory", variable)
    return list(groups[name] or [])


def _var(hostvars, host, name, default=None):
    variables = hostvars[host] if host in hostvars else {}
    value = variables[name] if name in variables else None
    return default if value is None else value


def _kms_host(hostvars, host):
    """What kms_publish needs of one KMS host, from its host variables."""
    fqdn = _text(_var(hostvars, host, "kms_host_fqdn", host), _host_option("kms_host_fqdn", host)).lower()
    addresses = _var(hostvars, host, "kms_host_addresses", [])
    option = _host_option("kms_host_addresses", host)
    if isinstance(addresses, str) or not isinstance(addresses, (list, tuple)):
        raise SitePlanError(f"must be a list of IPv4/IPv6 addresses, got {addresses!r}", option)
    for address in addresses:
        try:
            check_address(str(address), option)
        except InvalidValue as exc:
            raise SitePlanError(exc.message, option) from None
    return {
        "name": fqdn,
        "addresses": [str(address).strip() for address in addresses],
        "port": _number(_var(hostvars, host, "kms_host_port", KMS_PORT), _host_option("kms_host_port", host), 1),
        "weight": _number(_var(hostvars, host, "kms_host_weight", 0), _host_option("kms_host_weight", host), 0),
    }


def _extra_hosts_granted(value, key):
    try:
        partial = partial_key(key) if key else None
    except KmsError:  # kms_host reports a malformed key; it matches no mapping entry here
        partial = None
    try:
        return granted_extra_hosts(value, partial)
    except KmsError as exc:
        raise SitePlanError(exc.message or str(exc), "kms_extra_hosts_granted") from None


def plan_site(host, site, domains, groups, hostvars, play_hosts, topology="core", priority=0,
              fallback_site=None, fallback_priority=10, kms_hosts_group="kms_hosts",
              clients_group="kms_clients", discovery_domains=None, client_kms_domain=None,
              dns_update_host="localhost", extra_hosts_granted=0, activation=None):
    """The plan of ``site`` (a site of ``topology``) as seen from ``host`` (a host of the site in
    the play).

    Returns a dict:

    ``first_host``       the first host of the site in ``play_hosts``: it runs the per-site tasks
    ``kms_host``         whether ``host`` is a KMS host of the site
    ``client``           whether ``host`` is a client of the site
    ``windows``          whether ``host`` runs Windows (its gathered ``os_family``)
    ``activation``       how Windows KMS hosts are activated (``activation``, or the topology's
                         default: ``phone`` for an isolated network, ``online`` otherwise)
    ``extra_hosts_granted`` the number for the KMS host key of ``host`` (a number, or the
                         mapping's entry for the key's last five characters)
    ``publish_hosts``    the ``hosts`` option of kms_publish
    ``discovery_domains`` the domains a client of the site searches
    ``expected``         the SRV targets published in those domains
    ``discovery_hosts``  the site's clients in the play that are not Windows, or the DNS-update
                         host when there is none
    """
    if topology not in TOPOLOGIES:
        raise SitePlanError(f"must be one of {', '.join(TOPOLOGIES)}, got {topology!r}", "topology")
    if activation is None or activation == "":
        activation = DEFAULT_ACTIVATION[topology]
    if activation not in ACTIVATIONS:
        raise SitePlanError(f"must be one of {', '.join(ACTIVATIONS)}, got {activation!r}", "kms_activation")
    site = _text(site, "kms_site_group")
    domains = _domain_list(domains, "kms_site_domains", allow_empty=False)
    priority = _number(priority, "kms_site_priority", 0)
    kms_group = _group(groups, _text(kms_hosts_group, "kms_hosts_group"), "kms_hosts_group")
    clients = set(groups.get(_text(clients_group, "kms_clients_group"), None) or [])
    site_hosts = _group(groups, site, "kms_site_group")
    if host not in site_hosts:
        raise SitePlanError(f"host {host} is not in the group {site!r} it names as its site", "kms_site_group")

    # (group, priority, address records) of every set of KMS hosts published in the domains
    published = [(site_hosts, priority, True)]
    if fallback_site is not None and fallback_site != "":
        if topology != "branch":
            raise SitePlanError(f"only a branch office publishes a fallback site; site {site} is a {topology} "
                                "site (leave kms_fallback_site unset)", "kms_fallback_site")
        fallback_hosts = _group(groups, _text(fallback_site, "kms_fallback_site"), "kms_fallback_site")
        published.append((fallback_hosts, _number(fallback_priority, "kms_fallback_priority", 0), False))

    if discovery_domains is None and client_kms_domain:
        discovery_domains = [_domain(client_kms_domain, "kms_client_kms_domain")]
    elif discovery_domains is None:
        discovery_domains = domains
    discovery_domains = _domain_list(discovery_domains, "kms_discovery_domains")
    searched = {_domain_key(domain) for domain in discovery_domains}

    publish_hosts, expected = [], []
    for kms_host in _unique(name for members, _p, _a in published for name in members if name in kms_group):
        entries = [(prio, addresses) for members, prio, addresses in published if kms_host in members]
        data = _kms_host(hostvars, kms_host)
        publish_hosts.append({
            "name": data["name"],
            "addresses": data["addresses"] if any(addresses for _p, addresses in entries) else [],
            "port": data["port"],
            "publish": [{"domain": domain, "priority": prio, "weight": data["weight"]}
                        for prio, _a in entries for domain in domains],
        })
        if any(_domain_key(domain) in searched for domain in domains):
            expected.append(data["name"])

    play = set(play_hosts)
    site_clients = [name for name in site_hosts if name in clients]
    linux_clients = [name for name in site_clients if name in play and not _windows(hostvars, name)]
    key = _var(hostvars, host, "kms_host_key")
    return {
        "first_host": next((name for name in play_hosts if name in site_hosts), None),
        "kms_host": host in kms_group,
        "client": host in clients,
        "windows": _windows(hostvars, host),
        "activation": activation,
        "extra_hosts_granted": _extra_hosts_granted(extra_hosts_granted, key),
        "publish_hosts": publish_hosts,
        "discovery_domains": discovery_domains,
        "expected": _unique(expected),
        "discovery_hosts": linux_clients or [_text(dns_update_host, "kms_dns_update_host")],
    }


def _windows(hostvars, host):
    facts = _var(hostvars, host, "ansible_facts", {})
    return (facts.get("os_family") if hasattr(facts, "get") else None) == "Windows"


def key_assignments(kms_hosts, hostvars):
    """The KMS host key of every host of ``kms_hosts`` that has one: {host: key}."""
    return {host: _var(hostvars, host, "kms_host_key") for host in kms_hosts
            if _var(hostvars, host, "kms_host_key") not in (None, "")}
