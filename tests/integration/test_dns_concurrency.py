# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Another writer changes the RRset between our read and our UPDATE (real named, real nsupdate).

The prerequisite built from what we read must make the server reject our UPDATE; the engine then
reads and plans again and never overwrites the other writer's value.
"""

from __future__ import annotations

import dns.name
import pytest

from ansible_collections.kmsops.kms.plugins.module_utils.dns._errors import ConcurrentChange
from ansible_collections.kmsops.kms.plugins.module_utils.dns._plan import RRsetChange, apply_zone, merge, remove
from ansible_collections.kmsops.kms.plugins.module_utils.dns._records import parse_value
from ansible_collections.kmsops.kms.plugins.module_utils.dns._transport import DNSTransport, TSIGSigner


def transport_for(named, key="kms-publisher"):
    algorithm, secret = named.keys[key]
    return DNSTransport(named.address, named.port, "tcp", 5, TSIGSigner(key, secret, algorithm))


def apply_racing(named, site, owner, transform, max_attempts=5):
    """apply_zone on the real server with TRANSFORM (which races another writer)."""
    transport = transport_for(named)
    try:
        return apply_zone(
            transport,
            dns.name.from_text(site + "."),
            [RRsetChange(owner, "SRV", transform)],
            check_mode=False,
            max_attempts=max_attempts,
            sleep=lambda seconds: None,
        )
    finally:
        transport.close()


def racing(transform, race):
    """Wrap TRANSFORM so that RACE() runs after our read, before our UPDATE, on the first attempts."""
    calls = []

    def wrapped(before):
        calls.append(before)
        race(len(calls))
        return transform(before)

    return wrapped, calls


def test_concurrent_add_fails_prerequisite_and_is_kept(named, site):
    owner = dns.name.from_text(f"_vlmcs._tcp.{site}.")
    ours = parse_value("SRV", f"0 0 1688 kms1.{site}", "v")

    def race(attempt):
        if attempt == 1:
            named.nsupdate("other-writer", f"update add {owner} 3600 SRV 0 0 1688 kms2.{site}.")

    transform, calls = racing(merge([ours], 3600), race)
    plan = apply_racing(named, site, owner, transform)
    assert plan.attempts == 2
    assert plan.update_sent
    assert calls[0].values == frozenset() and len(calls[1].values) == 1
    assert named.dig(owner.to_text(), "SRV") == [f"0 0 1688 kms1.{site}.", f"0 0 1688 kms2.{site}."]


def test_concurrent_add_during_removal_is_kept(named, site):
    owner = dns.name.from_text(f"_vlmcs._tcp.{site}.")
    named.nsupdate("admin", f"update add {owner} 3600 SRV 0 0 1688 kms1.{site}.")

    def race(attempt):
        if attempt == 1:
            named.nsupdate("other-writer", f"update add {owner} 3600 SRV 0 0 1688 kms3.{site}.")

    transform, _calls = racing(remove([parse_value("SRV", f"0 0 1688 kms1.{site}", "v")]), race)
    plan = apply_racing(named, site, owner, transform)
    assert plan.attempts == 2
    assert named.dig(owner.to_text(), "SRV") == [f"0 0 1688 kms3.{site}."]


def test_writer_that_never_stops_makes_us_give_up_without_writing(named, site):
    owner = dns.name.from_text(f"_vlmcs._tcp.{site}.")
    ours = parse_value("SRV", f"0 0 1688 kms1.{site}", "v")

    def race(attempt):
        named.nsupdate("other-writer", f"update add {owner} 3600 SRV {attempt} 0 1688 kms2.{site}.")

    transform, calls = racing(merge([ours], 3600), race)
    with pytest.raises(ConcurrentChange, match="changed under us 3 times"):
        apply_racing(named, site, owner, transform, max_attempts=3)
    assert len(calls) == 3
    assert f"0 0 1688 kms1.{site}." not in named.dig(owner.to_text(), "SRV")
    assert len(named.dig(owner.to_text(), "SRV")) == 3


def test_one_tcp_connection_serves_every_message(named, site):
    transport = transport_for(named)
    try:
        zone = transport.find_zone(dns.name.from_text(f"_vlmcs._tcp.{site}."))
        first_socket = transport._sock
        for label in ("kms1", "kms2", "kms3"):
            transport.read_rrset(dns.name.from_text(f"{label}.{site}."), "A")
        assert transport._sock is first_socket
        assert transport.messages_sent == 4
        assert zone == dns.name.from_text(site + ".")
    finally:
        transport.close()
