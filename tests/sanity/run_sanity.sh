#!/usr/bin/env bash
# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# ansible-test sanity, offline-bootstrapped, with the ansible-test and Python found on PATH:
#
#   tests/sanity/run_sanity.sh TREE HOME
#
# TREE  the collection copied by `tests/collection_tree.py copy` (.../ansible_collections/kmsops/kms;
#       it must lie outside any git work tree that ignores it: ansible-test skips ignored files)
# HOME  ansible-test's home: its cache and the virtual environments of the sanity tests (reused
#       by the next run with the same HOME)
#
# Used by the `sanity` stage of tests/run_all.sh and by every version of the matrix (noxfile.py).
# ansible-test downloads its pip bootstrap script (get-pip-<pip version>.py) from a host CI cannot
# reach: the one it asks for is put into its cache first (tests/sanity/offline_get_pip.py, which
# installs pip with ensurepip and the rest from PyPI). pslint, and validate-modules of the one
# .ps1 module, are left out: they need pwsh, which cannot be installed here.
set -euo pipefail

tree="$1" home="$2"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="$(command -v python3 || command -v python)"
version="$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
# the pip version this ansible-test pins for its virtual environments names the script it wants
pip_version="$("$python" - <<'PY'
import os, re, ansible_test
source = os.path.join(os.path.dirname(ansible_test.__file__), "_internal", "python_requirements.py")
with open(source, encoding="utf-8") as handle:
    text = handle.read()
match = re.search(r"def get_venv_packages\(.*?default_packages = dict\(\s*pip='([0-9.]+)'", text, re.S)
if not match:
    raise SystemExit("cannot find the pip version ansible-test pins in " + source)
print(match.group(1))
PY
)"
mkdir -p "$home/.ansible/test/cache"
cp "$here/offline_get_pip.py" "$home/.ansible/test/cache/get_pip_${pip_version//./_}.py"

modules="$(cd "$tree" && find plugins/modules -name '*.py' | sort | tr '\n' ' ')"
cd "$tree"
HOME="$home" ansible-test sanity --python "$version" --requirements --color no \
    --skip-test pslint --skip-test validate-modules || exit 1
# shellcheck disable=SC2086
HOME="$home" ansible-test sanity --python "$version" --requirements --color no \
    --test validate-modules $modules
