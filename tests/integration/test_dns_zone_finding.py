# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The zone of each RRset is learned from the answer to its read, and stays right with child zones
and delegations (real named; messages counted by named's statistics channel, records read with dig).

Each site is a zone ``siteNN.example`` with a child zone ``branch.siteNN.example`` on the same server.
"""

from __future__ import annotations

GROUP = "group/kmsops.kms.dns"


def publish(site, hosts=("kms1", "kms2"), domains=("", "branch.")):
    return {
        "kmsops.kms.kms_publish": {
            "hosts": [
                {
                    "name": f"{host}.{site}",
                    "addresses": [f"192.0.2.{10 + index}"],
                    "publish": [{"domain": f"{prefix}{site}", "weight": 10 * index} for prefix in domains],
                }
                for index, host in enumerate(hosts)
            ]
        }
    }


def received(named, run):
    before = named.messages_received()
    result = run()
    return result, named.messages_received() - before


def test_parent_and_child_zone_get_one_read_per_rrset_and_one_update_each(named, site, run_play, dns_defaults):
    defaults = {GROUP: dns_defaults("kms-publisher")}
    serials = (named.serial(site), named.serial(f"branch.{site}"))

    first, messages = received(named, lambda: run_play([publish(site)], module_defaults=defaults))
    assert first.rc == 0, first
    # 2 SRV RRsets + 2 A RRsets read once each, one UPDATE per zone: no SOA lookup
    assert messages == 4 + 2
    assert sorted(zone["zone"] for zone in first[0]["zones"]) == [f"branch.{site}.", f"{site}."]
    assert (named.serial(site), named.serial(f"branch.{site}")) == (serials[0] + 1, serials[1] + 1)
    assert named.dig(f"_vlmcs._tcp.branch.{site}", "SRV") == [f"0 0 1688 kms1.{site}.", f"0 10 1688 kms2.{site}."]
    assert named.dig(f"_vlmcs._tcp.{site}", "SRV") == [f"0 0 1688 kms1.{site}.", f"0 10 1688 kms2.{site}."]

    # the RRsets exist now: positive answers, the zone comes from the apex NS of the authority section
    again, messages = received(named, lambda: run_play([publish(site)], module_defaults=defaults))
    assert again.rc == 0 and again[0]["changed"] is False, again
    assert messages == 4

    more, messages = received(
        named,
        lambda: run_play(
            [publish(site, hosts=("kms1", "kms2", "kms3"), domains=("branch.",))], module_defaults=defaults
        ),
    )
    assert more.rc == 0, more
    # the new SRV value goes to the child zone, kms3's A record to the parent zone (the address
    # first: an SRV value never points at a name without address, even when an UPDATE fails)
    assert [zone["zone"] for zone in more[0]["zones"] if zone["update_sent"]] == [f"{site}.", f"branch.{site}."]
    assert messages == 4 + 2
    assert (named.serial(site), named.serial(f"branch.{site}")) == (serials[0] + 2, serials[1] + 2)
    assert named.dig(f"kms3.{site}", "A") == ["192.0.2.12"]
    assert f"0 20 1688 kms3.{site}." in named.dig(f"_vlmcs._tcp.branch.{site}", "SRV")
    assert f"0 20 1688 kms3.{site}." not in named.dig(f"_vlmcs._tcp.{site}", "SRV")


def test_name_below_a_delegation_is_never_written_into_the_parent(named, site, run_play, dns_defaults):
    # remote.SITE is delegated to a server that is not this one: queries get a referral (no AA)
    named.nsupdate("admin", f"update add remote.{site}. 3600 NS ns.remote.invalid.")
    serial = named.serial(site)
    for task in (
        publish(site, hosts=("kms1",), domains=("remote.",)),
        {
            "kmsops.kms.dns_record": {
                "name": f"_vlmcs._tcp.remote.{site}",
                "type": "SRV",
                "values": [f"0 0 1688 kms1.{site}"],
            }
        },
    ):
        result = run_play([task], module_defaults={GROUP: dns_defaults("admin")})
        assert result.rc == 2, result
        assert (
            f"no zone on {named.address} port {named.port} over tcp holds _vlmcs._tcp.remote.{site}."
            in result[0]["msg"]
        ), result[0]["msg"]
        assert result[0]["changed"] is False
    assert named.serial(site) == serial, "an UPDATE reached the parent zone"
    assert named.dig(f"kms1.{site}", "A") == []
