# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Make ``ansible_collections.kmsops.kms`` importable when pytest runs from a plain checkout.

ansible-test runs unit tests from an ``ansible_collections/kmsops/kms`` tree; a plain
``pytest tests/unit`` from the repository root does not have one, so we build a tiny tree of
symlinks in a temporary directory and put it on ``sys.path``.
"""

from __future__ import annotations

import os
import sys
import tempfile

_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _ensure_collection_importable():
    try:
        import ansible_collections.kmsops.kms  # noqa: F401 pylint: disable=unused-import
        return
    except ImportError:
        pass
    root = tempfile.mkdtemp(prefix="kmsops-units-")
    ns = os.path.join(root, "ansible_collections", "kmsops")
    os.makedirs(ns)
    os.symlink(_REPO, os.path.join(ns, "kms"))
    sys.path.insert(0, root)
    # ansible-core ships its own ansible_collections namespace; drop any cached copy
    for mod in [m for m in sys.modules if m == "ansible_collections" or m.startswith("ansible_collections.")]:
        del sys.modules[mod]


_ensure_collection_importable()
