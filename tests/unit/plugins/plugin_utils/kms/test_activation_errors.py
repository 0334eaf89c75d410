# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 17 point 3: errors carry the licensing error code, and the documented meaning."""

from __future__ import annotations

import pytest

from ansible_collections.kmsops.kms.plugins.plugin_utils.kms._activation_errors import (
    ACTIVATION_ERRORS,
    describe_failure,
    explain,
    normalize_code,
)


@pytest.mark.parametrize("raw", ["0xC004F074", "0xc004f074", "C004F074", -1073418124, 0xC004F074])
def test_codes_are_written_as_0x_and_eight_upper_case_hex_digits(raw):
    # -1073418124 is 0xC004F074 as the signed Int32 HResult .NET reports
    assert normalize_code(raw) == "0xC004F074"


@pytest.mark.parametrize("raw", [None, "", "not a code", "0x1234567890"])
def test_what_is_not_a_code_is_none(raw):
    assert normalize_code(raw) is None


def test_every_documented_code_has_a_meaning_and_a_next_step():
    for code, (meaning, next_step) in ACTIVATION_ERRORS.items():
        assert normalize_code(code) == code
        assert meaning and next_step


def test_a_documented_code_explains_itself_with_its_source():
    info = explain("0xc004f038")
    assert info["code"] == "0xC004F038" and "insufficient" in info["meaning"]
    assert "troubleshoot-activation-error-codes" in info["source"]


def test_an_undocumented_code_is_returned_without_a_guess():
    assert explain("0x80131500") == {"code": "0x80131500"}


def test_the_failure_message_names_the_operation_the_code_the_meaning_and_the_next_step():
    msg, error = describe_failure(
        {
            "index": 2,
            "title": "Activate the KMS host online",
            "code": "0xC004C008",
            "message": "Invoke-CimMethod: the activation server reported...",
        }
    )
    assert msg.startswith("operation 3 (Activate the KMS host online) failed with 0xC004C008: Invoke-CimMethod")
    assert "Microsoft documents 0xC004C008 as: the activation server reported that the product key exceeded" in msg
    assert "Next step: ask the Microsoft Licensing Activation Center for more activations" in msg
    assert error["operation"] == "Activate the KMS host online" and error["code"] == "0xC004C008"
    assert error["next_step"].startswith("ask the Microsoft Licensing Activation Center")


def test_a_failure_without_a_code_says_only_what_failed():
    msg, error = describe_failure(
        {
            "index": 0,
            "title": "Write DnsDomainPublishList",
            "code": None,
            "message": "Requested registry access is not allowed.",
        }
    )
    assert msg == "operation 1 (Write DnsDomainPublishList) failed: Requested registry access is not allowed."
    assert "code" not in error
