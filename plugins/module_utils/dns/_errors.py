# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one error hierarchy of the DNS engine.

Helpers raise these; exactly one place per module turns them into ``fail_json``. Every error
carries the option it is about, so the message a user sees starts with that option's name.
"""

from __future__ import annotations

from ansible_collections.kmsops.kms.plugins.module_utils.common._errors import InvalidValue, KmsOpsError


class DNSError(KmsOpsError):
    """Base of all DNS engine errors."""


class InvalidInput(DNSError, InvalidValue):
    """An option value is malformed (a zone that is not one, a TTL out of range, ...); the checks
    of names, numbers and addresses in ``common._primitives`` raise their parent InvalidValue."""


class DNSConnectionError(DNSError):
    """The server cannot be reached (connection refused, no route, name does not resolve)."""


class DNSTimeout(DNSError):
    """The server did not answer within ``timeout`` seconds."""


class TSIGError(DNSError):
    """The server rejected the TSIG signature (NOTAUTH, BADKEY, BADSIG, BADTIME) or the key is unusable."""


class UpdateRefused(DNSError):
    """The server refused the UPDATE (REFUSED: update-policy, check-names, or no updates allowed)."""


class ServerFailure(DNSError):
    """The server answered SERVFAIL (for example an RRset over BIND's max-records-per-type)."""


class CNAMEConflict(DNSError):
    """The change would put a CNAME beside other data (or at the apex); BIND would ignore it."""


class UpdateIgnored(DNSError):
    """The server answered NOERROR but does not hold what the UPDATE sent."""


class ZoneNotFound(DNSError):
    """No zone on the server holds the name."""


class PrerequisiteFailed(DNSError):
    """The RRset changed between our read and our UPDATE (NXRRSET/YXRRSET/NXDOMAIN/YXDOMAIN)."""


class ConcurrentChange(DNSError):
    """The RRset kept changing under us; we gave up rather than overwrite another writer."""
