# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one base class of every error the collection raises.

Each family (DNS engine, discovery, KMS licensing) derives from ``KmsOpsError``. An error names
the option (or inventory variable) it is about; the message a user sees starts with that name.
Helpers raise; exactly one place per module or plugin turns the error into a failure.
"""

from __future__ import annotations


class KmsOpsError(Exception):
    """Base of all errors of kmsops.kms.

    ``option``: the option (or inventory variable) the error is about, or None.
    ``applied``: what was already done before the error (a list; empty when nothing was).
    """

    def __init__(self, message="", option=None, applied=None):
        self.option = option
        self.message = message
        self.applied = list(applied or [])
        super().__init__(f"{option}: {message}" if option else message)


class InvalidValue(KmsOpsError):
    """A value the user gave is malformed (raised by the primitives in ``common._primitives``;
    each family's own bad-input error derives from it too)."""
