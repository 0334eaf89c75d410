# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""GSS-TSIG options and the explanation of Kerberos failures (no Kerberos needed: text only).

The negotiation, signing and reply verification run against a real Samba AD DC in
tests/integration/test_ad_dns.py.
"""

from __future__ import annotations

import os
import subprocess
import sys

import dns.message
import dns.rcode
import dns.tsig
import pytest

from ansible_collections.kmsops.kms.plugins.module_utils.dns import _gss_tsig
from ansible_collections.kmsops.kms.plugins.module_utils.dns._errors import InvalidInput, UpdateRefused
from ansible_collections.kmsops.kms.plugins.module_utils.dns._gss_tsig import (
    check_gss_options,
    classify_gss_failure,
    explain_gss_failure,
)
from ansible_collections.kmsops.kms.plugins.module_utils.dns._module import dns_argument_spec
from ansible_collections.kmsops.kms.plugins.module_utils.dns._transport import check_update_response, make_signer

SERVER = "dc1.lab.example"
# messages as MIT Kerberos / python-gssapi print them
NO_TICKET = (
    "Major (458752): No credentials were supplied, or the credentials were unavailable or "
    "inaccessible, Minor (2529639053): No Kerberos credentials available (default cache: "
    "FILE:/tmp/krb5cc_0)"
)
EXPIRED = "Major (720896): The referenced credential has expired, Minor (100001): Success"
TICKET_EXPIRED = "Major (851968): Unspecified GSS failure. Minor (2529638944): Ticket expired"
SERVER_UNKNOWN = (
    "Major (851968): Unspecified GSS failure. Minor code may provide more information, "
    "Minor (2529638919): Server not found in Kerberos database"
)
WRONG_REALM = (
    "Major (458752): No credentials were supplied, or the credentials were unavailable or "
    'inaccessible, Minor (2529639066): Cannot find KDC for realm "WRONG.EXAMPLE"'
)
NO_KEYTAB_ENTRY = "Major (458752): No credentials were supplied, Minor (2529639107): No credentials cache found"
KEYTAB_MISMATCH = "Major (851968): Unspecified GSS failure. Minor (2529638936): Preauthentication failed"


def params(**extra):
    values = {name: spec.get("default") for name, spec in dns_argument_spec().items()}
    values.update({"server": SERVER, "key_algorithm": "gss-tsig"})
    values.update(extra)
    return values


@pytest.mark.parametrize(
    "text, kind",
    [
        (NO_TICKET, "no_ticket"),
        (EXPIRED, "expired"),
        (TICKET_EXPIRED, "expired"),
        (SERVER_UNKNOWN, "server_unknown"),
        (WRONG_REALM, "realm"),
        ("Minor (2529638918): Client 'x@LAB.EXAMPLE' not found in Kerberos database", "client_unknown"),
        (KEYTAB_MISMATCH, "keytab_key"),
        ("Minor: Key table file '/nope' not found", "keytab_file"),
        ("Minor: Clock skew too great", "clock"),
        ("something new", "other"),
    ],
)
def test_classifies_kerberos_messages(text, kind):
    assert classify_gss_failure(text) == kind


def test_no_ticket_says_kinit_and_names_the_cache_option():
    option, message = explain_gss_failure(NO_TICKET, SERVER)
    assert option == "kerberos_ccache"
    assert "no Kerberos ticket" in message and "kinit" in message and "kerberos_keytab" in message


def test_expired_ticket_says_renew():
    option, message = explain_gss_failure(TICKET_EXPIRED, SERVER, "kmspub@LAB.EXAMPLE")
    assert option == "kerberos_ccache"
    assert "kmspub@LAB.EXAMPLE has expired" in message and "kinit" in message


def test_unknown_server_principal_names_server_and_the_principal():
    option, message = explain_gss_failure(SERVER_UNKNOWN, "alias.lab.example")
    assert option == "server"
    assert "DNS/alias.lab.example" in message and "fully qualified" in message


def test_wrong_realm_names_the_principal_option():
    option, message = explain_gss_failure(WRONG_REALM, SERVER, "kmspub@WRONG.EXAMPLE", "/etc/k.keytab")
    assert option == "kerberos_principal"
    assert "realm" in message and "krb5.conf" in message and "WRONG.EXAMPLE" in message


def test_keytab_without_the_principal_names_the_keytab():
    option, message = explain_gss_failure(NO_KEYTAB_ENTRY, SERVER, "kmspub@lab.example", "/etc/k.keytab")
    assert option == "kerberos_keytab"
    assert "klist -k /etc/k.keytab" in message and "upper case" in message


def test_keytab_with_an_old_key():
    option, message = explain_gss_failure(KEYTAB_MISMATCH, SERVER, "kmspub@LAB.EXAMPLE", "/etc/k.keytab")
    assert option == "kerberos_keytab" and "password changed" in message


@pytest.mark.parametrize("server", ["192.0.2.53", "2001:db8::53", "[2001:db8::53]"])
def test_server_address_is_refused_with_gss_tsig(server):
    with pytest.raises(InvalidInput) as error:
        check_gss_options(params(server=server))
    assert error.value.option == "server" and "DNS/<server name>" in str(error.value)


def test_server_must_be_fully_qualified():
    with pytest.raises(InvalidInput, match="fully qualified") as error:
        check_gss_options(params(server="dc1"))
    assert error.value.option == "server"


@pytest.mark.parametrize(
    "option, value",
    [
        ("key_name", "k"),
        ("key_secret", "c2VjcmV0"),
        ("key_file", "/etc/k.key"),
        ("allow_unsigned", True),
        ("protocol", "udp"),
    ],
)
def test_tsig_options_do_not_mix_with_gss_tsig(option, value):
    with pytest.raises(InvalidInput) as error:
        check_gss_options(params(**{option: value}))
    assert error.value.option == option
    assert "c2VjcmV0" not in str(error.value)


def test_keytab_needs_a_principal_and_must_be_readable(tmp_path):
    keytab = tmp_path / "kms.keytab"
    with pytest.raises(InvalidInput) as error:
        check_gss_options(params(kerberos_keytab=str(keytab)))
    assert error.value.option == "kerberos_principal"
    with pytest.raises(InvalidInput, match="cannot read") as error:
        check_gss_options(params(kerberos_keytab=str(keytab), kerberos_principal="kmspub@LAB.EXAMPLE"))
    assert error.value.option == "kerberos_keytab"
    keytab.write_bytes(b"\x05\x02")
    check_gss_options(params(kerberos_keytab=str(keytab), kerberos_principal="kmspub@LAB.EXAMPLE"))


def test_missing_ticket_cache_file_is_named(tmp_path):
    with pytest.raises(InvalidInput, match="no ticket cache") as error:
        check_gss_options(params(kerberos_ccache=str(tmp_path / "krb5cc_missing")))
    assert error.value.option == "kerberos_ccache"
    # a TYPE:residual name is left to Kerberos
    check_gss_options(params(kerberos_ccache="KEYRING:persistent:0"))


def test_make_signer_checks_gss_options_first():
    with pytest.raises(InvalidInput) as error:
        make_signer(params(server="192.0.2.53"))
    assert error.value.option == "server"


def test_gss_options_are_in_the_argument_spec_with_safe_defaults():
    spec = dns_argument_spec()
    assert "gss-tsig" in spec["key_algorithm"]["choices"]
    assert spec["verify_reply_signature"] == {"type": "bool", "default": True}
    for option in ("kerberos_principal", "kerberos_keytab", "kerberos_ccache"):
        assert option in spec


@pytest.mark.parametrize("rcode", [dns.rcode.SERVFAIL, dns.rcode.REFUSED])
def test_denial_with_a_hint_says_acl_without_claiming_more(rcode):
    # Samba 4.17 answers SERVFAIL when the zone's ACL denies a change, Samba 4.22 REFUSED
    response = dns.message.make_response(dns.message.make_query("x.lab.example.", "A"))
    response.set_rcode(rcode)
    hint = "most likely the zone's ACL"
    with pytest.raises(UpdateRefused) as error:
        check_update_response(response, "lab.example.", "signed with GSS-TSIG as kmsother@LAB.EXAMPLE", hint)
    text = dns.rcode.to_text(rcode)
    assert error.value.option == "kerberos_principal"
    assert f"answered {text} " in str(error.value) and "kmsother@LAB.EXAMPLE" in str(error.value)
    assert hint in str(error.value) and str(error.value).endswith(f"the server said no more than {text}")


def test_refused_without_a_hint_names_the_key_and_every_cause():
    response = dns.message.make_response(dns.message.make_query("x.corp.example.", "A"))
    response.set_rcode(dns.rcode.REFUSED)
    with pytest.raises(UpdateRefused) as error:
        check_update_response(response, "corp.example.", "signed with key k")
    assert error.value.option == "key_name" and "update-policy" in str(error.value)


def test_gssapi_is_imported_only_when_gss_tsig_needs_it(tmp_path):
    """Importing the DNS modules imports neither the GSS-TSIG code nor gssapi (a fixed cost of every
    TSIG run otherwise); load_gssapi imports gssapi on first use. A stand-in gssapi package is put first on the path,
    so the test sees an eager import even where the real library is installed."""
    package = tmp_path / "gssapi"
    package.mkdir()
    (package / "__init__.py").write_text("STAND_IN = True\n")
    (package / "exceptions.py").write_text("class GSSError(Exception):\n    pass\n")
    code = (
        "import sys\n"
        "from ansible_collections.kmsops.kms.plugins.modules import dns_record, kms_publish\n"
        "print('gssapi' in sys.modules, kms_publish.__name__.replace('modules.kms_publish',\n"
        "      'module_utils.dns._gss_tsig') in sys.modules)\n"
        "from ansible_collections.kmsops.kms.plugins.module_utils.dns import _gss_tsig\n"
        "print(_gss_tsig.load_gssapi().STAND_IN, 'gssapi.exceptions' in sys.modules)\n"
    )
    path = os.pathsep.join([str(tmp_path)] + [entry for entry in sys.path if entry])
    proc = subprocess.run(
        [sys.executable, "-c", code],
        env=dict(os.environ, PYTHONPATH=path),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert proc.stdout.split() == ["False", "False", "True", "True"], proc.stderr


def test_load_gssapi_reports_why_it_is_missing(monkeypatch):
    monkeypatch.setattr(_gss_tsig, "_GSSAPI", {})
    monkeypatch.setitem(sys.modules, "gssapi", None)  # import gssapi raises ImportError
    assert _gss_tsig.load_gssapi() is None
    assert "import of gssapi halted" in _gss_tsig.gssapi_import_error()


# -- replies whose signature does not verify --------------------------------------------------


class _FakeGSSError(Exception):
    pass


class _FakeGssapi:
    """Stands in for the gssapi module: only its exception type is used here."""

    class exceptions:  # pylint: disable=invalid-name,too-few-public-methods
        GSSError = _FakeGSSError


class _RejectingContext:
    """A GSS-API context whose verify_signature rejects every MAC (as a wrongly signed reply)."""

    def verify_signature(self, _data, _mac):
        raise _FakeGSSError("bad MAC")


def _signed_data(rcode, request_mac=b"\x01" * 16):
    """What a GSS-TSIG reply signature covers: request MAC length, request MAC, the reply."""
    reply = dns.message.make_response(dns.message.make_query("x.lab.example.", "A"))
    reply.set_rcode(rcode)
    return len(request_mac).to_bytes(2, "big") + request_mac + reply.to_wire()


@pytest.mark.parametrize("rcode", [dns.rcode.NOERROR, dns.rcode.REFUSED, dns.rcode.SERVFAIL])
def test_claimed_rcode_reads_the_reply_after_the_request_mac(rcode):
    assert _gss_tsig.claimed_rcode(_signed_data(rcode)) == rcode
    assert _gss_tsig.claimed_rcode(b"\x00") == 0 and _gss_tsig.claimed_rcode(b"\x00\x10" + b"\x01" * 16) == 0


def _strict_signer(monkeypatch, rcode):
    """A strict GSS-TSIG signer whose key is negotiated and whose last reply failed to verify."""
    monkeypatch.setitem(_gss_tsig._GSSAPI, "module", _FakeGssapi)  # pylint: disable=protected-access
    signer = _gss_tsig.GSSTSIGSigner("dc1.lab.example", verify_reply_signature=True)
    verifier = _gss_tsig._ReplyVerifier(_RejectingContext(), strict=True)  # pylint: disable=protected-access
    verifier.requests_signed = True
    with pytest.raises(_FakeGSSError):
        verifier.verify_signature(_signed_data(rcode), b"mac")
    signer._verifier, signer._key = verifier, object()  # pylint: disable=protected-access
    return signer


def test_strict_failure_says_what_an_error_reply_claims_without_trusting_it(monkeypatch):
    # Samba 4.22: its REFUSED reply to an update the zone's ACL denies does not verify
    error = _strict_signer(monkeypatch, dns.rcode.REFUSED).explain_error(dns.tsig.BadSignature(), "dc1")
    assert error.option == "verify_reply_signature"
    assert "does not verify (the reply claims REFUSED, which is not trusted" in str(error)
    assert "most likely the zone's ACL" in str(error)


def test_strict_failure_of_a_success_reply_claims_nothing(monkeypatch):
    # Samba 4.17: every reply, NOERROR ones too, is signed without the request MAC's length
    error = _strict_signer(monkeypatch, dns.rcode.NOERROR).explain_error(dns.tsig.BadSignature(), "dc1")
    assert error.option == "verify_reply_signature"
    assert "claims" not in str(error) and "Samba 4.17" in str(error)
