# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The dns_bind zone list (_bind_zones.py)."""

from __future__ import annotations

import pytest

from ansible_collections.kmsops.kms.plugins.filter.kms_bind import FilterModule
from ansible_collections.kmsops.kms.plugins.plugin_utils._bind_zones import BindZoneError, bind_keys, bind_zones


def test_filters_are_registered():
    assert set(FilterModule().filters()) == {"bind_zones", "bind_keys"}


# --- dns_bind zones and keys ------------------------------------------------------------------


def test_zone_names_are_made_absolute_once():
    zones = bind_zones(
        [
            {
                "name": "Corp.Example.",
                "kms_hosts": ["kms1", "KMS1", "kms2.corp.example", "kms.other.example."],
                "publish_from_hosts": ["kms1.core.example."],
            },
            {
                "name": "lab.example",
                "ns": "ns.lab.example",
                "hostmaster": "admin.other.example.",
                "ttl": 60,
                "ns_addresses": ["10.30.0.53"],
                "records": [{"name": "www", "type": "A", "value": "10.0.0.1"}],
            },
        ],
        zone_dir="/var/lib/bind",
        ns="ns1",
        ns_addresses=["192.0.2.53"],
    )
    assert zones[0] == {
        "name": "corp.example",
        "file": "/var/lib/bind/db.corp.example",
        "ttl": 3600,
        "ns": "ns1.corp.example",
        "ns_in_zone": True,
        "ns_addresses": ["192.0.2.53"],
        "hostmaster": "hostmaster.corp.example",
        "records": [],
        "kms_hosts": ["kms1.corp.example", "kms2.corp.example", "kms.other.example"],
        "publish_from_hosts": ["kms1.core.example"],
        "extra_grants": [],
    }
    assert (zones[1]["ns"], zones[1]["hostmaster"], zones[1]["ttl"]) == ("ns.lab.example", "admin.other.example", 60)
    assert zones[1]["ns_addresses"] == ["10.30.0.53"] and zones[1]["records"][0]["name"] == "www"


def test_a_name_server_outside_the_zone_is_not_in_the_zone():
    zone = bind_zones([{"name": "corp.example", "ns": "ns1.example.net."}], zone_dir="/z")[0]
    assert (zone["ns"], zone["ns_in_zone"]) == ("ns1.example.net", False)


def test_keys_publisher_then_one_per_kms_host_then_extra():
    zones = bind_zones(
        [{"name": "a.example", "kms_hosts": ["kms1"]}, {"name": "b.example", "kms_hosts": ["kms1.a.example.", "kms"]}],
        zone_dir="/z",
    )
    assert bind_keys(zones, publisher="kms-publisher", algorithm="hmac-sha256") == [
        {"name": "kms-publisher", "algorithm": "hmac-sha256", "role": "publisher"}
    ]
    keys = bind_keys(
        zones,
        publisher="kms-publisher",
        algorithm="hmac-sha256",
        kms_host_keys=True,
        extra_keys=[{"name": "admin", "algorithm": "hmac-sha512"}, {"name": "ops"}],
    )
    assert [(key["name"], key["algorithm"], key["role"]) for key in keys] == [
        ("kms-publisher", "hmac-sha256", "publisher"),
        ("kms1.a.example", "hmac-sha256", "kms_host"),
        ("kms.b.example", "hmac-sha256", "kms_host"),
        ("admin", "hmac-sha512", "extra"),
        ("ops", "hmac-sha256", "extra"),
    ]


@pytest.mark.parametrize(
    ("zones", "variable"),
    [
        ([{"kms_hosts": ["kms"]}], "dns_bind_zones[0].name"),
        (["corp.example"], "dns_bind_zones[0]"),
        ([{"name": "a.example", "kms_hosts": "kms1"}], "dns_bind_zones[0].kms_hosts"),
        ([{"name": "a.example"}, {"name": "b.example", "ttl": "soon"}], "dns_bind_zones[1].ttl"),
        ({"name": "a.example"}, "dns_bind_zones"),
        ([{"name": "a.example"}, {"name": "b example"}], "dns_bind_zones[1].name"),
        ([{"name": "a..example"}], "dns_bind_zones[0].name"),
        ([{"name": "."}], "dns_bind_zones[0].name"),
    ],
)
def test_bad_zones_name_the_role_variable(zones, variable):
    with pytest.raises(BindZoneError) as raised:
        bind_zones(zones, zone_dir="/z")
    assert raised.value.option == variable


def test_two_keys_with_one_name_are_refused():
    with pytest.raises(BindZoneError, match="'kms-publisher' is used by the publisher key") as raised:
        bind_keys([], publisher="kms-publisher", algorithm="hmac-sha256", extra_keys=[{"name": "kms-publisher"}])
    assert raised.value.option == "dns_bind_extra_keys"
