# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Core network: what a client of the core site sees after site.yml ran."""

from __future__ import annotations

import os
import pathlib
import subprocess

import kmslab
import pytest

DNS = "10.77.1.53"
DOMAIN = "core.example.test"
KMS1 = "kms1.core.example.test"
KMS2 = "kms2.core.example.test"
BOTH = {(0, 60, 1688, KMS1), (0, 40, 1688, KMS2)}

testinfra_hosts = ["core-client"]


@pytest.fixture(name="client", scope="module")
def fixture_client():
    return kmslab.host("core-client")


def test_srv_values_are_published_as_configured(client):
    assert set(kmslab.srv_values(client, DNS, DOMAIN)) == BOTH


def test_kms_host_addresses_are_published(client):
    assert kmslab.dig(client, DNS, KMS1, "A") == ["10.77.1.11"]
    assert kmslab.dig(client, DNS, KMS2, "A") == ["10.77.1.12"]


def nsupdate(*commands):
    """Send one UPDATE of the core zone from the controller (where the core updates come from),
    signed with the publisher key that dns_bind fetched (dns_bind_fetch_keys)."""
    # where molecule/shared/inventory/group_vars/all.yml has dns_bind put the key files
    key_file = pathlib.Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "keys" / "core-dns" / "kms-publisher.key"
    assert key_file.is_file(), key_file
    script = "server %s\nzone %s\n%s\nsend\n" % (DNS, DOMAIN, "\n".join(commands))
    return subprocess.run(
        ["nsupdate", "-k", str(key_file)], input=script, capture_output=True, text=True, timeout=60, check=False
    )


def test_publisher_key_is_refused_outside_the_kms_records_even_when_signed(client):
    """The update policy, not the signature, keeps the publisher key to the KMS records: a validly
    signed SRV value at _vlmcs._tcp is accepted, the same key is REFUSED for another name, for a
    type other than SRV and TXT (the owner registry kms_publish writes beside the values) at the
    service name, and for another type at a KMS host's name."""
    probe = "0 0 1688 probe.%s." % DOMAIN
    inside = nsupdate("update add _vlmcs._tcp.%s 300 SRV %s" % (DOMAIN, probe))
    try:
        assert inside.returncode == 0, inside.stdout + inside.stderr
        assert (0, 0, 1688, "probe." + DOMAIN) in kmslab.srv_values(client, DNS, DOMAIN)
        for command in (
            "update add evil.%s 300 A 10.77.1.66" % DOMAIN,
            'update add _vlmcs._tcp.%s 300 HINFO "PC" "evil"' % DOMAIN,
            "update add %s 300 TXT evil" % KMS1,
        ):
            refused = nsupdate(command)
            assert refused.returncode != 0, command
            assert "REFUSED" in refused.stdout + refused.stderr, (command, refused.stdout + refused.stderr)
        assert kmslab.dig(client, DNS, "evil." + DOMAIN, "A") == []
        assert kmslab.dig(client, DNS, "_vlmcs._tcp." + DOMAIN, "HINFO") == []
        assert kmslab.dig(client, DNS, KMS1, "TXT") == []
    finally:
        nsupdate("update delete _vlmcs._tcp.%s SRV %s" % (DOMAIN, probe))
    assert set(kmslab.srv_values(client, DNS, DOMAIN)) == BOTH


def test_client_selects_a_reachable_host(client):
    result = kmslab.discover(client, [DOMAIN], [DNS], seed=1)
    assert sorted(kmslab.order(result)) == sorted([KMS1, KMS2])
    assert all(candidate["reachable"] for candidate in result["candidates"])
    assert kmslab.selected(result) == kmslab.order(result)[0]


@pytest.mark.parametrize(
    ("stopped", "survivor"),
    [("core-kms1", KMS2), ("core-kms2", KMS1)],
)
def test_stopping_a_kms_host_selects_the_other(client, stopped, survivor):
    # Several seeds, so that the stopped host is first in the order at least once.
    seeds = range(6)
    with kmslab.standin_stopped(kmslab.host(stopped)):
        results = [kmslab.discover(client, [DOMAIN], [DNS], seed=seed) for seed in seeds]
    assert {kmslab.selected(result) for result in results} == {survivor}
    assert any(kmslab.order(result)[0] != survivor for result in results), (
        "the stopped host was never tried first; the test proves nothing"
    )
    unreachable = {c["target"] for r in results for c in r["candidates"] if not c["reachable"]}
    assert unreachable == {KMS1, KMS2} - {survivor}


def test_removing_a_host_with_prune_removes_its_srv_value(client):
    """kms_prune is on in the inventory: run site.yml without core-kms2."""
    try:
        kmslab.run_site(lambda hosts: kmslab.remove_host(hosts, "core-kms2"), limit="core")
        assert kmslab.srv_values(client, DNS, DOMAIN) == [(0, 60, 1688, KMS1)]
        result = kmslab.discover(client, [DOMAIN], [DNS])
        assert kmslab.order(result) == [KMS1]
    finally:
        kmslab.run_site(limit="core")
    assert set(kmslab.srv_values(client, DNS, DOMAIN)) == BOTH
