# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The srv_order and publish_list filters."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.kmsops.kms.plugins.filter.kms_filters import (
    FilterModule,
    publish_list,
    srv_order,
)


def test_both_filters_are_registered():
    assert set(FilterModule().filters()) == {"srv_order", "publish_list"}


def test_srv_order_puts_the_lower_priority_first_and_keeps_item_forms():
    values = [
        "20 50 1688 core1.example.",
        "0 0 1688 branch.example.",
        {"priority": 20, "weight": 50, "port": 1688, "target": "core2.example."},
    ]
    ordered = srv_order(values, seed=3)
    assert ordered[0] == "0 0 1688 branch.example."
    assert values[0] in ordered[1:] and values[2] in ordered[1:]


def test_srv_order_with_a_seed_is_reproducible():
    values = ["0 %d 1688 k%d.example." % (w, w) for w in (1, 2, 4, 8, 16, 32)]
    assert srv_order(values, seed=11) == srv_order(values, seed=11)


def test_srv_order_drops_dot_targets():
    assert srv_order(["0 0 0 .", "5 0 1688 kms.example."]) == ["5 0 1688 kms.example."]


def test_srv_order_bad_value_is_a_filter_error():
    with pytest.raises(AnsibleFilterError, match=r"srv_order: srv_order\[0\]: .*four fields"):
        srv_order(["0 0 kms.example."])


def test_publish_list_text_becomes_entries_with_default_priority_and_weight():
    text = "Branch.Corp.Example.,0,0\ncorp.example,20\n\nlab.example"
    assert publish_list(text) == [
        {"domain": "branch.corp.example", "priority": 0, "weight": 0},
        {"domain": "corp.example", "priority": 20, "weight": 0},
        {"domain": "lab.example", "priority": 0, "weight": 0},
    ]


def test_publish_list_lines_become_entries():
    assert publish_list(["corp.example,10,50"]) == [{"domain": "corp.example", "priority": 10, "weight": 50}]


def test_publish_list_entries_become_lines_or_text():
    entries = [{"domain": "branch.corp.example"}, {"domain": "corp.example", "priority": 20, "weight": 50}]
    assert publish_list(entries) == ["branch.corp.example,0,0", "corp.example,20,50"]
    assert publish_list(entries, as_text=True) == "branch.corp.example,0,0\ncorp.example,20,50"


def test_publish_list_round_trips():
    entries = [{"domain": "a.example", "priority": 1, "weight": 2}, {"domain": "b.example", "priority": 0, "weight": 0}]
    assert publish_list(publish_list(entries)) == entries


def test_publish_list_empty_is_empty():
    assert publish_list(None) == []
    assert publish_list("") == []


@pytest.mark.parametrize(
    "data",
    [
        "corp.example,x",
        "corp.example,1,2,3",
        [{"domain": "a.example"}, {"domain": "A.example."}],
        42,
    ],
)
def test_publish_list_bad_input_is_a_filter_error(data):
    with pytest.raises(AnsibleFilterError, match="publish_list"):
        publish_list(data)
