# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import json
import threading

import pytest
from _kms_fixtures import HOST_KEY, HOST_KEY_2

from ansible_collections.kmsops.kms.plugins.plugin_utils.kms._keys import GuardRefused, LedgerError, key_fingerprint
from ansible_collections.kmsops.kms.plugins.plugin_utils.kms._ledger import (
    check_activation,
    check_key_assignments,
    complete_activation,
    empty_ledger,
    load_ledger,
    locked_ledger,
    reserve_activation,
    usage,
)


def ledger_with(hosts, key=HOST_KEY, result="activated"):
    data = empty_ledger()
    for host, count in hosts.items():
        for _dummy in range(count):
            rid = reserve_activation(data, key, host, "online")
            complete_activation(data, key, host, rid, result)
    return data


def test_first_activation_is_allowed():
    assert check_activation(empty_ledger(), HOST_KEY, "kms01")["hosts"] == 1


def test_sixth_host_is_allowed_and_seventh_refused():
    data = ledger_with({"kms%02d" % i: 1 for i in range(1, 6)})
    assert check_activation(data, HOST_KEY, "kms06")["hosts"] == 6
    data = ledger_with({"kms%02d" % i: 1 for i in range(1, 7)})
    with pytest.raises(GuardRefused, match="already activated 6 hosts"):
        check_activation(data, HOST_KEY, "kms07")


def test_a_known_host_is_not_counted_as_a_new_host():
    data = ledger_with({"kms%02d" % i: 1 for i in range(1, 7)})
    assert check_activation(data, HOST_KEY, "kms03")["host_activations"] == 2


def test_seventh_host_is_allowed_when_extra_hosts_are_granted():
    data = ledger_with({"kms%02d" % i: 1 for i in range(1, 7)})
    assert check_activation(data, HOST_KEY, "kms07", extra_hosts_granted=4)["host_limit"] == 10


def test_tenth_activation_is_allowed_and_eleventh_refused():
    assert check_activation(ledger_with({"kms01": 9}), HOST_KEY, "kms01")["host_activations"] == 10
    with pytest.raises(GuardRefused, match="already activated 10 times"):
        check_activation(ledger_with({"kms01": 10}), HOST_KEY, "kms01")


def test_eleventh_activation_is_allowed_when_extra_activations_are_granted():
    assert check_activation(ledger_with({"kms01": 10}), HOST_KEY, "kms01", extra_activations_granted=1)


def test_failed_activations_are_not_counted():
    data = ledger_with({"kms01": 10}, result="failed")
    assert usage(data, key_fingerprint(HOST_KEY)) == {}


def test_reserved_activations_count_until_completed():
    data = empty_ledger()
    for i in range(6):
        reserve_activation(data, HOST_KEY, "kms%02d" % i, "online")
    with pytest.raises(GuardRefused):
        check_activation(data, HOST_KEY, "kms99")


def test_limits_are_per_key():
    data = ledger_with({"kms%02d" % i: 1 for i in range(1, 7)})
    assert check_activation(data, HOST_KEY_2, "kms07")["hosts"] == 1


def test_refusal_message_does_not_contain_the_key():
    data = ledger_with({"kms%02d" % i: 1 for i in range(1, 7)})
    with pytest.raises(GuardRefused) as err:
        check_activation(data, HOST_KEY, "kms07")
    assert HOST_KEY not in str(err.value) and "*****-6789B" in str(err.value)


def test_ledger_file_round_trip_never_stores_the_key(tmp_path):
    path = str(tmp_path / "sub" / "ledger.json")
    with locked_ledger(path) as data:
        rid = reserve_activation(data, HOST_KEY, "kms01", "phone")
    with locked_ledger(path) as data:
        assert complete_activation(data, HOST_KEY, "kms01", rid, "activated")
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    assert HOST_KEY not in text and HOST_KEY.replace("-", "") not in text
    stored = json.loads(text)
    entry = stored["keys"][key_fingerprint(HOST_KEY)]
    assert entry["partial_key"] == "6789B"
    assert entry["hosts"]["kms01"][0]["result"] == "activated"
    assert entry["hosts"]["kms01"][0]["method"] == "phone"


def test_missing_ledger_file_is_empty(tmp_path):
    assert load_ledger(str(tmp_path / "none.json")) == empty_ledger()


def test_corrupt_ledger_file_is_a_clear_error(tmp_path):
    path = tmp_path / "ledger.json"
    path.write_text("{not json")
    with pytest.raises(LedgerError, match="not valid JSON"):
        load_ledger(str(path))
    path.write_text('{"something": "else"}')
    with pytest.raises(LedgerError, match=r"not a kmsops.kms ledger"):
        load_ledger(str(path))


def test_a_failing_block_does_not_write_the_ledger(tmp_path):
    path = str(tmp_path / "ledger.json")
    with pytest.raises(RuntimeError), locked_ledger(path) as data:
        reserve_activation(data, HOST_KEY, "kms01", "online")
        raise RuntimeError("boom")
    assert load_ledger(path) == empty_ledger()


def test_parallel_writers_do_not_lose_records(tmp_path):
    path = str(tmp_path / "ledger.json")

    def worker(i):
        with locked_ledger(path) as data:
            reserve_activation(data, HOST_KEY, "kms%02d" % i, "online")

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(usage(load_ledger(path), key_fingerprint(HOST_KEY))) == 12


# --- inventory validation -----------------------------------------------------------------


def test_inventory_with_six_hosts_on_one_key_passes():
    report = check_key_assignments({"kms%02d" % i: HOST_KEY for i in range(6)})
    assert report == [{"key": "*****-*****-*****-*****-6789B", "hosts": ["kms%02d" % i for i in range(6)], "limit": 6}]


def test_inventory_with_seven_hosts_on_one_key_fails_naming_hosts_not_key():
    with pytest.raises(GuardRefused) as err:
        check_key_assignments({"kms%02d" % i: HOST_KEY for i in range(7)})
    assert "assigned to 7 hosts" in str(err.value)
    assert HOST_KEY not in str(err.value)


def test_inventory_check_accepts_a_list_and_skips_hosts_without_key():
    pairs = [{"host": "kms%02d" % i, "key": HOST_KEY} for i in range(6)] + [{"host": "client", "key": None}]
    assert check_key_assignments(pairs)[0]["hosts"][-1] == "kms05"


def test_inventory_check_honours_extra_hosts_per_key():
    assignments = {"kms%02d" % i: HOST_KEY for i in range(8)}
    assert check_key_assignments(assignments, extra_hosts_granted=2)[0]["limit"] == 8
    assert check_key_assignments(assignments, extra_hosts_granted={"6789B": 2})[0]["limit"] == 8
    with pytest.raises(GuardRefused):
        check_key_assignments(assignments, extra_hosts_granted={"JKMPN": 2})


def test_inventory_check_counts_hosts_already_in_the_ledger():
    ledger = ledger_with({"old%02d" % i: 1 for i in range(4)})
    with pytest.raises(GuardRefused, match="assigned to 7 hosts"):
        check_key_assignments({"kms01": HOST_KEY, "kms02": HOST_KEY, "kms03": HOST_KEY}, ledger=ledger)


def test_inventory_check_refuses_other_shapes():
    with pytest.raises(GuardRefused):
        check_key_assignments("kms01")
