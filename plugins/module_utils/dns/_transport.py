# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Talking to one DNS server: signing, queries, zone finding, sending UPDATEs.

Signing sits behind one seam, a *signer* made once per module run and reused for every message
(``TSIGSigner``, ``UnsignedSigner``, and ``GSSTSIGSigner`` in ``_gss_tsig`` for AD-integrated
zones). A signer has ``prepare(transport)`` (called once before the first message: GSS-TSIG
negotiates its key there), ``sign(message)``, ``describe()`` and ``explain_error(exc, where)`` (an
engine error for a failure that is about the signer, or None). Over TCP one connection is kept
open and reused for every query and UPDATE of a run.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
import socket

try:
    import dns.exception
    import dns.flags
    import dns.message
    import dns.name
    import dns.query
    import dns.rcode
    import dns.rdataclass
    import dns.rdatatype
    import dns.tsig
except ImportError:  # pragma: no cover - reported by the modules with missing_required_lib
    pass

from ansible_collections.kmsops.kms.plugins.module_utils.common._primitives import name_key
from ansible_collections.kmsops.kms.plugins.module_utils.dns._errors import (
    DNSConnectionError,
    DNSError,
    DNSTimeout,
    InvalidInput,
    PrerequisiteFailed,
    ServerFailure,
    TSIGError,
    UpdateRefused,
    ZoneNotFound,
)
from ansible_collections.kmsops.kms.plugins.module_utils.dns._records import RRset

GSS_TSIG = "gss-tsig"
"""key_algorithm for Kerberos (GSS-TSIG): its signer lives in _gss_tsig, imported only when used."""

TSIG_ALGORITHMS = (
    "hmac-md5",
    "hmac-sha1",
    "hmac-sha224",
    "hmac-sha256",
    "hmac-sha256-128",
    "hmac-sha384",
    "hmac-sha384-192",
    "hmac-sha512",
    "hmac-sha512-256",
)

_COMMENT_OR_STRING = re.compile(r'"[^"]*"|(?:#|//)[^\n]*|/\*.*?\*/', re.S)
_KEY_BLOCK = re.compile(r'key\s+"?([^"\s{]+)"?\s*\{(.*?)\}\s*;', re.S)
_KEY_ALGORITHM = re.compile(r"algorithm\s+\"?([A-Za-z0-9.-]+)\"?\s*;")
_KEY_SECRET = re.compile(r'secret\s+"([^"]*)"\s*;')


def _check_secret(secret, option):
    try:
        raw = base64.b64decode(secret.strip(), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if not raw:
        # never echo the secret itself
        raise InvalidInput("is not a base64-encoded TSIG secret", option)
    return secret.strip()


def _check_algorithm(algorithm, option):
    algorithm = name_key(algorithm)
    if algorithm == "hmac-md5.sig-alg.reg.int":
        algorithm = "hmac-md5"
    if algorithm not in TSIG_ALGORITHMS:
        raise InvalidInput(
            f"{algorithm!r} is not a supported TSIG algorithm; use one of {', '.join(TSIG_ALGORITHMS)}", option
        )
    return algorithm


def read_key_file(path, key_name=None):
    """Read a BIND key file (as written by tsig-keygen); return (name, algorithm, secret)."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}", "key_file") from None
    # comments (#, //, /* */) go; quoted text stays whole: a base64 secret may hold "//"
    text = _COMMENT_OR_STRING.sub(lambda match: match.group(0) if match.group(0).startswith('"') else "", text)
    blocks = _KEY_BLOCK.findall(text)
    if not blocks:
        raise InvalidInput(
            f'{path} holds no key statement of the form key "name" {{ algorithm ...; secret "..."; }};', "key_file"
        )
    if key_name:
        wanted = name_key(key_name)
        blocks = [block for block in blocks if name_key(block[0]) == wanted]
        if not blocks:
            raise InvalidInput(f"{path} holds no key named {key_name!r}", "key_file")
    elif len(blocks) > 1:
        raise InvalidInput(f"{path} holds several keys; choose one with key_name", "key_file")
    name, body = blocks[0]
    algorithm = _KEY_ALGORITHM.search(body)
    secret = _KEY_SECRET.search(body)
    if not algorithm or not secret:
        raise InvalidInput(f"the key {name!r} in {path} lacks an algorithm or a secret statement", "key_file")
    return name, _check_algorithm(algorithm.group(1), "key_file"), _check_secret(secret.group(1), "key_file")


class _PlainSigner:
    """What the signers without a negotiation or errors of their own share."""

    key_name = None
    errors = ()  # exception classes of the signer's own library, given to explain_error

    def prepare(self, transport):
        """Nothing to negotiate before the first message."""

    def explain_error(self, exc, where):
        """No failure of their own: the transport translates every error."""
        return None


class UnsignedSigner(_PlainSigner):
    """Sends messages unsigned; only used when the user set ``allow_unsigned``."""

    def sign(self, message):
        return message

    def describe(self):
        return "sent unsigned"


class TSIGSigner(_PlainSigner):
    """Signs every message with one TSIG key (RFC 8945)."""

    def __init__(self, key_name, secret, algorithm="hmac-sha256"):
        self.key_name = key_name
        self.algorithm = algorithm
        try:
            algorithm_name = dns.tsig.HMAC_MD5 if algorithm == "hmac-md5" else dns.name.from_text(algorithm)
            self._key = dns.tsig.Key(dns.name.from_text(key_name), secret, algorithm_name)
        except (dns.exception.DNSException, ValueError, binascii.Error):
            raise InvalidInput("cannot build a TSIG key from key_name/key_secret", "key_name") from None
        # the secret as given and as dnspython prints it (repr of its Key), for scrubbing output
        self.secrets = tuple({secret, base64.b64encode(self._key.secret).decode()})

    def __repr__(self):
        # never the secret (dnspython's own Key repr shows it)
        return f"TSIGSigner({self.key_name!r}, {self.algorithm!r})"

    def sign(self, message):
        message.use_tsig(self._key)
        return message

    def describe(self):
        return f"signed with TSIG key {self.key_name!r} ({self.algorithm})"


def make_signer(params):
    """Build the signer from the shared options (see the ``dns`` doc fragment)."""
    if params.get("key_algorithm") == GSS_TSIG:
        # only a GSS-TSIG run imports the GSS-TSIG code (and gssapi): a TSIG run never pays for it
        # pylint: disable-next=import-outside-toplevel
        from ansible_collections.kmsops.kms.plugins.module_utils.dns._gss_tsig import (
            GSSTSIGSigner,
            check_gss_options,
        )

        check_gss_options(params)
        return GSSTSIGSigner(
            params["server"],
            params.get("kerberos_principal"),
            params.get("kerberos_keytab"),
            params.get("kerberos_ccache"),
            params.get("verify_reply_signature", True),
        )
    key_name = params.get("key_name")
    if params.get("key_file"):
        name, algorithm, secret = read_key_file(params["key_file"], key_name)
        return TSIGSigner(name, secret, algorithm)
    if params.get("key_secret"):
        if not key_name:
            raise InvalidInput("is required with key_secret", "key_name")
        secret = _check_secret(params["key_secret"], "key_secret")
        algorithm = _check_algorithm(params.get("key_algorithm") or "hmac-sha256", "key_algorithm")
        return TSIGSigner(key_name, secret, algorithm)
    if key_name:
        raise InvalidInput("needs key_secret or key_file", "key_name")
    if not params.get("allow_unsigned"):
        raise InvalidInput(
            "no TSIG key given: set key_name and key_secret, or key_file; "
            "set allow_unsigned=true only if the server really accepts unsigned updates",
            "key_name",
        )
    return UnsignedSigner()


def resolve_server(server, port):
    """Return (address family, address) of SERVER (an IPv4/IPv6 address or a host name)."""
    if not server:
        raise InvalidInput("is required", "server")
    try:
        address = ipaddress.ip_address(server.strip("[]"))
        return (socket.AF_INET6 if address.version == 6 else socket.AF_INET), address.compressed
    except ValueError:
        pass
    try:
        info = socket.getaddrinfo(server, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise DNSConnectionError(f"cannot resolve {server!r}: {exc}", "server") from None
    family, _type, _proto, _canon, sockaddr = info[0]
    return family, sockaddr[0]


_PREREQ_RCODES = ("NXRRSET", "YXRRSET", "NXDOMAIN", "YXDOMAIN")


def translate_exchange_error(exc, where, timeout, key_name):
    """Turn a dnspython or socket exception of one exchange into an engine error naming the option."""
    if isinstance(exc, dns.exception.Timeout):
        return DNSTimeout(f"no answer from {where} within {timeout:g} s", "timeout")
    if isinstance(exc, (dns.tsig.PeerBadKey, dns.message.UnknownTSIGKey)):
        return TSIGError(
            f"the server does not know the key {key_name!r} (BADKEY): check key_name and key_algorithm", "key_name"
        )
    if isinstance(exc, (dns.tsig.PeerBadSignature, dns.tsig.BadSignature)):
        return TSIGError(
            f"the server rejected the signature of key {key_name!r} (BADSIG): check key_secret", "key_secret"
        )
    if isinstance(exc, dns.tsig.PeerBadTime):
        return TSIGError(
            "the server rejected the signature time (BADTIME): check the clocks of this host and the server", "key_name"
        )
    if isinstance(exc, dns.tsig.PeerError):
        return TSIGError(f"the server rejected the TSIG signature: {exc}", "key_name")
    if isinstance(exc, EOFError):
        # closed again right after a reconnect: a server going down or refusing to serve us
        return DNSConnectionError(f"no answer from {where}: the server closed the connection", "server")
    if isinstance(exc, ConnectionRefusedError):
        return DNSConnectionError(f"cannot reach {where}: connection refused", "server")
    if isinstance(exc, OSError):
        return DNSConnectionError(f"cannot reach {where}: {exc.strerror or exc}", "server")
    return DNSError(f"bad answer from {where}: {exc}", "server")


def check_update_response(response, zone, signer_description, denied_hint=None):
    """Map the rcode of an UPDATE response; raise PrerequisiteFailed when the RRsets changed.

    DENIED_HINT: what the signer knows SERVFAIL or REFUSED most likely means (an AD-integrated
    zone answers one of them, depending on the server, when its ACL denies the change), added to
    the message, which then names the principal as the option to fix."""
    rcode = response.rcode()
    text = dns.rcode.to_text(rcode)
    if rcode == dns.rcode.NOERROR:
        return response
    if text in _PREREQ_RCODES:
        raise PrerequisiteFailed(f"zone {zone} changed since it was read ({text})")
    if rcode in (dns.rcode.REFUSED, dns.rcode.SERVFAIL) and denied_hint:
        raise UpdateRefused(
            f"the server answered {text} to the update of zone {zone} {signer_description}: "
            f"{denied_hint}; the server said no more than {text}",
            "kerberos_principal",
        )
    if rcode == dns.rcode.REFUSED:
        # BIND refuses for several reasons and does not say which in the answer; name them all
        raise UpdateRefused(
            f"the server REFUSED the update to zone {zone} {signer_description}. "
            "Possible causes (the server's log says which): its update-policy does not "
            "let this key change these records; a name or SRV/MX target breaks its "
            "check-names rules (e.g. '*' or '_' in a host name); or the zone does not "
            "accept dynamic updates",
            "key_name",
        )
    if rcode == dns.rcode.SERVFAIL:
        raise ServerFailure(f"the update to zone {zone} failed: SERVFAIL", "server")
    if rcode == dns.rcode.NOTZONE:
        raise ZoneNotFound(f"the server says a record lies outside zone {zone} (NOTZONE)", "zone")
    raise DNSError(f"the update to zone {zone} failed: {text}", "server")


def zone_of_answer(response, name, rdtype):
    """The apex of the zone that answered a query for NAME/RDTYPE, or None when the answer does not
    say it for certain.

    Only an authoritative answer (AA) counts, and only when it holds the RRset asked for or nothing:
    a negative answer (NXDOMAIN, NODATA) carries the SOA of its zone in the authority section
    (RFC 2308), a positive one the NS RRset of its zone apex (BIND does so unless minimal-responses is
    set). A referral to a delegated child zone has no AA; a CNAME or DNAME answer may end in another
    zone; REFUSED or SERVFAIL says nothing: all give None.
    """
    if not response.flags & dns.flags.AA or response.rcode() not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
        return None
    wanted = dns.rdatatype.from_text(rdtype)
    if any(rrset.name != name or rrset.rdtype != wanted for rrset in response.answer):
        return None
    if response.answer and response.rcode() != dns.rcode.NOERROR:
        return None
    kind = dns.rdatatype.NS if response.answer else dns.rdatatype.SOA
    owners = {rrset.name for rrset in response.authority if rrset.rdtype == kind}
    if len(owners) != 1:
        return None
    zone = owners.pop()
    return zone if name.is_subdomain(zone) else None


def _values_of(rrset):
    """The rdata of a dnspython RRset as a frozenset. dnspython 2.x keeps them as the keys of a dict,
    whose stored hashes the frozenset re-uses (hashing an rdata renders it to wire format)."""
    items = getattr(rrset, "items", None)
    return frozenset(items) if isinstance(items, dict) else frozenset(rrset)


class DNSTransport:
    """One server, one signer, one (reused) TCP connection."""

    def __init__(self, server, port=53, protocol="tcp", timeout=10.0, signer=None):
        self.server = server
        self.port = port
        self.protocol = protocol
        self.timeout = float(timeout)
        self.signer = signer or UnsignedSigner()
        self.family, self.address = resolve_server(server, port)
        self._sock = None
        self._prepared = False
        self.messages_sent = 0
        # whether the message of the last exchange was written to the network (a TCP connection that
        # was open, or a UDP datagram): then the server may have it, whatever came back or failed
        self.message_written = False
        self._tcp_retry = False  # the TCP retry of a truncated UDP answer is under way

    # -- plumbing ----------------------------------------------------------------------------
    def _where(self):
        if self._tcp_retry:
            return f"{self.server} port {self.port} over tcp (retrying a truncated udp answer)"
        return f"{self.server} port {self.port} over {self.protocol}"

    def _connect(self):
        sock = socket.socket(self.family, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect((self.address, self.port))
        except socket.timeout:
            sock.close()
            raise DNSTimeout(f"no connection to {self._where()} within {self.timeout:g} s", "timeout") from None
        except OSError as exc:
            sock.close()
            # the same words as a refused exchange ("connection refused")
            raise translate_exchange_error(exc, self._where(), self.timeout, self.signer.key_name) from None
        sock.setblocking(False)
        return sock

    def close(self):
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def _exchange_once(self, message):
        self._tcp_retry = False
        if self.protocol == "udp":
            self.message_written = True
            response = dns.query.udp(message, self.address, timeout=self.timeout, port=self.port)
            if response.flags & dns.flags.TC:
                # errors of this retry name tcp (see _where), not the udp that was answered
                self._tcp_retry = True
                response = dns.query.tcp(message, self.address, timeout=self.timeout, port=self.port)
                self._tcp_retry = False
            return response
        if self._sock is None:
            self._sock = self._connect()
        self.message_written = True
        return dns.query.tcp(message, self.address, timeout=self.timeout, port=self.port, sock=self._sock)

    def _handled_errors(self):
        """The exceptions of one exchange that become engine errors (the signer's own too)."""
        return (dns.exception.DNSException, OSError, EOFError, *self.signer.errors)

    def _translate(self, exc):
        self.close()
        error = self.signer.explain_error(exc, self._where())
        return error or translate_exchange_error(exc, self._where(), self.timeout, self.signer.key_name)

    def exchange_unsigned(self, message):
        """Send MESSAGE as it is, over TCP (the signer's own negotiation, e.g. TKEY)."""
        self.messages_sent += 1
        try:
            if self._sock is None:
                self._sock = self._connect()
            return dns.query.tcp(message, self.address, timeout=self.timeout, port=self.port, sock=self._sock)
        except self._handled_errors() as exc:
            raise self._translate(exc) from None

    def exchange(self, message):
        """Sign, send, receive and verify one message. Map transport and TSIG failures."""
        self.message_written = False
        if not self._prepared:
            self.signer.prepare(self)
            self._prepared = True
        self.signer.sign(message)
        self.messages_sent += 1
        try:
            try:
                return self._exchange_once(message)
            except (EOFError, ConnectionResetError, BrokenPipeError):
                # the server closed our idle TCP connection: reconnect once
                self.close()
                message.id = dns.message.Message().id  # a fresh id and signature for the retry
                self.signer.sign(message)
                return self._exchange_once(message)
        except self._handled_errors() as exc:
            raise self._translate(exc) from None

    def _check_notauth(self, response, what):
        if response.rcode() == dns.rcode.NOTAUTH:
            if isinstance(self.signer, UnsignedSigner):
                raise UpdateRefused(f"the server refused the unsigned {what} (NOTAUTH): give a TSIG key", "key_name")
            raise TSIGError(
                f"the server refused the {what} signed with key {self.signer.key_name!r} (NOTAUTH): "
                "check key_name, key_secret and key_algorithm",
                "key_name",
            )

    # -- reading -----------------------------------------------------------------------------
    def _query(self, name, rdtype):
        query = dns.message.make_query(name, rdtype, dns.rdataclass.IN)
        query.flags &= ~dns.flags.RD
        response = self.exchange(query)
        self._check_notauth(response, "query")
        return response

    def _rrset_of(self, response, name, rdtype):
        rcode = response.rcode()
        if rcode not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
            raise DNSError(f"reading {name} {rdtype} from {self._where()} failed: {dns.rcode.to_text(rcode)}", "server")
        # a CNAME at the owner comes back in the answer of the same read (no extra query); the
        # rcode is then that of the end of the chain (NXDOMAIN when the CNAME's target does not exist)
        alias = None
        if rdtype != "CNAME":
            alias = response.get_rrset(response.answer, name, dns.rdataclass.IN, dns.rdatatype.CNAME)
        cname = alias[0].target if alias else None
        if rcode == dns.rcode.NXDOMAIN and cname is None:
            return RRset(name, rdtype, owner_exists=False)
        found = response.get_rrset(response.answer, name, dns.rdataclass.IN, dns.rdatatype.from_text(rdtype))
        if found is None:
            return RRset(name, rdtype, cname=cname, owner_exists=True)
        return RRset(name, rdtype, found.ttl, _values_of(found), cname=cname, owner_exists=True)

    def read_owner_types(self, name):
        """The record types NAME holds (one ANY query, authoritative data over TCP)."""
        query = dns.message.make_query(name, dns.rdatatype.ANY, dns.rdataclass.IN)
        query.flags &= ~dns.flags.RD
        response = self.exchange(query)
        self._check_notauth(response, "query")
        rcode = response.rcode()
        if rcode == dns.rcode.NXDOMAIN:
            return set()
        if rcode != dns.rcode.NOERROR:
            raise DNSError(f"reading {name} ANY from {self._where()} failed: {dns.rcode.to_text(rcode)}", "server")
        return {dns.rdatatype.to_text(rrset.rdtype) for rrset in response.answer if rrset.name == name}

    def read_rrset(self, name, rdtype):
        """Read NAME/RDTYPE from the server (authoritative data); absent RRsets read as empty."""
        return self._rrset_of(self._query(name, rdtype), name, rdtype)

    def read_rrset_and_zone(self, name, rdtype):
        """Read NAME/RDTYPE and learn the zone holding it from the same answer (one query, no SOA lookup).

        Returns (RRset, zone apex), or (None, None) when the answer does not say which zone holds the
        name (see zone_of_answer): then look the zone up with find_zone and read again."""
        response = self._query(name, rdtype)
        zone = zone_of_answer(response, name, rdtype)
        if zone is None:
            return None, None
        return self._rrset_of(response, name, rdtype), zone

    def find_zone(self, name, option="name"):
        """Return the apex of the zone on this server that holds NAME (SOA lookup)."""
        response = self._query(name, dns.rdatatype.SOA)
        rcode = response.rcode()
        if rcode in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN) and response.flags & dns.flags.AA:
            for rrset in response.answer + response.authority:
                if rrset.rdtype == dns.rdatatype.SOA and name.is_subdomain(rrset.name):
                    return rrset.name
        raise ZoneNotFound(
            f"no zone on {self._where()} holds {name} (SOA lookup: "
            f"{dns.rcode.to_text(rcode)}{', not authoritative' if not response.flags & dns.flags.AA else ''})",
            option,
        )

    def check_zone(self, zone, option="zone"):
        """Fail unless ZONE is the apex of a zone on this server."""
        found = self.find_zone(zone, option)
        if found != zone:
            raise ZoneNotFound(f"{zone} is not a zone on {self._where()} (it lies in zone {found})", option)
        return zone

    # -- writing -----------------------------------------------------------------------------
    def send_update(self, update):
        """Send one UPDATE; raise PrerequisiteFailed when the RRsets changed since they were read."""
        response = self.exchange(update)
        self._check_notauth(response, "update")
        zone = update.zone[0].name if update.zone else "?"
        return check_update_response(response, zone, self.signer.describe(), getattr(self.signer, "denied_hint", None))
