# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Make ``ansible_collections.kmsops.kms`` importable when pytest runs from a plain checkout.

ansible-test runs unit tests from an ``ansible_collections/kmsops/kms`` tree; a plain
``pytest tests/unit`` from the repository root does not have one, so we build a tiny tree of
symlinks in a temporary directory (``collection_tree.py``, ``link``) and put it on ``sys.path``.
"""

from __future__ import annotations

import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from collection_tree import make_tree


def _ensure_collection_importable():
    try:
        import ansible_collections.kmsops.kms  # noqa: F401 pylint: disable=unused-import

        return
    except ImportError:
        pass
    sys.path.insert(0, make_tree(tempfile.mkdtemp(prefix="kmsops-units-"), "link"))
    # ansible-core ships its own ansible_collections namespace; drop any cached copy
    for mod in [m for m in sys.modules if m == "ansible_collections" or m.startswith("ansible_collections.")]:
        del sys.modules[mod]


_ensure_collection_importable()
