# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""kmsops.kms.kms_publish against a real named, read back with dig."""

from __future__ import annotations

import pytest
from conftest import with_site

GROUP = "group/kmsops.kms.dns"


def publish(hosts, **extra):
    args = {"hosts": hosts}
    args.update(extra)
    return {"name": "kms_publish", "kmsops.kms.kms_publish": args}


def core_hosts(site):
    return [
        {
            "name": f"kms1.{site}",
            "addresses": ["192.0.2.10", "2001:db8::10"],
            "publish": [
                {"domain": site, "priority": 0, "weight": 60},
                {"domain": f"branch.{site}", "priority": 10, "weight": 0},
            ],
        },
        {
            "name": f"kms2.{site}",
            "addresses": ["192.0.2.11"],
            "publish": [{"domain": site, "priority": 0, "weight": 40}],
        },
    ]


def test_publish_footprint_one_update_per_zone_then_idempotent(named, site, run_play, dns_defaults):
    defaults = {GROUP: dns_defaults("kms-publisher")}
    serials = (named.serial(site), named.serial(f"branch.{site}"))

    checked = run_play([publish(core_hosts(site))], check=True, diff=True, module_defaults=defaults)
    assert checked.rc == 0, checked
    assert checked[0]["changed"] is True
    assert checked[0]["updates_sent"] == 0
    assert f"_vlmcs._tcp.{site}. 3600 IN SRV 0 60 1688 kms1.{site}." in checked[0]["diff"]["after"]
    assert (named.serial(site), named.serial(f"branch.{site}")) == serials, "check mode sent an UPDATE"

    applied = run_play([publish(core_hosts(site))], module_defaults=defaults)
    assert applied.rc == 0, applied
    assert applied[0]["changed"] is True
    assert applied[0]["updates_sent"] == 2, "one UPDATE per changed zone"
    # every zone changed by exactly one UPDATE: the serial moved by one
    assert named.serial(site) == serials[0] + 1
    assert named.serial(f"branch.{site}") == serials[1] + 1
    assert named.dig(f"_vlmcs._tcp.{site}", "SRV") == [f"0 40 1688 kms2.{site}.", f"0 60 1688 kms1.{site}."]
    assert named.dig(f"_vlmcs._tcp.branch.{site}", "SRV") == [f"10 0 1688 kms1.{site}."]
    assert named.dig(f"kms1.{site}", "A") == ["192.0.2.10"]
    assert named.dig(f"kms1.{site}", "AAAA") == ["2001:db8::10"]
    assert named.dig(f"kms2.{site}", "A") == ["192.0.2.11"]

    again = run_play([publish(core_hosts(site))], module_defaults=defaults)
    assert again.rc == 0, again
    assert again[0]["changed"] is False
    assert again[0]["updates_sent"] == 0
    assert named.serial(site) == serials[0] + 1


def test_two_publishers_into_one_rrset_do_not_overwrite_each_other(named, site, run_play, dns_defaults):
    defaults = {GROUP: dns_defaults("kms-publisher")}
    first = run_play([publish([core_hosts(site)[0]])], module_defaults=defaults)
    second = run_play([publish([core_hosts(site)[1]])], module_defaults=defaults)
    assert first.rc == 0 and second.rc == 0, (first, second)
    assert named.dig(f"_vlmcs._tcp.{site}", "SRV") == [f"0 40 1688 kms2.{site}.", f"0 60 1688 kms1.{site}."]


def test_priority_change_replaces_the_hosts_own_value_and_keeps_others(named, site, run_play, dns_defaults):
    defaults = {GROUP: dns_defaults("kms-publisher")}
    named.nsupdate("other-writer", f"update add _vlmcs._tcp.{site} 3600 SRV 0 0 1688 kms3.{site}.")
    run_play([publish([{"name": f"kms1.{site}", "publish": [{"domain": site}]}])], module_defaults=defaults)
    moved = run_play(
        [publish([{"name": f"kms1.{site}", "publish": [{"domain": site, "priority": 5}]}])],
        module_defaults=defaults,
        diff=True,
    )
    assert moved.rc == 0, moved
    assert named.dig(f"_vlmcs._tcp.{site}", "SRV") == [f"0 0 1688 kms3.{site}.", f"5 0 1688 kms1.{site}."]
    assert f"0 0 1688 kms1.{site}." in moved[0]["diff"]["before"]


def test_prune_removes_own_stale_values_and_unowned_ones_only_when_asked(named, site, run_play, dns_defaults):
    defaults = {GROUP: dns_defaults("kms-publisher")}
    named.nsupdate("other-writer", f"update add _vlmcs._tcp.{site} 3600 SRV 0 0 1688 old-kms.{site}.")
    kept = run_play([publish(core_hosts(site), owner="central", prune=True)], module_defaults=defaults)
    assert kept.rc == 0, kept
    # a value no owner claims (Windows auto-publishing, hand-made) stays without prune_unowned
    assert f"0 0 1688 old-kms.{site}." in named.dig(f"_vlmcs._tcp.{site}", "SRV")

    unowned = {"owner": "central", "prune": True, "prune_unowned": True}
    checked = run_play([publish(core_hosts(site), **unowned)], module_defaults=defaults, check=True, diff=True)
    assert checked[0]["changed"] is True
    assert f"old-kms.{site}." in checked[0]["diff"]["before"]
    assert f"old-kms.{site}." not in checked[0]["diff"]["after"]
    assert f"0 0 1688 old-kms.{site}." in named.dig(f"_vlmcs._tcp.{site}", "SRV")

    pruned = run_play([publish(core_hosts(site), **unowned)], module_defaults=defaults)
    assert pruned.rc == 0, pruned
    assert pruned[0]["changed"] is True
    assert named.dig(f"_vlmcs._tcp.{site}", "SRV") == [f"0 40 1688 kms2.{site}.", f"0 60 1688 kms1.{site}."]
    again = run_play([publish(core_hosts(site), **unowned)], module_defaults=defaults)
    assert again[0]["changed"] is False


def test_removing_a_host_from_the_list_with_prune_withdraws_its_srv_value(named, site, run_play, dns_defaults):
    defaults = {GROUP: dns_defaults("kms-publisher")}
    run_play([publish(core_hosts(site), owner="central")], module_defaults=defaults)
    only_first = [dict(core_hosts(site)[0], publish=[{"domain": site, "priority": 0, "weight": 60}])]
    result = run_play([publish(only_first, owner="central", prune=True)], module_defaults=defaults)
    assert result.rc == 0, result
    assert named.dig(f"_vlmcs._tcp.{site}", "SRV") == [f"0 60 1688 kms1.{site}."]
    assert named.dig(f"_vlmcs._tcp.{site}", "TXT") == [
        f'"heritage=kmsops.kms,owner=central,srv=0 60 1688 kms1.{site}."'
    ]


# -- issue 16: shared domains ---------------------------------------------------------------------
def central_hosts(site):
    """The central team: kms1 in the core domain, and in the branch domain as fallback."""
    return [
        {
            "name": f"kms1.{site}",
            "addresses": ["192.0.2.10"],
            "publish": [{"domain": site}, {"domain": f"branch.{site}", "priority": 10}],
        }
    ]


def branch_hosts(site):
    """The branch team: its own host in the branch domain."""
    return [{"name": f"kms3.branch.{site}", "addresses": ["192.0.2.30"], "publish": [{"domain": f"branch.{site}"}]}]


def test_two_owners_publishing_and_pruning_in_one_domain_converge(named, site, run_play, dns_defaults):
    defaults = {GROUP: dns_defaults("kms-publisher")}
    central = publish(central_hosts(site), owner="central", prune=True)
    branch = publish(branch_hosts(site), owner="branch", prune=True)
    seen = []
    for _round in range(3):
        for task in (central, branch):
            serials = (named.serial(site), named.serial(f"branch.{site}"))
            result = run_play([task], module_defaults=defaults)
            assert result.rc == 0, result
            moved = (named.serial(site) - serials[0]) + (named.serial(f"branch.{site}") - serials[1])
            seen.append((result[0]["changed"], result[0]["updates_sent"], moved))
    # first runs write (central: its two zones; branch: its one), every later run sends nothing
    assert seen == [(True, 2, 2), (True, 1, 1)] + [(False, 0, 0)] * 4
    assert named.dig(f"_vlmcs._tcp.branch.{site}", "SRV") == [
        f"0 0 1688 kms3.branch.{site}.",
        f"10 0 1688 kms1.{site}.",
    ]
    assert named.dig(f"_vlmcs._tcp.branch.{site}", "TXT") == [
        f'"heritage=kmsops.kms,owner=branch,srv=0 0 1688 kms3.branch.{site}."',
        f'"heritage=kmsops.kms,owner=central,srv=10 0 1688 kms1.{site}."',
    ]
    # what the report shows: kms_discover gives each value's owners
    found = run_play(
        [
            {
                "name": "discover",
                "kmsops.kms.kms_discover": {
                    "domains": [f"branch.{site}"],
                    "nameservers": [named.address],
                    "dns_port": named.port,
                    "owners": True,
                },
            }
        ]
    )
    assert found.rc == 0, found
    assert sorted((c["target"], c["owners"]) for c in found[0]["candidates"]) == [
        (f"kms1.{site}", ["central"]),
        (f"kms3.branch.{site}", ["branch"]),
    ]


def test_check_mode_and_diff_show_the_ownership_records(named, site, run_play, dns_defaults):
    defaults = {GROUP: dns_defaults("kms-publisher")}
    serial = named.serial(f"branch.{site}")
    checked = run_play([publish(branch_hosts(site), owner="branch")], module_defaults=defaults, check=True, diff=True)
    assert checked.rc == 0, checked
    assert (
        f'_vlmcs._tcp.branch.{site}. 3600 IN TXT "heritage=kmsops.kms,owner=branch,srv=0 0 1688 kms3.branch.{site}."'
    ) in checked[0]["diff"]["after"]
    assert named.serial(f"branch.{site}") == serial
    assert named.dig(f"_vlmcs._tcp.branch.{site}", "TXT") == []


def test_shared_value_stays_until_its_last_owner_withdraws_it(named, site, run_play, dns_defaults):
    defaults = {GROUP: dns_defaults("kms-publisher")}
    hosts = [{"name": f"kms1.{site}", "publish": [{"domain": f"branch.{site}"}]}]
    for owner in ("central", "branch"):
        assert run_play([publish(hosts, owner=owner, address_records=False)], module_defaults=defaults).rc == 0
    first = run_play([publish(hosts, owner="central", state="absent", address_records=False)], module_defaults=defaults)
    assert first.rc == 0 and first[0]["changed"] is True, first
    assert any("also published by owner(s) branch" in warning for warning in first[0]["warnings"])
    assert named.dig(f"_vlmcs._tcp.branch.{site}", "SRV") == [f"0 0 1688 kms1.{site}."]
    last = run_play([publish(hosts, owner="branch", state="absent", address_records=False)], module_defaults=defaults)
    assert last.rc == 0, last
    assert named.dig(f"_vlmcs._tcp.branch.{site}", "SRV") == []
    assert named.dig(f"_vlmcs._tcp.branch.{site}", "TXT") == []


@pytest.mark.parametrize("owners", [("central", "branch"), (None, None)], ids=["owners", "no-owner"])
def test_writers_with_different_ttl_converge(named, site, run_play, dns_defaults, owners):
    defaults = {GROUP: dns_defaults("kms-publisher")}
    extra = [{"owner": owner} if owner else {} for owner in owners]
    central = publish(central_hosts(site), ttl=600, **extra[0])
    branch = publish(branch_hosts(site), ttl=3600, **extra[1])
    seen = []
    for _round in range(3):
        for task in (central, branch):
            serial = named.serial(f"branch.{site}")
            result = run_play([task], module_defaults=defaults)
            assert result.rc == 0, result
            seen.append((result[0]["changed"], named.serial(f"branch.{site}") - serial))
            warnings = result[0].get("warnings", [])
    assert seen == [(True, 1), (True, 1)] + [(False, 0)] * 4
    # the branch writer keeps the TTL the RRset was created with, and says so
    assert any("keeps its TTL 600 (not 3600)" in warning for warning in warnings)
    assert named.ttls(f"_vlmcs._tcp.branch.{site}", "SRV") == {600}


def test_absent_removes_host_srv_values_and_addresses(named, site, run_play, dns_defaults):
    defaults = {GROUP: dns_defaults("kms-publisher")}
    run_play([publish(core_hosts(site))], module_defaults=defaults)
    gone = [{"name": f"kms1.{site}", "publish": [{"domain": site}, {"domain": f"branch.{site}"}]}]
    result = run_play([publish(gone, state="absent")], module_defaults=defaults)
    assert result.rc == 0, result
    assert result[0]["changed"] is True
    assert named.dig(f"_vlmcs._tcp.{site}", "SRV") == [f"0 40 1688 kms2.{site}."]
    assert named.dig(f"_vlmcs._tcp.branch.{site}", "SRV") == []
    assert named.dig(f"kms1.{site}", "A") == []
    assert named.dig(f"kms1.{site}", "AAAA") == []
    assert named.dig(f"kms2.{site}", "A") == ["192.0.2.11"]
    again = run_play([publish(gone, state="absent")], module_defaults=defaults)
    assert again[0]["changed"] is False


def test_absent_from_one_domain_keeps_addresses_still_named(named, site, run_play, dns_defaults):
    defaults = {GROUP: dns_defaults("kms-publisher")}
    hosts = [
        {
            "name": f"kms2.{site}",
            "addresses": ["192.0.2.11"],
            "publish": [{"domain": site}, {"domain": f"branch.{site}", "priority": 10}],
        }
    ]
    assert run_play([publish(hosts)], module_defaults=defaults).rc == 0
    gone = [{"name": f"kms2.{site}", "publish": [f"branch.{site}"]}]
    result = run_play([publish(gone, state="absent")], module_defaults=defaults)
    assert result.rc == 0, result
    assert result[0]["changed"] is True
    assert named.dig(f"_vlmcs._tcp.branch.{site}", "SRV") == []
    # _vlmcs._tcp.<site> still names kms2: its address stays (no dangling SRV target)
    assert named.dig(f"_vlmcs._tcp.{site}", "SRV") == [f"0 0 1688 kms2.{site}."]
    assert named.dig(f"kms2.{site}", "A") == ["192.0.2.11"]
    assert any(
        f"kms2.{site}. keeps its A records: _vlmcs._tcp.{site}. still names it" in warning
        for warning in result[0]["warnings"]
    )
    again = run_play([publish(gone, state="absent")], module_defaults=defaults)
    assert again[0]["changed"] is False and again[0]["updates_sent"] == 0
    # asked explicitly: the address goes although a value still names the host
    forced = run_play([publish(gone, state="absent", remove_named_addresses=True)], module_defaults=defaults)
    assert forced[0]["changed"] is True
    assert named.dig(f"kms2.{site}", "A") == []


def test_address_records_false_leaves_addresses_alone(named, site, run_play, dns_defaults):
    defaults = {GROUP: dns_defaults("kms-publisher")}
    result = run_play([publish(core_hosts(site), address_records=False)], module_defaults=defaults)
    assert result.rc == 0, result
    assert named.dig(f"kms1.{site}", "A") == []
    assert len(named.dig(f"_vlmcs._tcp.{site}", "SRV")) == 2


PUBLISH_ERRORS = {
    "domain without zone": (
        [{"name": "kms1.SITE", "publish": [{"domain": "nowhere.test"}]}],
        {},
        "hosts[0].publish[0].domain: no zone on 127.0.0.1",
    ),
    "invalid host name": ([{"name": "kms_1.SITE"}], {}, "hosts[0].name: 'kms_1.SITE' is not a valid host name"),
    "bare host name": ([{"name": "kms1"}], {}, "hosts[0].name: 'kms1' must be a fully qualified host name"),
    "priority out of range": (
        [{"name": "kms1.SITE", "publish": [{"domain": "SITE", "priority": 65536}]}],
        {},
        "hosts[0].publish[0].priority: must be an integer from 0 to 65535, got 65536",
    ),
    "weight out of range": (
        [{"name": "kms1.SITE", "publish": [{"domain": "SITE", "weight": -1}]}],
        {},
        "hosts[0].publish[0].weight: must be an integer from 0 to 65535, got -1",
    ),
    "port out of range": (
        [{"name": "kms1.SITE", "port": 99999}],
        {},
        "hosts[0].port: must be an integer from 1 to 65535, got 99999",
    ),
    "malformed address": (
        [{"name": "kms1.SITE", "addresses": ["192.0.2.10", "192.0.2"]}],
        {},
        "hosts[0].addresses[1]: '192.0.2' is not a valid IPv4 or IPv6 address",
    ),
    "host outside update-policy": (
        [{"name": "kms9.SITE", "addresses": ["192.0.2.9"]}],
        {},
        "key_name: the server REFUSED the update to zone SITE.",
    ),
    "prune with absent": (
        [{"name": "kms1.SITE"}],
        {"prune": True, "state": "absent"},
        "prune: works with state=present only",
    ),
    "prune without owner": ([{"name": "kms1.SITE"}], {"prune": True}, "prune: needs owner"),
    "bad owner id": ([{"name": "kms1.SITE"}], {"owner": "central team"}, "owner: 'central team' is not an owner id"),
    # issue 11, defects 4, 8, 9
    "priority with an underscore": (
        [{"name": "kms1.SITE", "publish": [{"domain": "SITE", "priority": "1_0"}]}],
        {},
        "hosts[0].publish[0].priority: must be an integer from 0 to 65535, got '1_0'",
    ),
    "priority in Arabic-Indic digits": (
        [{"name": "kms1.SITE", "publish": [{"domain": "SITE", "priority": "\u0661"}]}],
        {},
        "hosts[0].publish[0].priority: must be an integer from 0 to 65535",
    ),
    "port 0": ([{"name": "kms1.SITE", "port": 0}], {}, "hosts[0].port: must be an integer from 1 to 65535, got 0"),
    "same domain twice": (
        [{"name": "kms1.SITE", "publish": [{"domain": "SITE"}, {"domain": "SITE.", "priority": 5}]}],
        {},
        "hosts[0].publish[1].domain: SITE is listed twice for this host",
    ),
    "domain too long for the service label": (
        [{"name": "kms1.SITE", "publish": [{"domain": ".".join(["a" * 63] * 3 + ["b" * 50, "example"])}]}],
        {},
        "hosts[0].publish[0].domain: " + repr(".".join(["a" * 63] * 3 + ["b" * 50, "example"]))[:40],
    ),
    "IPv4-mapped IPv6 address": (
        [{"name": "kms1.SITE", "addresses": ["::ffff:1.2.3.4"]}],
        {},
        "hosts[0].addresses[0]: '::ffff:1.2.3.4' is an IPv4-mapped IPv6 address",
    ),
    "zone index, second address": (
        [{"name": "kms1.SITE", "addresses": ["10.0.0.8", "fe80::1%eth0"]}],
        {},
        "hosts[0].addresses[1]: 'fe80::1%eth0' has a zone index",
    ),
    "wildcard host name": ([{"name": "*.SITE"}], {}, "hosts[0].name: '*.SITE' is not a valid host name"),
    "infinite timeout": ([{"name": "kms1.SITE"}], {"timeout": "inf"}, "timeout: must be more than 0"),
    "huge timeout": ([{"name": "kms1.SITE"}], {"timeout": 1e300}, "timeout: must be more than 0"),
}


@pytest.mark.parametrize("case", sorted(PUBLISH_ERRORS))
def test_publish_errors_are_clear_and_change_nothing(named, site, run_play, dns_defaults, case):
    hosts, extra, message = PUBLISH_ERRORS[case]
    hosts = with_site(hosts, site)
    serial = named.serial(site)
    result = run_play([publish(hosts, **extra)], module_defaults={GROUP: dns_defaults("kms-publisher")})
    assert result.rc == 2, result
    assert message.replace("SITE", site) in result[0]["msg"], result[0]["msg"]
    assert named.serial(site) == serial


def test_domain_given_as_the_service_name_is_refused_and_nothing_is_written(named, site, run_play, dns_defaults):
    # issue 16, point 4: "_vlmcs._tcp.SITE" as a domain used to publish _vlmcs._tcp._vlmcs._tcp.SITE
    serial = named.serial(site)
    hosts = [
        {
            "name": f"kms1.{site}",
            "addresses": ["192.0.2.10"],
            "publish": [{"domain": site}, {"domain": f"_vlmcs._tcp.{site}"}],
        }
    ]
    result = run_play([publish(hosts)], module_defaults={GROUP: dns_defaults("admin")})
    assert result.rc == 2, result
    assert result[0]["msg"] == (
        f"hosts[0].publish[1].domain: '_vlmcs._tcp.{site}' begins with the service name _vlmcs._tcp: give the "
        f"domain clients search ('{site}'); _vlmcs._tcp. is put in front of the domain, so this would be "
        f"_vlmcs._tcp._vlmcs._tcp.{site}"
    )
    assert result[0]["changed"] is False
    # every input is checked before anything is sent: not even the valid domain was written
    assert named.serial(site) == serial
    assert named.dig(f"_vlmcs._tcp._vlmcs._tcp.{site}", "SRV") == []
    assert named.dig(f"_vlmcs._tcp.{site}", "SRV") == []
    assert named.dig(f"kms1.{site}", "A") == []


def test_refused_second_zone_reports_the_zone_already_updated(named, site, run_play, dns_defaults):
    # kms1 may be published in site's zone; the branch zone's policy does not allow kms1.<site>
    # addresses, but its SRV is fine: use a host in the branch zone that is not allowed there
    hosts = [
        {"name": f"kms1.{site}", "addresses": ["192.0.2.10"], "publish": [{"domain": site}]},
        {"name": f"kms9.branch.{site}", "addresses": ["192.0.2.19"], "publish": [{"domain": f"branch.{site}"}]},
    ]
    result = run_play([publish(hosts)], module_defaults={GROUP: dns_defaults("kms-publisher")})
    assert result.rc == 2, result
    assert "REFUSED the update to zone branch." in result[0]["msg"]
    assert result[0]["changed"] is True
    assert result[0]["zones"] == [
        {"zone": f"{site}.", "changed": True, "update_sent": True, "attempts": 1, "state": "updated"},
        # sent and answered REFUSED (issue 16, point 5: this used to say update_sent false)
        {"zone": f"branch.{site}.", "changed": True, "update_sent": True, "attempts": 1, "state": "failed"},
    ]
    assert named.dig(f"_vlmcs._tcp.{site}", "SRV") == [f"0 0 1688 kms1.{site}."]
    assert named.dig(f"_vlmcs._tcp.branch.{site}", "SRV") == []


def test_tsig_secret_never_appears_in_verbose_output(named, site, run_play, dns_defaults):
    conn = dns_defaults("kms-publisher")
    tasks = [
        {"kmsops.kms.kms_publish": dict(conn, hosts=core_hosts(site))},
        {
            "kmsops.kms.kms_publish": dict(conn, hosts=[{"name": f"kms9.{site}", "addresses": ["192.0.2.9"]}]),
            "ignore_errors": True,
        },
    ]
    result = run_play(tasks, diff=True, verbosity=3, json_output=False)
    assert "changed: [localhost]" in result.output
    assert "REFUSED" in result.output
    assert conn["key_secret"] not in result.output
