# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The KMS discovery report of an inventory: which KMS host a client of each site finds, in what
order it fails over, which SRV values name hosts that are not KMS hosts of the inventory, and
which Windows machines are not activated and why.

Private to the collection; controller side only (the filters of ``plugins/filter/kms_report.py``).
Two steps, both pure functions of plain data:

* :func:`build_plan` is a view of the estate model (``plugin_utils/_estate.py``, the one reader
  of the inventory, which the roles use too) with one entry per site: the domains a client
  searches, the DNS server asked, and the host discovery runs from (a client that is not
  Windows, else the site's DNS-update host). ``playbooks/report.yml`` runs ``kms_discover``
  from that host.
* :func:`build_model` joins the plan, the discovery results and the ``kms_info`` results into
  the report: per site the ordered candidates with their reachability, flags and chance to be
  tried first (from kms_discover's own ordering code, ``first_try_chances``), the
  ``dns_record`` ``state: absent`` task that removes exactly the values that are not KMS hosts
  of the inventory (built as data, written by a safe YAML dumper, DNS text tagged ``!unsafe``),
  the geometry of the site's picture (SVG), and the Windows rows. The templates only print it;
  everything in the model is marked unsafe, so Ansible never templates what DNS holds.

No inventory variable is read here: the estate model reads them, with the roles' one table of
the variables and their defaults. Secrets are never read: a TSIG key appears in the report as
the path of its key file or the name of the variable holding it.
"""

from __future__ import annotations

from typing import Any

import yaml

from ansible_collections.kmsops.kms.plugins.module_utils.common._errors import KmsOpsError
from ansible_collections.kmsops.kms.plugins.module_utils.common._primitives import KMS_PORT, SERVICE, name_key
from ansible_collections.kmsops.kms.plugins.module_utils.discovery._discovery import first_try_chances
from ansible_collections.kmsops.kms.plugins.module_utils.dns._gss_tsig import GSS_TSIG
from ansible_collections.kmsops.kms.plugins.plugin_utils._estate import TOPOLOGY_GROUPS, read_estate, vars_of

try:  # marks text unsafe before ansible-core 2.19; from 2.19 on it untags trusted text
    from ansible.utils.unsafe_proxy import wrap_var
except ImportError:  # pragma: no cover - a later ansible-core without the module trusts no data text

    def wrap_var(value):
        return value


DEFAULT_DNS_PORT = 53
DEFAULT_KEY_ALGORITHM = "hmac-sha256"  # kms_publish's key_algorithm when not given


class ReportError(KmsOpsError):
    """The inventory cannot be read into a report; ``option`` is the inventory variable."""


def _str_or_none(value):
    return str(value) if value else None


def _fact(host_vars, name, default=None):
    facts = host_vars.get("ansible_facts") or {}
    try:
        return facts.get(name, default)
    except AttributeError:
        return default


def _unreachable(host_vars, setup_var):
    result = host_vars.get(setup_var) if setup_var else None
    return bool(isinstance(result, dict) and result.get("unreachable"))


def build_plan(groups, hostvars, setup_var="_kms_report_setup"):
    """One entry per site of the inventory, in inventory order (see the module docstring): a view
    of the estate model (plugin_utils/_estate.py, read_estate), which reads and checks the
    inventory as the roles do.

    ``groups`` and ``hostvars`` are Ansible's; ``setup_var`` is the registered result of the
    fact-gathering task of the report playbook (to skip clients that could not be reached).
    """
    estate = read_estate(groups, hostvars)
    sites = [_plan_site(estate["sites"][name], hostvars, setup_var) for name in estate["site_order"]]
    return {
        "sites": sites,
        "kms_hosts": estate["kms_host_names"],
        "kms_inventory_hosts": estate["kms_hosts"],
        "kms_hosts_group": estate["kms_hosts_group"],
        "windows_hosts": estate["windows_hosts"],
    }


def _plan_site(site, hostvars, setup_var):
    dns = site["dns"]
    discovery_host, reason = None, None
    for client in site["clients"]:
        host_vars = vars_of(hostvars, client)
        if str(_fact(host_vars, "os_family", "")) in ("", "Windows"):
            continue
        if _unreachable(host_vars, setup_var):
            continue
        discovery_host, reason = client, "a client of the site"
        break
    if discovery_host is None:
        discovery_host = dns["update_host"]
        reason = "the site's DNS-update host: no client of the site runs Python and answered"
    return {
        "name": site["name"],
        "topology": next(group for group, topology in TOPOLOGY_GROUPS.items() if topology == site["topology"]),
        "topology_label": site["topology_label"],
        # as the roles' discovery check: kms_discovery_domains, else the Windows clients' lookup
        # domain, else the site's domains; [] (the clients do not use DNS) is not checked
        "domains": site["discovery"]["domains"],
        "dns_server": dns["server"],
        "dns_port": dns["port"],
        "nameservers": site["discovery"]["nameservers"],
        "dns_update_host": dns["update_host"],
        "key_file": _str_or_none(dns["key_file"]),
        "key_name": _str_or_none(dns["key_name"]),
        # the name of the variable that holds the secret, never its value
        "key_secret_variable": "kms_dns_key_secret" if dns["key_name"] and dns["secret_host"] else None,
        "key_algorithm": _str_or_none(dns["key_algorithm"]),
        # GSS-TSIG (Kerberos): the principal and the paths of the keytab and ticket cache on the
        # DNS-update host, never their content
        "kerberos_principal": _str_or_none(dns["kerberos_principal"]),
        "kerberos_keytab": _str_or_none(dns["kerberos_keytab"]),
        "kerberos_ccache": _str_or_none(dns["kerberos_ccache"]),
        "verify_reply_signature": dns["verify_reply_signature"],
        "fallback_site": site["fallback_site"],
        "clients": list(site["clients"]),
        "kms_hosts": [{"host": h["host"], "fqdn": h["name"]} for h in site["kms_hosts"]],
        "discovery_host": discovery_host,
        "discovery_reason": reason,
    }


# ---------------------------------------------------------------------------------------------
# The model


LICENSED = "Licensed"


def _grace_text(minutes):
    if minutes is None:
        return "-"
    try:
        minutes = int(minutes)
    except (TypeError, ValueError):
        return "-"
    if minutes <= 0:
        return "none"
    days, rest = divmod(minutes, 1440)
    hours = rest // 60
    if days:
        return "%d d %d h" % (days, hours)
    return "%d h %d min" % (hours, rest % 60)


def _candidate_state(candidate, known):
    target = name_key(candidate.get("target"))
    reachable = candidate.get("reachable")
    if target not in known:
        if reachable:
            return (
                "foreign",
                "not a KMS host of this inventory, and it answers on its KMS port: "
                "a rogue KMS host (a Windows machine given a KMS host key publishes itself)",
            )
        if not candidate.get("addresses"):
            return (
                "foreign",
                "not a KMS host of this inventory, and its name has no address: probably a decommissioned KMS host",
            )
        return (
            "foreign",
            "not a KMS host of this inventory, and it does not answer: probably a decommissioned KMS host",
        )
    if reachable is None:
        return ("unprobed", "not probed")
    if reachable:
        return ("reachable", "reachable")
    if not candidate.get("addresses"):
        return ("unreachable", "no address in DNS")
    return ("unreachable", "unreachable: %s" % (candidate.get("error") or "no TCP connect"))


def _discovery_by_site(discoveries):
    out = {}
    for result in discoveries or []:
        item = result.get("item") or {}
        out[item.get("name")] = result
    return out


# -- the clean-up task: data, written by a YAML dumper ---------------------------------------

_JINJA_MARKERS = ("{{", "{%", "{#")


class _Literal(str):
    """Text dumped as ``!unsafe``: Ansible passes it on as it is, never as a template."""


class _Template(str):
    """Text that is meant to be a template (the ``key_secret`` variable reference)."""


class _FlowMapping(dict):
    """A mapping dumped on one line (one SRV value)."""


class _TaskDumper(yaml.SafeDumper):
    """Safe YAML with ``!unsafe`` text and sequences indented under their key."""

    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)


def _represent_text(dumper, value):
    if isinstance(value, _Literal) or (
        not isinstance(value, _Template) and any(marker in value for marker in _JINJA_MARKERS)
    ):
        style = "'" if any(marker in value for marker in _JINJA_MARKERS) else None
        return dumper.represent_scalar("!unsafe", str.__str__(value), style=style)
    return dumper.represent_str(str.__str__(value))


_TaskDumper.add_representer(str, _represent_text)
_TaskDumper.add_representer(_Literal, _represent_text)
_TaskDumper.add_representer(_Template, _represent_text)
_TaskDumper.add_representer(
    _FlowMapping, lambda dumper, value: dumper.represent_mapping("tag:yaml.org,2002:map", value, flow_style=True)
)


def _unsafe(data):
    """DATA as plain dicts and lists whose text is marked unsafe (``wrap_var``): Ansible prints it,
    never templates it (before ansible-core 2.19 a variable's text was templated when used unless
    so marked; from 2.19 only trusted text is, and this untags it)."""
    if isinstance(data, dict):
        return {_unsafe(key): _unsafe(value) for key, value in data.items()}
    if isinstance(data, (list, tuple)):
        return [_unsafe(item) for item in data]
    if isinstance(data, str):
        return wrap_var(str.__str__(data))
    return data


def _plain(data):
    """DATA with Python's own types (Ansible hands filters tagged subclasses of str, int, dict, list,
    which a safe dumper does not know), the marks ``_Literal``, ``_Template``, ``_FlowMapping`` kept."""
    if isinstance(data, (_Literal, _Template)):
        return data
    if isinstance(data, str):
        # str.__str__ copies a subclass into a plain str (str() keeps ansible-core < 2.19's
        # AnsibleUnsafeText, which overrides __str__)
        return str.__str__(data)
    if isinstance(data, bool):
        return bool(data)
    if isinstance(data, int):
        return int(data)
    if isinstance(data, dict):
        return (_FlowMapping if isinstance(data, _FlowMapping) else dict)(
            (_plain(key), _plain(value)) for key, value in data.items()
        )
    if isinstance(data, (list, tuple)):
        return [_plain(item) for item in data]
    return data


def dump_tasks(tasks):
    """YAML text of a list of tasks: a safe dump in which text read from DNS (``_Literal``) and any
    text Ansible would template (``{{``, ``{%``, ``{#``), except a deliberate ``_Template``, is
    tagged ``!unsafe``, so the task acts on the literal value."""
    return yaml.dump(
        _plain(tasks), Dumper=_TaskDumper, sort_keys=False, default_flow_style=False, width=100000, allow_unicode=False
    ).rstrip("\n")


def srv_text(value):
    """``priority weight port target.`` of a value as read from DNS (the target as DNS wrote it)."""
    return "%d %d %d %s" % (value["priority"], value["weight"], value["port"], absolute_target(value["target"]))


def absolute_target(target):
    """The SRV target as read by kms_discover (presentation form, one trailing dot dropped) made
    absolute again; its escapes (``\\032``, ``\\.``) are kept as they are."""
    target = str(target).strip()
    return target if target.endswith(".") and not target.endswith("\\.") else target + "."


def _connection_args(site):
    """The options that send an update the way the site sends its updates."""
    args = {"server": site["dns_server"]}
    if site["dns_port"] != DEFAULT_DNS_PORT:
        args["server_port"] = site["dns_port"]
    if site.get("key_algorithm") == GSS_TSIG:
        args["key_algorithm"] = GSS_TSIG
        for option in ("kerberos_principal", "kerberos_keytab", "kerberos_ccache"):
            if site.get(option):
                args[option] = site[option]
    elif site["key_file"]:
        args["key_file"] = site["key_file"]
    elif site["key_name"]:
        args["key_name"] = site["key_name"]
        args["key_secret"] = _Template("{{ %s }}" % (site["key_secret_variable"] or "vault_tsig_secret"))
    if site.get("key_algorithm") and site["key_algorithm"] not in (GSS_TSIG, DEFAULT_KEY_ALGORITHM):
        args["key_algorithm"] = site["key_algorithm"]
    if site.get("verify_reply_signature") is not None:
        args["verify_reply_signature"] = bool(site["verify_reply_signature"])
    return args


def cleanup_tasks(site, domain, values):
    """The task that removes exactly ``values`` (SRV values as read from DNS: ``priority``,
    ``weight``, ``port``, ``target``) from ``_vlmcs._tcp.<domain>`` and changes nothing else, sent
    the way the site sends its updates (server, key file or key variable, Kerberos, DNS-update
    host), as data: a list of one task dict.

    ``kmsops.kms.dns_record`` with ``state: absent`` and the values as they are: each value once
    with its own priority, weight and port, whatever its target's name (removing a value never
    requires its target to be a host name), other values and address records left alone. The
    targets are ``_Literal`` (dumped ``!unsafe``): what DNS holds is never templated."""
    unique = []
    for value in values:
        item = _FlowMapping(
            priority=int(value["priority"]),
            weight=int(value["weight"]),
            port=int(value["port"]),
            target=_Literal(absolute_target(value["target"])),
        )
        if item not in unique:
            unique.append(item)
    args = _connection_args(site)
    args.update({"name": "%s.%s." % (SERVICE, domain), "type": "SRV", "state": "absent", "values": unique})
    task = {
        "name": "Remove SRV values of hosts that are not KMS hosts of the inventory from %s.%s" % (SERVICE, domain),
        "kmsops.kms.dns_record": args,
    }
    if site["dns_update_host"] != "localhost":
        task["delegate_to"] = site["dns_update_host"]
    return [task]


def cleanup_task(site, domain, values):
    """:func:`cleanup_tasks` as the YAML text the report prints (:func:`dump_tasks`)."""
    return dump_tasks(cleanup_tasks(site, domain, values))


def _share(candidate, candidates):
    """The chance (percent, one decimal) that ``candidate`` is tried first within its priority in
    its domain, from the ordering code of kms_discover (:func:`first_try_chances`)."""
    group = [c for c in candidates if c.get("domain") == candidate.get("domain")]
    records = [
        {
            "priority": int(c.get("priority") or 0),
            "weight": int(c.get("weight") or 0),
            "target": str(c.get("target") or ""),
        }
        for c in group
    ]
    chance = first_try_chances(records)[next(i for i, c in enumerate(group) if c is candidate)]
    return round(float(chance) * 100, 1)


def _site_model(site, result, known):
    """Everything the report shows for one site (without the picture)."""
    result = result or {}
    problem = None
    if not site["domains"]:
        problem = (
            "not checked: kms_discovery_domains is [] (the site's clients do not find their KMS host by "
            "DNS), so the roles check nothing here either"
        )
    elif result.get("unreachable"):
        problem = "discovery host %s could not be reached: %s" % (site["discovery_host"], result.get("msg") or "")
    elif result.get("failed"):
        problem = "kms_discover failed on %s: %s" % (site["discovery_host"], result.get("msg") or "")
    elif not result:
        problem = "discovery did not run for this site"
    raw = list(result.get("candidates") or []) if not problem else []
    selected = result.get("selected") if not problem else None
    selected_key = None
    if selected:
        selected_key = (name_key(selected.get("target")), selected.get("domain"), selected.get("port"))
    candidates: list[dict[str, Any]] = []
    for order, cand in enumerate(raw, 1):
        state, note = _candidate_state(cand, known)
        target = name_key(cand.get("target"))
        key = (target, cand.get("domain"), cand.get("port"))
        candidates.append(
            {
                "order": order,
                "target": target,
                "domain": name_key(cand.get("domain")),
                "port": int(cand.get("port") or KMS_PORT),
                "priority": int(cand.get("priority") or 0),
                "weight": int(cand.get("weight") or 0),
                "share": _share(cand, raw),
                "addresses": [str(a) for a in cand.get("addresses") or []],
                "reachable": cand.get("reachable"),
                "state": state,
                "note": note,
                "in_inventory": target in known,
                "selected": selected_key == key and not any(c["selected"] for c in candidates),
                # who published the value, as recorded beside it in DNS (kms_publish owner); [] for none
                "owners": [str(owner) for owner in cand.get("owners") or []],
            }
        )
    flags = []
    for domain in site["domains"]:
        # the values as read from DNS (the target as kms_discover gave it, case and escapes kept)
        foreign = [
            dict(
                priority=c["priority"],
                weight=c["weight"],
                port=c["port"],
                host=c["target"],
                note=c["note"],
                target=str(raw[c["order"] - 1].get("target")),
            )
            for c in candidates
            if c["domain"] == domain
            and not c["in_inventory"]
            # a value with an owner is another writer's (another inventory's kms_publish,
            # whose prune removes it): not a stale value to clean up from here
            and not c["owners"]
        ]
        if not foreign:
            continue
        hosts: dict[str, Any] = {}
        for value in foreign:
            host = hosts.setdefault(value["host"], {"target": value["host"], "note": value["note"], "srv_values": []})
            if srv_text(value) not in host["srv_values"]:
                host["srv_values"].append(srv_text(value))
        flags.append(
            {
                "domain": domain,
                "targets": list(hosts.values()),  # each host once, with all its values
                "task": cleanup_task(site, domain, foreign),
            }
        )
    found = {c["target"] for c in candidates}
    missing = [h["fqdn"] for h in site["kms_hosts"] if h["fqdn"] not in found] if not problem else []
    errors = ["%s: %s" % (e.get("domain"), e.get("msg")) for e in result.get("errors") or []]
    chosen = next((c for c in candidates if c["selected"]), None)
    if problem and not site["domains"]:
        verdict, status = problem, "warning"
    elif problem:
        verdict, status = problem, "error"
    elif chosen is None:
        verdict, status = "no KMS host answers: clients of %s cannot activate" % site["name"], "error"
    elif not chosen["in_inventory"]:
        verdict, status = ("clients select %s, which is not a KMS host of this inventory" % chosen["target"]), "warning"
    elif chosen["order"] > 1:
        verdict, status = (
            ("clients select %s after %d host(s) that do not answer" % (chosen["target"], chosen["order"] - 1)),
            "warning",
        )
    else:
        verdict, status = "clients select %s" % chosen["target"], "ok"
    if status == "ok" and (flags or missing):
        status = "warning"
    return {
        "name": site["name"],
        "topology": site["topology"],
        "topology_label": site["topology_label"],
        "domains": site["domains"],
        "dns_server": site["dns_server"],
        "dns_port": site["dns_port"],
        "nameservers": site["nameservers"],
        "fallback_site": site["fallback_site"],
        "clients": site["clients"],
        "kms_hosts": [h["fqdn"] for h in site["kms_hosts"]],
        "discovery_host": site["discovery_host"],
        "discovery_reason": site["discovery_reason"],
        "candidates": candidates,
        "selected": chosen["target"] if chosen else None,
        "verdict": verdict,
        "status": status,
        "errors": errors,
        "missing": missing,
        "flags": flags,
    }


def _windows_row(host, site_of, kms_group, info, known, site_status):
    kind = "KMS host" if host in kms_group else "client"
    row = {
        "host": host,
        "site": site_of.get(host) or "-",
        "kind": kind,
        "status": "-",
        "grace": "-",
        "last_kms_host": "-",
        "fixed_kms_host": "-",
        "activated": False,
        "why": "",
    }
    if not isinstance(info, dict) or not info:
        row["why"] = "kms_info did not run (the host was not reached)"
        return row
    if info.get("unreachable") or info.get("failed"):
        row["why"] = "kms_info could not read it: %s" % (info.get("msg") or "unreachable")
        return row
    status = info.get("license_status") or "Unknown"
    row["status"] = status
    row["grace"] = _grace_text(info.get("grace_period_remaining")) if status != LICENSED else "-"
    fixed = name_key(info.get("kms_host") or info.get("product_kms_host")) or None
    # slmgr /dlv shows the host found in DNS only while no KMS host is registered: with a fixed
    # host the discovered value is stale and never makes the client "activated by" that host
    last = None if fixed else name_key(info.get("last_kms_host")) or None
    row["last_kms_host"] = last or "-"
    row["fixed_kms_host"] = fixed or "-"
    row["activated"] = status == LICENSED
    why = []
    if kind == "KMS host":
        if status == LICENSED:
            current, required = info.get("current_count"), info.get("required_count")
            if isinstance(current, int) and isinstance(required, int) and 0 <= current < required:
                why.append(
                    "activated, but counts %d of the %d clients needed before it activates "
                    "clients" % (current, required)
                )
        elif status == "NoKeyInstalled":
            why.append("no product key installed")
        else:
            why.append("the KMS host itself is not activated (%s)" % status)
            if info.get("installation_id"):
                why.append("waiting for telephone activation (Installation ID shown by kms_host)")
    elif status != LICENSED:
        description = str(info.get("product_description") or "")
        if status == "NoKeyInstalled":
            why.append("no product key installed")
        elif description and "VOLUME_KMSCLIENT" not in description:
            why.append("its key is not a KMS client key (%s): KMS does not activate it" % description)
        if fixed and fixed not in known:
            why.append("its fixed KMS host %s is not a KMS host of this inventory" % fixed)
        if last and last not in known:
            why.append("the KMS host it last used, %s, is not a KMS host of this inventory" % last)
        if site_status == "error":
            why.append("no KMS host of its site answers")
        if not why:
            why.append("not activated yet; %s of grace left" % row["grace"])
    elif last and last not in known:
        why.append("activated by %s, which is not a KMS host of this inventory" % last)
    row["why"] = "; ".join(why)
    row["problem"] = bool(why) or not row["activated"]
    return row


def build_model(plan, discoveries, hostvars, info_var="_kms_report_info", kms_hosts=(), generated="", inventory=""):
    """The report of an inventory (see the module docstring).

    ``plan`` comes from :func:`build_plan`; ``discoveries`` are the registered results of the
    report playbook's kms_discover loop over ``plan["sites"]`` (each carries its site as
    ``item``); ``hostvars`` holds the kms_info results under ``info_var``; ``kms_hosts`` is the
    inventory's ``kms_hosts`` group.
    """
    known = set(plan.get("kms_hosts") or [])
    by_site = _discovery_by_site(discoveries)
    sites = [_site_model(site, by_site.get(site["name"]), known) for site in plan.get("sites") or []]
    for site in sites:
        site["picture"] = site_picture(site)
    site_of: dict[str, Any] = {}
    status_of: dict[Any, Any] = {}  # site name -> status; looked up with None for a host of no site
    for site in plan.get("sites") or []:
        for host in site["clients"] + [h["host"] for h in site["kms_hosts"]]:
            site_of.setdefault(host, site["name"])
    for site in sites:
        status_of[site["name"]] = site["status"]
    windows = []
    for host in plan.get("windows_hosts") or []:
        info = hostvars[host].get(info_var) if host in hostvars else None
        windows.append(_windows_row(host, site_of, set(kms_hosts), info, known, status_of.get(site_of.get(host))))
    flagged = sum(len(t["srv_values"]) for s in sites for f in s["flags"] for t in f["targets"])
    # everything read from DNS (targets, the sentences naming them, the printed task) is data:
    # marked unsafe, Ansible never templates it when the report playbook prints the model
    return _unsafe(
        {
            "title": "KMS discovery report",
            "inventory": str(inventory or ""),
            "generated": str(generated or ""),
            "sites": sites,
            "windows": windows,
            "summary": {
                "sites": len(sites),
                "sites_ok": sum(1 for s in sites if s["status"] == "ok"),
                "sites_without_host": sum(1 for s in sites if s["selected"] is None),
                "clients": sum(len(s["clients"]) for s in sites),
                "flagged_values": flagged,
                "windows": len(windows),
                "not_activated": sum(1 for w in windows if not w["activated"]),
            },
        }
    )


# ---------------------------------------------------------------------------------------------
# The picture of a site (SVG geometry; the HTML template prints it)

_WIDTH = 860
_TOP = 46
_CLIENT_X, _CLIENT_W, _CLIENT_H, _CLIENT_STEP = 16, 210, 30, 40
_DNS_X, _DNS_W, _DNS_H = 300, 210, 70
_HOST_X, _HOST_W, _HOST_H, _HOST_STEP = 590, 254, 48, 58
_MAX_CLIENTS = 6


def _cut(text, width):
    text = str(text)
    return text if len(text) <= width else text[: width - 1] + "\u2026"


def site_picture(site):
    """Boxes, edges and labels of the site's picture: its clients (and the host discovery ran
    from), the DNS server they ask, and the KMS hosts in the order a client tries them, coloured
    by reachability (and flagged when not a KMS host of the inventory)."""
    nodes, edges, labels = [], [], []
    clients = list(site["clients"])
    shown = clients[:_MAX_CLIENTS]
    client_boxes = []
    for name in shown:
        cls = "client prober" if name == site["discovery_host"] else "client"
        client_boxes.append((name, cls, name + (" (discovery ran here)" if "prober" in cls else "")))
    if len(clients) > len(shown):
        n = len(clients) - len(shown)
        client_boxes.append(
            ("+ %d more client%s" % (n, "s" if n > 1 else ""), "client more", ", ".join(clients[len(shown) :]))
        )
    if site["discovery_host"] not in clients:
        client_boxes.append(
            (
                site["discovery_host"] + " (DNS-update host)",
                "client prober",
                "discovery ran from %s, %s" % (site["discovery_host"], site["discovery_reason"]),
            )
        )
    if not clients:
        client_boxes.insert(0, ("no client in the inventory", "client more", "the site lists no kms_clients host"))
    candidates = site["candidates"]
    rows = max(len(client_boxes) * _CLIENT_STEP, max(len(candidates), 1) * _HOST_STEP, _DNS_H + 20)
    height = _TOP + rows + 18
    middle = _TOP + rows / 2.0
    labels.append({"x": _CLIENT_X, "y": 24, "text": "Clients of %s" % site["name"], "cls": "head", "circle": False})
    labels.append({"x": _DNS_X, "y": 24, "text": "DNS they ask", "cls": "head", "circle": False})
    labels.append({"x": _HOST_X, "y": 24, "text": "KMS hosts, in the order tried", "cls": "head", "circle": False})
    dns_y = middle - _DNS_H / 2.0
    start = middle - len(client_boxes) * _CLIENT_STEP / 2.0
    for index, (text, cls, title) in enumerate(client_boxes):
        y = start + index * _CLIENT_STEP + (_CLIENT_STEP - _CLIENT_H) / 2.0
        nodes.append(
            {
                "x": _CLIENT_X,
                "y": y,
                "w": _CLIENT_W,
                "h": _CLIENT_H,
                "cls": cls,
                "title": title,
                "texts": [{"x": _CLIENT_X + 10, "y": y + 19, "text": _cut(text, 30), "cls": ""}],
            }
        )
        edges.append(
            {"x1": _CLIENT_X + _CLIENT_W, "y1": y + _CLIENT_H / 2.0, "x2": _DNS_X, "y2": middle, "cls": "query"}
        )
    domains = site["domains"]
    dns_lines = [
        "%s port %d" % (", ".join(site["nameservers"]), site["dns_port"]),
        (
            "%s.%s" % (SERVICE, domains[0]) + (" +%d" % (len(domains) - 1) if len(domains) > 1 else "")
            if domains
            else "not checked"
        ),
    ]
    nodes.append(
        {
            "x": _DNS_X,
            "y": dns_y,
            "w": _DNS_W,
            "h": _DNS_H,
            "cls": "dns",
            "title": "SRV %s in %s, asked from %s" % (SERVICE, ", ".join(domains), site["discovery_host"]),
            "texts": [
                {"x": _DNS_X + 10, "y": dns_y + 22, "text": "DNS", "cls": "strong"},
                {"x": _DNS_X + 10, "y": dns_y + 40, "text": _cut(dns_lines[0], 30), "cls": ""},
                {"x": _DNS_X + 10, "y": dns_y + 57, "text": _cut(dns_lines[1], 30), "cls": "small"},
            ],
        }
    )
    if not candidates:
        y = middle - _HOST_H / 2.0
        nodes.append(
            {
                "x": _HOST_X,
                "y": y,
                "w": _HOST_W,
                "h": _HOST_H,
                "cls": "kms none",
                "title": site["verdict"],
                "texts": [{"x": _HOST_X + 12, "y": y + 29, "text": "no KMS host found", "cls": "strong"}],
            }
        )
        edges.append({"x1": _DNS_X + _DNS_W, "y1": middle, "x2": _HOST_X, "y2": middle, "cls": "down"})
    host_start = middle - len(candidates) * _HOST_STEP / 2.0
    for index, cand in enumerate(candidates):
        y = host_start + index * _HOST_STEP + (_HOST_STEP - _HOST_H) / 2.0
        cls = "kms " + cand["state"] + (" selected" if cand["selected"] else "")
        status = {"reachable": "reachable", "unreachable": "does not answer", "unprobed": "not probed"}.get(
            cand["state"], "NOT A KMS HOST OF THE INVENTORY"
        )
        if cand["selected"]:
            status += " \u2014 selected"
        detail = "priority %d, weight %d (%g%% first)" % (cand["priority"], cand["weight"], cand["share"])
        nodes.append(
            {
                "x": _HOST_X,
                "y": y,
                "w": _HOST_W,
                "h": _HOST_H,
                "cls": cls,
                "title": "%s port %d in %s: %s" % (cand["target"], cand["port"], cand["domain"], cand["note"]),
                "texts": [
                    {"x": _HOST_X + 12, "y": y + 17, "text": _cut(cand["target"], 32), "cls": "strong"},
                    {"x": _HOST_X + 12, "y": y + 31, "text": detail, "cls": "small"},
                    {"x": _HOST_X + 12, "y": y + 44, "text": status, "cls": "small state"},
                ],
            }
        )
        edge_cls = {"reachable": "ok", "unreachable": "down", "unprobed": "query"}.get(cand["state"], "foreign")
        if cand["selected"]:
            edge_cls += " chosen"
        edges.append(
            {"x1": _DNS_X + _DNS_W, "y1": middle, "x2": _HOST_X - 14, "y2": y + _HOST_H / 2.0, "cls": edge_cls}
        )
        labels.append(
            {"x": _HOST_X - 10, "y": y + _HOST_H / 2.0 + 5, "text": str(cand["order"]), "cls": "order", "circle": True}
        )
    return {"width": _WIDTH, "height": int(height), "nodes": nodes, "edges": edges, "labels": labels}
