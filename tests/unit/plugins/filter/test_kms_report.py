# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The discovery report of an inventory: plan, flags, verdicts, Windows rows, picture, templates."""

from __future__ import annotations

import copy
import json
import os
import re
import sys

import pytest
from ansible.errors import AnsibleFilterError

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import kms_report_sample as sample
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar
from ansible.utils.unsafe_proxy import wrap_var

from ansible_collections.kmsops.kms.plugins.filter.kms_report import (
    FilterModule,
    kms_report_model,
    kms_report_plan,
)

try:
    from ansible.template import trust_as_template
except ImportError:  # ansible-core < 2.19: every string is a template unless marked unsafe

    def trust_as_template(text):
        return text


from ansible_collections.kmsops.kms.plugins.module_utils.discovery._discovery import discover
from ansible_collections.kmsops.kms.plugins.module_utils.dns._changes import record_changes
from ansible_collections.kmsops.kms.plugins.module_utils.dns._records import RRset, parse_value
from ansible_collections.kmsops.kms.plugins.plugin_utils._estate import EstateError
from ansible_collections.kmsops.kms.plugins.plugin_utils._kms_report import (
    build_plan,
    cleanup_task,
)


def _plan(hostvars=None, groups=None):
    return kms_report_plan(groups or sample.GROUPS, hostvars or sample.hostvars())


def _model(plan=None, discoveries=None, hostvars=None):
    hostvars = hostvars or sample.hostvars()
    plan = plan or kms_report_plan(sample.GROUPS, hostvars)
    return kms_report_model(
        plan,
        sample.discoveries(plan) if discoveries is None else discoveries,
        hostvars,
        kms_hosts=sample.GROUPS["kms_hosts"],
    )


def _site(model, name):
    return next(site for site in model["sites"] if site["name"] == name)


def test_filters_are_registered():
    filters = FilterModule().filters()
    assert filters["kms_report_plan"] is kms_report_plan and filters["kms_report_model"] is kms_report_model


# -- plan -------------------------------------------------------------------------------------


def test_plan_has_one_entry_per_site_in_topology_order():
    assert [s["name"] for s in _plan()["sites"]] == ["hq", "br", "iso"]


def test_plan_runs_discovery_from_a_linux_client_of_the_site():
    plan = _plan()
    assert plan["sites"][0]["discovery_host"] == "ws1.hq.test"
    assert plan["sites"][0]["discovery_reason"] == "a client of the site"


def test_plan_runs_discovery_from_the_update_host_when_every_client_is_windows():
    iso = _plan()["sites"][2]
    assert iso["clients"] == ["win1.iso.test"]
    assert iso["discovery_host"] == "ns.iso.test" and "DNS-update host" in iso["discovery_reason"]


def test_plan_skips_a_client_that_was_not_reached():
    hostvars = sample.hostvars()
    hostvars["ws1.hq.test"]["_kms_report_setup"] = {"unreachable": True, "msg": "ssh: timeout"}
    assert _plan(hostvars)["sites"][0]["discovery_host"] == "localhost"


def test_plan_skips_a_client_whose_os_is_unknown():
    hostvars = sample.hostvars()
    del hostvars["ws1.br.test"]["ansible_facts"]
    assert _plan(hostvars)["sites"][1]["discovery_host"] == "localhost"


def test_plan_reads_dns_server_port_and_discovery_nameservers_of_the_site():
    hq, br, iso = _plan()["sites"]
    assert (hq["dns_server"], hq["dns_port"], hq["nameservers"]) == ("10.1.0.53", 53, ["10.1.0.53"])
    assert (br["dns_port"], br["nameservers"]) == (5353, ["10.2.0.53", "10.1.0.53"])
    assert iso["nameservers"] == ["10.3.0.53"]


def test_plan_takes_the_branch_client_domain_instead_of_the_branch_domain():
    hostvars = sample.hostvars()
    for host in sample.GROUPS["br"]:
        hostvars[host]["kms_client_kms_domain"] = "HQ.test."
    assert _plan(hostvars)["sites"][1]["domains"] == ["hq.test"]


def test_plan_lists_kms_host_targets_of_the_whole_inventory_normalized():
    assert _plan()["kms_hosts"] == ["kms.br.test", "kms.iso.test", "kms1.hq.test", "kms2.hq.test"]


def test_plan_lists_windows_hosts_from_their_facts():
    assert _plan()["windows_hosts"] == ["kms2.hq.test", "kms.iso.test", "ws2.hq.test", "win1.iso.test"]


def test_site_settings_are_read_from_the_shared_vocabulary_only():
    hostvars = sample.hostvars()
    for host in sample.GROUPS["hq"]:
        hostvars[host]["core_network_dns_port"] = 5300
    hq = _plan(hostvars)["sites"][0]
    assert (hq["dns_port"], hq["dns_update_host"]) == (53, "localhost")


def test_the_report_reads_the_inventory_only_through_the_estate_model():
    with open(os.path.join(sample.REPO, "plugins", "plugin_utils", "_kms_report.py"), encoding="utf-8") as handle:
        source = handle.read()
    assert not re.search(r"host_?vars\b[^\n]*['\"]kms_", source) and "SITE_VARIABLES" not in source
    with open(os.path.join(sample.REPO, "playbooks", "report.yml"), encoding="utf-8") as handle:
        playbook = handle.read()
    assert "groups['kms_hosts']" not in playbook and "hosts: kms_hosts" not in playbook


def test_an_overridden_kms_hosts_group_is_the_reports_too():
    groups = copy.deepcopy(sample.GROUPS)
    groups["my_kms"] = groups.pop("kms_hosts")
    hostvars = sample.hostvars()
    for values in hostvars.values():
        values["kms_hosts_group"] = "my_kms"
    plan = _plan(hostvars, groups)
    assert plan["kms_hosts"] == ["kms.br.test", "kms.iso.test", "kms1.hq.test", "kms2.hq.test"]
    assert plan["kms_inventory_hosts"] == groups["my_kms"]
    model = kms_report_model(plan, sample.discoveries(plan), hostvars, kms_hosts=plan["kms_inventory_hosts"])
    foreign = [c["target"] for c in _site(model, "hq")["candidates"] if not c["in_inventory"]]
    assert foreign == [c["target"] for c in _site(_model(), "hq")["candidates"] if not c["in_inventory"]]
    assert foreign and "kms1.hq.test" not in foreign


def test_an_empty_discovery_domain_list_is_not_checked_as_in_the_roles():
    hostvars = sample.hostvars()
    for host in sample.GROUPS["br"]:
        hostvars[host]["kms_discovery_domains"] = []
    plan = _plan(hostvars)
    assert plan["sites"][1]["domains"] == []
    br = _site(kms_report_model(plan, sample.discoveries(plan), hostvars, kms_hosts=sample.GROUPS["kms_hosts"]), "br")
    assert br["status"] == "warning" and br["verdict"].startswith("not checked: kms_discovery_domains is []")


def test_plan_never_reads_the_tsig_secret():
    class Guarded(dict):
        def __getitem__(self, key):
            if key.endswith("dns_key_secret"):
                raise AssertionError("the report read %s" % key)
            return super().__getitem__(key)

        def get(self, key, default=None):
            if key in self:  # through __getitem__, which guards the secret
                return self[key]
            return default

    hostvars = {host: Guarded(values) for host, values in sample.hostvars().items()}
    plan = build_plan(sample.GROUPS, hostvars)
    assert plan["sites"][1]["key_secret_variable"] == "kms_dns_key_secret"
    assert sample.SECRET not in json.dumps(plan)


def test_missing_site_name_is_an_error_naming_the_variable():
    hostvars = sample.hostvars()
    del hostvars["kms1.hq.test"]["kms_site_group"]
    with pytest.raises(AnsibleFilterError, match=r"kms_site_group: is not set: .* \(host kms1.hq.test\)"):
        _plan(hostvars)


def test_missing_dns_server_is_an_error_naming_the_variable():
    hostvars = sample.hostvars()
    for host in sample.GROUPS["iso"]:
        del hostvars[host]["kms_dns_server"]
    with pytest.raises(AnsibleFilterError, match=r"kms_dns_server: is not set: .*\(site iso, host kms.iso.test\)"):
        _plan(hostvars)


def test_bad_dns_port_is_an_error_naming_the_variable():
    hostvars = sample.hostvars()
    hostvars["kms.br.test"]["kms_dns_port"] = 70000
    with pytest.raises(EstateError, match=r"^kms_dns_port: must be an integer from 1 to 65535, got 70000 \(site br"):
        build_plan(sample.GROUPS, hostvars)


def test_a_site_in_two_topologies_is_an_error():
    groups = copy.deepcopy(sample.GROUPS)
    groups["kms_isolated_sites"].append("ws1.br.test")
    hostvars = sample.hostvars()
    hostvars["ws1.br.test"]["kms_site_group"] = "br"
    with pytest.raises(
        AnsibleFilterError, match="site br is under two topology groups, kms_branch_sites and kms_isolated_sites"
    ):
        _plan(hostvars, groups)


def test_model_refuses_an_input_that_is_not_a_plan():
    with pytest.raises(AnsibleFilterError, match="result of kms_report_plan"):
        kms_report_model([], [], {})


# -- sites: order, reachability, verdicts -----------------------------------------------------


def test_candidates_keep_the_discovery_order_with_each_ones_first_chance():
    # weights 60, 0, 40 in one priority: the draw is one of 0..100; 0 picks the weight-0 head
    hq = _site(_model(), "hq")
    assert [(c["order"], c["target"], c["share"]) for c in hq["candidates"]] == [
        (1, "kms1.hq.test", 59.4),
        (2, "rogue.hq.test", 1.0),
        (3, "kms2.hq.test", 39.6),
        (4, "old-kms.hq.test", 100.0),
    ]


def test_weights_all_zero_share_first_place_equally():
    plan = _plan()
    results = sample.discoveries(plan)
    for cand in results[1]["candidates"]:
        cand["weight"] = 0
    br = _site(_model(plan, results), "br")
    assert [c["share"] for c in br["candidates"]] == [100, 50, 50]


def test_weights_one_and_zero_are_tried_first_half_and_half_as_kms_discover_does():
    plan = _plan()
    results = sample.discoveries(plan)
    results[2]["candidates"] = [
        dict(results[2]["candidates"][0], weight=1),
        dict(results[2]["candidates"][0], target="kms9.iso.test", weight=0),
    ]
    iso = _site(_model(plan, results), "iso")
    assert [c["share"] for c in iso["candidates"]] == [50.0, 50.0]


class _Resolver:
    """kms_discover's DNS client, answering from a table (no network)."""

    def __init__(self, records):
        self.records = records

    def srv(self, domain):
        return [dict(r) for r in self.records[domain]], "ok", None

    def addresses(self, target):
        return ["192.0.2.1"], None


# weight sets with zeros, one or several priorities, and equal weights
_SHARE_CASES = [
    [(0, 1), (0, 0)],
    [(0, 60), (0, 0), (0, 40), (5, 0)],
    [(0, 0), (0, 0), (0, 3), (10, 1), (10, 0), (10, 0)],
    [(0, 10), (0, 10), (0, 10), (20, 2), (20, 7)],
    [(1, 0), (1, 0), (1, 0), (1, 0)],
    [(0, 65535), (0, 0), (3, 1), (3, 1), (3, 0)],
]


@pytest.mark.parametrize("weights", _SHARE_CASES, ids=[str(case) for case in _SHARE_CASES])
def test_first_try_shares_match_a_large_seeded_sample_of_kms_discover(weights):
    records = [
        {"priority": p, "weight": w, "port": 1688, "target": "h%d.hq.test" % i} for i, (p, w) in enumerate(weights)
    ]
    plan = _plan()
    results = sample.discoveries(plan)
    results[0]["candidates"] = [
        dict(results[0]["candidates"][0], target=r["target"], priority=r["priority"], weight=r["weight"])
        for r in records
    ]
    shares = {c["target"]: c["share"] for c in _site(_model(plan, results), "hq")["candidates"]}
    # kms_discover's own logic, seeded run by run, as many clients would draw
    runs = 20000
    resolver = _Resolver({"hq.test": records})
    first = {}
    for seed in range(runs):
        seen = set()
        for cand in discover(["hq.test"], client=resolver, seed=seed)["candidates"]:
            if cand["priority"] not in seen:
                seen.add(cand["priority"])
                first[cand["target"]] = first.get(cand["target"], 0) + 1
    for record in records:
        observed = 100.0 * first.get(record["target"], 0) / runs
        # 20000 runs: a standard error of at most 0.36 points; 1.5 points is over 4 of them
        assert abs(observed - shares[record["target"]]) < 1.5, (record, observed, shares)


def test_fail_over_is_a_warning_naming_the_host_clients_select():
    br = _site(_model(), "br")
    assert br["status"] == "warning" and br["selected"] == "kms1.hq.test"
    assert br["verdict"] == "clients select kms1.hq.test after 1 host(s) that do not answer"
    assert br["candidates"][0]["state"] == "unreachable" and "Connection refused" in br["candidates"][0]["note"]


def test_site_where_nothing_answers_is_an_error():
    plan = _plan()
    results = sample.discoveries(plan)
    for cand in results[2]["candidates"]:
        cand["reachable"] = False
    results[2]["selected"] = None
    iso = _site(_model(plan, results), "iso")
    assert iso["status"] == "error" and iso["selected"] is None
    assert iso["verdict"] == "no KMS host answers: clients of iso cannot activate"


def test_failed_discovery_is_reported_as_what_it_is():
    plan = _plan()
    results = sample.discoveries(plan)
    results[0] = {"item": plan["sites"][0], "failed": True, "msg": "dnspython is missing"}
    results[1] = {"item": plan["sites"][1], "unreachable": True, "msg": "Failed to connect"}
    model = _model(plan, results)
    assert _site(model, "hq")["verdict"] == "kms_discover failed on ws1.hq.test: dnspython is missing"
    assert _site(model, "br")["verdict"].startswith("discovery host ws1.br.test could not be reached")
    assert _site(model, "hq")["candidates"] == [] and _site(model, "hq")["status"] == "error"


def test_kms_host_of_the_site_missing_from_dns_is_listed():
    plan = _plan()
    results = sample.discoveries(plan)
    results[0]["candidates"] = [c for c in results[0]["candidates"] if c["target"] != "kms2.hq.test"]
    hq = _site(_model(plan, results), "hq")
    assert hq["missing"] == ["kms2.hq.test"]


def test_domain_errors_are_listed():
    plan = _plan()
    results = sample.discoveries(plan)
    results[2]["errors"] = [{"domain": "iso.test", "msg": "_vlmcs._tcp.iso.test. does not exist (NXDOMAIN)"}]
    assert _site(_model(plan, results), "iso")["errors"] == [
        "iso.test: _vlmcs._tcp.iso.test. does not exist (NXDOMAIN)"
    ]


# -- flags and the task that removes them ----------------------------------------------------


def test_values_of_hosts_not_in_the_inventory_are_flagged_rogue_or_decommissioned():
    hq = _site(_model(), "hq")
    flag = hq["flags"][0]
    assert flag["domain"] == "hq.test"
    notes = {t["target"]: t["note"] for t in flag["targets"]}
    assert set(notes) == {"rogue.hq.test", "old-kms.hq.test"}
    assert "rogue KMS host" in notes["rogue.hq.test"]
    assert notes["old-kms.hq.test"] == (
        "not a KMS host of this inventory, and its name has no address: probably a decommissioned KMS host"
    )
    assert [t["srv_values"] for t in flag["targets"]] == [["0 0 1688 rogue.hq.test."], ["5 0 1688 old-kms.hq.test."]]


def test_fallback_hosts_of_the_inventory_are_not_flagged():
    assert _site(_model(), "br")["flags"] == []


def test_each_value_shows_its_owner_and_a_value_another_writer_owns_is_not_flagged():
    # kms_discover owners=true: the branch team's inventory publishes rogue.hq.test as "branch"
    plan = _plan()
    results = sample.discoveries(plan)
    for result in results:
        for cand in result["candidates"]:
            cand["owners"] = {"rogue.hq.test": ["branch"], "kms1.hq.test": ["central"]}.get(cand["target"], [])
    model = _model(plan, results)
    hq = _site(model, "hq")
    assert {c["target"]: c["owners"] for c in hq["candidates"]} == {
        "kms1.hq.test": ["central"],
        "rogue.hq.test": ["branch"],
        "kms2.hq.test": [],
        "old-kms.hq.test": [],
    }
    # only the value no owner claims is offered for clean-up
    assert [t["target"] for f in hq["flags"] for t in f["targets"]] == ["old-kms.hq.test"]
    assert "owner (recorded in DNS): branch" in sample.render("kms-report.txt", model)
    assert "<td>central</td>" in sample.render("kms-report.html", model)


def _load(text):
    """The printed task as ansible-playbook reads a playbook: the !unsafe tag understood, every
    other string a template."""
    return DataLoader().load(trust_as_template(str.__str__(text)))  # the text, not an unsafe object


def _template(data, **variables):
    return Templar(loader=DataLoader(), variables=variables).template(data)


def _args(text):
    (task,) = _load(text)
    return task["kmsops.kms.dns_record"]


def _removed(args, before):
    """What dns_record's own parser and plan make of the task: the SRV values left of BEFORE."""
    params = dict(args, zone=None, ttl=3600, exclusive=False)
    (change,), _zone = record_changes(params)
    rrset = RRset(change.name, "SRV", 3600, [parse_value("SRV", text, "before", removing=True) for text in before])
    return sorted(value.to_text() for value in change.transform(rrset).values)


def test_task_removes_exactly_the_flagged_values_and_touches_nothing_else():
    task = _load(_site(_model(), "hq")["flags"][0]["task"])[0]
    args = task["kmsops.kms.dns_record"]
    assert task["name"] == "Remove SRV values of hosts that are not KMS hosts of the inventory from _vlmcs._tcp.hq.test"
    assert "delegate_to" not in task
    assert args == {
        "server": "10.1.0.53",
        "key_file": "/etc/kmsops/hq.key",
        "name": "_vlmcs._tcp.hq.test.",
        "type": "SRV",
        "state": "absent",
        "values": [
            {"priority": 0, "weight": 0, "port": 1688, "target": "rogue.hq.test."},
            {"priority": 5, "weight": 0, "port": 1688, "target": "old-kms.hq.test."},
        ],
    }
    before = [
        "0 60 1688 kms1.hq.test.",
        "0 0 1688 rogue.hq.test.",
        "0 40 1688 kms2.hq.test.",
        "5 0 1688 old-kms.hq.test.",
        "7 0 1688 rogue.hq.test.",
    ]
    assert _removed(args, before) == ["0 40 1688 kms2.hq.test.", "0 60 1688 kms1.hq.test.", "7 0 1688 rogue.hq.test."]


def test_host_with_two_values_is_listed_once_with_each_value_as_it_is():
    plan = _plan()
    results = sample.discoveries(plan)
    results[0]["candidates"] += [
        dict(results[0]["candidates"][1], priority=10, weight=5, port=1689),
        dict(results[0]["candidates"][1], target="old_kms.hq.test", port=1700, weight=3),
        dict(results[0]["candidates"][1], target="old_kms.hq.test", port=1701, priority=9),
    ]
    flag = _site(_model(plan, results), "hq")["flags"][0]
    assert [(t["target"], t["srv_values"]) for t in flag["targets"]] == [
        ("rogue.hq.test", ["0 0 1688 rogue.hq.test.", "10 5 1689 rogue.hq.test."]),
        ("old-kms.hq.test", ["5 0 1688 old-kms.hq.test."]),
        ("old_kms.hq.test", ["0 3 1700 old_kms.hq.test.", "9 0 1701 old_kms.hq.test."]),
    ]
    assert _model(plan, results)["summary"]["flagged_values"] == 5
    before = [
        "0 60 1688 kms1.hq.test.",
        "0 0 1688 rogue.hq.test.",
        "10 5 1689 rogue.hq.test.",
        "5 0 1688 old-kms.hq.test.",
        "0 3 1700 old_kms.hq.test.",
        "9 0 1701 old_kms.hq.test.",
        "0 0 1700 old_kms.hq.test.",
    ]
    assert _removed(_args(flag["task"]), before) == ["0 0 1700 old_kms.hq.test.", "0 60 1688 kms1.hq.test."]


def test_task_sends_to_the_site_port_from_its_update_host_with_the_key_variable():
    site = _plan()["sites"][2]
    text = cleanup_task(site, "iso.test", [{"target": "rogue.iso.test", "port": 1688, "priority": 0, "weight": 0}])
    (task,) = _load(text)
    args = task["kmsops.kms.dns_record"]
    assert task["delegate_to"] == "ns.iso.test"
    assert args["key_name"] == "iso-publisher" and args["key_secret"] == "{{ kms_dns_key_secret }}"
    # the key variable is the one deliberate template: it is not tagged !unsafe
    assert "key_secret: '{{ kms_dns_key_secret }}'" in text and "!unsafe '{{" not in text
    args = _args(
        cleanup_task(
            _plan()["sites"][1], "br.test", [{"target": "x.br.test", "port": 1688, "priority": 0, "weight": 0}]
        )
    )
    assert args["server_port"] == 5353


class _TaggedText(str):
    """A value as Ansible hands it to a filter (a tagged subclass of str, int)."""


class _TaggedInt(int):
    pass


def test_task_is_dumped_from_the_values_ansible_hands_the_filter():
    site = dict(
        _plan()["sites"][1],
        dns_server=_TaggedText("10.2.0.53"),
        dns_port=_TaggedInt(5353),
        key_name=_TaggedText("br-publisher"),
    )
    value = {
        "target": _TaggedText("x.br.test"),
        "port": _TaggedInt(1688),
        "priority": _TaggedInt(0),
        "weight": _TaggedInt(0),
    }
    # a module's result as ansible-core < 2.19 hands it on: marked unsafe
    unsafe = {"target": wrap_var("y.br.test"), "port": 1688, "priority": 0, "weight": 0}
    args = _args(cleanup_task(site, "br.test", [value, unsafe]))
    assert args["server"] == "10.2.0.53" and args["server_port"] == 5353 and args["key_name"] == "br-publisher"
    assert [v["target"] for v in args["values"]] == ["x.br.test.", "y.br.test."]


# names DNS can hold that are not host names, as kms_discover reads them (dnspython's
# presentation form): an underscore, an escaped space, an escaped dot, text Ansible would template
_ODD_TARGETS = [
    "old_kms.hq.test",
    "a\\032b.hq.test",
    "a\\.b.hq.test",
    "{{7*7}}x.hq.test",
    "{{\\032lookup\\('env',\\032'HOME'\\)\\032}}x.hq.test",
    "{%raw%}k.hq.test",
    "{#c#}k.hq.test",
    "\\195\\169t\\195\\169.hq.test",
]


@pytest.mark.parametrize("target", _ODD_TARGETS)
def test_task_removes_a_value_whatever_name_dns_holds_and_never_templates_it(target):
    plan = _plan()
    results = sample.discoveries(plan)
    results[0]["candidates"].append(dict(results[0]["candidates"][1], target=target, port=1690))
    flag = _site(_model(plan, results), "hq")["flags"][0]
    assert flag["targets"][-1]["srv_values"] == ["0 0 1690 %s." % target]
    assert "!unsafe '%s.'" % target.replace("'", "''") in flag["task"]
    args = _args(flag["task"])
    # Ansible's templating of the task as it runs it leaves the target as DNS holds it
    assert _template(args)["values"][-1]["target"] == target + "."
    before = ["0 60 1688 kms1.hq.test.", "0 0 1690 %s." % target, "0 0 1691 %s." % target]
    assert _removed(args, before) == sorted(["0 0 1691 %s." % target, "0 60 1688 kms1.hq.test."])


def test_without_the_unsafe_tag_ansible_would_template_the_target():
    # the control of the test above: the same printed task without !unsafe is not the value in DNS
    plan = _plan()
    results = sample.discoveries(plan)
    results[0]["candidates"].append(dict(results[0]["candidates"][1], target="{{7*7}}x.hq.test"))
    task = _site(_model(plan, results), "hq")["flags"][0]["task"]
    assert _template(_args(task))["values"][-1]["target"] == "{{7*7}}x.hq.test."
    assert _template(_args(task.replace("!unsafe ", "")))["values"][-1]["target"] == "49x.hq.test."


def test_text_read_from_dns_is_never_templated_in_the_report():
    plan = _plan()
    results = sample.discoveries(plan)
    target = "{{ 7 * 7 }}x.hq.test"
    results[0]["candidates"][1]["target"] = target
    results[0]["selected"] = results[0]["candidates"][1]
    results[0]["candidates"][0]["reachable"] = False
    model = _model(plan, results)
    hq = _template(trust_as_template("{{ _kms_report.sites[0] }}"), _kms_report=model)
    assert hq["candidates"][1]["target"] == target.lower() and hq["selected"] == target.lower()
    assert target.lower() in hq["verdict"] and target in hq["flags"][0]["task"]


def test_the_printed_key_variable_is_not_filled_in_when_the_report_is_written():
    plan = _plan()
    results = sample.discoveries(plan)
    results[2]["candidates"].append(dict(results[2]["candidates"][0], target="rogue.iso.test"))
    model = _model(plan, results)
    (flag,) = _template(
        trust_as_template("{{ _kms_report.sites[2].flags }}"), _kms_report=model, kms_dns_key_secret=sample.SECRET
    )
    assert "key_secret: '{{ kms_dns_key_secret }}'" in flag["task"] and sample.SECRET not in flag["task"]


_X = [{"target": "x.hq.test", "port": 1688, "priority": 0, "weight": 0}]


def _ad_site(**settings):
    """The hq site of the sample as an AD-integrated zone sent GSS-TSIG updates."""
    hostvars = sample.hostvars()
    for host in sample.GROUPS["hq"]:
        hostvars[host].pop("kms_dns_key_file")
        hostvars[host].update(settings)
    return _plan(hostvars=hostvars)["sites"][0]


def test_task_for_an_ad_zone_signs_with_kerberos_as_the_site_does():
    site = _ad_site(
        kms_dns_server="dc1.lab.example",
        kms_dns_key_algorithm="GSS-TSIG",
        kms_dns_kerberos_principal="kmspub@LAB.EXAMPLE",
        kms_dns_kerberos_keytab="/etc/kmsops/kmspub.keytab",
        kms_dns_verify_reply_signature="false",
        kms_dns_update_host="lab-ad-client",
    )
    foreign = [{"target": "rogue.hq.test", "port": 1688, "priority": 0, "weight": 0}]
    (task,) = _load(cleanup_task(site, "hq.test", foreign))
    args = task["kmsops.kms.dns_record"]
    assert args == {
        "server": "dc1.lab.example",
        "key_algorithm": "gss-tsig",
        "kerberos_principal": "kmspub@LAB.EXAMPLE",
        "kerberos_keytab": "/etc/kmsops/kmspub.keytab",
        "verify_reply_signature": False,
        "name": "_vlmcs._tcp.hq.test.",
        "type": "SRV",
        "state": "absent",
        "values": [{"priority": 0, "weight": 0, "port": 1688, "target": "rogue.hq.test."}],
    }
    assert task["delegate_to"] == "lab-ad-client"


def test_task_for_an_ad_zone_with_a_ticket_cache_and_verified_replies():
    site = _ad_site(
        kms_dns_key_algorithm="gss-tsig", kms_dns_kerberos_ccache="/tmp/krb5cc_kms", kms_dns_verify_reply_signature=True
    )
    args = _load(cleanup_task(site, "hq.test", _X))[0]["kmsops.kms.dns_record"]
    assert args["kerberos_ccache"] == "/tmp/krb5cc_kms" and args["verify_reply_signature"] is True
    assert "kerberos_keytab" not in args and "kerberos_principal" not in args and "key_file" not in args


def test_task_keeps_a_tsig_algorithm_other_than_the_default():
    hostvars = sample.hostvars()
    for host in sample.GROUPS["hq"]:
        hostvars[host]["kms_dns_key_algorithm"] = "hmac-sha512"
    site = _plan(hostvars=hostvars)["sites"][0]
    args = _load(cleanup_task(site, "hq.test", _X))[0]["kmsops.kms.dns_record"]
    assert args["key_file"] == "/etc/kmsops/hq.key" and args["key_algorithm"] == "hmac-sha512"
    assert "key_algorithm" not in _load(cleanup_task(_plan()["sites"][0], "hq.test", _X))[0]["kmsops.kms.dns_record"]


def test_verify_reply_signature_that_is_not_a_boolean_is_an_error_naming_the_variable():
    hostvars = sample.hostvars()
    for host in sample.GROUPS["hq"]:
        hostvars[host]["kms_dns_verify_reply_signature"] = "sometimes"
    with pytest.raises(EstateError) as err:
        build_plan(sample.GROUPS, hostvars)
    assert err.value.option == "kms_dns_verify_reply_signature" and "'sometimes'" in str(err.value)


def test_secret_is_in_no_model_no_text_and_no_html():
    model = sample.model()
    for text in (json.dumps(model), sample.render("kms-report.txt", model), sample.render("kms-report.html", model)):
        assert sample.SECRET not in text


# -- Windows ---------------------------------------------------------------------------------


def _windows(model, host):
    return next(row for row in model["windows"] if row["host"] == host)


def test_client_that_last_used_a_rogue_host_says_why_it_is_not_activated():
    row = _windows(sample.model(), "ws2.hq.test")
    assert (row["status"], row["grace"], row["last_kms_host"], row["activated"]) == (
        "OOBGrace",
        "14 d 0 h",
        "rogue.hq.test",
        False,
    )
    assert "rogue.hq.test, is not a KMS host of this inventory" in row["why"]


def test_kms_host_below_its_threshold_is_a_finding():
    row = _windows(sample.model(), "kms2.hq.test")
    assert row["activated"] and row["why"] == (
        "activated, but counts 3 of the 5 clients needed before it activates clients"
    )


def test_kms_host_waiting_for_telephone_activation():
    row = _windows(sample.model(), "kms.iso.test")
    assert not row["activated"] and "waiting for telephone activation" in row["why"]


def test_activated_client_has_no_finding():
    row = _windows(sample.model(), "win1.iso.test")
    assert row["activated"] and row["why"] == "" and row["last_kms_host"] == "kms.iso.test"


def test_windows_host_whose_licensing_could_not_be_read():
    hostvars = sample.hostvars()
    hostvars["win1.iso.test"]["_kms_report_info"] = {"failed": True, "msg": "WinRM: access denied"}
    row = _windows(_model(hostvars=hostvars), "win1.iso.test")
    assert row["why"] == "kms_info could not read it: WinRM: access denied" and not row["activated"]


def test_client_with_a_retail_key_is_told_kms_does_not_activate_it():
    hostvars = sample.hostvars()
    hostvars["ws2.hq.test"]["_kms_report_info"].update(
        product_description="Windows(R) Operating System, RETAIL channel", last_kms_host=None
    )
    row = _windows(_model(hostvars=hostvars), "ws2.hq.test")
    assert (
        row["why"] == "its key is not a KMS client key (Windows(R) Operating System, RETAIL channel): "
        "KMS does not activate it"
    )


def test_summary_counts():
    assert sample.model()["summary"] == {
        "sites": 3,
        "sites_ok": 1,
        "sites_without_host": 0,
        "clients": 4,
        "flagged_values": 2,
        "windows": 4,
        "not_activated": 2,
    }


# -- picture ---------------------------------------------------------------------------------


def test_each_site_has_a_picture_with_every_client_and_every_candidate():
    for site in sample.model()["sites"]:
        classes = [node["cls"] for node in site["picture"]["nodes"]]
        assert sum(cls.startswith("kms") for cls in classes) == len(site["candidates"])
        assert sum(cls.startswith("client") for cls in classes) >= len(site["clients"])
        assert classes.count("dns") == 1
        assert len([n for n in site["picture"]["nodes"] if "selected" in n["cls"]]) == 1


def test_picture_shows_the_update_host_discovery_ran_from():
    iso = _site(sample.model(), "iso")
    assert any(n["cls"] == "client prober" and "ns.iso.test" in n["texts"][0]["text"] for n in iso["picture"]["nodes"])


def test_picture_shows_at_most_six_clients_and_counts_the_rest():
    groups = copy.deepcopy(sample.GROUPS)
    hostvars = sample.hostvars()
    for i in range(10):
        name = "pc%d.hq.test" % i
        groups["hq"].append(name)
        groups["kms_core_sites"].append(name)
        groups["kms_clients"].append(name)
        hostvars[name] = dict(hostvars["ws2.hq.test"])
    hq = _site(_model(_plan(hostvars, groups), None, hostvars), "hq")
    clients = [n for n in hq["picture"]["nodes"] if n["cls"].startswith("client")]
    assert len(clients) == 7 and clients[-1]["texts"][0]["text"] == "+ 6 more clients"
    assert hq["picture"]["height"] >= 7 * 40


def test_site_without_candidates_draws_a_no_host_box():
    plan = _plan()
    results = sample.discoveries(plan)
    results[2]["candidates"], results[2]["selected"] = [], None
    iso = _site(_model(plan, results), "iso")
    assert [n["texts"][0]["text"] for n in iso["picture"]["nodes"] if n["cls"] == "kms none"] == ["no KMS host found"]


# -- templates -------------------------------------------------------------------------------


def test_text_report_lists_every_site_the_selection_and_the_removal_task():
    text = sample.render("kms-report.txt", sample.model())
    for heading in (
        "== Site hq (core) [WARNING]",
        "== Site br (branch office, fallback hq) [WARNING]",
        "== Site iso (isolated network) [OK]",
    ):
        assert heading in text
    assert "clients select kms1.hq.test after 1 host(s) that do not answer" in text
    assert "kmsops.kms.dns_record:" in text and "state: absent" in text
    assert "0 0 1688 rogue.hq.test.  not a KMS host of this inventory, and it answers" in text
    assert " 59.4% first" in text and "  1.0% first" in text
    assert "ws2.hq.test" in text and "rogue.hq.test, is not a KMS host of this inventory" in text


def test_html_report_is_self_contained_with_one_picture_per_site_and_escapes_text():
    plan = _plan()
    results = sample.discoveries(plan)
    results[2]["errors"] = [{"domain": "iso.test", "msg": "<script>alert(1)</script>"}]
    html = sample.render("kms-report.html", _model(plan, results))
    assert html.count('<svg class="site-map"') == 3
    for name in ("hq", "br", "iso"):
        assert 'data-site="%s"' % name in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in html and "<link" not in html and "src=" not in html
