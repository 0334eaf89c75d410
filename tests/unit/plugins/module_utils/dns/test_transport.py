# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""TSIG keys, key files, signers and the mapping of server answers to clear errors."""

from __future__ import annotations

import dns.exception
import dns.message
import dns.rcode
import dns.rrset
import dns.tsig
import dns.update
import pytest

from ansible_collections.kmsops.kms.plugins.module_utils.dns import _transport
from ansible_collections.kmsops.kms.plugins.module_utils.dns._errors import (
    DNSConnectionError,
    DNSTimeout,
    InvalidInput,
    PrerequisiteFailed,
    TSIGError,
    UpdateRefused,
    ZoneNotFound,
)
from ansible_collections.kmsops.kms.plugins.module_utils.dns._transport import (
    TSIGSigner,
    UnsignedSigner,
    check_update_response,
    make_signer,
    read_key_file,
    translate_exchange_error,
)

SECRET = "xe/On8ki9OKekhE3940COgLl97s2fd35yQ9n9RGIoS8="
KEYGEN_OUTPUT = f'key "kms-publisher" {{\n\talgorithm hmac-sha256;\n\tsecret "{SECRET}";\n}};\n'


def test_reads_tsig_keygen_output(tmp_path):
    path = tmp_path / "kms.key"
    path.write_text(KEYGEN_OUTPUT)
    assert read_key_file(str(path)) == ("kms-publisher", "hmac-sha256", SECRET)


@pytest.mark.parametrize("secret", ["AB//CD+/EF//GH8=", "//8=", "a//" + "A" * 41])
def test_secret_holding_comment_marks_is_read_whole(tmp_path, secret):
    # tsig-keygen's base64 secrets hold "//" now and then; only comments outside quotes go
    path = tmp_path / "kms.key"
    path.write_text(
        '# made by hand\n/* block\n comment */ key "k" { // the key\n'
        f'  algorithm hmac-sha256; # sha-256\n  secret "{secret}";\n}};\n'
    )
    assert read_key_file(str(path)) == ("k", "hmac-sha256", secret)


def test_key_file_with_several_keys_needs_key_name(tmp_path):
    path = tmp_path / "keys.conf"
    path.write_text(
        KEYGEN_OUTPUT
        + "# another\n"
        + KEYGEN_OUTPUT.replace("kms-publisher", "other").replace("hmac-sha256", "hmac-md5.sig-alg.reg.int")
    )
    with pytest.raises(InvalidInput, match="holds several keys; choose one with key_name"):
        read_key_file(str(path))
    assert read_key_file(str(path), "other") == ("other", "hmac-md5", SECRET)
    with pytest.raises(InvalidInput, match="holds no key named 'third'"):
        read_key_file(str(path), "third")


@pytest.mark.parametrize(
    "text,message",
    [
        ("", "holds no key statement"),
        ('key "k" { algorithm hmac-sha256; };', "lacks an algorithm or a secret"),
        ('key "k" { algorithm hmac-sha999; secret "c2VjcmV0"; };', "not a supported TSIG algorithm"),
        ('key "k" { algorithm hmac-sha256; secret "not base64!"; };', "is not a base64-encoded TSIG secret"),
    ],
)
def test_malformed_key_file_names_key_file(tmp_path, text, message):
    path = tmp_path / "bad.key"
    path.write_text(text)
    with pytest.raises(InvalidInput) as error:
        read_key_file(str(path))
    assert error.value.option == "key_file"
    assert message in str(error.value)
    assert "not base64!" not in str(error.value), "the secret must never be echoed"


def test_missing_key_file_is_clear_error(tmp_path):
    with pytest.raises(InvalidInput, match="key_file: cannot read"):
        read_key_file(str(tmp_path / "nope.key"))


def test_unsigned_only_when_asked():
    with pytest.raises(InvalidInput) as error:
        make_signer({"key_name": None, "key_secret": None, "key_file": None, "allow_unsigned": False})
    assert error.value.option == "key_name"
    assert isinstance(make_signer({"allow_unsigned": True}), UnsignedSigner)


def test_key_name_and_secret_go_together():
    with pytest.raises(InvalidInput, match="key_name: is required with key_secret"):
        make_signer({"key_secret": SECRET})
    with pytest.raises(InvalidInput, match="key_name: needs key_secret or key_file"):
        make_signer({"key_name": "kms-publisher"})


@pytest.mark.parametrize(
    "algorithm", ["hmac-md5", "hmac-sha1", "hmac-sha224", "hmac-sha256", "hmac-sha384", "hmac-sha512"]
)
def test_signer_signs_with_every_algorithm(algorithm):
    signer = make_signer({"key_name": "k", "key_secret": SECRET, "key_algorithm": algorithm})
    assert isinstance(signer, TSIGSigner)
    message = signer.sign(dns.message.make_query("corp.example.", "SOA"))
    wire = message.to_wire()
    parsed = dns.message.from_wire(wire, keyring={dns.name.from_text("k"): signer._key})
    assert parsed.had_tsig


@pytest.mark.parametrize(
    "exc,kind,option",
    [
        (dns.exception.Timeout(), DNSTimeout, "timeout"),
        (dns.tsig.PeerBadKey(), TSIGError, "key_name"),
        (dns.tsig.PeerBadSignature(), TSIGError, "key_secret"),
        (dns.tsig.PeerBadTime(), TSIGError, "key_name"),
        (ConnectionRefusedError(111, "Connection refused"), DNSConnectionError, "server"),
        (OSError(113, "No route to host"), DNSConnectionError, "server"),
        (EOFError(), DNSConnectionError, "server"),
    ],
)
def test_exchange_errors_map_to_clear_errors(exc, kind, option):
    error = translate_exchange_error(exc, "ns1 port 53 over tcp", 2.0, "kms-publisher")
    assert isinstance(error, kind)
    assert error.option == option
    assert str(error).startswith(option + ": ")


def _answer(rcode):
    update = dns.update.UpdateMessage("corp.example.")
    response = dns.message.make_response(update)
    response.set_rcode(rcode)
    return response


@pytest.mark.parametrize("rcode", [dns.rcode.NXRRSET, dns.rcode.YXRRSET, dns.rcode.NXDOMAIN, dns.rcode.YXDOMAIN])
def test_failed_prerequisite_means_concurrent_change(rcode):
    with pytest.raises(PrerequisiteFailed):
        check_update_response(_answer(rcode), "corp.example.", "TSIG key 'k'")


def test_refused_update_names_the_key():
    with pytest.raises(UpdateRefused) as error:
        check_update_response(_answer(dns.rcode.REFUSED), "corp.example.", "TSIG key 'kms-publisher'")
    assert error.value.option == "key_name"
    assert "update-policy" in str(error.value)


def test_notzone_and_servfail():
    with pytest.raises(ZoneNotFound):
        check_update_response(_answer(dns.rcode.NOTZONE), "corp.example.", "k")
    with pytest.raises(Exception, match="SERVFAIL"):
        check_update_response(_answer(dns.rcode.SERVFAIL), "corp.example.", "k")
    assert check_update_response(_answer(dns.rcode.NOERROR), "corp.example.", "k").rcode() == dns.rcode.NOERROR


def test_values_read_are_the_rrsets_values():
    found = dns.rrset.from_text(
        "_vlmcs._tcp.corp.example.", 3600, "IN", "SRV", "0 0 1688 kms1.corp.example.", "0 10 1688 KMS2.corp.example."
    )
    values = _transport._values_of(found)  # pylint: disable=protected-access
    assert isinstance(values, frozenset) and values == frozenset(list(found)) and len(values) == 2
    assert _transport._values_of(list(found)) == values  # pylint: disable=protected-access
