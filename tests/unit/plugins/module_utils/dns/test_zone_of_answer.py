# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The zone of a name is learned from the read of its RRset; a SOA lookup only when the answer does not say."""

from __future__ import annotations

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rrset
import pytest

from ansible_collections.kmsops.kms.plugins.module_utils.dns._errors import ZoneNotFound
from ansible_collections.kmsops.kms.plugins.module_utils.dns._plan import RRsetChange, group_by_zone, merge, run_changes
from ansible_collections.kmsops.kms.plugins.module_utils.dns._records import RRset, parse_value
from ansible_collections.kmsops.kms.plugins.module_utils.dns._transport import zone_of_answer

NAME = dns.name.from_text("_vlmcs._tcp.branch.corp.example.")
SOA = "ns1.corp.example. hostmaster.corp.example. 1 3600 600 86400 300"


def answer(rcode=dns.rcode.NOERROR, aa=True, answer=(), authority=()):
    """A response to NAME SRV with the given sections; each RRset as (owner, type, *values)."""
    response = dns.message.make_response(dns.message.make_query(NAME, "SRV"))
    response.set_rcode(rcode)
    if not aa:
        response.flags &= ~dns.flags.AA
    else:
        response.flags |= dns.flags.AA
    for section, rrsets in ((response.answer, answer), (response.authority, authority)):
        for owner, rdtype, *values in rrsets:
            section.append(dns.rrset.from_text(owner, 3600, "IN", rdtype, *values))
    return response


def zone(text):
    return dns.name.from_text(text)


def test_nxdomain_carries_the_soa_of_its_zone():
    response = answer(dns.rcode.NXDOMAIN, authority=[("branch.corp.example.", "SOA", SOA)])
    assert zone_of_answer(response, NAME, "SRV") == zone("branch.corp.example.")


def test_nodata_carries_the_soa_of_its_zone():
    response = answer(authority=[("corp.example.", "SOA", SOA)])
    assert zone_of_answer(response, NAME, "SRV") == zone("corp.example.")


def test_positive_answer_names_the_zone_by_its_apex_ns():
    response = answer(
        answer=[(NAME.to_text(), "SRV", "0 0 1688 kms1.corp.example.")],
        authority=[("branch.corp.example.", "NS", "ns1.corp.example.")],
    )
    assert zone_of_answer(response, NAME, "SRV") == zone("branch.corp.example.")


@pytest.mark.parametrize(
    "case, response",
    [
        (
            "referral to a delegated child (no AA)",
            answer(aa=False, authority=[("branch.corp.example.", "NS", "ns.elsewhere.example.")]),
        ),
        ("refused", answer(dns.rcode.REFUSED)),
        ("servfail", answer(dns.rcode.SERVFAIL, authority=[("corp.example.", "SOA", SOA)])),
        (
            "positive answer without authority (minimal-responses)",
            answer(answer=[(NAME.to_text(), "SRV", "0 0 1688 kms1.corp.example.")]),
        ),
        (
            "CNAME: the data may live in another zone",
            answer(
                answer=[(NAME.to_text(), "CNAME", "srv.other.example.")],
                authority=[("other.example.", "NS", "ns1.other.example.")],
            ),
        ),
        (
            "SOA of a zone that does not hold the name",
            answer(dns.rcode.NXDOMAIN, authority=[("other.example.", "SOA", SOA)]),
        ),
        ("two SOA records", answer(authority=[("corp.example.", "SOA", SOA), ("branch.corp.example.", "SOA", SOA)])),
        ("NODATA without SOA", answer()),
    ],
)
def test_answers_that_do_not_say_the_zone_give_none(case, response):
    assert zone_of_answer(response, NAME, "SRV") is None, case


class Transport:
    """Records the queries of the engine; answers from ZONES {name text: zone text or None}."""

    def __init__(self, zones):
        self.zones = zones
        self.sent = []

    def read_rrset_and_zone(self, name, rdtype):
        self.sent.append(("read", name.to_text(), rdtype))
        holder = self.zones[name.to_text()]
        if holder is None:
            return None, None
        return RRset(name, rdtype), dns.name.from_text(holder)

    def read_rrset(self, name, rdtype):
        self.sent.append(("read", name.to_text(), rdtype))
        return RRset(name, rdtype)

    def find_zone(self, name, option="name"):
        self.sent.append(("soa", name.to_text()))
        raise ZoneNotFound(f"no zone on the server holds {name}", option)

    def check_zone(self, zone_name, option="zone"):
        self.sent.append(("soa", zone_name.to_text()))
        return zone_name

    def send_update(self, update):
        self.sent.append(("update", update.zone[0].name.to_text()))


def change(name):
    return RRsetChange(
        dns.name.from_text(name),
        "SRV",
        merge([parse_value("SRV", "0 0 1688 kms1.corp.example", "v")], 3600),
        "hosts[0]",
    )


def test_one_read_per_rrset_and_one_update_per_zone_no_soa_query():
    transport = Transport(
        {"_vlmcs._tcp.corp.example.": "corp.example.", "_vlmcs._tcp.branch.corp.example.": "branch.corp.example."}
    )
    changes = [
        change("_vlmcs._tcp.corp.example."),
        change("_vlmcs._tcp.branch.corp.example."),
        change("_vlmcs._tcp.corp.example."),
    ]
    plans = run_changes(transport, changes, check_mode=False)
    assert [plan.zone.to_text() for plan in plans] == ["corp.example.", "branch.corp.example."]
    assert transport.sent == [
        ("read", "_vlmcs._tcp.corp.example.", "SRV"),
        ("read", "_vlmcs._tcp.branch.corp.example.", "SRV"),
        ("update", "corp.example."),
        ("update", "branch.corp.example."),
    ]


def test_answer_that_does_not_say_the_zone_falls_back_to_a_soa_lookup_that_fails_clearly():
    transport = Transport({"_vlmcs._tcp.corp.example.": "corp.example.", "_vlmcs._tcp.remote.corp.example.": None})
    with pytest.raises(ZoneNotFound, match=r"hosts.0.: no zone on the server holds _vlmcs._tcp.remote"):
        group_by_zone(transport, [change("_vlmcs._tcp.corp.example."), change("_vlmcs._tcp.remote.corp.example.")])
    assert ("soa", "_vlmcs._tcp.remote.corp.example.") in transport.sent
    assert not [item for item in transport.sent if item[0] == "update"]


def test_given_zone_is_checked_once_and_rrsets_read_when_planned():
    transport = Transport({})
    plans = run_changes(transport, [change("_vlmcs._tcp.corp.example.")], check_mode=True, zone=zone("corp.example."))
    assert transport.sent == [("soa", "corp.example."), ("read", "_vlmcs._tcp.corp.example.", "SRV")]
    assert plans[0].changed and not plans[0].update_sent
