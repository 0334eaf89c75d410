# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""kmsops.kms.dns_record against a real named, read back with dig."""

from __future__ import annotations

import socket

import pytest
from conftest import with_site
from named_server import NamedServer

GROUP = "group/kmsops.kms.dns"


def srv_task(name, values, **extra):
    args = {"name": name, "type": "SRV", "values": values}
    args.update(extra)
    return {"name": "dns_record", "kmsops.kms.dns_record": args, "register": "result"}


def test_create_then_idempotent_then_read_back(named, site, run_play, dns_defaults):
    owner = f"_vlmcs._tcp.{site}"
    task = srv_task(owner, [{"priority": 0, "weight": 10, "port": 1688, "target": f"kms1.{site}"}])
    serial = named.serial(site)

    checked = run_play([task], check=True, diff=True, module_defaults={GROUP: dns_defaults("kms-publisher")})
    assert checked.rc == 0, checked
    assert checked[0]["changed"] is True
    assert checked[0]["after"]["values"] == [f"0 10 1688 kms1.{site}."]
    assert checked[0]["diff"]["before"] == ""
    assert checked[0]["diff"]["after"] == f"{owner}. 3600 IN SRV 0 10 1688 kms1.{site}.\n"
    assert named.serial(site) == serial, "check mode must not send an UPDATE"
    assert named.dig(owner, "SRV") == []

    applied = run_play([task], module_defaults={GROUP: dns_defaults("kms-publisher")})
    assert applied.rc == 0, applied
    assert applied[0]["changed"] is True
    assert applied[0]["zone"] == f"{site}."
    assert applied[0]["zones"][0]["update_sent"] is True
    assert named.dig(owner, "SRV") == [f"0 10 1688 kms1.{site}."]
    serial = named.serial(site)

    again = run_play([task], module_defaults={GROUP: dns_defaults("kms-publisher")})
    assert again.rc == 0, again
    assert again[0]["changed"] is False
    assert again[0]["zones"][0]["update_sent"] is False
    assert named.serial(site) == serial, "an idempotent run must not send an UPDATE"


def test_canonical_compare_text_and_dict_forms_are_equal(named, site, run_play, dns_defaults):
    owner = f"_vlmcs._tcp.{site}"
    named.nsupdate("admin", f"update add {owner} 3600 SRV 0 0 1688 KMS1.{site.upper()}.")
    result = run_play(
        [srv_task(owner, [{"port": 1688, "target": f"kms1.{site}"}, f"0 0 1688 Kms1.{site}"])],
        module_defaults={GROUP: dns_defaults("kms-publisher")},
    )
    assert result.rc == 0, result
    assert result[0]["changed"] is False


def test_merge_keeps_value_of_another_writer(named, site, run_play, dns_defaults):
    owner = f"_vlmcs._tcp.{site}"
    named.nsupdate("other-writer", f"update add {owner} 3600 SRV 0 0 1688 kms2.{site}.")
    result = run_play(
        [srv_task(owner, [f"0 0 1688 kms1.{site}"])], module_defaults={GROUP: dns_defaults("kms-publisher")}
    )
    assert result.rc == 0, result
    assert result[0]["before"]["values"] == [f"0 0 1688 kms2.{site}."]
    assert named.dig(owner, "SRV") == [f"0 0 1688 kms1.{site}.", f"0 0 1688 kms2.{site}."]


def test_exclusive_makes_rrset_exactly_values(named, site, run_play, dns_defaults):
    owner = f"_vlmcs._tcp.{site}"
    named.nsupdate("other-writer", f"update add {owner} 3600 SRV 0 0 1688 kms2.{site}.")
    result = run_play(
        [srv_task(owner, [f"0 0 1688 kms1.{site}"], exclusive=True)],
        module_defaults={GROUP: dns_defaults("kms-publisher")},
    )
    assert result.rc == 0, result
    assert named.dig(owner, "SRV") == [f"0 0 1688 kms1.{site}."]


def test_absent_removes_only_given_value_then_whole_rrset(named, site, run_play, dns_defaults):
    owner = f"_vlmcs._tcp.{site}"
    named.nsupdate(
        "admin",
        f"update add {owner} 3600 SRV 0 0 1688 kms1.{site}.\n"
        f"update add {owner} 3600 SRV 0 0 1688 kms2.{site}.\n"
        f"update add {owner} 3600 SRV 5 0 1688 kms3.{site}.",
    )
    one = run_play(
        [srv_task(owner, [f"0 0 1688 kms2.{site}"], state="absent")],
        module_defaults={GROUP: dns_defaults("kms-publisher")},
    )
    assert one.rc == 0, one
    assert one[0]["changed"] is True
    assert named.dig(owner, "SRV") == [f"0 0 1688 kms1.{site}.", f"5 0 1688 kms3.{site}."]
    again = run_play(
        [srv_task(owner, [f"0 0 1688 kms2.{site}"], state="absent")],
        module_defaults={GROUP: dns_defaults("kms-publisher")},
    )
    assert again[0]["changed"] is False
    everything = run_play(
        [{"kmsops.kms.dns_record": {"name": owner, "type": "SRV", "state": "absent"}}],
        module_defaults={GROUP: dns_defaults("kms-publisher")},
    )
    assert everything.rc == 0, everything
    assert everything[0]["changed"] is True
    assert named.dig(owner, "SRV") == []


def test_ttl_change_is_a_change_and_keeps_values(named, site, run_play, dns_defaults):
    owner = f"_vlmcs._tcp.{site}"
    named.nsupdate("other-writer", f"update add {owner} 3600 SRV 0 0 1688 kms2.{site}.")
    result = run_play(
        [srv_task(owner, [f"0 0 1688 kms2.{site}"], ttl=600)], module_defaults={GROUP: dns_defaults("kms-publisher")}
    )
    assert result.rc == 0, result
    assert result[0]["changed"] is True
    assert named.ttls(owner, "SRV") == {600}
    assert named.dig(owner, "SRV") == [f"0 0 1688 kms2.{site}."]


@pytest.mark.parametrize(
    "rdtype,name,values,expected",
    [
        ("A", "kms1", ["192.0.2.7", "192.0.2.8"], ["192.0.2.7", "192.0.2.8"]),
        ("AAAA", "kms1", ["2001:DB8:0:0::7"], ["2001:db8::7"]),
        ("TXT", "note", ["KMS host for the core site"], ['"kms host for the core site"']),
        ("CNAME", "kms-alias", ["kms1.example.net"], ["kms1.example.net."]),
        ("PTR", "7", ["kms1.example.net"], ["kms1.example.net."]),
    ],
)
def test_other_types_relative_names(named, site, run_play, dns_defaults, rdtype, name, values, expected):
    task = {"kmsops.kms.dns_record": {"zone": site, "name": name, "type": rdtype, "values": values}}
    result = run_play([task], module_defaults={GROUP: dns_defaults("admin")})
    assert result.rc == 0, result
    assert result[0]["name"] == f"{name}.{site}."
    assert named.dig(f"{name}.{site}", rdtype) == expected
    again = run_play([task], module_defaults={GROUP: dns_defaults("admin")})
    assert again[0]["changed"] is False


@pytest.mark.parametrize("key", ["md5-key", "sha512-key"])
def test_other_tsig_algorithms_and_key_file(named, site, run_play, key):
    task = {
        "kmsops.kms.dns_record": {
            "server": named.address,
            "server_port": named.port,
            "key_file": named.key_files[key],
            "name": f"alg.{site}",
            "type": "A",
            "values": ["192.0.2.99"],
        }
    }
    result = run_play([task])
    assert result.rc == 0, result
    assert named.dig(f"alg.{site}", "A") == ["192.0.2.99"]


@pytest.mark.parametrize("server", ["::1", "localhost"])
def test_server_by_ipv6_address_or_host_name(named, site, run_play, dns_defaults, server):
    owner = f"_vlmcs._tcp.{site}"
    result = run_play(
        [srv_task(owner, [f"0 0 1688 kms1.{site}"])],
        module_defaults={GROUP: dns_defaults("kms-publisher", server=server)},
    )
    assert result.rc == 0, result
    assert named.dig(owner, "SRV") == [f"0 0 1688 kms1.{site}."]


# -- errors: each a clear message naming the option, and nothing changed ----------------------
def _listening_socket_that_never_answers():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(5)
    return sock


def _closed_port():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


ERROR_CASES = {
    "unreachable server": ({"server_port": "CLOSED"}, {}, "server: cannot reach 127.0.0.1 port"),
    "timeout": ({"server_port": "SILENT", "timeout": 1}, {}, "timeout: no answer from 127.0.0.1"),
    "unknown key name": ({"key_name": "no-such-key"}, {}, "key_name: the server does not know the key"),
    "bad secret": (
        {"key_secret": "c2VjcmV0LXRoYXQtaXMtd3Jvbmctd3Jvbmctd3Jvbmc="},
        {},
        "key_secret: the server rejected the signature",
    ),
    "refused by update-policy": (
        {},
        {"name": "www.SITE", "type": "A", "values": ["192.0.2.1"]},
        "key_name: the server REFUSED the update to zone SITE.",
    ),
    "zone not found": ({}, {"name": "_vlmcs._tcp.nowhere.test", "type": "SRV"}, "name: no zone on 127.0.0.1"),
    "given zone not on server": ({}, {"zone": "nowhere.test"}, "zone: no zone on 127.0.0.1"),
    "invalid name": ({}, {"name": "bad..name.SITE"}, "name: 'bad..name.SITE' is not a valid domain name"),
    "name with space": ({}, {"name": "bad name.SITE"}, "name: 'bad name.SITE' is not a valid domain name"),
    "priority out of range": (
        {},
        {"values": [{"priority": 70000, "port": 1688, "target": "kms1.SITE"}]},
        "values[0].priority: must be an integer from 0 to 65535, got 70000",
    ),
    "weight out of range": (
        {},
        {"values": ["0 -1 1688 kms1.SITE"]},
        "values[0].weight: must be an integer from 0 to 65535",
    ),
    "port out of range": (
        {},
        {"values": [{"port": 65536, "target": "kms1.SITE"}]},
        "values[0].port: must be an integer from 1 to 65535, got 65536",
    ),
    "malformed address": (
        {},
        {"name": "kms1.SITE", "type": "A", "values": ["192.0.2.300"]},
        "values[0]: '192.0.2.300' is not a valid IPv4 address",
    ),
    "IPv6 given for A": (
        {},
        {"name": "kms1.SITE", "type": "A", "values": ["2001:db8::1"]},
        "values[0]: '2001:db8::1' is not a valid IPv4 address",
    ),
    # issue 11, defects 2, 3, 4, 9
    "empty name": ({}, {"name": ""}, "name: must be a non-empty domain name"),
    "wildcard inside a label": (
        {},
        {"name": "a*b.SITE", "type": "A", "values": ["192.0.2.1"]},
        "name: 'a*b.SITE' is not a valid domain name",
    ),
    "underscore in an address owner": (
        {},
        {"name": "kms_1.SITE", "type": "A", "values": ["192.0.2.1"]},
        "name: 'kms_1.SITE.' is not a valid host name",
    ),
    "wildcard SRV target": ({}, {"values": ["0 0 1688 *.SITE"]}, "values[0].target: '*.SITE' is not a valid host name"),
    "IPv4-mapped AAAA": (
        {},
        {"name": "kms1.SITE", "type": "AAAA", "values": ["::ffff:1.2.3.4"]},
        "values[0]: '::ffff:1.2.3.4' is an IPv4-mapped IPv6 address",
    ),
    "infinite timeout": ({"timeout": "inf"}, {}, "timeout: must be more than 0"),
    "secret not base64": ({"key_secret": "not base64!"}, {}, "key_secret: is not a base64-encoded TSIG secret"),
    "no key and no allow_unsigned": ({"key_name": None, "key_secret": None}, {}, "key_name: no TSIG key given"),
    "unsigned update refused": (
        {"key_name": None, "key_secret": None, "allow_unsigned": True},
        {},
        "key_name: the server REFUSED the update to zone SITE. sent unsigned",
    ),
}


@pytest.mark.parametrize("case", sorted(ERROR_CASES))
def test_errors_are_clear_and_change_nothing(named, site, run_play, dns_defaults, case):
    conn_override, args_override, message = ERROR_CASES[case]
    silent = _listening_socket_that_never_answers()
    try:
        conn = dns_defaults("kms-publisher")
        for key, value in conn_override.items():
            if value == "CLOSED":
                value = _closed_port()
            elif value == "SILENT":
                value = silent.getsockname()[1]
            conn[key] = value
        conn = {key: value for key, value in conn.items() if value is not None}
        args = {"name": f"_vlmcs._tcp.{site}", "type": "SRV", "values": [f"0 0 1688 kms1.{site}"]}
        args.update(with_site(args_override, site))
        serial = named.serial(site)
        args.update(conn)
        result = run_play([{"kmsops.kms.dns_record": args}])
    finally:
        silent.close()
    assert result.rc == 2, result
    assert result[0]["failed"] is True
    assert message.replace("SITE", site) in result[0]["msg"], result[0]["msg"]
    assert named.serial(site) == serial
    assert named.dig(f"_vlmcs._tcp.{site}", "SRV") == []


def test_malformed_key_file_is_clear_error(named, site, run_play, tmp_path):
    bad = tmp_path / "broken.key"
    bad.write_text('key "kms-publisher" {\n\talgorithm hmac-sha256;\n};\n')
    result = run_play(
        [
            {
                "kmsops.kms.dns_record": {
                    "server": named.address,
                    "server_port": named.port,
                    "key_file": str(bad),
                    "name": f"_vlmcs._tcp.{site}",
                    "type": "SRV",
                    "values": [f"0 0 1688 kms1.{site}"],
                }
            }
        ]
    )
    assert result.rc == 2
    assert "key_file: the key 'kms-publisher' in" in result[0]["msg"]
    assert "lacks an algorithm or a secret" in result[0]["msg"]


def test_tsig_secret_never_appears_in_verbose_output(named, site, run_play, dns_defaults):
    conn = dns_defaults("kms-publisher")
    secret = conn["key_secret"]
    owner = f"_vlmcs._tcp.{site}"
    tasks = [
        {"kmsops.kms.dns_record": dict(conn, name=owner, type="SRV", values=[f"0 0 1688 kms1.{site}"])},
        {
            "kmsops.kms.dns_record": dict(conn, name=f"www.{site}", type="A", values=["192.0.2.1"]),
            "ignore_errors": True,
        },
        {
            "kmsops.kms.dns_record": dict(
                conn, key_secret=secret[:-4] + "AAA=", name=owner, type="SRV", values=[f"0 0 1688 kms2.{site}"]
            ),
            "ignore_errors": True,
        },
    ]
    result = run_play(tasks, diff=True, verbosity=3, json_output=False)
    assert "changed: [localhost]" in result.output
    assert "REFUSED" in result.output
    assert secret not in result.output
    assert secret[:-4] not in result.output


@pytest.fixture(scope="module")
def windows_like_named():
    """A named whose zones hold names that are not host names (check-names warn), as Windows DNS
    zones do: what such a zone holds must be removable by the collection."""
    server = NamedServer(sites=2, check_names="warn").start()
    yield server
    server.stop()


def test_a_value_whose_target_is_not_a_host_name_is_removed_but_never_added(windows_like_named, run_play):
    named, site = windows_like_named, "site01.example"
    owner = f"_vlmcs._tcp.{site}"
    named.nsupdate(
        "admin",
        "\n".join(
            [
                "check-names no",
                f"update add {owner}. 3600 SRV 0 0 1688 old_kms.{site}.",
                f"update add {owner}. 3600 SRV 5 0 1690 old_kms.{site}.",
                f"update add {owner}. 3600 SRV 0 0 1688 kms1.{site}.",
                f"update add old_kms.{site}. 3600 A 127.0.0.9",
            ]
        ),
    )
    algorithm, secret = named.keys["admin"]
    defaults = {
        GROUP: {
            "server": named.address,
            "server_port": named.port,
            "key_name": "admin",
            "key_secret": secret,
            "key_algorithm": algorithm,
        }
    }
    value = f"0 0 1688 old_kms.{site}."
    serial = named.serial(site)

    added = run_play([srv_task(owner, [f"0 0 1689 old_kms.{site}."])], module_defaults=defaults)
    assert added.rc != 0 and added[0]["option"] == "values[0].target", added
    assert "is not a valid host name" in added[0]["msg"]
    assert named.serial(site) == serial

    checked = run_play([srv_task(owner, [value], state="absent")], check=True, diff=True, module_defaults=defaults)
    assert checked.rc == 0 and checked[0]["changed"] is True, checked
    assert checked[0]["diff"]["before"] != checked[0]["diff"]["after"]
    assert named.serial(site) == serial, "check mode must not send an UPDATE"

    removed = run_play([srv_task(owner, [value], state="absent")], module_defaults=defaults)
    assert removed.rc == 0 and removed[0]["changed"] is True, removed
    assert named.dig(owner, "SRV") == sorted([f"0 0 1688 kms1.{site}.", f"5 0 1690 old_kms.{site}."])
    again = run_play([srv_task(owner, [value], state="absent")], module_defaults=defaults)
    assert again.rc == 0 and again[0]["changed"] is False, again

    # kms_publish state=absent withdraws such a host too: its SRV values, then its address records
    withdrawn = run_play(
        [
            {
                "name": "kms_publish",
                "kmsops.kms.kms_publish": {
                    "state": "absent",
                    "hosts": [{"name": f"old_kms.{site}", "publish": [{"domain": site}]}],
                },
            }
        ],
        module_defaults=defaults,
    )
    assert withdrawn.rc == 0 and withdrawn[0]["changed"] is True, withdrawn
    assert named.dig(owner, "SRV") == [f"0 0 1688 kms1.{site}."]
    assert named.dig(f"old_kms.{site}", "A") == []
