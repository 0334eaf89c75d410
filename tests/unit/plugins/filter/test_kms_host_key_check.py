# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.kmsops.kms.plugins.filter.kms_host_keys import FilterModule, kms_host_key_check

KEY = "BCDFG-HJKMP-QRTVW-XY234-6789B"


def test_filter_is_registered():
    assert FilterModule().filters()["kms_host_key_check"] is kms_host_key_check


def test_filter_passes_six_hosts_and_masks_the_key():
    report = kms_host_key_check({"kms%d" % i: KEY for i in range(6)})
    assert report[0]["key"] == "*****-*****-*****-*****-6789B" and report[0]["limit"] == 6


def test_filter_fails_for_seven_hosts_without_showing_the_key():
    with pytest.raises(AnsibleFilterError) as err:
        kms_host_key_check({"kms%d" % i: KEY for i in range(7)})
    assert KEY not in str(err.value) and "assigned to 7 hosts" in str(err.value)


def test_filter_counts_hosts_from_the_ledger(tmp_path):
    from ansible_collections.kmsops.kms.plugins.plugin_utils.kms._ledger import locked_ledger, reserve_activation

    path = str(tmp_path / "ledger.json")
    with locked_ledger(path) as data:
        for i in range(6):
            reserve_activation(data, KEY, "old%d" % i, "online")
    with pytest.raises(AnsibleFilterError):
        kms_host_key_check({"new": KEY}, ledger_path=path)
    assert kms_host_key_check({"new": KEY}, extra_hosts_granted=1, ledger_path=path)[0]["limit"] == 7
