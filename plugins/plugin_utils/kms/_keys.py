# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Errors of the Windows (KMS licensing) side and product key / confirmation ID handling.

Private to the collection. Nothing here ever puts a whole product key into an error message:
messages name a key by its last five characters only (what Windows itself shows as
``PartialProductKey``).
"""

from __future__ import annotations

import hashlib
import re

from ansible_collections.kmsops.kms.plugins.module_utils.common._errors import InvalidValue, KmsOpsError


class KmsError(KmsOpsError):
    """Base of every error raised by the KMS (Windows side) helpers."""


class InvalidProductKey(KmsError, InvalidValue):
    """A product key does not have the product key format."""


class InvalidConfirmationId(KmsError, InvalidValue):
    """A telephone-activation Confirmation ID does not have the right format."""


class InvalidSetting(KmsError, InvalidValue):
    """An option value is outside what Windows accepts."""


class GuardRefused(KmsError):
    """A safety rule (Microsoft's licensing rules) refused the requested change."""


class LedgerError(KmsError):
    """The activation ledger cannot be read or written."""


class ExecutorError(KmsError):
    """The Windows-side executor reported a failure."""


# Product keys: five groups of five characters from this alphabet; newer keys also carry
# one 'N' (and only one) somewhere in the 25 characters.
KEY_ALPHABET = "BCDFGHJKMPQRTVWXY2346789"
_KEY_RE = re.compile(r"^[%sN]{5}(?:-[%sN]{5}){4}$" % (KEY_ALPHABET, KEY_ALPHABET))

# Telephone activation: the Confirmation ID is 48 digits, usually shown as 8 groups of 6.
CONFIRMATION_ID_DIGITS = 48


def normalize_product_key(key, option="product_key"):
    """Return the key in canonical form (upper case, dashes) or raise InvalidProductKey naming
    OPTION (never the key itself).

    Accepts surrounding white space, lower case, and the 25 characters without dashes.
    """
    if not isinstance(key, str):
        raise InvalidProductKey("the product key must be a string", option)
    text = key.strip().upper().replace(" ", "")
    if "-" not in text and len(text) == 25:
        text = "-".join(text[i : i + 5] for i in range(0, 25, 5))
    if not _KEY_RE.match(text):
        raise InvalidProductKey(
            "the product key does not have the product key format: five groups of five characters "
            "from %s (plus at most one N), separated by '-'" % KEY_ALPHABET,
            option,
        )
    if text.count("N") > 1:
        raise InvalidProductKey("the product key contains more than one 'N'; product keys contain at most one", option)
    return text


def is_valid_product_key(key):
    try:
        normalize_product_key(key)
    except InvalidProductKey:
        return False
    return True


def partial_key(key):
    """The last five characters: what Windows reports as PartialProductKey."""
    return normalize_product_key(key)[-5:]


def mask_key(key_or_partial):
    """A display form that shows only the last five characters."""
    if not key_or_partial:
        return None
    tail = str(key_or_partial).strip().upper()[-5:]
    return "*****-*****-*****-*****-%s" % tail


def key_fingerprint(key):
    """A stable, non-reversible identifier of a key (for the activation ledger)."""
    digest = hashlib.sha256(("kmsops.kms:" + normalize_product_key(key)).encode("ascii")).hexdigest()
    return "sha256:" + digest[:32]


def normalize_confirmation_id(value, option="confirmation_id"):
    """Return the 48 digits of a Confirmation ID or raise InvalidConfirmationId naming OPTION.

    Groups may be separated by '-' or white space.
    """
    if value is None:
        raise InvalidConfirmationId("no Confirmation ID given", option)
    text = re.sub(r"[\s-]", "", str(value))
    if not text.isdigit() or not text.isascii():
        raise InvalidConfirmationId(
            "the Confirmation ID must contain only digits (groups may be separated by '-' or spaces)", option
        )
    if len(text) != CONFIRMATION_ID_DIGITS:
        raise InvalidConfirmationId(
            "the Confirmation ID must have %d digits (8 groups of 6); got %d" % (CONFIRMATION_ID_DIGITS, len(text)),
            option,
        )
    return text
