# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Secure dynamic updates (GSS-TSIG) against a real Samba AD DC.

Two containers of the ``kmsops/samba-ad`` image (tests/containers/samba-ad): the DC, provisioned
with realm LAB.EXAMPLE when the image is built and started in seconds (zones lab.example and
branch.lab.example accept only secure updates; KMS-Hosts, with member kmspub, has rights on
_vlmcs._tcp, kms1 and kms2 of lab.example), and a Linux client with the Kerberos configuration,
python3-gssapi and dnspython, where the modules run (``community.docker.docker`` connection, the
collection as a user installs it). kms_publish's result is read back with ``dig`` from the test
host. The ad_dns_rights module gives the group its rights in branch.lab.example.

Needs a Docker engine; fails (does not skip) without one: tests/containers/dockerd.sh start.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import time
import uuid

import pytest
import yaml
from ansible_run import run_playbook
from docker_helpers import build_image, container_inventory, container_play_env, require_docker_engine
from docker_helpers import docker as _docker

ZONE = "lab.example"
BRANCH = "branch.lab.example"
DC = f"dc1.{ZONE}"
# the test passwords the image was provisioned with (tests/containers/samba-ad/kmsops-samba-provision)
USER_PASSWORD = "Kms-User.pass1"
ADMIN_PASSWORD = "Adm1n-Pass.word"
KEYTAB = "/tmp/kmspub.keytab"
READY_TIMEOUT = 240


# the Debian releases whose Samba the tests run against (tests/containers/build_images.sh builds
# kmsops/samba-ad on each): Samba 4.17 on Debian 12, Samba 4.22 on Debian 13
SUITES = {"bookworm": "4.17", "trixie": "4.22"}
# what differs between them, as measured by these tests:
# the rcode of an update the zone's ACL denies: of a name that exists, of a new name
DENIED_RCODE = {
    "4.17": {"change": "SERVFAIL", "create": "SERVFAIL"},
    "4.22": {"change": "REFUSED", "create": "SERVFAIL"},
}
# whether replies to signed requests verify as RFC 8945 requires: Samba 4.17 signs every reply
# without the request MAC's length prefix (verify_reply_signature must be false there); Samba 4.22
# signs replies that report success right, but not the REFUSED reply to a denied update
STRICT_SUCCESS_VERIFIES = {"4.17": False, "4.22": True}


@pytest.fixture(scope="module", params=list(SUITES), ids=[f"samba-{v}" for v in SUITES.values()])
def samba_image(request):
    require_docker_engine("dig")
    return build_image("samba-ad", suite=request.param), SUITES[request.param]


def _address(name):
    address = _docker(
        "inspect", "--format", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", name
    ).stdout.strip()
    assert address, f"container {name} has no IPv4 address"
    return address


@pytest.fixture(scope="module")
def lab(samba_image, tmp_path_factory):
    """The DC and the client containers; yields their names, the DC's address and Samba version
    ("samba": 4.17 or 4.22, the key of the tables above)."""
    samba_image, samba = samba_image
    suffix = uuid.uuid4().hex[:8]
    dc_name, client_name = f"kmsops-test-ad-dc-{suffix}", f"kmsops-test-ad-client-{suffix}"
    try:
        _docker("run", "--detach", "--name", dc_name, "--hostname", "dc1", samba_image)
        started = time.monotonic()
        while True:
            state = _docker(
                "exec",
                dc_name,
                "sh",
                "-c",
                "test -e /run/kmsops-samba-ad.ready && echo ready || "
                "{ test -e /run/kmsops-samba-ad.failed && echo failed; } || echo wait",
                check=False,
            ).stdout.strip()
            if state == "ready":
                break
            if state == "failed" or _docker("inspect", "-f", "{{.State.Running}}", dc_name).stdout.strip() != "true":
                pytest.fail("the Samba DC failed to start:\n" + _docker("logs", dc_name, check=False).stderr[-4000:])
            assert time.monotonic() - started < READY_TIMEOUT, "the Samba DC is not ready after %d s" % READY_TIMEOUT
            time.sleep(1)
        start_seconds = time.monotonic() - started
        version = _docker("exec", dc_name, "samba", "--version").stdout.strip()
        assert version.startswith(f"Version {samba}."), version
        address = _address(dc_name)
        _docker(
            "run",
            "--detach",
            "--name",
            client_name,
            "--hostname",
            "client1",
            "--add-host",
            f"{DC}:{address}",
            "--add-host",
            f"alias.{ZONE}:{address}",
            samba_image,
            "sleep",
            "infinity",
        )
        keytab = tmp_path_factory.mktemp("ad-dns") / "kmspub.keytab"
        _docker("cp", f"{dc_name}:/export/kmspub.keytab", str(keytab))
        _docker("cp", str(keytab), f"{client_name}:{KEYTAB}")
        yield {
            "dc": dc_name,
            "client": client_name,
            "address": address,
            "keytab": keytab.read_bytes(),
            "start_seconds": start_seconds,
            "version": version,
            "samba": samba,
        }
    finally:
        _docker("rm", "--force", dc_name, client_name, check=False)


def kinit(lab, user, lifetime=None, cache=None):
    """Get a ticket for USER in the client's default cache (or CACHE); kdestroy first."""
    _docker("exec", lab["client"], "kdestroy", "-A", check=False)
    args = ["exec", "-i", lab["client"], "kinit"]
    if lifetime:
        args += ["-l", lifetime]
    if cache:
        args += ["-c", cache]
    proc = _docker(*args, f"{user}@LAB.EXAMPLE", stdin=USER_PASSWORD + "\n", check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def kdestroy(lab):
    _docker("exec", lab["client"], "kdestroy", "-A", check=False)


def dig(lab, name, rdtype):
    out = subprocess.run(
        ["dig", "+short", "+norecurse", "+time=2", "+tries=2", "@" + lab["address"], name, rdtype],
        capture_output=True,
        text=True,
        timeout=20,
        check=True,
    ).stdout
    return sorted(line.strip().lower() for line in out.splitlines() if line.strip())


class Play:
    def __init__(self, proc, tasks):
        self.rc = proc.returncode
        self.output = proc.stdout + proc.stderr
        self.tasks = tasks

    def __getitem__(self, index):
        return self.tasks[index]

    def __repr__(self):
        return f"Play(rc={self.rc}, tasks={json.dumps(self.tasks)[:3000]}, output=...{self.output[-3000:]})"


@pytest.fixture(scope="module")
def play(lab, collection, tmp_path_factory):
    """play(tasks, host='client', check=False, verbosity=0) -> Play with per-task results."""
    work = tmp_path_factory.mktemp("ad-dns-play")
    inventory = work / "inventory.yml"
    container_inventory(inventory, {"ad": [lab["dc"], lab["client"]]})

    def run(tasks, host="client", check=False, verbosity=0):
        playbook = work / "play.yml"
        playbook.write_text(
            yaml.safe_dump(
                [{"name": "ad_dns", "hosts": lab[host], "gather_facts": False, "tasks": tasks}], sort_keys=False
            )
        )
        run_env = container_play_env(collection, "ansible.builtin.default" if verbosity else "ansible.posix.json")
        proc = run_playbook(
            playbook,
            inventory,
            collection,
            check=check,
            verbosity=verbosity,
            json_output=not verbosity,
            env=run_env,
            timeout=300,
        )
        tasks_out = []
        if not verbosity:
            if proc.data is None:
                raise AssertionError("ansible-playbook did not print JSON:\n" + proc.stdout + proc.stderr)
            tasks_out = [task["hosts"].get(lab[host], {}) for task in proc.tasks]
        return Play(proc, tasks_out)

    return run


def publish(hosts, **options):
    args = {"server": DC, "key_algorithm": "gss-tsig", "verify_reply_signature": False, "hosts": hosts}
    args.update(options)
    return {"name": "publish", "kmsops.kms.kms_publish": args, "ignore_errors": True}


KMS1 = {
    "name": f"kms1.{ZONE}",
    "addresses": ["192.0.2.11"],
    "publish": [{"domain": ZONE, "priority": 0, "weight": 60}, {"domain": BRANCH, "priority": 10}],
}
KMS2 = {
    "name": f"kms2.{ZONE}",
    "addresses": ["192.0.2.12", "2001:db8::12"],
    "publish": [{"domain": ZONE, "priority": 0, "weight": 40}],
}


@pytest.fixture(scope="module")
def branch_rights(lab, play):
    """ad_dns_rights on the DC: KMS-Hosts may publish _vlmcs._tcp in the branch zone."""
    task = {
        "name": "rights",
        "kmsops.kms.ad_dns_rights": {
            "zone": BRANCH,
            "group": "KMS-Hosts",
            "members": ["kmspub"],
            "nodes": ["_vlmcs._tcp"],
            "restrict_zone_create": True,
        },
    }
    result = play([dict(task, check_mode=True), task, task], host="dc")
    assert result.rc == 0, result
    return result[0], result[1], result[2]


def ace_rights(text):
    """The rights of an SDDL access mask as a set of its two-letter codes."""
    return {text[i : i + 2] for i in range(0, len(text), 2)}


def test_dc_starts_and_zones_take_only_secure_updates(lab):
    print(f"Samba DC ({lab['version']}) started and ready in {lab['start_seconds']:.1f} s")
    zoneinfo = _docker(
        "exec",
        lab["dc"],
        "samba-tool",
        "dns",
        "zoneinfo",
        "127.0.0.1",
        ZONE,
        "-U",
        "administrator",
        f"--password={ADMIN_PASSWORD}",
    ).stdout
    assert re.search(r"fAllowUpdate\s*:\s*DNS_ZONE_UPDATE_SECURE", zoneinfo), zoneinfo
    assert dig(lab, ZONE, "SOA")[0].startswith(f"{DC}.")


def test_ad_dns_rights_grants_the_branch_zone_once(branch_rights, lab):
    checked, applied, again = branch_rights
    assert checked["changed"] is True, checked
    assert checked["nodes"][0]["created"] is True and checked["zone_create_restricted"] is True, checked
    assert applied["changed"] is True, applied
    assert applied["nodes"] == [
        {
            "name": "_vlmcs._tcp",
            "created": True,
            "ace_added": True,
            "dn": f"DC=_vlmcs._tcp,DC={BRANCH},CN=MicrosoftDNS,DC=DomainDnsZones,DC=lab,DC=example",
        }
    ], applied
    assert applied["members_added"] == [], applied  # kmspub is a member already
    assert again["changed"] is False and again["zone_create_restricted"] is False, again
    sddl = _docker(
        "exec",
        lab["dc"],
        "samba-tool",
        "dsacl",
        "get",
        "--objectdn",
        f"DC=_vlmcs._tcp,DC={BRANCH},CN=MicrosoftDNS,DC=DomainDnsZones,DC=lab,DC=example",
    ).stdout
    # the group's ACE with exactly these rights (Samba 4.22 lists them in another order than 4.17)
    group_aces = re.findall(r"\(A;;([A-Z]+);;;" + re.escape(applied["group_sid"]) + r"\)", sddl)
    rights = [ace_rights(ace) for ace in group_aces]
    assert rights == [{"RP", "WP", "LC", "RC", "SD", "DT"}], sddl
    # the node exists without records: nothing answers yet
    assert dig(lab, f"_vlmcs._tcp.{BRANCH}", "SRV") == []


def test_unsigned_update_is_refused(lab, play):
    result = play(
        [
            {
                "name": "unsigned",
                "ignore_errors": True,
                "kmsops.kms.dns_record": {
                    "server": lab["address"],
                    "allow_unsigned": True,
                    "zone": ZONE,
                    "name": f"_vlmcs._tcp.{ZONE}",
                    "type": "SRV",
                    "values": ["0 0 1688 rogue.lab.example."],
                },
            }
        ]
    )
    assert result[0].get("failed") is True and "REFUSED" in result[0]["msg"], result
    assert dig(lab, f"_vlmcs._tcp.{ZONE}", "SRV") == []


def test_member_publishes_with_check_mode_rerun_merge_and_prune(lab, play, branch_rights):
    kinit(lab, "kmspub")
    task = publish([KMS1, KMS2])
    checked = play([task], check=True)
    assert checked[0].get("changed") is True and not checked[0].get("failed"), checked
    assert checked[0]["updates_sent"] == 0, checked
    assert dig(lab, f"_vlmcs._tcp.{ZONE}", "SRV") == [] and dig(lab, f"kms1.{ZONE}", "A") == []

    first = play([task, task])  # the second run changes nothing
    assert first[0].get("changed") is True and not first[0].get("failed"), first
    assert first[0]["updates_sent"] == 2, first  # one UPDATE per zone
    assert first[1].get("changed") is False and first[1]["updates_sent"] == 0, first
    assert dig(lab, f"_vlmcs._tcp.{ZONE}", "SRV") == [f"0 40 1688 kms2.{ZONE}.", f"0 60 1688 kms1.{ZONE}."]
    assert dig(lab, f"_vlmcs._tcp.{BRANCH}", "SRV") == [f"10 0 1688 kms1.{ZONE}."]
    assert dig(lab, f"kms1.{ZONE}", "A") == ["192.0.2.11"]
    assert dig(lab, f"kms2.{ZONE}", "A") == ["192.0.2.12"]
    assert dig(lab, f"kms2.{ZONE}", "AAAA") == ["2001:db8::12"]

    # another writer's value at _vlmcs._tcp is kept (merge) ...
    moved = dict(KMS2, addresses=["192.0.2.22"])
    merged = play(
        [
            {
                "name": "foreign",
                "kmsops.kms.dns_record": {
                    "server": DC,
                    "key_algorithm": "gss-tsig",
                    "verify_reply_signature": False,
                    "zone": ZONE,
                    "name": f"_vlmcs._tcp.{ZONE}",
                    "type": "SRV",
                    "values": [f"5 0 1688 old.{ZONE}."],
                    "state": "present",
                },
            },
            publish([KMS1, moved]),
        ]
    )
    assert merged[0].get("changed") is True and not merged[0].get("failed"), merged
    assert merged[1].get("changed") is True and not merged[1].get("failed"), merged
    assert dig(lab, f"_vlmcs._tcp.{ZONE}", "SRV") == [
        f"0 40 1688 kms2.{ZONE}.",
        f"0 60 1688 kms1.{ZONE}.",
        f"5 0 1688 old.{ZONE}.",
    ]
    assert dig(lab, f"kms2.{ZONE}", "A") == ["192.0.2.22"]
    assert dig(lab, f"kms2.{ZONE}", "AAAA") == ["2001:db8::12"]

    # ... until prune removes values no owner claims, when asked (the owner registry, TXT at the
    # same AD node, is written in the same UPDATE: the node's ACL covers it)
    pruned = play([publish([KMS1, moved], owner="lab", prune=True, prune_unowned=True)])
    assert pruned[0].get("changed") is True and not pruned[0].get("failed"), pruned
    assert dig(lab, f"_vlmcs._tcp.{ZONE}", "SRV") == [f"0 40 1688 kms2.{ZONE}.", f"0 60 1688 kms1.{ZONE}."]
    assert len(dig(lab, f"_vlmcs._tcp.{ZONE}", "TXT")) == 2

    withdrawn = play([publish([{"name": f"kms2.{ZONE}", "publish": [{"domain": ZONE}]}], owner="lab", state="absent")])
    assert withdrawn[0].get("changed") is True and not withdrawn[0].get("failed"), withdrawn
    assert dig(lab, f"_vlmcs._tcp.{ZONE}", "SRV") == [f"0 60 1688 kms1.{ZONE}."]
    assert dig(lab, f"kms2.{ZONE}", "A") == [] and dig(lab, f"kms2.{ZONE}", "AAAA") == []


def test_keytab_and_principal_without_a_ticket_cache(lab, play):
    kdestroy(lab)
    host = {"name": f"kms2.{ZONE}", "addresses": ["192.0.2.32"], "publish": [{"domain": ZONE, "weight": 5}]}
    result = play([publish([host], kerberos_principal="kmspub@LAB.EXAMPLE", kerberos_keytab=KEYTAB)])
    assert result[0].get("changed") is True and not result[0].get("failed"), result
    assert f"0 5 1688 kms2.{ZONE}." in dig(lab, f"_vlmcs._tcp.{ZONE}", "SRV")
    assert dig(lab, f"kms2.{ZONE}", "A") == ["192.0.2.32"]
    # the keytab's tickets stayed in memory: no cache was written
    assert _docker("exec", lab["client"], "klist", check=False).returncode != 0


def test_kerberos_secrets_never_appear_in_verbose_output(lab, play):
    kinit(lab, "kmspub", cache="/tmp/krb5cc_secret")
    result = play(
        [
            publish(
                [dict(KMS1, addresses=["192.0.2.41"])], kerberos_principal="kmspub@LAB.EXAMPLE", kerberos_keytab=KEYTAB
            ),
            publish([dict(KMS1, addresses=["192.0.2.42"])], kerberos_ccache="/tmp/krb5cc_secret"),
        ],
        verbosity=4,
    )
    assert result.rc == 0 and "failed=0" in result.output, result
    assert dig(lab, f"kms1.{ZONE}", "A") == ["192.0.2.42"]
    keys = _docker("exec", lab["client"], "klist", "-k", "-K", "-e", KEYTAB).stdout
    key_hex = re.findall(r"\(0x([0-9a-f]{32,})\)", keys)
    assert key_hex, keys
    ccache = _docker("exec", lab["client"], "base64", "-w0", "/tmp/krb5cc_secret").stdout.strip()
    secrets = [*key_hex, USER_PASSWORD, base64.b64encode(lab["keytab"]).decode(), lab["keytab"].hex(), ccache]
    secrets += re.findall(r".{40}", ccache)
    for secret in secrets:
        assert secret.lower() not in result.output.lower(), "a Kerberos secret appeared in -vvvv output"


def test_non_member_cannot_publish(lab, play):
    kinit(lab, "kmsother")
    before = dig(lab, f"_vlmcs._tcp.{ZONE}", "SRV")
    result = play(
        [publish([{"name": f"kms1.{ZONE}", "addresses": ["192.0.2.66"], "publish": [{"domain": ZONE, "priority": 9}]}])]
    )
    failed = result[0]
    denied = DENIED_RCODE[lab["samba"]]
    assert failed.get("failed") is True and failed.get("changed") is False, result
    assert f"answered {denied['change']} " in failed["msg"], failed
    assert "ACL" in failed["msg"] and "kmsother@LAB.EXAMPLE" in failed["msg"], failed
    assert failed["option"] == "kerberos_principal"
    # nor can it create a name of its own: the zone no longer lets authenticated users create names
    created = play(
        [
            {
                "name": "new name",
                "ignore_errors": True,
                "kmsops.kms.dns_record": {
                    "server": DC,
                    "key_algorithm": "gss-tsig",
                    "verify_reply_signature": False,
                    "zone": ZONE,
                    "name": f"rogue.{ZONE}",
                    "type": "A",
                    "values": ["192.0.2.66"],
                },
            }
        ]
    )
    assert created[0].get("failed") is True and f"answered {denied['create']} " in created[0]["msg"], created
    assert dig(lab, f"_vlmcs._tcp.{ZONE}", "SRV") == before
    assert dig(lab, f"kms1.{ZONE}", "A") == ["192.0.2.42"]
    assert dig(lab, f"rogue.{ZONE}", "A") == []


def test_strict_reply_verification_by_samba_version(lab, play):
    """Strict verification (the default) fails on Samba 4.17's replies and writes nothing; on
    Samba 4.22 it holds for replies that report success, but the reply to a denied update does not
    verify: the task fails on the signature (not on the ACL) and nothing is written."""
    kinit(lab, "kmspub")
    before = dig(lab, f"kms1.{ZONE}", "A")
    result = play([publish([dict(KMS1, addresses=["192.0.2.77"])], verify_reply_signature=True)])
    print(f"Samba {lab['samba']}: strict reply verification -> {result[0].get('msg') or 'verified'}")
    if not STRICT_SUCCESS_VERIFIES[lab["samba"]]:
        failed = result[0]
        assert failed.get("failed") is True and failed["option"] == "verify_reply_signature", result
        assert "does not verify" in failed["msg"] and "Samba 4.17" in failed["msg"], failed
        # the first signed message is a read: nothing was sent that changes the zone
        assert dig(lab, f"kms1.{ZONE}", "A") == before
        return
    applied = result[0]
    assert applied.get("changed") is True and not applied.get("failed"), result
    assert dig(lab, f"kms1.{ZONE}", "A") == ["192.0.2.77"]
    # the REFUSED reply to a denied update does not verify: a signature error, nothing written
    kinit(lab, "kmsother")
    denied = play([publish([dict(KMS1, addresses=["192.0.2.78"])], verify_reply_signature=True)])
    print(f"Samba {lab['samba']}: strict, denied update -> {denied[0].get('msg')}")
    assert denied[0].get("failed") is True and denied[0]["option"] == "verify_reply_signature", denied
    assert "does not verify (the reply claims REFUSED, which is not trusted" in denied[0]["msg"], denied
    assert dig(lab, f"kms1.{ZONE}", "A") == ["192.0.2.77"]
    # back to what the next test expects, strict again
    kinit(lab, "kmspub")
    restored = play([publish([dict(KMS1, addresses=before)], verify_reply_signature=True)])
    assert restored[0].get("changed") is True and not restored[0].get("failed"), restored
    assert dig(lab, f"kms1.{ZONE}", "A") == before


def test_kerberos_failures_name_what_to_fix(lab, play):
    _docker(
        "exec",
        "-i",
        lab["client"],
        "ktutil",
        stdin=(
            "addent -password -p kmspub@WRONG.EXAMPLE -k 1 -e aes256-cts-hmac-sha1-96\n"
            f"{USER_PASSWORD}\nwkt /tmp/wrong.keytab\nquit\n"
        ),
    )
    host = [dict(KMS1, addresses=["192.0.2.88"])]
    kdestroy(lab)
    without_ticket = play(
        [
            publish(host),
            publish(host, kerberos_principal="kmspub@WRONG.EXAMPLE", kerberos_keytab="/tmp/wrong.keytab"),
            publish(host, server=f"alias.{ZONE}", kerberos_principal="kmspub@LAB.EXAMPLE", kerberos_keytab=KEYTAB),
            publish(host, server=lab["address"]),
        ]
    )
    kinit(lab, "kmspub", lifetime="5s")
    time.sleep(6)
    expired = play([publish(host)])
    cases = [
        (without_ticket[0], "kerberos_ccache", "no Kerberos ticket"),
        (without_ticket[1], "kerberos_principal", "no KDC found for the realm of kmspub@WRONG.EXAMPLE"),
        (without_ticket[2], "server", f"does not know the service principal DNS/alias.{ZONE}"),
        (without_ticket[3], "server", "fully qualified host name"),
        (expired[0], "kerberos_ccache", "has expired"),
    ]
    for result, option, message in cases:
        assert result.get("failed") is True, result
        assert result["option"] == option and message in result["msg"], result["msg"]
    assert "Traceback" not in without_ticket.output + expired.output
    assert dig(lab, f"kms1.{ZONE}", "A") == ["192.0.2.42"]


def test_report_removal_task_removes_a_value_whatever_its_name_with_kerberos(lab, play):
    """The discovery report's clean-up task for an AD-integrated site (GSS-TSIG, as the site sends
    its updates) removes exactly the flagged values, one of them naming old_kms (an underscore:
    Windows and Samba DNS hold such names), and keeps the others."""
    from ansible.parsing.dataloader import DataLoader  # pylint: disable=import-outside-toplevel

    from ansible_collections.kmsops.kms.plugins.plugin_utils._kms_report import (  # pylint: disable=import-outside-toplevel
        cleanup_task,
    )

    kinit(lab, "kmspub")
    owner = f"_vlmcs._tcp.{ZONE}"
    added = _docker(
        "exec",
        "-i",
        lab["client"],
        "nsupdate",
        "-g",
        stdin=(
            f"check-names no\nserver {DC}\nzone {ZONE}\n"
            f"update add {owner}. 3600 IN SRV 0 0 1688 old_kms.{ZONE}.\n"
            f"update add {owner}. 3600 IN SRV 7 3 1690 old_kms.{ZONE}.\n"
            f"update add {owner}. 3600 IN SRV 9 0 1688 keep-me.{ZONE}.\nsend\n"
        ),
        check=False,
    )
    before = dig(lab, owner, "SRV")
    assert f"0 0 1688 old_kms.{ZONE}." in before and f"7 3 1690 old_kms.{ZONE}." in before, added.stderr
    site = {
        "dns_server": DC,
        "dns_port": 53,
        "key_algorithm": "gss-tsig",
        "key_file": None,
        "key_name": None,
        "verify_reply_signature": False,
        "dns_update_host": "localhost",
    }
    text = cleanup_task(
        site,
        ZONE,
        [
            {"priority": 0, "weight": 0, "port": 1688, "target": f"old_kms.{ZONE}"},
            {"priority": 7, "weight": 3, "port": 1690, "target": f"old_kms.{ZONE}"},
        ],
    )
    assert f"target: !unsafe 'old_kms.{ZONE}.'" in text
    tasks = json.loads(json.dumps(DataLoader().load(text)))  # as ansible-playbook reads it (no Jinja here)
    checked = play(tasks, check=True)
    assert checked[0].get("changed") is True and not checked[0].get("failed"), checked
    assert dig(lab, owner, "SRV") == before
    removed = play(tasks + tasks)
    assert removed[0].get("changed") is True and not removed[0].get("failed"), removed
    assert removed[1].get("changed") is False and not removed[1].get("failed"), removed
    assert dig(lab, owner, "SRV") == sorted(v for v in before if "old_kms" not in v)
    assert f"9 0 1688 keep-me.{ZONE}." in dig(lab, owner, "SRV")
