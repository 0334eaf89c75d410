# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""kmsops.kms.kms_discover (module and lookup) and the filters, against a real named.

Records are written with the real nsupdate (admin key). KMS hosts are stood in for by a TCP
listener this test opens on loopback (reachable) and by a bound socket that does not listen
(unreachable: the connect is refused). Nothing speaks the KMS protocol.
"""

from __future__ import annotations

import importlib.util
import os
import re
import socket

import pytest

_HERE = os.path.dirname(os.path.abspath(__file__))
_SPEC = importlib.util.spec_from_file_location(
    "kms_discovery_under_test", os.path.join(_HERE, "..", "..", "plugins", "module_utils", "discovery", "_discovery.py")
)
disc = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(disc)


class KmsNetwork:
    """The records of one test site and the sockets that stand in for KMS hosts."""

    def __init__(self, named, site):
        self.named = named
        self.site = site
        self.branch = f"branch.{site}"
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.open_port = self.listener.getsockname()[1]
        self.closed = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.closed.bind(("127.0.0.1", 0))  # bound, never listening: connects are refused
        self.closed_port = self.closed.getsockname()[1]

    def publish(self):
        site, branch, up, down = self.site, self.branch, self.open_port, self.closed_port
        # branch zone: the local KMS host (down) first, the core hosts as fallback
        self.named.nsupdate(
            "admin",
            "\n".join(
                [
                    f"update add _vlmcs._tcp.{branch}. 3600 SRV 0 0 {down} kms1.{branch}.",
                    f"update add _vlmcs._tcp.{branch}. 3600 SRV 10 60 {up} kms1.{site}.",
                    f"update add _vlmcs._tcp.{branch}. 3600 SRV 10 40 {up} kms2.{site}.",
                    f"update add kms1.{branch}. 3600 A 127.0.0.1",
                ]
            ),
        )
        # core zone: two hosts weighted 30/70 at priority 0, one fallback at priority 5
        self.named.nsupdate(
            "admin",
            "\n".join(
                [
                    f"update add _vlmcs._tcp.{site}. 3600 SRV 0 30 {up} kms1.{site}.",
                    f"update add _vlmcs._tcp.{site}. 3600 SRV 0 70 {up} kms2.{site}.",
                    f"update add _vlmcs._tcp.{site}. 3600 SRV 5 0 {up} kms3.{site}.",
                    f"update add kms1.{site}. 3600 A 127.0.0.1",
                    f"update add kms2.{site}. 3600 A 127.0.0.1",
                    f"update add kms2.{site}. 3600 AAAA ::1",
                    f"update add kms3.{site}. 3600 A 127.0.0.1",
                    # a name that exists without SRV (NODATA), a "no service here" record, a target
                    # without any address
                    f'update add _vlmcs._tcp.nodata.{site}. 3600 TXT "no kms here"',
                    f"update add _vlmcs._tcp.off.{site}. 3600 SRV 0 0 0 .",
                    f"update add _vlmcs._tcp.noaddr.{site}. 3600 SRV 0 0 {up} kms4.{site}.",
                ]
            ),
        )
        return self

    def close(self):
        self.listener.close()
        self.closed.close()


@pytest.fixture
def kms_net(named, site):
    network = KmsNetwork(named, site).publish()
    yield network
    network.close()


def options(named, **extra):
    args = {"nameservers": [named.address], "dns_port": named.port, "timeout": 3}
    args.update(extra)
    return args


def targets(candidates):
    return [(c["domain"], c["target"]) for c in candidates]


# -- the shared implementation against named ---------------------------------------------------


def test_records_are_read_with_priority_weight_port_and_addresses(named, kms_net):
    result = disc.discover([kms_net.site], seed=1, **options(named))
    assert result["errors"] == []
    by_target = {c["target"]: c for c in result["candidates"]}
    assert by_target[f"kms2.{kms_net.site}"] == {
        "domain": kms_net.site,
        "target": f"kms2.{kms_net.site}",
        "port": kms_net.open_port,
        "priority": 0,
        "weight": 70,
        "addresses": ["127.0.0.1", "::1"],
        "reachable": None,
        "reached_address": None,
        "error": None,
    }


def test_priority_groups_hold_across_seeds_and_weights_show_in_first_place(named, kms_net):
    site = kms_net.site
    draws = 300
    first = {f"kms1.{site}": 0, f"kms2.{site}": 0}
    for seed in range(draws):
        order = [c["target"] for c in disc.discover([site], seed=seed, **options(named))["candidates"]]
        assert set(order[:2]) == set(first) and order[2] == f"kms3.{site}"
        first[order[0]] += 1
    # RFC 2782, no weight-0 record in the group: P(kms2 first) = (70 + 1/2) / 101 ~ 0.698;
    # five binomial standard deviations over 300 draws is ~0.13
    share = first[f"kms2.{site}"] / draws
    assert abs(share - 70.5 / 101) <= 5 * (0.698 * 0.302 / draws) ** 0.5, first


def test_each_failing_domain_is_reported_and_the_discovery_still_succeeds(named, kms_net):
    site = kms_net.site
    result = disc.discover([f"nothere.{site}", f"nodata.{site}", f"off.{site}", site], seed=3, **options(named))
    assert [(d["domain"], d["status"]) for d in result["domains"]] == [
        (f"nothere.{site}", "NXDOMAIN"),
        (f"nodata.{site}", "NODATA"),
        (f"off.{site}", "NO_SERVICE"),
        (site, "ok"),
    ]
    assert [e["error"] for e in result["errors"]] == ["NXDOMAIN", "NODATA", "NO_SERVICE"]
    assert f"_vlmcs._tcp.nothere.{site}" in result["errors"][0]["msg"]
    assert {c["domain"] for c in result["candidates"]} == {site}
    assert result["selected"]["domain"] == site


def test_a_target_without_address_is_never_selected(named, kms_net):
    site = kms_net.site
    result = disc.discover([f"noaddr.{site}", site], seed=1, **options(named))
    assert result["candidates"][0]["target"] == f"kms4.{site}"
    assert result["candidates"][0]["addresses"] == []
    assert "NXDOMAIN" in result["candidates"][0]["error"]
    assert result["selected"]["domain"] == site


def test_a_zone_the_server_does_not_serve_is_reported_not_raised(named, kms_net):
    result = disc.discover(["elsewhere.invalid", kms_net.site], **options(named))
    assert result["domains"][0]["status"] == "SERVFAIL"
    assert "REFUSED" in result["errors"][0]["msg"]
    assert result["selected"] is not None


def test_a_silent_nameserver_gives_a_timeout_per_domain():
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))  # receives queries, never answers
    try:
        result = disc.discover(
            ["a.example", "b.example"], nameservers=["127.0.0.1"], dns_port=silent.getsockname()[1], timeout=0.5
        )
    finally:
        silent.close()
    assert [e["error"] for e in result["errors"]] == ["TIMEOUT", "TIMEOUT"]
    assert result["candidates"] == [] and result["selected"] is None


def test_messages_name_record_types_not_their_numbers(named, kms_net):
    site = kms_net.site
    result = disc.discover([f"nodata.{site}", f"noaddr.{site}"], seed=1, **options(named))
    nodata = result["errors"][0]["msg"]
    assert "has no SRV record" in nodata, nodata
    address_error = result["candidates"][0]["error"]
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))
    try:
        timeout = disc.discover(
            ["a.example"], nameservers=["127.0.0.1"], dns_port=silent.getsockname()[1], timeout=0.3
        )["errors"][0]["msg"]
    finally:
        silent.close()
    assert " SRV " in timeout, timeout
    for message in (nodata, address_error, timeout):
        assert not re.search(r"\b(33|28)\b", message), message


# -- through Ansible ----------------------------------------------------------------------------


def test_module_and_lookup_skip_the_unreachable_host_and_agree_on_the_order(named, kms_net, run_play):
    site, branch = kms_net.site, kms_net.branch
    args = options(named, domains=[branch, site, f"nothere.{site}"], probe=True, seed=11)
    lookup = (
        "{{ lookup('kmsops.kms.kms_discover', '%s', '%s', 'nothere.%s', nameservers=['%s'], "
        "dns_port=%d, timeout=3, probe=true, seed=11) }}" % (branch, site, site, named.address, named.port)
    )
    result = run_play(
        [
            {"name": "Discover from the managed host", "kmsops.kms.kms_discover": args, "register": "found"},
            {"name": "Discover from the controller", "ansible.builtin.debug": {"msg": lookup}},
        ]
    )
    assert result.rc == 0, result
    module, looked_up = result[0], result[1]["msg"]
    assert module["changed"] is False

    candidates = module["candidates"]
    # domains in search order; the branch domain's priority 0 host first, then its fallbacks
    assert [c["domain"] for c in candidates] == [branch] * 3 + [site] * 3
    assert candidates[0]["target"] == f"kms1.{branch}"
    assert candidates[0]["port"] == kms_net.closed_port
    assert candidates[0]["reachable"] is False
    assert {c["target"] for c in candidates[1:3]} == {f"kms1.{site}", f"kms2.{site}"}
    assert all(c["reachable"] is True for c in candidates[1:])
    # the unreachable host is skipped: the next candidate is the one a client ends up with
    assert module["selected"] == candidates[1]
    assert module["selected"]["reached_address"] == "127.0.0.1"
    assert module["errors"] == [
        {
            "domain": f"nothere.{site}",
            "query": f"_vlmcs._tcp.nothere.{site}",
            "error": "NXDOMAIN",
            "msg": f"_vlmcs._tcp.nothere.{site}. does not exist (NXDOMAIN)",
        }
    ]

    # one implementation: the same seed gives the same answer on the controller
    assert targets(looked_up["candidates"]) == targets(candidates)
    assert looked_up["selected"] == module["selected"]
    assert looked_up["errors"] == module["errors"]


def test_lookup_takes_domains_as_a_keyword_and_rejects_unknown_keywords(named, kms_net, run_play):
    site, branch = kms_net.site, kms_net.branch
    common = "nameservers=['%s'], dns_port=%d, timeout=3, seed=11" % (named.address, named.port)
    result = run_play(
        [
            {
                "name": "domains as keyword",
                "ansible.builtin.debug": {
                    "msg": "{{ lookup('kmsops.kms.kms_discover', domains=['%s', '%s'], %s) }}" % (branch, site, common)
                },
            },
            {
                "name": "domains as terms",
                "ansible.builtin.debug": {
                    "msg": "{{ lookup('kmsops.kms.kms_discover', '%s', '%s', %s) }}" % (branch, site, common)
                },
            },
            {
                "name": "misspelt keyword",
                "ansible.builtin.debug": {
                    "msg": "{{ lookup('kmsops.kms.kms_discover', domain=['%s'], %s) }}" % (site, common)
                },
                "ignore_errors": True,
            },
        ]
    )
    keyword, terms, misspelt = result[0]["msg"], result[1]["msg"], result[2]
    assert [d["domain"] for d in keyword["domains"]] == [branch, site]
    assert targets(keyword["candidates"]) == targets(terms["candidates"])
    assert misspelt.get("failed") is True
    assert "unknown keyword(s) domain; the lookup takes dns_port, domains," in misspelt["msg"]


def test_module_and_lookup_refuse_a_domain_given_as_the_service_name(named, kms_net, run_play):
    # issue 16, point 4: with a record really at _vlmcs._tcp._vlmcs._tcp.<site> (as kms_publish used to
    # write it), "_vlmcs._tcp.<site>" as a domain used to find it; now it is refused before any query
    site = kms_net.site
    named.nsupdate("admin", f"update add _vlmcs._tcp._vlmcs._tcp.{site}. 3600 SRV 0 0 1688 kms1.{site}.")
    assert named.dig(f"_vlmcs._tcp._vlmcs._tcp.{site}", "SRV") == [f"0 0 1688 kms1.{site}."]
    message = (
        f"'_vlmcs._tcp.{site}' begins with the service name _vlmcs._tcp: give the domain clients search ('{site}')"
    )
    result = run_play(
        [
            {
                "name": "module",
                "kmsops.kms.kms_discover": options(named, domains=[site, f"_vlmcs._tcp.{site}"]),
                "ignore_errors": True,
            },
            {
                "name": "lookup",
                "ansible.builtin.debug": {
                    "msg": "{{ lookup('kmsops.kms.kms_discover', '_vlmcs._tcp.%s', nameservers=['%s'], dns_port=%d) }}"
                    % (site, named.address, named.port)
                },
                "ignore_errors": True,
            },
        ]
    )
    module, lookup = result[0], result[1]
    assert module.get("failed") is True and module["msg"].startswith(f"domains[1]: {message}"), module
    assert "candidates" not in module
    assert lookup.get("failed") is True and f"kms_discover: domains[0]: {message}" in lookup["msg"], lookup


def test_module_in_check_mode_without_probe_selects_the_first_candidate(named, kms_net, run_play):
    branch = kms_net.branch
    result = run_play(
        [
            {
                "name": "Discover",
                "kmsops.kms.kms_discover": options(named, domains=[branch], seed=2),
                "register": "found",
            }
        ],
        check=True,
    )
    assert result.rc == 0, result
    found = result[0]
    assert found["changed"] is False
    assert [c["reachable"] for c in found["candidates"]] == [None, None, None]
    assert found["selected"]["target"] == f"kms1.{branch}"


def test_module_defaults_to_the_search_list_of_the_host(named, run_play):
    with open("/etc/resolv.conf", encoding="utf-8") as handle:
        search = disc.parse_resolv_conf(handle.read())[0]
    result = run_play(
        [
            {
                "name": "Discover with the host's search list",
                "kmsops.kms.kms_discover": options(named),
                "register": "found",
            }
        ]
    )
    if search:
        assert result.rc == 0, result
        assert [d["domain"] for d in result[0]["domains"]] == search
    else:
        assert result.rc != 0
        assert "no domain to search" in result[0]["msg"]


def test_filters_order_srv_values_and_convert_publish_lists(run_play):
    values = ["10 0 1688 core.example.", "0 100 1688 branch1.example.", "0 0 1688 branch0.example.", "0 0 0 ."]
    result = run_play(
        [
            {
                "name": "Order",
                "ansible.builtin.debug": {"msg": "{{ values | kmsops.kms.srv_order(seed=5) }}"},
                "vars": {"values": values},
            },
            {
                "name": "Parse",
                "ansible.builtin.debug": {
                    "msg": "{{ 'Branch.Corp.Example,0,0\ncorp.example,20' | kmsops.kms.publish_list }}"
                },
            },
            {
                "name": "Format",
                "ansible.builtin.debug": {
                    "msg": "{{ [{'domain': 'corp.example', 'priority': 20, 'weight': 50}]"
                    " | kmsops.kms.publish_list(as_text=true) }}"
                },
            },
        ]
    )
    assert result.rc == 0, result
    ordered = result[0]["msg"]
    assert ordered[2] == "10 0 1688 core.example."
    assert set(ordered[:2]) == {"0 100 1688 branch1.example.", "0 0 1688 branch0.example."}
    assert len(ordered) == 3
    assert result[1]["msg"] == [
        {"domain": "branch.corp.example", "priority": 0, "weight": 0},
        {"domain": "corp.example", "priority": 20, "weight": 0},
    ]
    assert result[2]["msg"] == "corp.example,20,50"
