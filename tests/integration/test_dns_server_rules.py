# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What BIND ignores, refuses or leaves half-done, against a real named, read back with dig.

* CNAME rules: BIND answers NOERROR and ignores data added beside a CNAME (and a CNAME added
  beside data); the modules fail before sending and never report a change.
* An UPDATE BIND acknowledges but ignores (deleting the apex NS RRset): dns_record reads back.
* REFUSED names every possible cause; SERVFAIL over the per-RRset record limit names the limit.
* kms_publish writes a host's address (its zone's UPDATE) before SRV values that name it.
* An UPDATE that got no answer leaves its zone reported as ``unknown``, not left out.
* TSIG secrets (also from key_file) never show at -vvvv, in diffs or tracebacks.
"""

from __future__ import annotations

import pathlib
import socket
import threading

from tripwire_proxy import read_message

GROUP = "group/kmsops.kms.dns"


def record(**args):
    return {"name": "dns_record", "kmsops.kms.dns_record": args}


def publish(hosts, **extra):
    return {"name": "kms_publish", "kmsops.kms.kms_publish": dict(extra, hosts=hosts)}


# -- CNAME rules -----------------------------------------------------------------------------------
def test_data_beside_a_cname_fails_before_sending_and_reports_no_change(named, site, run_play, dns_defaults):
    named.nsupdate("admin", f"update add alias.{site}. 3600 CNAME kms1.{site}.")
    serial = named.serial(site)
    task = record(zone=site, name="alias", type="A", values=["192.0.2.7"])
    for check in (True, False):
        result = run_play([task], check=check, diff=True, module_defaults={GROUP: dns_defaults("admin")})
        assert result.rc == 2, result
        assert result[0]["changed"] is False
        assert "diff" not in result[0]
        assert result[0]["msg"].startswith(f"name: alias.{site}. holds a CNAME (to kms1.{site}.)"), result[0]["msg"]
    assert named.serial(site) == serial
    assert named.dig(f"alias.{site}", "CNAME") == [f"kms1.{site}."]


def test_a_cname_beside_data_or_at_the_apex_fails(named, site, run_play, dns_defaults):
    named.nsupdate("admin", f'update add data.{site}. 3600 A 192.0.2.1\nupdate add data.{site}. 3600 TXT "x"')
    serial = named.serial(site)
    beside = run_play(
        [record(zone=site, name="data", type="CNAME", values=[f"kms1.{site}"])],
        module_defaults={GROUP: dns_defaults("admin")},
    )
    apex = run_play(
        [record(zone=site, name="@", type="CNAME", values=[f"kms1.{site}"])],
        module_defaults={GROUP: dns_defaults("admin")},
    )
    assert beside.rc == 2 and apex.rc == 2, (beside, apex)
    assert f"data.{site}. already holds A, TXT record(s); a CNAME cannot share its name" in beside[0]["msg"]
    assert f"name: {site}. is the apex of zone {site}." in apex[0]["msg"]
    assert named.serial(site) == serial
    assert named.dig(f"data.{site}", "CNAME") == [] and named.dig(site, "CNAME") == []


def test_a_new_cname_and_a_cname_target_change_still_work(named, site, run_play, dns_defaults):
    defaults = {GROUP: dns_defaults("admin")}
    first = run_play(
        [record(zone=site, name="kms-alias", type="CNAME", values=[f"kms1.{site}"])], module_defaults=defaults
    )
    moved = run_play(
        [record(zone=site, name="kms-alias", type="CNAME", values=[f"kms2.{site}"])], module_defaults=defaults
    )
    assert first.rc == 0 and moved.rc == 0, (first, moved)
    assert first[0]["changed"] is True and moved[0]["changed"] is True
    assert named.dig(f"kms-alias.{site}", "CNAME") == [f"kms2.{site}."]


def test_kms_publish_fails_when_a_host_name_is_a_cname(named, site, run_play, dns_defaults):
    named.nsupdate("admin", f"update add kms1.{site}. 3600 CNAME kms2.{site}.")
    serial = named.serial(site)
    result = run_play(
        [publish([{"name": f"kms1.{site}", "addresses": ["192.0.2.10"]}])],
        module_defaults={GROUP: dns_defaults("kms-publisher")},
    )
    assert result.rc == 2, result
    assert result[0]["msg"].startswith(f"hosts[0].name: kms1.{site}. holds a CNAME (to kms2.{site}.)")
    assert result[0]["changed"] is False
    assert named.serial(site) == serial
    assert named.dig(f"_vlmcs._tcp.{site}", "SRV") == []


# -- an UPDATE acknowledged but ignored ------------------------------------------------------------
def test_an_ignored_update_is_an_error_not_a_change(named, site, run_play, dns_defaults):
    # BIND answers NOERROR to deleting the apex NS RRset and keeps it
    result = run_play(
        [record(zone=site, name="@", type="NS", state="absent")], module_defaults={GROUP: dns_defaults("admin")}
    )
    assert result.rc == 2, result
    assert result[0]["changed"] is False
    assert f"the server answered NOERROR to the update of zone {site}., but {site}. NS holds" in result[0]["msg"]
    assert result[0]["zones"][0]["state"] == "ignored"
    assert named.dig(site, "NS") == [f"ns1.{site}."]


# -- REFUSED and SERVFAIL say what they likely mean -------------------------------------------------
def test_refused_names_every_cause_not_only_the_update_policy(named, run_play, dns_defaults):
    result = run_play(
        [record(zone="refused.example", name="x", type="A", values=["192.0.2.1"])],
        module_defaults={GROUP: dns_defaults("admin")},
    )
    assert result.rc == 2, result
    message = result[0]["msg"]
    assert "the server REFUSED the update to zone refused.example." in message
    for cause in ("update-policy", "check-names", "does not accept dynamic updates"):
        assert cause in message, message


def test_servfail_over_the_record_limit_names_max_records_per_type(named, site, run_play, dns_defaults):
    values = [f"0 0 1688 kms{index}.{site}" for index in range(101)]
    result = run_play(
        [record(zone=site, name="_vlmcs._tcp", type="SRV", values=values)],
        module_defaults={GROUP: dns_defaults("admin")},
    )
    assert result.rc == 2, result
    message = result[0]["msg"]
    assert "SERVFAIL" in message
    assert f"_vlmcs._tcp.{site}. SRV would hold 101 records" in message
    assert "max-records-per-type (default 100)" in message
    # sent and answered SERVFAIL (issue 16, point 5: this used to say update_sent false)
    assert result[0]["zones"] == [
        {"zone": f"{site}.", "changed": True, "update_sent": True, "attempts": 1, "state": "failed"}
    ]
    assert named.dig(f"_vlmcs._tcp.{site}", "SRV") == []
    hundred = run_play(
        [record(zone=site, name="_vlmcs._tcp", type="SRV", values=values[:100])],
        module_defaults={GROUP: dns_defaults("admin")},
    )
    assert hundred.rc == 0, hundred
    assert len(named.dig(f"_vlmcs._tcp.{site}", "SRV")) == 100


def test_diff_lines_and_values_sort_by_value(named, site, run_play, dns_defaults):
    values = [f"10 0 1688 kms1.{site}", f"3 0 1688 kms2.{site}", f"3 0 80 kms3.{site}"]
    result = run_play(
        [record(zone=site, name="_vlmcs._tcp", type="SRV", values=values)],
        diff=True,
        module_defaults={GROUP: dns_defaults("admin")},
    )
    assert result.rc == 0, result
    expected = [f"3 0 80 kms3.{site}.", f"3 0 1688 kms2.{site}.", f"10 0 1688 kms1.{site}."]
    assert result[0]["after"]["values"] == expected
    assert [line.split(" SRV ")[1] for line in result[0]["diff"]["after"].splitlines()] == expected


# -- addresses before SRV values -------------------------------------------------------------------
def test_a_refused_address_leaves_no_srv_value_pointing_at_it(named, site, run_play, dns_defaults):
    # kms-publisher may write the branch SRV but not kms9's address in the parent zone
    branch = f"branch.{site}"
    hosts = [{"name": f"kms9.{site}", "addresses": ["192.0.2.9"], "publish": [{"domain": branch}]}]
    result = run_play([publish(hosts)], module_defaults={GROUP: dns_defaults("kms-publisher")})
    assert result.rc == 2, result
    assert f"REFUSED the update to zone {site}." in result[0]["msg"]
    assert result[0]["changed"] is False
    assert [(zone["zone"], zone["state"]) for zone in result[0]["zones"]] == [(f"{site}.", "failed")]
    assert named.dig(f"_vlmcs._tcp.{branch}", "SRV") == [], "a dangling SRV target was written"
    assert named.dig(f"kms9.{site}", "A") == []


def test_publish_and_withdraw_across_zones(named, site, run_play, dns_defaults):
    branch = f"branch.{site}"
    hosts = [{"name": f"kms1.{site}", "addresses": ["192.0.2.10"], "publish": [{"domain": branch}]}]
    defaults = {GROUP: dns_defaults("kms-publisher")}
    published = run_play([publish(hosts)], module_defaults=defaults)
    assert published.rc == 0, published
    assert [zone["zone"] for zone in published[0]["zones"]] == [f"{site}.", f"{branch}."]
    assert named.dig(f"_vlmcs._tcp.{branch}", "SRV") == [f"0 0 1688 kms1.{site}."]
    withdrawn = run_play([publish(hosts, state="absent")], module_defaults=defaults)
    assert withdrawn.rc == 0, withdrawn
    assert [zone["zone"] for zone in withdrawn[0]["zones"]] == [f"{branch}.", f"{site}."]
    assert named.dig(f"_vlmcs._tcp.{branch}", "SRV") == [] and named.dig(f"kms1.{site}", "A") == []


# -- an UPDATE in flight when the answer never comes -------------------------------------------------
class AnswerDroppingProxy:
    """A TCP relay in front of the real named that forwards every message but withholds the
    answer to the Nth UPDATE (as a network that loses it would): named applies it, we never hear."""

    def __init__(self, named, drop_update_number):
        self.named = named
        self.drop = drop_update_number
        self.updates = 0
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(5)
        self.port = self.server.getsockname()[1]
        self.stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stopped:
            try:
                client, _address = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._relay, args=(client,), daemon=True).start()

    def _relay(self, client):
        upstream = socket.create_connection((self.named.address, self.named.port))
        try:
            while True:
                message = read_message(client)
                if message is None:
                    return
                opcode = (message[4] >> 3) & 0xF
                upstream.sendall(message)
                answer = read_message(upstream)
                if answer is None:
                    return
                if opcode == 5:
                    self.updates += 1
                    if self.updates == self.drop:
                        continue  # the answer is lost
                client.sendall(answer)
        except OSError:
            return
        finally:
            upstream.close()
            client.close()

    def close(self):
        self.stopped = True
        self.server.close()


def test_the_zone_whose_update_got_no_answer_is_reported_unknown(named, site, run_play, dns_defaults):
    branch = f"branch.{site}"
    hosts = [
        {"name": f"kms1.{site}", "addresses": ["192.0.2.10"], "publish": [{"domain": site}]},
        {"name": f"kms2.{branch}", "publish": [{"domain": branch}]},
    ]
    proxy = AnswerDroppingProxy(named, drop_update_number=2)
    try:
        result = run_play(
            [publish(hosts)], module_defaults={GROUP: dns_defaults("admin", server_port=proxy.port, timeout=2)}
        )
    finally:
        proxy.close()
    assert result.rc == 2, result
    message = result[0]["msg"]
    assert message.startswith("timeout: no answer from 127.0.0.1"), message
    assert f"the UPDATE of zone {branch}. was sent and may or may not have been applied" in message
    assert [(zone["zone"], zone["state"]) for zone in result[0]["zones"]] == [
        (f"{site}.", "updated"),
        (f"{branch}.", "unknown"),
    ]
    assert result[0]["changed"] is True  # the first zone was updated
    # here the server did apply it: unknown was the honest answer, and a re-run converges
    assert named.dig(f"_vlmcs._tcp.{branch}", "SRV") == [f"0 0 1688 kms2.{branch}."]
    again = run_play([publish(hosts)], module_defaults={GROUP: dns_defaults("admin")})
    assert again.rc == 0 and again[0]["changed"] is False, again


# -- secrets -------------------------------------------------------------------------------------------
def test_a_key_file_secret_never_shows_at_vvvv_in_diffs_or_tracebacks(named, site, run_play, tmp_path):
    key_file = named.key_files["kms-publisher"]
    secret = named.keys["kms-publisher"][1]
    wrong = tmp_path / "wrong.key"
    wrong.write_text(pathlib.Path(key_file).read_text(encoding="utf-8").replace(secret, secret[:-4] + "AAA="))
    conn = {"server": named.address, "server_port": named.port}
    owner = f"_vlmcs._tcp.{site}"
    tasks = [
        record(key_file=key_file, name=owner, type="SRV", values=[f"0 0 1688 kms1.{site}"], **conn),
        dict(record(key_file=key_file, name=f"www.{site}", type="A", values=["192.0.2.1"], **conn), ignore_errors=True),
        dict(
            record(key_file=str(wrong), name=owner, type="SRV", values=[f"0 0 1688 kms2.{site}"], **conn),
            ignore_errors=True,
        ),
        dict(publish([{"name": f"kms1.{site}", "addresses": ["192.0.2.10"]}], key_file=key_file, **conn)),
    ]
    result = run_play(
        tasks, diff=True, verbosity=4, json_output=False, extra_env={"ANSIBLE_DISPLAY_TRACEBACK": "always"}
    )
    assert "changed: [localhost]" in result.output
    assert "REFUSED" in result.output and "BADSIG" in result.output
    assert secret not in result.output
    assert secret[:-4] not in result.output
