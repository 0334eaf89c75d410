# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one helper that makes the collection tree for every test layer (tests/collection_tree.py)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from collection_tree import REPO, collection_path, main, make_tree, shipped_files


def test_link_points_at_the_checkout(tmp_path):
    root = make_tree(str(tmp_path / "colls"), "link")
    assert os.path.realpath(collection_path(root)) == os.path.realpath(REPO)
    make_tree(root, "link")  # again: replaces the link, no error
    assert os.path.islink(collection_path(root))


def test_copy_holds_what_galaxy_ships_and_nothing_git_ignores(tmp_path):
    root = make_tree(str(tmp_path / "colls"), "copy")
    dest = collection_path(root)
    copied = sorted(
        os.path.relpath(os.path.join(top, name), dest) for top, _dirs, names in os.walk(dest) for name in names
    )
    assert copied == shipped_files()
    assert "galaxy.yml" in copied and "plugins/module_utils/common/_primitives.py" in copied
    assert not [path for path in copied if path.startswith((".venv", ".git/")) or "__pycache__" in path]


def test_copy_replaces_an_older_copy(tmp_path):
    root = str(tmp_path / "colls")
    make_tree(root, "copy")
    stale = os.path.join(collection_path(root), "stale.txt")
    with open(stale, "w", encoding="utf-8") as handle:
        handle.write("left from an earlier run")
    make_tree(root, "copy")
    assert not os.path.exists(stale)


def test_unknown_way_is_refused(tmp_path, capsys):
    with pytest.raises(ValueError, match="link, copy, install"):
        make_tree(str(tmp_path), "tarball")
    assert main(["tarball", str(tmp_path)]) == 2
    assert "usage" in capsys.readouterr().err


def test_command_line_prints_the_collection_path(tmp_path):
    script = os.path.join(REPO, "tests", "collection_tree.py")
    out = subprocess.run(
        [sys.executable, script, "link", str(tmp_path / "c")], check=True, capture_output=True, text=True
    ).stdout.strip()
    assert out == collection_path(str(tmp_path / "c"))
