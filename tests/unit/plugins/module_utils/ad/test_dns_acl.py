# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Names and ACEs of the ad_dns_rights module (the directory work runs against a real Samba DC
in tests/integration/test_ad_dns.py)."""

from __future__ import annotations

import pytest

from ansible_collections.kmsops.kms.plugins.module_utils.ad._dns_acl import (
    ADRightsError,
    check_rights,
    grant_ace,
    node_dn,
    normalize_zone,
    relative_node,
    zone_dn,
)

DOMAIN_DN = "DC=lab,DC=example"


def test_zone_is_normalised():
    assert normalize_zone(" Lab.Example. ") == "lab.example"


@pytest.mark.parametrize("zone", ["", "bad zone", "-x.example", "a..b"])
def test_bad_zone_names_zone(zone):
    with pytest.raises(ADRightsError) as error:
        normalize_zone(zone)
    assert error.value.option == "zone"


@pytest.mark.parametrize(
    "node, relative",
    [
        ("_vlmcs._tcp", "_vlmcs._tcp"),
        ("KMS1", "kms1"),
        ("kms1.lab.example.", "kms1"),
        ("_VLMCS._TCP.branch.lab.example.", "_vlmcs._tcp.branch"),
    ],
)
def test_nodes_relative_to_the_zone(node, relative):
    assert relative_node(node, "lab.example") == relative


@pytest.mark.parametrize(
    "node, message",
    [
        ("lab.example.", "apex"),
        ("kms1.other.example.", "not inside"),
        ("", "must be a non-empty domain name"),
        ("bad name", "not a valid domain name"),
        ("a" * 64, "longer than 63 octets"),
    ],
)
def test_bad_nodes_name_nodes(node, message):
    with pytest.raises(ADRightsError, match=message) as error:
        relative_node(node, "lab.example")
    assert error.value.option == "nodes"


def test_directory_names():
    assert zone_dn("lab.example", DOMAIN_DN) == "DC=lab.example,CN=MicrosoftDNS,DC=DomainDnsZones,DC=lab,DC=example"
    assert node_dn("_vlmcs._tcp", "lab.example", DOMAIN_DN, "ForestDnsZones") == (
        "DC=_vlmcs._tcp,DC=lab.example,CN=MicrosoftDNS,DC=ForestDnsZones,DC=lab,DC=example"
    )
    with pytest.raises(ADRightsError) as error:
        zone_dn("lab.example", DOMAIN_DN, "Other")
    assert error.value.option == "partition"


def test_rights_and_ace():
    assert check_rights("rpwplcrcsddt") == "RPWPLCRCSDDT"
    assert grant_ace("RPWPLCRCSDDT", "S-1-5-21-1-2-3-1103") == "(A;;RPWPLCRCSDDT;;;S-1-5-21-1-2-3-1103)"


@pytest.mark.parametrize(
    "rights, message",
    [
        ("", "not a string"),
        ("RPW", "not a string"),
        ("RPXX", "not a string"),
        ("RPRPWP", "twice"),
        ("RPLC", "lacks WP"),
    ],
)
def test_bad_rights_name_rights(rights, message):
    with pytest.raises(ADRightsError, match=message) as error:
        check_rights(rights)
    assert error.value.option == "rights"


def test_group_sid_must_be_a_sid():
    with pytest.raises(ADRightsError) as error:
        grant_ace("RPWP", "KMS-Hosts")
    assert error.value.option == "group"
