# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Branch office: local KMS host first, core hosts as weighted fallback."""

from __future__ import annotations

import kmslab
import pytest

BRANCH_DNS = "10.77.12.53"
CORE_DNS = "10.77.11.53"
NAMESERVERS = [BRANCH_DNS, CORE_DNS]
BRANCH = "branch.example.test"
LOCAL = "kms1.branch.example.test"
CORE1 = "kms1.core.example.test"
CORE2 = "kms2.core.example.test"
SEEDS = range(4)

testinfra_hosts = ["br-client"]


@pytest.fixture(name="client", scope="module")
def fixture_client():
    return kmslab.host("br-client")


def test_branch_domain_holds_local_host_first_and_core_fallback(client):
    assert kmslab.srv_values(client, BRANCH_DNS, BRANCH) == [
        (0, 0, 1688, LOCAL),
        (10, 25, 1688, CORE2),
        (10, 75, 1688, CORE1),
    ]


def test_address_records_stay_in_their_own_zone(client):
    assert kmslab.dig(client, BRANCH_DNS, LOCAL, "A") == ["10.77.12.11"]
    assert kmslab.dig(client, CORE_DNS, CORE1, "A") == ["10.77.11.11"]
    assert kmslab.dig_status(client, BRANCH_DNS, CORE1, "A") == "REFUSED"


@pytest.mark.parametrize("seed", SEEDS)
def test_branch_client_tries_the_local_host_first(client, seed):
    result = kmslab.discover(client, [BRANCH], NAMESERVERS, seed=seed)
    assert kmslab.order(result)[0] == LOCAL
    assert sorted(kmslab.order(result)[1:]) == [CORE1, CORE2]
    assert kmslab.selected(result) == LOCAL


def _assert_falls_back_to_core(results):
    for result in results:
        tried = kmslab.order(result)
        assert tried[0] == LOCAL
        assert not result["candidates"][0]["reachable"]
        # The first host of the fallback group in the client's order is the one it uses.
        assert kmslab.selected(result) == tried[1]
        assert tried[1] in (CORE1, CORE2)


def test_local_host_stopped_falls_back_to_core(client):
    with kmslab.standin_stopped(kmslab.host("br-kms1")):
        results = [kmslab.discover(client, [BRANCH], NAMESERVERS, seed=seed) for seed in SEEDS]
    _assert_falls_back_to_core(results)


def test_local_network_cut_falls_back_to_core(client):
    with kmslab.network_cut("br-kms1", "kmsops-mol-branch"):
        results = [kmslab.discover(client, [BRANCH], NAMESERVERS, seed=seed, timeout=1) for seed in SEEDS[:2]]
    _assert_falls_back_to_core(results)
    # Back on its network, the local host is used again.
    assert kmslab.selected(kmslab.discover(client, [BRANCH], NAMESERVERS)) == LOCAL


def test_weights_split_the_fallback_group_75_25(client):
    """The srv_order filter on the records the client reads, over many seeds."""
    values = client.run_test("dig +short @%s _vlmcs._tcp.%s SRV", BRANCH_DNS, BRANCH).stdout.split("\n")
    values = [value for value in values if value]
    draws = 4000
    first_fallback = [kmslab.srv_order(values, seed=seed)[1].split()[3].rstrip(".") for seed in range(draws)]
    share = first_fallback.count(CORE1) / draws
    assert set(first_fallback) == {CORE1, CORE2}
    assert abs(share - 0.75) < 0.04, share


@pytest.mark.parametrize("seed", SEEDS)
def test_discovery_order_is_the_filter_order(client, seed):
    """kms_discover on the client and srv_order on the same records agree for a seed."""
    values = client.run_test("dig +short @%s _vlmcs._tcp.%s SRV", BRANCH_DNS, BRANCH).stdout.split("\n")
    expected = [value.split()[3].rstrip(".") for value in kmslab.srv_order([v for v in values if v], seed)]
    result = kmslab.discover(client, [BRANCH], NAMESERVERS, seed=seed, probe=False)
    assert kmslab.order(result) == expected
