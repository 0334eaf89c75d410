#!/bin/sh
# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Molecule `dependency` step of every scenario: make the working tree the collection
# kmsops.kms for the scenario's Ansible runs. Usage: collection.sh COLLECTIONS_DIR, the
# directory the scenario's provisioner names in ANSIBLE_COLLECTIONS_PATH
# ($MOLECULE_EPHEMERAL_DIRECTORY/collections). This links
# COLLECTIONS_DIR/ansible_collections/kmsops/kms to the repository root (tests/collection_tree.py,
# the one helper every test layer uses, way `link`), so what is tested is what is checked out
# (nothing built, no Galaxy). community.docker etc. still come from the Python environment's own
# ansible_collections (Ansible scans sys.path for them).
set -eu
collections_dir="${1:?usage: collection.sh COLLECTIONS_DIR}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
test -f "$root/galaxy.yml" || { echo "no galaxy.yml in $root" >&2; exit 1; }
python3 "$root/tests/collection_tree.py" link "$collections_dir" >/dev/null
echo "kmsops.kms -> $root"
