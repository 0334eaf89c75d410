# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""GSS-TSIG (RFC 3645): Kerberos-signed queries and updates for AD-integrated zones.

``GSSTSIGSigner`` plugs into the signer seam of ``_transport``: the transport calls
``prepare`` once before its first message (TKEY negotiation over TCP, RFC 3645 section 4), then
``sign`` for every message; the one security context is reused for the whole module run.

Two things differ from the RFCs on Samba's internal DNS (see docs/samba-ad.md):

* the key name must be a single label (``<uuid>.``): Samba re-encodes the TSIG record
  uncompressed to find it, and a compressed multi-label name is rejected (BADSIG);
* Samba 4.17 (Debian 12) signs replies to signed requests without the two-byte length of the
  request MAC that RFC 8945 section 4.3.3 puts in front of it. Strict verification (the default)
  therefore fails on its replies. Samba 4.22 (Debian 13) signs the replies that report success as
  RFC 8945 requires, but its REFUSED reply to an update the zone's ACL denies does not verify
  (tests/integration/test_ad_dns.py runs against both). With ``verify_reply_signature=false`` a
  reply is also accepted when its signature verifies in Samba 4.17's layout, and an *error* reply
  (non-zero rcode) is accepted even when it verifies in neither layout (Samba signs those
  differently again): an unverified reply can make a task fail, never make it report success.

Everything about Kerberos failures is turned into one error naming the option to fix; the
explanation itself (``explain_gss_failure``) is plain text matching, unit-tested without gssapi.
"""

from __future__ import annotations

import ipaddress
import os
import re
import struct
import time
import traceback
import uuid

try:
    import dns.exception
    import dns.message
    import dns.name
    import dns.rcode
    import dns.rdataclass
    import dns.rdatatype
    import dns.rdtypes.ANY.TKEY
    import dns.tsig
except ImportError:  # pragma: no cover - reported by the modules with missing_required_lib
    pass

from ansible_collections.kmsops.kms.plugins.module_utils.common._primitives import name_key
from ansible_collections.kmsops.kms.plugins.module_utils.dns import _transport
from ansible_collections.kmsops.kms.plugins.module_utils.dns._errors import InvalidInput, TSIGError

GSS_TSIG = _transport.GSS_TSIG
_GSSAPI: dict[str, object] = {}  # filled by load_gssapi: "module", or "error" (the traceback of the failed import)
TKEY_MODE_GSSAPI = 3  # RFC 2930 section 2.5, used by RFC 3645
TKEY_LIFETIME = 3600
MAX_NEGOTIATION_ROUNDS = 4


def load_gssapi():
    """The gssapi module, imported on first use: only GSS-TSIG needs it, so a run signing with a
    TSIG key never pays for its import. None when it is not installed (gssapi_import_error says why)."""
    if not _GSSAPI:
        try:
            import gssapi  # pylint: disable=import-outside-toplevel
            import gssapi.exceptions  # pylint: disable=import-outside-toplevel,unused-import
        except ImportError:
            _GSSAPI["error"] = traceback.format_exc()
        else:
            _GSSAPI["module"] = gssapi
    return _GSSAPI.get("module")


def gssapi_import_error():
    """The traceback of the failed gssapi import (after load_gssapi returned None), else None."""
    return _GSSAPI.get("error")


def _gssapi():
    """The gssapi module; only called once load_gssapi() found it (the modules check that first)."""
    return _GSSAPI["module"]


# (pattern in the Kerberos/GSS-API message, lower case) -> kind of failure. First match wins.
_FAILURES = (
    ("expired", "expired"),
    (r"\bserver\b.*not found in kerberos database", "server_unknown"),
    (r"\bclient\b.*not found in kerberos database", "client_unknown"),
    ("cannot find kdc for realm", "realm"),
    ("cannot contact any kdc for realm", "realm"),
    ("realm not local to kdc", "realm"),
    ("cannot resolve network address for kdc in realm", "realm"),
    ("no key table entry found", "keytab_entry"),
    ("key table file", "keytab_file"),
    ("preauthentication failed", "keytab_key"),
    ("password incorrect", "keytab_key"),
    ("clock skew too great", "clock"),
    ("no kerberos credentials available", "no_ticket"),
    ("no credentials cache found", "no_ticket"),
    ("no credentials were supplied", "no_ticket"),
    ("can't find client principal", "no_ticket"),
    ("matching credential not found", "no_ticket"),
)


def classify_gss_failure(text):
    """Return the kind of a Kerberos/GSS-API failure from its message (see ``_FAILURES``)."""
    lowered = (text or "").lower()
    for pattern, kind in _FAILURES:
        if re.search(pattern, lowered):
            return kind
    return "other"


def explain_gss_failure(text, server, principal=None, keytab=None):
    """Return (option, message) for a Kerberos/GSS-API failure described by TEXT.

    SERVER is the DNS server's name (the service principal is DNS/<server>), PRINCIPAL and KEYTAB
    the options given (None when not set). Never says more than the message supports.
    """
    kind = classify_gss_failure(text)
    who = principal or "the ticket cache's principal"
    credentials_option = "kerberos_keytab" if keytab else "kerberos_ccache"
    if kind == "expired":
        return credentials_option, (
            f"the Kerberos ticket of {who} has expired: renew it (kinit) on the host that runs the "
            f"module, or give kerberos_keytab and kerberos_principal ({text})"
        )
    if kind == "server_unknown":
        return "server", (
            f"the KDC does not know the service principal DNS/{server}: set server to the DNS "
            f"server's fully qualified host name as Active Directory knows it (the domain "
            f"controller's own name, not an alias) ({text})"
        )
    if kind == "client_unknown":
        return "kerberos_principal", f"the KDC does not know the principal {who} ({text})"
    if kind == "realm":
        return ("kerberos_principal" if principal else credentials_option), (
            f"no KDC found for the realm of {who}: check the realm (upper case, e.g. "
            f"AD.EXAMPLE.COM) in kerberos_principal and the [realms]/[domain_realm] sections of "
            f"krb5.conf ({text})"
        )
    if kind == "keytab_entry":
        return "kerberos_keytab", (
            f"the keytab {keytab} holds no key for {who}: check kerberos_principal (the realm is "
            f"upper case) or export the keytab of that principal ({text})"
        )
    if kind == "keytab_file":
        return "kerberos_keytab", f"cannot use the keytab {keytab} ({text})"
    if kind == "keytab_key":
        return "kerberos_keytab", (
            f"the KDC refused the key of {who} from {keytab}: the account's password changed "
            f"since the keytab was exported? ({text})"
        )
    if kind == "clock":
        return "server", (
            f"the clocks of this host and the KDC differ too much for Kerberos: synchronise them ({text})"
        )
    if kind == "no_ticket":
        if keytab:
            return "kerberos_keytab", (
                f"the keytab {keytab} gave no credentials for {who}: check that it holds a key of "
                f"exactly that principal (klist -k {keytab}; the realm is upper case) ({text})"
            )
        return credentials_option, (
            f"no Kerberos ticket for {who}: run kinit on the host that runs the module (or point "
            f"kerberos_ccache or KRB5CCNAME at a ticket cache), or give kerberos_keytab and "
            f"kerberos_principal ({text})"
        )
    return ("kerberos_principal" if principal else credentials_option), f"Kerberos failed: {text}"


def _gss_text(exc):
    try:
        return " ".join(str(exc.gen_message()).split())
    except Exception:  # pylint: disable=broad-except
        return " ".join(str(exc).split())


def check_gss_options(params):
    """Check the GSS-TSIG options before anything is sent; raise InvalidInput naming the option."""
    server = (params.get("server") or "").strip()
    try:
        ipaddress.ip_address(server.strip("[]"))
    except ValueError:
        pass
    else:
        raise InvalidInput(
            f"is the address {server}; with key_algorithm=gss-tsig give the DNS server's fully "
            f"qualified host name: the Kerberos service principal is DNS/<server name>",
            "server",
        )
    if "." not in server.rstrip("."):
        raise InvalidInput(
            f"{server!r} is not a fully qualified host name; with key_algorithm=gss-tsig the "
            f"Kerberos service principal is DNS/<fully qualified server name>",
            "server",
        )
    for option in ("key_name", "key_secret", "key_file"):
        if params.get(option):
            raise InvalidInput(
                "is a TSIG (HMAC) key option and cannot be used with "
                "key_algorithm=gss-tsig, which takes Kerberos credentials",
                option,
            )
    if params.get("allow_unsigned"):
        raise InvalidInput("cannot be used with key_algorithm=gss-tsig, which signs every message", "allow_unsigned")
    if params.get("protocol", "tcp") != "tcp":
        raise InvalidInput("must be tcp with key_algorithm=gss-tsig (the TKEY negotiation needs TCP)", "protocol")
    keytab = params.get("kerberos_keytab")
    if keytab:
        if not params.get("kerberos_principal"):
            raise InvalidInput("is required with kerberos_keytab", "kerberos_principal")
        if not os.access(keytab, os.R_OK):
            raise InvalidInput(f"cannot read the keytab {keytab}", "kerberos_keytab")
    ccache = params.get("kerberos_ccache")
    if ccache and ":" not in ccache and not os.path.exists(ccache):
        raise InvalidInput(
            f"there is no ticket cache at {ccache}: run kinit, or point kerberos_ccache at an existing cache",
            "kerberos_ccache",
        )


def claimed_rcode(data):
    """The rcode a reply claims, read from the data its GSS-TSIG signature covers (RFC 8945 4.3.3:
    the request MAC's length and the request MAC, then the reply from its original id on); 0 when
    the data is too short to say. Never trusted: only used to say what an unverified reply claims."""
    if len(data) < 2:
        return 0
    (mac_length,) = struct.unpack("!H", data[:2])
    header = data[2 + mac_length :]  # original id (2 bytes), then the flags with the rcode
    return header[3] & 0x0F if len(header) >= 4 else 0


class _ReplyVerifier:
    """The object dnspython's GSS-TSIG code takes for the GSS-API context (``Key.secret``).

    Signing and context steps go straight to the context; verification is strict unless the
    user asked otherwise (see the module docstring for what the relaxed mode accepts).
    """

    def __init__(self, context, strict):
        self.context = context
        self.strict = strict
        self.requests_signed = False  # true once the TKEY exchange is done
        self.samba_layout_replies = 0
        self.unverified_error_replies = 0
        self.unverified_rcode = 0  # what the last reply that failed strict verification claims

    def step(self, token):
        return self.context.step(token)

    def get_signature(self, data):
        return self.context.get_signature(data)

    def verify_signature(self, data, mac):
        try:
            return self.context.verify_signature(data, mac)
        except _gssapi().exceptions.GSSError:
            if self.strict or not self.requests_signed or len(data) < 2:
                if self.requests_signed:
                    self.unverified_rcode = claimed_rcode(data)
                raise
        # Samba 4.17: the request MAC without its length prefix
        try:
            result = self.context.verify_signature(data[2:], mac)
        except _gssapi().exceptions.GSSError:
            pass
        else:
            self.samba_layout_replies += 1
            return result
        if claimed_rcode(data):
            self.unverified_error_replies += 1
            return None
        raise dns.tsig.BadSignature


class GSSTSIGSigner:
    """Signs every message with a GSS-TSIG key negotiated once per module run (RFC 3645)."""

    algorithm = GSS_TSIG

    def __init__(self, server, principal=None, keytab=None, ccache=None, verify_reply_signature=True):
        self.server = name_key(server)
        self.principal = principal
        self.keytab = keytab
        self.ccache = ccache
        self.strict = verify_reply_signature
        # one label only: Samba rejects a TSIG owner name it would have to decompress
        self.key_name = f"{uuid.uuid4()}."
        self._key = None
        self._verifier = None
        self.errors = (_gssapi().exceptions.GSSError,)
        self.acting_as = principal or "the ticket cache's principal"

    @property
    def denied_hint(self):
        """What SERVFAIL or REFUSED to a signed update most likely means on an AD-integrated zone."""
        return (
            "an AD-integrated zone answers SERVFAIL or REFUSED when the account may not change or "
            "create a name (Samba 4.17: SERVFAIL; Samba 4.22: REFUSED for a name that exists, SERVFAIL "
            "for a new one), so this is most likely the zone's ACL: give "
            f"{self.acting_as} (or a group it is in) rights on these names (see the "
            "kmsops.kms.ad_dns_rights module)"
        )

    def describe(self):
        return f"signed with GSS-TSIG as {self.acting_as}"

    # -- credentials and context -------------------------------------------------------------
    def _fail(self, exc):
        option, message = explain_gss_failure(_gss_text(exc), self.server, self.principal, self.keytab)
        return TSIGError(message, option)

    def _credentials(self):
        store = {}
        if self.ccache:
            store["ccache"] = self.ccache if ":" in self.ccache else f"FILE:{self.ccache}"
        if self.keytab:
            store["client_keytab"] = self.keytab
            # tickets got from the keytab stay in this process, never in the user's cache
            store.setdefault("ccache", f"MEMORY:kmsops-{uuid.uuid4().hex}")
        gssapi = _gssapi()
        name = gssapi.Name(self.principal, gssapi.NameType.kerberos_principal) if self.principal else None
        if store:
            creds = gssapi.Credentials(name=name, usage="initiate", store=store)
        else:
            creds = gssapi.Credentials(name=name, usage="initiate")
        self.acting_as = str(creds.name)
        if not self.keytab and creds.lifetime == 0:
            raise TSIGError(
                f"the Kerberos ticket of {creds.name} has expired: renew it (kinit) on the host that "
                "runs the module, or give kerberos_keytab and kerberos_principal",
                "kerberos_ccache",
            )
        return creds

    def _new_context(self):
        gssapi = _gssapi()
        target = gssapi.Name(f"DNS@{self.server}", gssapi.NameType.hostbased_service)
        flags = (
            gssapi.RequirementFlag.mutual_authentication
            | gssapi.RequirementFlag.integrity
            | gssapi.RequirementFlag.replay_detection
        )
        return gssapi.SecurityContext(name=target, creds=self._credentials(), usage="initiate", flags=flags)

    def _tkey_query(self, keyname, token):
        now = int(time.time())
        query = dns.message.make_query(keyname, dns.rdatatype.TKEY, dns.rdataclass.ANY)
        tkey = dns.rdtypes.ANY.TKEY.TKEY(
            dns.rdataclass.ANY,
            dns.rdatatype.TKEY,
            dns.tsig.GSS_TSIG,
            now,
            now + TKEY_LIFETIME,
            TKEY_MODE_GSSAPI,
            0,
            token,
        )
        query.find_rrset(query.additional, keyname, dns.rdataclass.ANY, dns.rdatatype.TKEY, create=True).add(tkey)
        return query

    def prepare(self, transport):
        """Negotiate the security context with the server (TKEY, unsigned query over TCP)."""
        if self._key is not None:
            return
        keyname = dns.name.from_text(self.key_name)
        try:
            context = self._new_context()
            verifier = _ReplyVerifier(context, self.strict)
            # for GSS-TSIG dnspython takes the context (here its verifying adapter) as the secret;
            # its annotation knows only the bytes of HMAC keys
            key = dns.tsig.Key(keyname, verifier, dns.tsig.GSS_TSIG)  # type: ignore[arg-type]
            # the adapter steps the context with the server's token before it checks the
            # signature of the final TKEY answer
            keyring = dns.tsig.GSSTSigAdapter({keyname: key})
            token = context.step()
            for _round in range(MAX_NEGOTIATION_ROUNDS):
                query = self._tkey_query(keyname, token)
                query.keyring = keyring
                response = transport.exchange_unsigned(query)
                answer = self._tkey_answer(response, keyname)
                if context.complete:
                    break
                token = context.step(answer.key)
                if context.complete:
                    break
            else:
                raise TSIGError(
                    f"the GSS-TSIG negotiation with {self.server} did not complete in {MAX_NEGOTIATION_ROUNDS} rounds",
                    "server",
                )
        except _gssapi().exceptions.GSSError as exc:
            raise self._fail(exc) from None
        verifier.requests_signed = True
        self._verifier = verifier
        self._key = key

    def _tkey_answer(self, response, keyname):
        rcode = response.rcode()
        if rcode != dns.rcode.NOERROR:
            raise TSIGError(
                f"the server answered the GSS-TSIG key negotiation (TKEY) with "
                f"{dns.rcode.to_text(rcode)}: does {self.server} accept secure (GSS-TSIG) "
                "updates?",
                "key_algorithm",
            )
        try:
            rrset = response.find_rrset(response.answer, keyname, dns.rdataclass.ANY, dns.rdatatype.TKEY)
        except KeyError:
            raise TSIGError(
                f"the server's answer to the GSS-TSIG key negotiation holds no TKEY record: "
                f"does {self.server} accept secure (GSS-TSIG) updates?",
                "key_algorithm",
            ) from None
        answer = rrset[0]
        if answer.error:
            raise TSIGError(
                f"the server refused the GSS-TSIG key negotiation (TKEY error {dns.rcode.to_text(answer.error)})",
                "kerberos_principal",
            )
        return answer

    # -- the signer seam ---------------------------------------------------------------------
    def sign(self, message):
        message.use_tsig(self._key)
        return message

    def explain_error(self, exc, where):
        """An engine error for EXC when it is about GSS-TSIG, else None (the transport decides)."""
        if isinstance(exc, _gssapi().exceptions.GSSError):
            return self._fail(exc)
        if isinstance(exc, dns.tsig.BadSignature):
            if self._key is None:
                return TSIGError(
                    f"the signature of {where}'s answer to the GSS-TSIG key negotiation does not verify", "server"
                )
            if self.strict:
                rcode = self._verifier.unverified_rcode if self._verifier is not None else 0
                # what an error reply claims cannot be trusted, but it tells the user where to look
                claim = (
                    f" (the reply claims {dns.rcode.to_text(dns.rcode.Rcode.make(rcode))}, which is not trusted "
                    "without a valid signature: with Samba 4.22 that is most likely the zone's ACL denying the update)"
                    if rcode
                    else ""
                )
                return TSIGError(
                    f"the signature of the reply from {where} does not verify{claim}. Samba 4.17's internal "
                    "DNS (Debian 12) signs its replies without the request MAC's length prefix that "
                    "RFC 8945 requires, and Samba 4.22's REFUSED reply to an update the zone's ACL denies "
                    "does not verify either; if this server is such a Samba DC, set "
                    "verify_reply_signature=false. "
                    "When this happens after an update, the update may have been applied: read the "
                    "records back",
                    "verify_reply_signature",
                )
            return TSIGError(
                f"the signature of the reply from {where} does not verify, neither as RFC 8945 "
                "requires nor in Samba 4.17's layout",
                "verify_reply_signature",
            )
        return None

    def reply_report(self):
        """How replies were accepted (returned to the user in relaxed mode)."""
        if self._verifier is None:
            return {}
        return {
            "samba_layout_replies": self._verifier.samba_layout_replies,
            "unverified_error_replies": self._verifier.unverified_error_replies,
        }
