#!/usr/bin/env bash
# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Start the embedded lab and print its KMS discovery report, on a fresh Debian machine or a
# prepared one (root, or sudo without a password):
#   1. set-up, shared with tests/run_all.sh (tests/setup.sh containers browser): the Debian
#      packages, the .venv from requirements-test.txt, the Docker engine, the kmsops/* images
#      (tests/containers/), chromium; everything already there is reused,
#   2. start a core site, a branch office and an isolated network in containers (real BIND
#      servers, stand-in KMS hosts that only listen on TCP 1688, Linux clients; lab/create.yml
#      from lab/inventory),
#   3. run the collection's site.yml against lab/inventory (this working tree is the
#      collection kmsops.kms),
#   4. run the collection's report playbook (kmsops.kms.report) against lab/inventory, check
#      its HTML page in headless Chromium (every site's picture drawn; screenshot kept) and
#      print the text report.
# Running it again reuses what exists and converges. `lab/up.sh --report` only runs step 4
# (after a fail-over by hand, for example). `lab/up.sh --ad` adds the AD-integrated site of
# lab/inventory-ad (a Samba AD DC holding the zone lab.example, GSS-TSIG updates from a client
# inside its own network) to every step; give it with --report too. lab/down.sh removes the lab.
# State ($KMSOPS_LAB_DIR, default ~/.cache/kmsops-lab): fetched TSIG keys, the Ansible logs of
# each step, report/kms-report.{txt,html,json,png}.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
export KMSOPS_LAB_DIR="${KMSOPS_LAB_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kmsops-lab}"

report_only=false
inventories=(-i lab/inventory)
check_sites=()
for arg in "$@"; do
    case "$arg" in
        --report) report_only=true ;;
        --ad) inventories+=(-i lab/inventory-ad); check_sites=(--site ad) ;;
        *) echo "usage: $0 [--report] [--ad]" >&2; exit 2 ;;
    esac
done

started=$SECONDS
step() { printf '=== lab: %s (%d s)\n' "$*" "$((SECONDS - started))"; }

# shellcheck source=tests/setup.sh
. "$root/tests/setup.sh"
if "$report_only"; then
    kmsops_setup browser
else
    kmsops_setup containers browser
fi

mkdir -p "$KMSOPS_LAB_DIR"
chmod 0700 "$KMSOPS_LAB_DIR"
touch "$KMSOPS_LAB_DIR/.kmsops-lab"   # lab/down.sh only deletes a directory marked so
"$root/molecule/shared/collection.sh" "$KMSOPS_LAB_DIR/collections" >/dev/null
export ANSIBLE_COLLECTIONS_PATH="$KMSOPS_LAB_DIR/collections"
export ANSIBLE_NOCOLOR=1

# Run one playbook with its full output in $KMSOPS_LAB_DIR/<name>.log; print one line per
# task while it runs, and the end of the log when it fails.
playbook() {
    local name="$1" log="$KMSOPS_LAB_DIR/$1.log"
    shift
    step "$name: ansible-playbook $* (log: $log)"
    if ! ansible-playbook "${inventories[@]}" "$@" </dev/null 2>&1 | tee "$log" \
            | sed -u -n 's/^TASK \[\(.*\)\] \**$/    \1/p'; then
        echo "lab: $name failed; the end of $log:" >&2
        tail -n 40 "$log" >&2
        exit 1
    fi
}

cd "$root"
if ! "$report_only"; then
    playbook create lab/create.yml
    playbook site site.yml
fi
report_dir="$KMSOPS_LAB_DIR/report"
playbook report kmsops.kms.report -e "kms_report_dir=$report_dir"
step "checking the HTML report in headless Chromium"
python "$root/tests/browser/check_report.py" "$report_dir/kms-report.html" \
    --inventory lab/inventory "${check_sites[@]}" --screenshot "$report_dir/kms-report.png"
step "done; the report (also $report_dir/kms-report.html):"
echo
cat "$report_dir/kms-report.txt"
