# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 17 point 6: the host's own domain in DnsDomainPublishList (safe under both Microsoft pages)."""

from __future__ import annotations

from _kms_fixtures import host_params, kms_host_state

from ansible_collections.kmsops.kms.plugins.plugin_utils.kms._host_plan import plan_host

BRANCH = [{"domain": "branch.example", "priority": 0, "weight": 0}]


def _host(suffix="corp.example", **service):
    current = kms_host_state(**service)
    current["dns_domain"] = suffix
    return current


def _written(plan):
    return [op["value"] for op in plan.operations if op.get("name") == "DnsDomainPublishList"]


def test_written_publish_list_includes_the_hosts_own_domain():
    plan = plan_host(host_params(publish_domains=BRANCH), _host("Corp.Example."))
    assert _written(plan) == [["branch.example,0,0", "corp.example,0,0"]]
    assert plan.after["publish_domains"][-1] == {"domain": "corp.example", "priority": 0, "weight": 0}


def test_own_domain_listed_by_the_user_keeps_the_users_priority():
    given = [*BRANCH, {"domain": "corp.example", "priority": 10, "weight": 5}]
    plan = plan_host(host_params(publish_domains=given), _host())
    assert _written(plan) == [["branch.example,0,0", "corp.example,10,5"]]


def test_publish_own_domain_false_writes_the_list_as_given():
    plan = plan_host(host_params(publish_domains=BRANCH, publish_own_domain=False), _host())
    assert _written(plan) == [["branch.example,0,0"]]


def test_list_with_the_own_domain_already_written_is_converged():
    current = _host(registry={"DnsDomainPublishList": ["branch.example,0,0", "corp.example,0,0"]})
    assert plan_host(host_params(publish_domains=BRANCH), current).operations == []


def test_removing_the_list_adds_nothing():
    """No value: Windows publishes in its own domain under both pages."""
    current = _host(registry={"DnsDomainPublishList": ["branch.example,0,0"]})
    plan = plan_host(host_params(publish_domains=[]), current)
    assert [op["action"] for op in plan.operations] == ["registry_remove", "restart_service"]


def test_host_without_a_primary_dns_suffix_gets_the_list_as_given_and_a_warning():
    plan = plan_host(host_params(publish_domains=BRANCH), _host(""))
    assert _written(plan) == [["branch.example,0,0"]]
    assert any("no primary DNS suffix" in w for w in plan.warnings)
