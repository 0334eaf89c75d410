# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for the discovery logic: RFC 2782 ordering, search list, discover() over a fake DNS."""

from __future__ import annotations

import itertools
import math
import socket
from collections import Counter
from fractions import Fraction

import pytest

from ansible_collections.kmsops.kms.plugins.module_utils.common._errors import InvalidValue
from ansible_collections.kmsops.kms.plugins.module_utils.discovery import _discovery as disc


def srv(priority, weight, target, port=1688):
    return {"priority": priority, "weight": weight, "port": port, "target": target}


def first_place_shares(records, draws, seed=20260101):
    """How often each target comes first over ``draws`` orderings from one seeded stream."""
    rng = disc.make_rng(seed)
    counts = Counter(disc.rfc2782_order(records, rng=rng)[0]["target"] for _draw in range(draws))
    return {target: count / draws for target, count in counts.items()}, counts


def tolerance(probability, draws, sigmas=5):
    """Five binomial standard deviations: a fixed-seed run outside it means a wrong algorithm."""
    return sigmas * math.sqrt(probability * (1 - probability) / draws)


# -- parsing SRV values -------------------------------------------------------------------------


def test_srv_text_is_parsed_into_fields_and_the_trailing_dot_dropped():
    assert disc.parse_srv_value("10 50 1688 kms1.example.", "v") == srv(10, 50, "kms1.example")


def test_srv_mapping_keeps_extra_keys_and_coerces_numbers():
    parsed = disc.parse_srv_value({"priority": "0", "weight": 5, "port": 1688, "target": "a.", "note": "x"}, "v")
    assert parsed == {"priority": 0, "weight": 5, "port": 1688, "target": "a", "note": "x"}


def test_root_target_stays_a_dot():
    assert disc.parse_srv_value("0 0 0 .", "v")["target"] == "."


@pytest.mark.parametrize(
    "value, fragment",
    [
        ("0 0 1688", "^v: .*four fields"),
        ("0 x 1688 kms.example.", "^v.weight: must be an integer from 0 to 65535, got 'x'"),
        ("70000 0 1688 kms.example.", "^v.priority: must be an integer from 0 to 65535, got 70000"),
        ("0 0 0 kms.example.", "^v.port: must be an integer from 1 to 65535, got 0"),
        ("0 0 1688 *.corp.example.", "^v.target: .* not a valid host name"),
        ({"priority": 0, "weight": 0, "target": "a"}, "^v: .*port missing"),
        ({"priority": True, "weight": 0, "port": 1, "target": "a"}, "^v.priority: .* got True"),
        (42, "^v: an SRV value is text"),
    ],
)
def test_bad_srv_value_is_a_clear_error_naming_the_option(value, fragment):
    with pytest.raises(InvalidValue, match=fragment):
        disc.parse_srv_value(value, "v")


# -- RFC 2782 ordering: priorities, ".", seeds --------------------------------------------------


def test_lower_priority_group_always_comes_first():
    records = [
        srv(20, 100, "core1"),
        srv(0, 1, "branch1"),
        srv(10, 0, "mid"),
        srv(20, 100, "core2"),
        srv(0, 1, "branch2"),
    ]
    for seed in range(200):
        order = [r["target"] for r in disc.rfc2782_order(records, seed=seed)]
        assert set(order[:2]) == {"branch1", "branch2"}
        assert order[2] == "mid"
        assert set(order[3:]) == {"core1", "core2"}


def test_every_record_appears_exactly_once():
    records = [srv(p, w, "t%d-%d" % (p, w)) for p in (0, 1) for w in (0, 1, 5, 50)]
    order = disc.rfc2782_order(records, seed=3)
    assert sorted(r["target"] for r in order) == sorted(r["target"] for r in records)


def test_dot_target_is_left_out():
    records = [srv(0, 0, "."), srv(10, 0, "kms1.example")]
    assert [r["target"] for r in disc.rfc2782_order(records, seed=1)] == ["kms1.example"]


def test_single_dot_target_means_no_service():
    assert disc.is_no_service([srv(0, 0, ".")])
    assert not disc.is_no_service([srv(0, 0, "."), srv(0, 0, "kms1")])
    assert not disc.is_no_service([])


def test_same_seed_gives_same_order():
    records = [srv(0, w, "t%d" % w) for w in (0, 1, 2, 3, 5, 8, 13, 21)]
    first = disc.rfc2782_order(records, seed=1234)
    assert all(disc.rfc2782_order(records, seed=1234) == first for _again in range(20))


def test_string_seed_is_reproducible_too():
    records = [srv(0, w, "t%d" % w) for w in (1, 2, 3, 5, 8, 13, 21)]
    assert disc.rfc2782_order(records, seed="site07") == disc.rfc2782_order(records, seed="site07")


def test_different_seeds_give_different_orders():
    records = [srv(0, 10, "t%d" % n) for n in range(8)]
    orders = {tuple(r["target"] for r in disc.rfc2782_order(records, seed=seed)) for seed in range(30)}
    assert len(orders) > 20


def test_ordering_does_not_change_its_input():
    records = [srv(1, 1, "b"), srv(0, 0, "a")]
    copy = [dict(r) for r in records]
    disc.rfc2782_order(records, seed=1)
    assert records == copy


# -- RFC 2782 ordering: the statistics of the weighted draw -------------------------------------
#
# RFC 2782: inside one priority, weight-0 records go first, then running sums; a uniform integer
# in [0, W] (W = sum of weights, W+1 equally likely values) picks the first record whose running
# sum is >= the draw. For a draw >= 1, record i owns exactly w_i of the W+1 values, wherever it
# stands in the list; the draw 0 picks whatever is at the head of the list. So for first place:
#   * with k weight-0 records (shuffled among themselves at the head):
#       P(nonzero record i) = w_i / (W+1),  P(a given weight-0 record) = 1 / (k (W+1));
#   * with no weight-0 record, the head is any of the n records (shuffled):
#       P(record i) = (w_i + 1/n) / (W+1),  which tends to w_i / W for large W.
# Tolerance: five binomial standard deviations of the expected share (fixed seed, no flakiness).

DRAWS = 40000


def test_first_place_share_follows_the_rfc_formula_without_zero_weights():
    weights = {"a": 10, "b": 20, "c": 70}
    total = sum(weights.values())
    shares, _counts = first_place_shares([srv(0, w, t) for t, w in weights.items()], DRAWS)
    for target, weight in weights.items():
        expected = (weight + 1 / len(weights)) / (total + 1)
        assert abs(shares[target] - expected) <= tolerance(expected, DRAWS), (target, shares)


def test_first_place_share_matches_weight_over_total_within_two_points():
    weights = {"a": 100, "b": 300, "c": 600}
    total = sum(weights.values())
    shares, _counts = first_place_shares([srv(0, w, t) for t, w in weights.items()], DRAWS)
    for target, weight in weights.items():
        assert abs(shares[target] - weight / total) <= 0.02, (target, shares)


def test_weight_zero_record_is_first_rarely_but_not_never():
    weights = {"zero": 0, "a": 10, "b": 30}
    total = sum(weights.values())  # 40: the draw has 41 values, only 0 picks "zero"
    shares, counts = first_place_shares([srv(0, w, t) for t, w in weights.items()], DRAWS)
    assert counts["zero"] > 0
    expected_zero = 1 / (total + 1)
    assert abs(shares["zero"] - expected_zero) <= tolerance(expected_zero, DRAWS), shares
    for target in ("a", "b"):
        expected = weights[target] / (total + 1)
        assert abs(shares[target] - expected) <= tolerance(expected, DRAWS), (target, shares)


def test_several_weight_zero_records_share_the_zero_draw():
    weights = {"z1": 0, "z2": 0, "a": 5, "b": 5}
    total = 10
    shares, counts = first_place_shares([srv(0, w, t) for t, w in weights.items()], DRAWS)
    for target in ("z1", "z2"):
        expected = 1 / (2 * (total + 1))
        assert counts[target] > 0
        assert abs(shares[target] - expected) <= tolerance(expected, DRAWS), (target, shares)


def test_all_weight_zero_records_are_equally_likely_first():
    targets = ["k1", "k2", "k3", "k4"]
    shares, _counts = first_place_shares([srv(0, 0, t) for t in targets], DRAWS)
    for target in targets:
        assert abs(shares[target] - 0.25) <= tolerance(0.25, DRAWS), shares


def test_second_place_follows_the_weights_of_what_is_left():
    # a first (share 10/101 + ...): then b and c compete with weights 20 and 70 (91 values)
    records = [srv(0, 10, "a"), srv(0, 20, "b"), srv(0, 70, "c")]
    rng = disc.make_rng(7)
    seconds = Counter()
    for _draw in range(DRAWS):
        order = [r["target"] for r in disc.rfc2782_order(records, rng=rng)]
        if order[0] == "a":
            seconds[order[1]] += 1
    given = sum(seconds.values())
    expected_b = (20 + 0.5) / (90 + 1)
    assert abs(seconds["b"] / given - expected_b) <= tolerance(expected_b, given)


# -- the exact first-try chance (the report's "tried first") ------------------------------------


class _ScriptedRandom:
    """Plays one outcome of the random source: the shuffle gives PERMUTATION, the first draw DRAW
    (later draws: 0; only the first pick is looked at)."""

    def __init__(self, permutation, draw):
        self.permutation, self.draw = permutation, draw

    def shuffle(self, items):
        items[:] = [items[index] for index in self.permutation]

    def randint(self, low, high):
        assert low <= self.draw <= high
        draw, self.draw = self.draw, 0
        return draw


def _enumerated_first_chances(group):
    """The first pick of _order_priority_group over every shuffle and every first draw, each
    outcome as likely as random.shuffle and randint make it."""
    total = sum(record["weight"] for record in group)
    permutations = list(itertools.permutations(range(len(group))))
    chances = Counter()
    for permutation in permutations:
        for draw in range(total + 1):
            first = disc._order_priority_group(group, _ScriptedRandom(permutation, draw))[0]
            chances[first["target"]] += Fraction(1, len(permutations) * (total + 1))
    return chances


@pytest.mark.parametrize("weights", [[1, 0], [60, 40], [0, 0, 0], [0, 0, 3, 1], [5, 0, 2, 0, 1], [2, 2, 7]])
def test_first_try_chances_equal_an_enumeration_of_every_shuffle_and_draw(weights):
    group = [srv(0, weight, "h%d" % index) for index, weight in enumerate(weights)]
    chances = disc.first_try_chances(group)
    assert sum(chances) == 1
    assert dict(zip((r["target"] for r in group), chances)) == _enumerated_first_chances(group)


def test_first_try_chances_of_weights_one_and_zero_are_one_half_each():
    assert disc.first_try_chances([srv(0, 1, "a"), srv(0, 0, "b")]) == [Fraction(1, 2), Fraction(1, 2)]


def test_first_try_chances_are_per_priority_group_and_dot_targets_get_none():
    records = [srv(0, 60, "a"), srv(10, 0, "b"), srv(0, 40, "c"), srv(10, 0, "d"), srv(20, 0, ".", 0)]
    assert disc.first_try_chances(records) == [
        Fraction(121, 202),
        Fraction(1, 2),
        Fraction(81, 202),
        Fraction(1, 2),
        Fraction(0),
    ]


@pytest.mark.parametrize("weights", [[1, 0], [0, 0, 3], [10, 0, 30, 0], [65535, 1, 0]])
def test_first_try_chances_match_a_large_seeded_sample_of_the_ordering(weights):
    records = [srv(0, weight, "h%d" % index) for index, weight in enumerate(weights)]
    shares, _counts = first_place_shares(records, DRAWS)
    for record, chance in zip(records, disc.first_try_chances(records)):
        expected = float(chance)
        assert abs(shares.get(record["target"], 0) - expected) <= max(tolerance(expected, DRAWS), 1e-9), (
            record,
            shares,
        )


# -- srv_order filter logic ---------------------------------------------------------------------


def test_order_srv_values_returns_the_original_items():
    values = ["20 0 1688 core.example.", {"priority": 0, "weight": 0, "port": 1688, "target": "branch.example."}]
    ordered = disc.order_srv_values(values, seed=1)
    assert ordered == [values[1], values[0]]


def test_order_srv_values_rejects_a_non_list():
    with pytest.raises(disc.SrvValueError, match="expects a list"):
        disc.order_srv_values("0 0 1688 kms.example.")


# -- search list --------------------------------------------------------------------------------


def test_search_line_gives_the_search_list():
    text = "# generated\nnameserver 10.0.0.1\nsearch Site07.Example. branch.site07.example\n"
    assert disc.parse_resolv_conf(text) == (["site07.example", "branch.site07.example"], ["10.0.0.1"])


def test_last_of_domain_and_search_wins():
    assert disc.parse_resolv_conf("search a.example b.example\ndomain c.example\n")[0] == ["c.example"]
    assert disc.parse_resolv_conf("domain c.example\nsearch a.example\n")[0] == ["a.example"]


def test_comments_and_empty_resolv_conf_give_no_domain():
    assert disc.parse_resolv_conf("; nothing\n#search x.example\n") == ([], [])


def test_read_search_list_reads_a_file(tmp_path):
    path = tmp_path / "resolv.conf"
    path.write_text("search lab.example\n")
    assert disc.read_search_list(str(path)) == ["lab.example"]


def test_missing_resolv_conf_is_a_clear_error(tmp_path):
    with pytest.raises(disc.DiscoveryError, match="cannot read the search list"):
        disc.read_search_list(str(tmp_path / "missing"))


# -- discover() over a fake DNS -----------------------------------------------------------------


class FakeDns:
    def __init__(self, zones, addresses):
        self.zones = zones  # domain -> (records, status)
        self.address_table = addresses
        self.address_queries = []

    def srv(self, domain):
        records, status = self.zones.get(domain, ([], disc.STATUS_NXDOMAIN))
        return [dict(r) for r in records], status, None if status == "ok" else "%s: %s" % (domain, status)

    def addresses(self, target):
        self.address_queries.append(target)
        found = self.address_table.get(target, [])
        return list(found), None if found else "%s has no A or AAAA record" % target


def fake_prober(up):
    def probe(addresses, port, timeout):
        for address in addresses:
            if (address, port) in up:
                return True, address, None
        return False, None, "connection refused"

    return probe


BRANCH = "branch.site.example"
CORE = "site.example"


def network():
    return FakeDns(
        zones={
            BRANCH: (
                [srv(0, 0, "kms-branch." + BRANCH), srv(10, 50, "kms1." + CORE), srv(10, 50, "kms2." + CORE)],
                "ok",
            ),
            CORE: ([srv(0, 10, "kms1." + CORE), srv(0, 10, "kms2." + CORE)], "ok"),
            "gone.example": ([], disc.STATUS_NXDOMAIN),
            "off.example": ([srv(0, 0, ".", port=0)], "ok"),
        },
        addresses={
            "kms-branch." + BRANCH: ["192.0.2.1"],
            "kms1." + CORE: ["192.0.2.11"],
            "kms2." + CORE: ["192.0.2.12", "2001:db8::12"],
        },
    )


def test_candidates_follow_domain_order_then_rfc2782_order():
    result = disc.discover([BRANCH, CORE], seed=5, client=network())
    domains = [c["domain"] for c in result["candidates"]]
    assert domains == [BRANCH] * 3 + [CORE] * 2
    assert result["candidates"][0]["target"] == "kms-branch." + BRANCH
    assert {c["target"] for c in result["candidates"][1:3]} == {"kms1." + CORE, "kms2." + CORE}
    assert result["errors"] == []


def test_candidate_carries_what_a_client_uses():
    candidate = disc.discover([CORE], seed=1, client=network())["candidates"][0]
    assert set(candidate) == {
        "domain",
        "target",
        "port",
        "priority",
        "weight",
        "addresses",
        "reachable",
        "reached_address",
        "error",
    }


def test_without_probe_the_first_candidate_with_an_address_is_selected():
    dns_ = network()
    dns_.address_table.pop("kms-branch." + BRANCH)
    result = disc.discover([BRANCH], seed=2, client=dns_)
    assert result["candidates"][0]["addresses"] == []
    assert result["candidates"][0]["reachable"] is None
    assert result["selected"]["target"] == result["candidates"][1]["target"]


def test_unreachable_first_candidate_makes_the_next_one_selected():
    prober = fake_prober({("192.0.2.12", 1688)})
    result = disc.discover([BRANCH], probe=True, seed=9, client=network(), prober=prober)
    assert result["candidates"][0]["reachable"] is False
    assert result["candidates"][0]["error"] == "connection refused"
    assert result["selected"]["target"] == "kms2." + CORE
    assert result["selected"]["reached_address"] == "192.0.2.12"


def test_nothing_reachable_selects_none():
    result = disc.discover([CORE], probe=True, client=network(), prober=fake_prober(set()))
    assert result["selected"] is None
    assert [c["reachable"] for c in result["candidates"]] == [False, False]


def test_domain_without_records_is_reported_and_the_rest_still_found():
    result = disc.discover(["gone.example", CORE], seed=1, client=network())
    assert result["errors"] == [
        {
            "domain": "gone.example",
            "query": "_vlmcs._tcp.gone.example",
            "error": "NXDOMAIN",
            "msg": "gone.example: NXDOMAIN",
        }
    ]
    assert result["domains"][0]["status"] == "NXDOMAIN"
    assert result["domains"][1] == {"domain": CORE, "query": "_vlmcs._tcp." + CORE, "status": "ok", "records": 2}
    assert result["selected"]["domain"] == CORE


def test_dot_target_domain_reports_no_service():
    result = disc.discover(["off.example"], client=network())
    assert result["candidates"] == []
    assert result["selected"] is None
    assert result["errors"][0]["error"] == "NO_SERVICE"


def test_duplicate_domains_are_searched_once_and_targets_resolved_once():
    dns_ = network()
    result = disc.discover([CORE, "SITE.example.", BRANCH], seed=1, client=dns_)
    assert [d["domain"] for d in result["domains"]] == [CORE, BRANCH]
    assert sorted(dns_.address_queries) == sorted(set(dns_.address_queries))


def test_discover_with_a_seed_is_reproducible():
    first = disc.discover([BRANCH, CORE], seed=77, client=network())
    assert all(disc.discover([BRANCH, CORE], seed=77, client=network()) == first for _again in range(10))


def test_no_domain_is_a_clear_error():
    with pytest.raises(disc.DiscoveryError, match="no domain to search"):
        disc.discover([], client=network())


# -- TCP probe against real sockets on loopback ------------------------------------------------


def test_probe_reaches_a_listening_port_and_not_a_closed_one():
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    open_port = listener.getsockname()[1]
    closed = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    closed.bind(("127.0.0.1", 0))
    closed_port = closed.getsockname()[1]  # bound but not listening: connect is refused
    try:
        assert disc.probe_tcp(["127.0.0.1"], open_port, 2) == (True, "127.0.0.1", None)
        reachable, address, message = disc.probe_tcp(["127.0.0.1"], closed_port, 2)
        assert (reachable, address) == (False, None)
        assert "127.0.0.1 port %d" % closed_port in message
    finally:
        listener.close()
        closed.close()


def test_probe_without_addresses_is_unreachable():
    assert disc.probe_tcp([], 1688) == (False, None, "no address to connect to")


def test_seed_of_another_type_is_a_clear_error():
    with pytest.raises(disc.DiscoveryError, match="seed must be an integer or a text"):
        disc.make_rng([1, 2])


def test_seeded_order_does_not_depend_on_the_answer_order():
    # DNS servers rotate the records of an RRset: the same seed must still give the same order
    records = [srv(0, w, "t%d" % w) for w in (0, 1, 2, 3, 5, 8, 13, 21)] + [srv(1, 0, "late")]
    reference = disc.rfc2782_order(records, seed=99)
    for shift in range(1, len(records)):
        rotated = records[shift:] + records[:shift]
        assert disc.rfc2782_order(rotated, seed=99) == reference
    assert disc.rfc2782_order(list(reversed(records)), seed=99) == reference


# -- issue 11: bad inputs are refused before any query, naming the option -----------------------


class NoDns:
    """A client that fails the test if discover() queries anything."""

    def srv(self, domain):
        raise AssertionError("queried %s although the input is bad" % domain)

    addresses = srv


@pytest.mark.parametrize(
    "domains, kwargs, option",
    [
        (["site.example", "a..b"], {}, "domains[1]"),
        (["a" * 64 + ".example"], {}, "domains[0]"),
        ([".".join(["a" * 63] * 4)], {}, "domains[0]"),
        ([".".join(["a" * 63] * 3 + ["b" * 50, "example"])], {}, "domains[0]"),  # over 255 with _vlmcs._tcp.
        (["site.example", "_vlmcs._tcp.site.example"], {}, "domains[1]"),  # the service name, not the domain
        (["site.example"], {"dns_port": 0}, "dns_port"),
        (["site.example"], {"dns_port": 70000}, "dns_port"),
        (["site.example"], {"timeout": 0}, "timeout"),
        (["site.example"], {"timeout": -1}, "timeout"),
        (["site.example"], {"timeout": float("inf")}, "timeout"),
    ],
)
def test_bad_discovery_input_names_the_option_and_queries_nothing(domains, kwargs, option):
    with pytest.raises(InvalidValue) as error:
        disc.discover(domains, client=NoDns(), **kwargs)
    assert error.value.option == option
    assert str(error.value).startswith(option + ": ")
