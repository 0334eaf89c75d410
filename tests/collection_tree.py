# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one helper that makes the collection tree ``ansible_collections/kmsops/kms`` for every test
layer. Standard library only (Molecule and the lab call it with any Python 3).

Three ways, each for a reason:

* ``link``: COLLECTIONS_DIR/ansible_collections/kmsops/kms is a symlink to the repository. What is
  checked out is what runs, edits are seen at once. Unit tests (import path), ansible-lint,
  Molecule scenarios and the lab.
* ``copy``: a real tree holding the files Galaxy would ship (tracked and new files, nothing that
  git ignores). ansible-test sanity and ansible-doc need a tree of their own; the Windows tests
  replace the executor in their copy, never in the repository.
* ``install``: ``ansible-galaxy collection build`` then ``install``: the integration tests and the
  benchmark run what a user installs.

Python: ``make_tree(collections_dir, how)`` returns the collections path to give
ANSIBLE_COLLECTIONS_PATH. Shell: ``python3 tests/collection_tree.py {link|copy|install} DIR``
prints the path of the collection itself (DIR/ansible_collections/kmsops/kms).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NAMESPACE, NAME = "kmsops", "kms"
WAYS = ("link", "copy", "install")
# what is never part of the collection when the repository is not a git checkout
_NEVER = (".git", ".venv", ".build", ".ansible", ".pytest_cache", "__pycache__", "tests/output", "benchmarks/results")


def collection_path(collections_dir):
    """Where the collection sits under COLLECTIONS_DIR."""
    return os.path.join(collections_dir, "ansible_collections", NAMESPACE, NAME)


def _tool(name):
    path = os.path.join(os.path.dirname(sys.executable), name)
    return path if os.path.exists(path) else name


def shipped_files(repo=REPO):
    """Relative paths of the files Galaxy would ship from REPO: tracked and new files that exist
    and that git does not ignore (every file but _NEVER when REPO is not a git checkout)."""
    try:
        listing = subprocess.run(
            ["git", "-C", repo, "ls-files", "-co", "--exclude-standard", "-z"], check=True, capture_output=True
        ).stdout.decode("utf-8")
        files = [path for path in listing.split("\0") if path]
    except (OSError, subprocess.CalledProcessError):
        files = []
        for top, dirs, names in os.walk(repo):
            relative = os.path.relpath(top, repo)
            dirs[:] = [
                name
                for name in dirs
                if os.path.normpath(os.path.join(relative, name)) not in _NEVER and name not in _NEVER
            ]
            files += [os.path.normpath(os.path.join(relative, name)) for name in names if not name.endswith(".pyc")]
    # files deleted in the work tree are still listed by git ls-files -c
    return sorted(path for path in files if os.path.lexists(os.path.join(repo, path)))


def _link(collections_dir, repo):
    namespace_dir = os.path.dirname(collection_path(collections_dir))
    os.makedirs(namespace_dir, exist_ok=True)
    link = collection_path(collections_dir)
    if os.path.islink(link) or os.path.isfile(link):
        os.unlink(link)
    elif os.path.isdir(link):
        shutil.rmtree(link)
    os.symlink(repo, link)


def _copy(collections_dir, repo):
    dest = collection_path(collections_dir)
    shutil.rmtree(dest, ignore_errors=True)
    for relative in shipped_files(repo):
        source = os.path.join(repo, relative)
        target = os.path.join(dest, relative)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if os.path.islink(source):
            os.symlink(os.readlink(source), target)
        else:
            shutil.copy2(source, target)


def _install(collections_dir, repo):
    build_dir = os.path.join(collections_dir, ".build")
    os.makedirs(build_dir, exist_ok=True)
    subprocess.run(
        [_tool("ansible-galaxy"), "collection", "build", "--force", "--output-path", build_dir, repo],
        check=True,
        capture_output=True,
        text=True,
    )
    tarball = next(name for name in os.listdir(build_dir) if name.endswith(".tar.gz"))
    subprocess.run(
        [
            _tool("ansible-galaxy"),
            "collection",
            "install",
            "--force",
            "-p",
            collections_dir,
            os.path.join(build_dir, tarball),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    shutil.rmtree(build_dir, ignore_errors=True)


def make_tree(collections_dir, how, repo=REPO):
    """Make the collection under COLLECTIONS_DIR the way HOW says (link, copy or install);
    return COLLECTIONS_DIR, the value for ANSIBLE_COLLECTIONS_PATH."""
    makers = {"link": _link, "copy": _copy, "install": _install}
    if how not in makers:
        raise ValueError(f"how must be one of {', '.join(WAYS)}, got {how!r}")
    collections_dir = os.path.abspath(collections_dir)
    os.makedirs(collections_dir, exist_ok=True)
    makers[how](collections_dir, os.path.abspath(repo))
    return collections_dir


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2 or argv[0] not in WAYS:
        sys.stderr.write(f"usage: {os.path.basename(__file__)} {{{'|'.join(WAYS)}}} COLLECTIONS_DIR\n")
        return 2
    print(collection_path(make_tree(argv[1], argv[0])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
