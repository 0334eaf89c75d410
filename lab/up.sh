#!/usr/bin/env bash
# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Start the embedded lab and print its KMS discovery report:
#   1. start the Docker engine if none answers, build the kmsops/* images that are missing
#      (tests/containers/, reused when they exist),
#   2. start a core site, a branch office and an isolated network in containers (real BIND
#      servers, stand-in KMS hosts that only listen on TCP 1688, Linux clients; lab/create.yml
#      from lab/inventory),
#   3. run the collection's site.yml against lab/inventory (this working tree is the
#      collection kmsops.kms),
#   4. print, for each site's client, the KMS hosts in the order it tries them and the one it
#      selects (lab/report.yml).
# Running it again reuses what exists and converges. `lab/up.sh --report` only runs step 4
# (after a fail-over by hand, for example). lab/down.sh removes the lab.
# State (fetched TSIG keys, the report): $KMSOPS_LAB_DIR, default ~/.cache/kmsops-lab.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
export KMSOPS_LAB_DIR="${KMSOPS_LAB_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kmsops-lab}"
if [ -x "$root/.venv/bin/ansible-playbook" ]; then
    PATH="$root/.venv/bin:$PATH"
fi
command -v ansible-playbook >/dev/null || {
    echo "ansible-playbook not found: create $root/.venv (pip install -r requirements-test.txt)" >&2
    exit 1
}

report_only=false
case "${1:-}" in
    --report) report_only=true ;;
    "") ;;
    *) echo "usage: $0 [--report]" >&2; exit 2 ;;
esac

if ! "$report_only"; then
    "$root/tests/containers/dockerd.sh" start
    "$root/tests/containers/build_images.sh"
fi

mkdir -p "$KMSOPS_LAB_DIR"
chmod 0700 "$KMSOPS_LAB_DIR"
touch "$KMSOPS_LAB_DIR/.kmsops-lab"   # lab/down.sh only deletes a directory marked so
"$root/molecule/shared/collection.sh" "$KMSOPS_LAB_DIR/collections"
export ANSIBLE_COLLECTIONS_PATH="$KMSOPS_LAB_DIR/collections"

cd "$root"
inventory=lab/inventory
if ! "$report_only"; then
    ansible-playbook -i "$inventory" lab/create.yml
    ansible-playbook -i "$inventory" site.yml
fi
ansible-playbook -i "$inventory" lab/report.yml
echo
cat "$KMSOPS_LAB_DIR/report.txt"
