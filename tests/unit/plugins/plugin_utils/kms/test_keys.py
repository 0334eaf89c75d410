# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.kmsops.kms.plugins.plugin_utils.kms._keys import (
    InvalidConfirmationId,
    InvalidProductKey,
    is_valid_product_key,
    key_fingerprint,
    mask_key,
    normalize_confirmation_id,
    normalize_product_key,
    partial_key,
)

KEY = "BCDFG-HJKMP-QRTVW-XY234-6789B"


def test_well_formed_key_is_accepted_unchanged():
    assert normalize_product_key(KEY) == KEY


def test_key_in_lower_case_without_dashes_is_normalised():
    assert normalize_product_key("  " + KEY.lower().replace("-", "") + " ") == KEY


def test_key_with_one_n_is_accepted():
    assert normalize_product_key("W269N-WFGWX-YVC9B-4J6C9-T83GX") == "W269N-WFGWX-YVC9B-4J6C9-T83GX"


@pytest.mark.parametrize(
    "bad",
    [
        "BCDFG-HJKMP-QRTVW-XY234-6789",  # short group
        "BCDFG-HJKMP-QRTVW-XY234",  # four groups
        "ACDFG-HJKMP-QRTVW-XY234-6789B",  # A is not in the alphabet
        "BCDFG-HJKMP-QRTVW-XY234-6789E",  # E
        "BCDFG-HJKMP-QRTVW-XY234-0789B",  # 0
        "BCDFG-HJKMP-QRTVW-XY134-6789B",  # 1
        "BCDFG-HJKMP-QRTVW-XY534-6789B",  # 5
        "BCDFG-HJKMP-QRTVW-XY234_6789B",  # wrong separator
        "NCDFG-HJKMP-QRTVW-XY234-6789N",  # two N
        "",
    ],
)
def test_malformed_key_is_refused(bad):
    with pytest.raises(InvalidProductKey):
        normalize_product_key(bad)
    assert not is_valid_product_key(bad)


def test_non_string_key_is_refused():
    with pytest.raises(InvalidProductKey):
        normalize_product_key(12345)


def test_key_error_message_never_contains_the_key():
    bad = "BCDFG-HJKMP-QRTVW-XY234-6789Z"
    with pytest.raises(InvalidProductKey) as err:
        normalize_product_key(bad)
    assert bad not in str(err.value)
    assert "6789Z" not in str(err.value)


def test_partial_key_is_the_last_five_characters():
    assert partial_key(KEY.lower()) == "6789B"


def test_mask_shows_only_the_last_five_characters():
    assert mask_key(KEY) == "*****-*****-*****-*****-6789B"
    assert mask_key(None) is None


def test_fingerprint_is_stable_and_does_not_reveal_the_key():
    fp = key_fingerprint(KEY)
    assert fp == key_fingerprint(KEY.lower().replace("-", ""))
    assert fp.startswith("sha256:")
    for group in KEY.split("-"):
        assert group not in fp


def test_confirmation_id_groups_are_joined_to_48_digits():
    cid = "123456-234567 345678-456789-567890-678901-789012-890123"
    assert normalize_confirmation_id(cid) == cid.replace("-", "").replace(" ", "")


@pytest.mark.parametrize(
    "bad",
    [
        "123456-234567-345678-456789-567890-678901-789012",  # 42 digits
        "123456-234567-345678-456789-567890-678901-789012-8901234",  # 49 digits
        "12345A-234567-345678-456789-567890-678901-789012-890123",  # letter
        "",
        None,
    ],
)
def test_malformed_confirmation_id_is_refused(bad):
    with pytest.raises(InvalidConfirmationId):
        normalize_confirmation_id(bad)
