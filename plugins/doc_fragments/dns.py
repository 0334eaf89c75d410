# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options shared by the DNS modules: the server, the TSIG key or the Kerberos (GSS-TSIG) credentials."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  server:
    description:
      - The primary DNS server to read from and send RFC 2136 dynamic updates to.
      - A host name, an IPv4 address or an IPv6 address.
      - With O(key_algorithm=gss-tsig), the server's fully qualified host name as Active Directory
        knows it (for example the domain controller C(dc1.ad.example.com)), never an address; the
        Kerberos service principal is C(DNS/<server>).
    type: str
    required: true
  server_port:
    description:
      - The port of O(server), 1 to 65535.
    type: int
    default: 53
  protocol:
    description:
      - Transport for queries and updates. Over V(tcp) one connection is opened per task and reused
        for every query and update.
    type: str
    choices: [tcp, udp]
    default: tcp
  timeout:
    description:
      - Seconds to wait for a connection or an answer; more than 0 and at most 3600.
    type: float
    default: 10.0
  key_name:
    description:
      - Name of the TSIG key (RFC 8945) that signs every query and update.
      - Required with O(key_secret). With O(key_file) it picks one key out of a file that holds several.
    type: str
  key_secret:
    description:
      - The base64 secret of the TSIG key O(key_name). Never logged or shown in output.
      - Mutually exclusive with O(key_file).
    type: str
  key_algorithm:
    description:
      - The HMAC algorithm of O(key_secret). O(key_file) names its own algorithm.
      - V(gss-tsig) signs with Kerberos instead (GSS-TSIG, RFC 3645), as Active Directory-integrated
        zones that accept only secure dynamic updates require. The key is negotiated with the
        server (TKEY) once per task and reused for every query and update of the task. Credentials
        come from a Kerberos ticket cache (C(KRB5CCNAME), the default cache, or O(kerberos_ccache)),
        or from O(kerberos_keytab) with O(kerberos_principal). Needs the Python C(gssapi) library and
        a C(krb5.conf) that knows the realm. O(key_name), O(key_secret), O(key_file) and
        O(allow_unsigned) do not apply; O(protocol) must be V(tcp).
    type: str
    default: hmac-sha256
    choices:
      - gss-tsig
      - hmac-md5
      - hmac-sha1
      - hmac-sha224
      - hmac-sha256
      - hmac-sha256-128
      - hmac-sha384
      - hmac-sha384-192
      - hmac-sha512
      - hmac-sha512-256
  key_file:
    description:
      - A BIND key file as written by C(tsig-keygen) (C(key "name" { algorithm ...; secret "..."; };)),
        instead of O(key_name) and O(key_secret).
      - The file is read on the host that runs the module.
    type: path
  allow_unsigned:
    description:
      - Send unsigned queries and updates when no TSIG key is given.
      - Without a key and without this option the module fails before sending anything, so an
        update is never unsigned by accident.
    type: bool
    default: false
  kerberos_principal:
    description:
      - With O(key_algorithm=gss-tsig), the Kerberos principal to act as, for example
        C(kmspub@AD.EXAMPLE.COM) (the realm in upper case). Its account (or a group it is in) needs
        rights on the names written, see the M(kmsops.kms.ad_dns_rights) module.
      - Required with O(kerberos_keytab). Without a keytab it picks that principal's ticket out of
        a cache collection; when not set, the default principal of the ticket cache is used.
    type: str
  kerberos_keytab:
    description:
      - With O(key_algorithm=gss-tsig), a keytab holding the key of O(kerberos_principal), read on
        the host that runs the module. Tickets got from it are kept in memory for the task only; the
        keytab's content is never read into the task's output.
    type: path
  kerberos_ccache:
    description:
      - With O(key_algorithm=gss-tsig), the Kerberos ticket cache to use (a file path, or a
        C(TYPE:residual) name such as C(KEYRING:persistent:1000)), on the host that runs the module.
      - When not set, C(KRB5CCNAME) or the default cache is used. Get a ticket with C(kinit) first.
    type: path
  verify_reply_signature:
    description:
      - With O(key_algorithm=gss-tsig), whether a reply whose GSS-TSIG signature does not verify as
        RFC 8945 requires is an error (V(true), the default).
      - Set V(false) only for a server known to sign its replies wrongly. Samba 4.17's internal DNS
        server (Debian 12) computes the signature of its replies without the two-byte length of the
        request's MAC; strict verification then fails on every reply, even though the update was
        applied. With V(false) a reply is accepted when its signature verifies in that layout; a
        reply that reports an error (SERVFAIL, REFUSED, ...) is accepted as an error even when its
        signature verifies in neither layout, because it cannot make the task report a success. A
        reply reporting success that verifies in neither layout is still an error. The reply's
        rcode is always checked.
      - Samba 4.22 (Debian 13) signs the replies that report success as RFC 8945 requires, so V(true)
        works there; only its REFUSED reply to an update the zone's ACL denies does not verify, and
        such a denial then fails as a signature error, which says what the unverified reply claims
        (REFUSED) without trusting it.
    type: bool
    default: true
notes:
  - All DNS modules belong to the action group C(kmsops.kms.dns), so
    C(module_defaults) with C(group/kmsops.kms.dns) sets the server and key once for a play.
  - >-
    Values are compared as parsed record data, not as text, so C(0 0 1688 KMS1.corp.example.) equals
    C({priority: 0, weight: 0, port: 1688, target: kms1.corp.example}).
  - Every changed RRset is guarded by an RFC 2136 prerequisite stating what was read. When another
    writer changes the RRset between the read and the update, the server rejects the update, the
    module reads again and plans again (up to 20 times, with random waits of up to a second) and
    never overwrites the other writer's values.
  - >-
    Active Directory-integrated zones answer SERVFAIL or REFUSED to an update the zone's ACL denies
    (Samba 4.17 SERVFAIL; Samba 4.22 REFUSED for a name that exists, SERVFAIL for a new one); with
    O(key_algorithm=gss-tsig) the error says so, as the most likely cause, and names
    O(kerberos_principal).
requirements:
  - dnspython >= 2.3.0 on the host that runs the module
  - gssapi (python-gssapi) on the host that runs the module, only with O(key_algorithm=gss-tsig)
"""

    # Attributes every DNS module of the collection shares.
    ATTRIBUTES = r"""
attributes:
  check_mode:
    support: full
    description: Reads the RRsets and reports what would change; sends no UPDATE.
  diff_mode:
    support: full
    description: Shows every changed RRset before and after as zone-file lines.
  action_group:
    support: full
    membership:
      - kmsops.kms.dns
    description: Use C(group/kmsops.kms.dns) in C(module_defaults) to set the server and key once.
"""
