# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The discovery report of an inventory: plan, flags, verdicts, Windows rows, picture, templates."""

from __future__ import annotations

import copy
import json
import os
import sys

import pytest
import yaml
from ansible.errors import AnsibleFilterError

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import kms_report_sample as sample  # noqa: E402 pylint: disable=wrong-import-position

from ansible_collections.kmsops.kms.plugins.filter.kms_report import (  # noqa: E402
    FilterModule,
    kms_report_model,
    kms_report_plan,
)
from ansible_collections.kmsops.kms.plugins.module_utils.common._errors import InvalidValue  # noqa: E402
from ansible_collections.kmsops.kms.plugins.module_utils.dns._changes import parse_hosts  # noqa: E402
from ansible_collections.kmsops.kms.plugins.plugin_utils._kms_report import (  # noqa: E402
    ReportError,
    build_plan,
    cleanup_task,
    site_setting,
)


def _plan(hostvars=None, groups=None):
    return kms_report_plan(groups or sample.GROUPS, hostvars or sample.hostvars())


def _model(plan=None, discoveries=None, hostvars=None):
    hostvars = hostvars or sample.hostvars()
    plan = plan or kms_report_plan(sample.GROUPS, hostvars)
    return kms_report_model(plan, sample.discoveries(plan) if discoveries is None else discoveries, hostvars,
                            kms_hosts=sample.GROUPS["kms_hosts"])


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
    assert site_setting({"kms_dns_server": "a", "core_network_dns_server": "b"}, "dns_server") == (
        "a", "kms_dns_server")
    assert site_setting({"kms_dns_port": 5300}, "dns_port") == (5300, "kms_dns_port")
    assert site_setting({"branch_office_dns_port": 5300}, "dns_port") == (53, None)
    assert site_setting({}, "dns_update_host") == ("localhost", None)


def test_plan_never_reads_the_tsig_secret():
    class Guarded(dict):
        def __getitem__(self, key):
            if key.endswith("dns_key_secret"):
                raise AssertionError("the report read %s" % key)
            return super().__getitem__(key)

        def get(self, key, default=None):
            return self[key] if key in self else default

    hostvars = {host: Guarded(values) for host, values in sample.hostvars().items()}
    plan = build_plan(sample.GROUPS, hostvars)
    assert plan["sites"][1]["key_secret_variable"] == "kms_dns_key_secret"
    assert sample.SECRET not in json.dumps(plan)


def test_missing_site_name_is_an_error_naming_the_variable():
    hostvars = sample.hostvars()
    del hostvars["kms1.hq.test"]["kms_site_group"]
    with pytest.raises(AnsibleFilterError, match="kms_site_group: is not set for host kms1.hq.test"):
        _plan(hostvars)


def test_missing_dns_server_is_an_error_naming_the_variable():
    hostvars = sample.hostvars()
    for host in sample.GROUPS["iso"]:
        del hostvars[host]["kms_dns_server"]
    with pytest.raises(AnsibleFilterError, match="kms_dns_server: is not set for site iso"):
        _plan(hostvars)


def test_bad_dns_port_is_an_error_naming_the_variable():
    hostvars = sample.hostvars()
    hostvars["kms.br.test"]["kms_dns_port"] = 70000
    with pytest.raises(InvalidValue, match="^kms_dns_port of site br: must be an integer from 1 to 65535, got 70000"):
        build_plan(sample.GROUPS, hostvars)


def test_a_site_in_two_topologies_is_an_error():
    groups = copy.deepcopy(sample.GROUPS)
    groups["kms_isolated_sites"].append("ws1.br.test")
    hostvars = sample.hostvars()
    hostvars["ws1.br.test"]["kms_site_group"] = "br"
    with pytest.raises(AnsibleFilterError, match="site br is in both kms_branch_sites and kms_isolated_sites"):
        _plan(hostvars, groups)


def test_model_refuses_an_input_that_is_not_a_plan():
    with pytest.raises(AnsibleFilterError, match="result of kms_report_plan"):
        kms_report_model([], [], {})


# -- sites: order, reachability, verdicts -----------------------------------------------------

def test_candidates_keep_the_discovery_order_with_each_ones_first_chance():
    hq = _site(_model(), "hq")
    assert [(c["order"], c["target"], c["share"]) for c in hq["candidates"]] == [
        (1, "kms1.hq.test", 60), (2, "rogue.hq.test", 0), (3, "kms2.hq.test", 40), (4, "old-kms.hq.test", 100)]


def test_weights_all_zero_share_first_place_equally():
    plan = _plan()
    results = sample.discoveries(plan)
    for cand in results[1]["candidates"]:
        cand["weight"] = 0
    br = _site(_model(plan, results), "br")
    assert [c["share"] for c in br["candidates"]] == [100, 50, 50]


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
    assert _site(_model(plan, results), "iso")["errors"] == ["iso.test: _vlmcs._tcp.iso.test. does not exist (NXDOMAIN)"]


# -- flags and the task that removes them ----------------------------------------------------

def test_values_of_hosts_not_in_the_inventory_are_flagged_rogue_or_decommissioned():
    hq = _site(_model(), "hq")
    flag = hq["flags"][0]
    assert flag["domain"] == "hq.test"
    notes = {t["target"]: t["note"] for t in flag["targets"]}
    assert set(notes) == {"rogue.hq.test", "old-kms.hq.test"}
    assert "rogue KMS host" in notes["rogue.hq.test"]
    assert notes["old-kms.hq.test"] == (
        "not a KMS host of this inventory, and its name has no address: probably a decommissioned KMS host")
    assert [t["value"] for t in flag["targets"]] == ["0 0 1688 rogue.hq.test.", "5 0 1688 old-kms.hq.test."]


def test_fallback_hosts_of_the_inventory_are_not_flagged():
    assert _site(_model(), "br")["flags"] == []


def test_prune_task_keeps_the_inventory_hosts_as_read_and_touches_no_address():
    task = yaml.safe_load(_site(_model(), "hq")["flags"][0]["task"])[0]
    args = task["kmsops.kms.kms_publish"]
    assert args["prune"] is True and args["address_records"] is False
    assert args["server"] == "10.1.0.53" and args["key_file"] == "/etc/kmsops/hq.key"
    assert "delegate_to" not in task
    assert [(h["name"], h["port"], h["publish"]) for h in args["hosts"]] == [
        ("kms1.hq.test", 1688, [{"domain": "hq.test", "priority": 0, "weight": 60}]),
        ("kms2.hq.test", 1688, [{"domain": "hq.test", "priority": 0, "weight": 40}])]
    # kms_publish's own parser accepts the hosts
    assert [str(h.name) for h in parse_hosts(args["hosts"])] == ["kms1.hq.test.", "kms2.hq.test."]


def test_task_removes_with_state_absent_when_no_inventory_host_is_in_the_domain():
    plan = _plan()
    site = plan["sites"][2]
    foreign = [{"target": "rogue.iso.test", "port": 1688}]
    task = yaml.safe_load(cleanup_task(site, "iso.test", [], foreign))[0]
    args = task["kmsops.kms.kms_publish"]
    assert args["state"] == "absent" and args["address_records"] is False and "prune" not in args
    assert args["hosts"] == [{"name": "rogue.iso.test", "publish": [{"domain": "iso.test"}]}]
    assert task["delegate_to"] == "ns.iso.test"
    assert args["key_name"] == "iso-publisher" and args["key_secret"] == "{{ kms_dns_key_secret }}"
    parse_hosts(args["hosts"])


def test_task_sends_to_the_site_port_and_lists_two_values_of_one_host():
    site = _plan()["sites"][1]
    keep = [{"target": "kms.br.test", "port": 1688, "priority": 0, "weight": 0},
            {"target": "kms.br.test", "port": 1688, "priority": 10, "weight": 5}]
    args = yaml.safe_load(cleanup_task(site, "br.test", keep, []))[0]["kmsops.kms.kms_publish"]
    assert args["server_port"] == 5353
    assert args["hosts"] == [{"name": "kms.br.test", "port": 1688, "publish": [
        {"domain": "br.test", "priority": 0, "weight": 0}, {"domain": "br.test", "priority": 10, "weight": 5}]}]


def _ad_site(**settings):
    """The hq site of the sample as an AD-integrated zone sent GSS-TSIG updates."""
    hostvars = sample.hostvars()
    for host in sample.GROUPS["hq"]:
        hostvars[host].pop("kms_dns_key_file")
        hostvars[host].update(settings)
    return _plan(hostvars=hostvars)["sites"][0]


def test_task_for_an_ad_zone_signs_with_kerberos_as_the_site_does():
    site = _ad_site(kms_dns_server="dc1.lab.example", kms_dns_key_algorithm="GSS-TSIG",
                    kms_dns_kerberos_principal="kmspub@LAB.EXAMPLE",
                    kms_dns_kerberos_keytab="/etc/kmsops/kmspub.keytab",
                    kms_dns_verify_reply_signature="false", kms_dns_update_host="lab-ad-client")
    foreign = [{"target": "rogue.hq.test", "port": 1688}]
    task = yaml.safe_load(cleanup_task(site, "hq.test", [], foreign))[0]
    args = task["kmsops.kms.kms_publish"]
    assert args == {
        "server": "dc1.lab.example", "key_algorithm": "gss-tsig", "kerberos_principal": "kmspub@LAB.EXAMPLE",
        "kerberos_keytab": "/etc/kmsops/kmspub.keytab", "verify_reply_signature": False,
        "state": "absent", "address_records": False,
        "hosts": [{"name": "rogue.hq.test", "publish": [{"domain": "hq.test"}]}]}
    assert task["delegate_to"] == "lab-ad-client"


def test_task_for_an_ad_zone_with_a_ticket_cache_and_verified_replies():
    site = _ad_site(kms_dns_key_algorithm="gss-tsig", kms_dns_kerberos_ccache="/tmp/krb5cc_kms",
                    kms_dns_verify_reply_signature=True)
    args = yaml.safe_load(cleanup_task(site, "hq.test", [], [{"target": "x.hq.test"}]))[0]["kmsops.kms.kms_publish"]
    assert args["kerberos_ccache"] == "/tmp/krb5cc_kms" and args["verify_reply_signature"] is True
    assert "kerberos_keytab" not in args and "kerberos_principal" not in args and "key_file" not in args


def test_task_keeps_a_tsig_algorithm_other_than_the_default():
    hostvars = sample.hostvars()
    for host in sample.GROUPS["hq"]:
        hostvars[host]["kms_dns_key_algorithm"] = "hmac-sha512"
    site = _plan(hostvars=hostvars)["sites"][0]
    args = yaml.safe_load(cleanup_task(site, "hq.test", [], [{"target": "x.hq.test"}]))[0]["kmsops.kms.kms_publish"]
    assert args["key_file"] == "/etc/kmsops/hq.key" and args["key_algorithm"] == "hmac-sha512"
    assert "key_algorithm" not in yaml.safe_load(
        cleanup_task(_plan()["sites"][0], "hq.test", [], [{"target": "x.hq.test"}]))[0]["kmsops.kms.kms_publish"]


def test_verify_reply_signature_that_is_not_a_boolean_is_an_error_naming_the_variable():
    hostvars = sample.hostvars()
    for host in sample.GROUPS["hq"]:
        hostvars[host]["kms_dns_verify_reply_signature"] = "sometimes"
    with pytest.raises(ReportError) as err:
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
        "OOBGrace", "14 d 0 h", "rogue.hq.test", False)
    assert "rogue.hq.test, is not a KMS host of this inventory" in row["why"]


def test_kms_host_below_its_threshold_is_a_finding():
    row = _windows(sample.model(), "kms2.hq.test")
    assert row["activated"] and row["why"] == (
        "activated, but counts 3 of the 5 clients needed before it activates clients")


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
        product_description="Windows(R) Operating System, RETAIL channel", last_kms_host=None)
    row = _windows(_model(hostvars=hostvars), "ws2.hq.test")
    assert row["why"] == "its key is not a KMS client key (Windows(R) Operating System, RETAIL channel): " \
                         "KMS does not activate it"


def test_summary_counts():
    assert sample.model()["summary"] == {
        "sites": 3, "sites_ok": 1, "sites_without_host": 0, "clients": 4, "flagged_values": 2,
        "windows": 4, "not_activated": 2}


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
    for heading in ("== Site hq (core) [WARNING]", "== Site br (branch office, fallback hq) [WARNING]",
                    "== Site iso (isolated network) [OK]"):
        assert heading in text
    assert "clients select kms1.hq.test after 1 host(s) that do not answer" in text
    assert "kmsops.kms.kms_publish:" in text and "prune: true" in text
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
