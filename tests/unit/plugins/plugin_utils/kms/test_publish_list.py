# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.kmsops.kms.plugins.module_utils.common._errors import InvalidValue
from ansible_collections.kmsops.kms.plugins.plugin_utils.kms._publish_list import (
    PublishListError,
    format_publish_list,
    normalize_publish_list,
    parse_publish_list,
)


def test_parse_lines_with_priority_and_weight():
    assert parse_publish_list(["branch.example.com,0,100", "example.com,10,50"]) == [
        {"domain": "branch.example.com", "priority": 0, "weight": 100},
        {"domain": "example.com", "priority": 10, "weight": 50},
    ]


def test_missing_priority_and_weight_mean_zero():
    assert parse_publish_list(["example.com", "b.example.com,5"]) == [
        {"domain": "example.com", "priority": 0, "weight": 0},
        {"domain": "b.example.com", "priority": 5, "weight": 0},
    ]


def test_parse_text_with_one_entry_per_line_ignores_blank_lines():
    assert parse_publish_list("a.example.com,1,2\n\n b.example.com \n") == [
        {"domain": "a.example.com", "priority": 1, "weight": 2},
        {"domain": "b.example.com", "priority": 0, "weight": 0},
    ]


def test_empty_value_is_an_empty_list():
    assert parse_publish_list(None) == []
    assert parse_publish_list([]) == []
    assert parse_publish_list("") == []


def test_domains_compare_without_case_and_trailing_dot():
    assert parse_publish_list(["Example.COM.,1,1"]) == [{"domain": "example.com", "priority": 1, "weight": 1}]


def test_format_writes_canonical_lines():
    assert format_publish_list([{"domain": "Example.com.", "priority": 10}, {"domain": "b.example.com"}]) == [
        "example.com,10,0",
        "b.example.com,0,0",
    ]


def test_format_and_parse_round_trip():
    entries = [
        {"domain": "a.example.com", "priority": 0, "weight": 100},
        {"domain": "example.com", "priority": 10, "weight": 0},
    ]
    assert parse_publish_list(format_publish_list(entries)) == entries


def test_user_entries_may_be_strings():
    assert normalize_publish_list(["a.example.com,1,2"]) == [{"domain": "a.example.com", "priority": 1, "weight": 2}]


@pytest.mark.parametrize(
    "bad, option",
    [
        (["example.com,70000,0"], "DnsDomainPublishList[0].priority"),
        (["example.com,-1"], "DnsDomainPublishList[0].priority"),
        (["a.example.com", "example.com,0,x"], "DnsDomainPublishList[1].weight"),
        (["example.com,1,2,3"], "DnsDomainPublishList[0]"),
        (["bad..domain"], "DnsDomainPublishList[0].domain"),
        (["-bad.example.com"], "DnsDomainPublishList[0].domain"),
        (["a.example.com", "", "A.example.com."], "DnsDomainPublishList[2]"),
    ],
)
def test_malformed_publish_list_is_refused_naming_the_line(bad, option):
    with pytest.raises(InvalidValue) as error:
        parse_publish_list(bad)
    assert error.value.option == option
    assert str(error.value).startswith(option + ": ")


def test_unknown_keys_in_an_entry_are_refused():
    with pytest.raises(PublishListError, match=r"^publish_domains\[0\]: unknown keys prio"):
        normalize_publish_list([{"domain": "example.com", "prio": 1}])
