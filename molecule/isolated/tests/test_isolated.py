# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Isolated network: no route to the core, its own DNS and KMS host, updates sent from inside."""

from __future__ import annotations

import ipaddress
import re
import subprocess

import kmslab
import pytest

ISOLATED_NET = "kmsops-mol-isolated"
ISOLATED_SUBNET = ipaddress.ip_network("10.77.23.0/24")
ISO_DNS = "10.77.23.53"
ISO_DOMAIN = "isolated.example.test"
ISO_KMS = "kms1.isolated.example.test"
CORE_DNS = "10.77.21.53"
CORE_DOMAIN = "core.example.test"
CORE_KMS = "kms1.core.example.test"
CORE_KMS_ADDRESS = "10.77.21.11"

testinfra_hosts = ["iso-client"]

CONNECT = "python3 -c 'import socket,sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), 2).close()' %s %s"


@pytest.fixture(name="client", scope="module")
def fixture_client():
    return kmslab.host("iso-client")


@pytest.fixture(name="core_dns", scope="module")
def fixture_core_dns():
    return kmslab.host("iso-core-dns")


def test_isolated_network_is_internal_and_shares_no_container():
    inspect = subprocess.run(
        ["docker", "network", "inspect", "-f", "{{.Internal}} {{range .Containers}}{{.Name}} {{end}}", ISOLATED_NET],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert inspect[0] == "true"
    assert sorted(inspect[1:]) == ["iso-admin", "iso-client", "iso-dns", "iso-kms1"]


def test_core_is_alive_from_the_core_side(core_dns):
    """Control for the next tests: the core DNS and KMS host answer on the core network."""
    assert kmslab.srv_values(core_dns, CORE_DNS, CORE_DOMAIN) == [(0, 0, 1688, CORE_KMS)]
    assert core_dns.run(CONNECT, CORE_KMS_ADDRESS, "1688").rc == 0


def test_client_cannot_reach_the_core_dns(client):
    assert kmslab.dig_status(client, CORE_DNS, "_vlmcs._tcp." + CORE_DOMAIN, "SRV") == "timeout"


def test_client_cannot_reach_the_core_kms_host(client):
    result = client.run(CONNECT, CORE_KMS_ADDRESS, "1688")
    assert result.rc != 0
    assert re.search(r"timed out|unreachable", result.stderr, re.I), result.stderr


def test_isolated_records_are_published(client):
    assert kmslab.srv_values(client, ISO_DNS, ISO_DOMAIN) == [(0, 0, 1688, ISO_KMS)]
    assert kmslab.dig(client, ISO_DNS, ISO_KMS, "A") == ["10.77.23.11"]


def test_client_finds_its_local_kms_host_and_nothing_of_the_core(client):
    result = kmslab.discover(client, [ISO_DOMAIN, CORE_DOMAIN], [ISO_DNS])
    assert kmslab.order(result) == [ISO_KMS]
    assert kmslab.selected(result) == ISO_KMS
    assert result["selected"]["reached_address"] == "10.77.23.11"
    # The core domain is unknown to the isolated DNS server (it is authoritative only).
    assert [error["domain"] for error in result["errors"]] == [CORE_DOMAIN]


def test_client_discovery_through_the_core_dns_finds_nothing(client):
    result = kmslab.discover(client, [CORE_DOMAIN], [CORE_DNS], timeout=1)
    assert result["candidates"] == []
    assert result["selected"] is None
    assert [error["domain"] for error in result["errors"]] == [CORE_DOMAIN]
    assert result["errors"][0]["msg"].startswith("no answer for _vlmcs._tcp.%s." % CORE_DOMAIN)


def test_records_were_written_from_inside_the_isolated_network():
    """BIND's update log: every update of the isolated zone came from iso-admin's address."""
    admin = ipaddress.ip_address(kmslab.container_address("iso-admin", ISOLATED_NET))
    assert admin in ISOLATED_SUBNET
    log = kmslab.named_log(kmslab.host("iso-dns"))
    sources = re.findall(
        r"client @\S+ ([0-9.]+)#\d+/key kms-publisher: updating zone '%s/IN'" % re.escape(ISO_DOMAIN), log
    )
    assert sources, "no update of %s in the log:\n%s" % (ISO_DOMAIN, log)
    assert {ipaddress.ip_address(source) for source in sources} == {admin}
    assert re.search(r"adding an RR at '_vlmcs\._tcp\.%s' SRV" % re.escape(ISO_DOMAIN), log)
