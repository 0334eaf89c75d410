# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A fixed inventory and the discovery / kms_info results of one report run, shaped as
playbooks/report.yml hands them to the filters: a core site with two KMS hosts and a rogue
value, a branch with its own KMS host stopped (fails over to the core), an isolated network
whose only client is Windows (discovery from its DNS-update host), and Windows licensing facts.
Used by the unit tests of the report and by the browser test of its HTML page."""

from __future__ import annotations

import copy
import os

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
TEMPLATES = os.path.join(REPO, "playbooks", "templates")
SECRET = "c2VjcmV0LXRzaWctdmFsdWUtbmV2ZXItc2hvd24="

GROUPS = {
    "all": [],
    "kms_core_sites": ["kms1.hq.test", "kms2.hq.test", "ws1.hq.test", "ws2.hq.test"],
    "kms_branch_sites": ["kms.br.test", "ws1.br.test"],
    "kms_isolated_sites": ["kms.iso.test", "win1.iso.test"],
    "hq": ["kms1.hq.test", "kms2.hq.test", "ws1.hq.test", "ws2.hq.test"],
    "br": ["kms.br.test", "ws1.br.test"],
    "iso": ["kms.iso.test", "win1.iso.test"],
    "kms_hosts": ["kms1.hq.test", "kms2.hq.test", "kms.br.test", "kms.iso.test"],
    "kms_clients": ["ws1.hq.test", "ws2.hq.test", "ws1.br.test", "win1.iso.test"],
}

_LINUX = {"ansible_facts": {"os_family": "Debian"}}
_WINDOWS = {"ansible_facts": {"os_family": "Windows"}}
_HQ = {
    "kms_site_group": "hq",
    "kms_site_domains": ["hq.test"],
    "kms_dns_server": "10.1.0.53",
    "kms_dns_key_file": "/etc/kmsops/hq.key",
}
_BR = {
    "kms_site_group": "br",
    "kms_site_domains": ["br.test"],
    "kms_dns_server": "10.2.0.53",
    "kms_dns_port": 5353,
    "kms_fallback_site": "hq",
    "kms_discovery_nameservers": ["10.2.0.53", "10.1.0.53"],
    "kms_dns_key_name": "br-publisher",
    "kms_dns_key_secret": SECRET,
}
_ISO = {
    "kms_site_group": "iso",
    "kms_site_domains": ["iso.test"],
    "kms_dns_server": "10.3.0.53",
    "kms_dns_update_host": "ns.iso.test",
    "kms_dns_key_name": "iso-publisher",
    "kms_dns_key_secret": SECRET,
}

HOSTVARS = {
    "kms1.hq.test": dict(_HQ, kms_host_weight=60, **_LINUX),
    "kms2.hq.test": dict(_HQ, kms_host_weight=40, **_WINDOWS),
    "ws1.hq.test": dict(_HQ, **_LINUX),
    "ws2.hq.test": dict(_HQ, **_WINDOWS),
    "kms.br.test": dict(_BR, **_LINUX),
    "ws1.br.test": dict(_BR, **_LINUX),
    "kms.iso.test": dict(_ISO, kms_host_fqdn="KMS.iso.test.", **_WINDOWS),
    "win1.iso.test": dict(_ISO, **_WINDOWS),
}
# what kms_info returned on the Windows hosts
INFO = {
    "ws2.hq.test": {
        "license_status": "OOBGrace",
        "license_status_code": 2,
        "grace_period_remaining": 20160,
        "product_description": "Windows(R) Operating System, VOLUME_KMSCLIENT channel",
        "last_kms_host": "rogue.hq.test",
        "kms_host": None,
        "is_kms_host": False,
    },
    "kms2.hq.test": {
        "license_status": "Licensed",
        "license_status_code": 1,
        "grace_period_remaining": 259200,
        "product_description": "Windows(R) Operating System, VOLUME_KMS_2022 channel",
        "is_kms_host": True,
        "current_count": 3,
        "required_count": 5,
        "last_kms_host": None,
    },
    "kms.iso.test": {
        "license_status": "OOBGrace",
        "license_status_code": 2,
        "grace_period_remaining": 43200,
        "is_kms_host": True,
        "installation_id": "123456",
        "current_count": -1,
        "required_count": 5,
    },
    "win1.iso.test": {
        "license_status": "Licensed",
        "license_status_code": 1,
        "grace_period_remaining": 259000,
        "product_description": "VOLUME_KMSCLIENT channel",
        "last_kms_host": "kms.iso.test",
        "is_kms_host": False,
    },
}


def _cand(domain, target, priority, weight, address, reachable):
    return {
        "domain": domain,
        "target": target,
        "port": 1688,
        "priority": priority,
        "weight": weight,
        "addresses": [address] if address else [],
        "reachable": reachable,
        "reached_address": address if reachable else None,
        "error": None if reachable else "%s port 1688: [Errno 111] Connection refused" % address,
    }


_HQ_CANDIDATES = [
    _cand("hq.test", "kms1.hq.test", 0, 60, "10.1.0.11", True),
    _cand("hq.test", "rogue.hq.test", 0, 0, "10.1.0.99", True),
    _cand("hq.test", "kms2.hq.test", 0, 40, "10.1.0.12", True),
    _cand("hq.test", "old-kms.hq.test", 5, 0, None, False),
]
_BR_CANDIDATES = [
    _cand("br.test", "kms.br.test", 0, 0, "10.2.0.11", False),
    _cand("br.test", "kms1.hq.test", 10, 60, "10.1.0.11", True),
    _cand("br.test", "kms2.hq.test", 10, 40, "10.1.0.12", True),
]
_ISO_CANDIDATES = [_cand("iso.test", "kms.iso.test", 0, 0, "10.3.0.11", True)]


def discoveries(plan):
    """The registered results of the kms_discover loop over the plan's sites."""
    by_site = {"hq": _HQ_CANDIDATES, "br": _BR_CANDIDATES, "iso": _ISO_CANDIDATES}
    results = []
    for site in plan["sites"]:
        candidates = copy.deepcopy(by_site[site["name"]])
        selected = next((c for c in candidates if c["reachable"]), None)
        results.append(
            {
                "item": site,
                "changed": False,
                "candidates": candidates,
                "selected": selected,
                "errors": [],
                "domains": [],
            }
        )
    return results


def hostvars():
    """Host variables as the report playbook leaves them (kms_info registered as _kms_report_info)."""
    values = copy.deepcopy(HOSTVARS)
    for host, info in INFO.items():
        values[host]["_kms_report_info"] = copy.deepcopy(info)
    return values


def model():
    """The report model of the sample, built by the filters."""
    from ansible_collections.kmsops.kms.plugins.filter.kms_report import kms_report_model, kms_report_plan

    hv = hostvars()
    plan = kms_report_plan(GROUPS, hv)
    return kms_report_model(
        plan, discoveries(plan), hv, kms_hosts=GROUPS["kms_hosts"], generated="2026-11-30 02:00 UTC", inventory="sample"
    )


def render(name, report):
    """Render playbooks/templates/<name>.j2 with the model, as ansible.builtin.template does
    (the templates use standard Jinja2 filters only)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        trim_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    return env.get_template(name + ".j2").render(_kms_report=report)
