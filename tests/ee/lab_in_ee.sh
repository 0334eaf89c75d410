#!/usr/bin/env bash
# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# The lab's site.yml and the discovery report, run inside the execution environment
# (ee/navigator.sh: ansible-navigator, kmsops/ee:latest) against the lab's containers, and the
# report compared with the one the plain controller wrote (tests/ee/compare_reports.py).
#
#   tests/ee/lab_in_ee.sh
#
# When no lab is running, lab/up.sh starts one (its controller run writes the controller's
# report) and lab/down.sh removes it at the end. A running lab is used as it is: its report is
# written again from the controller first (lab/up.sh --report). The EE must be built (ee/build.sh).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export KMSOPS_LAB_DIR="${KMSOPS_LAB_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kmsops-lab}"
cd "$ROOT"
started=$SECONDS
step() { printf '=== lab in EE: %s (%d s)\n' "$*" "$((SECONDS - started))"; }

started_lab=no
up_log="$KMSOPS_LAB_DIR.ee-lab-up.log"
if docker container inspect lab-core-dns >/dev/null 2>&1; then
    step "lab running: the controller's report again (lab/up.sh --report; log: $up_log)"
    lab/up.sh --report >"$up_log" 2>&1 || { tail -n 40 "$up_log" >&2; exit 1; }
else
    step "starting the lab from the controller (lab/up.sh; log: $up_log)"
    started_lab=yes
    trap 'lab/down.sh >/dev/null 2>&1 || true' EXIT
    lab/up.sh >"$up_log" 2>&1 || { tail -n 40 "$up_log" >&2; exit 1; }
fi
controller_json="$KMSOPS_LAB_DIR/report/kms-report.json"
test -s "$controller_json" || { echo "no controller report at $controller_json" >&2; exit 1; }

ee_dir="$KMSOPS_LAB_DIR/ee"
rm -rf "$ee_dir" && mkdir -p "$ee_dir"
# the collection's report playbook, from the collection installed in the EE
printf -- '---\n- name: The collection report playbook\n  ansible.builtin.import_playbook: kmsops.kms.report\n' \
    >"$ee_dir/report.yml"

# The playbook's directory is mounted by ansible-navigator (the project), and the inventory too;
# the lab's state directory (fetched TSIG keys, reports) is mounted at the same path.
export KMSOPS_EE_DOCKER=1 KMSOPS_EE_MOUNTS="$KMSOPS_LAB_DIR" KMSOPS_EE_ENV=KMSOPS_LAB_DIR
step "site.yml in the EE (log: $ee_dir/site.log)"
if ! ee/navigator.sh "$ROOT/site.yml" -i "$ROOT/lab/inventory" >"$ee_dir/site.log" 2>&1; then
    tail -n 40 "$ee_dir/site.log" >&2
    echo "site.yml failed in the EE" >&2
    exit 1
fi
# the lab was converged by the controller: the same playbook from the EE changes nothing
grep -E '^[a-z0-9.-]+ +: ok=' "$ee_dir/site.log"
if grep -E '^[a-z0-9.-]+ +: ok=' "$ee_dir/site.log" | grep -qv 'changed=0 '; then
    echo "site.yml in the EE changed what the controller had converged" >&2
    exit 1
fi
step "the report in the EE (log: $ee_dir/report.log)"
if ! (cd "$ee_dir" && "$ROOT/ee/navigator.sh" "$ee_dir/report.yml" -i "$ROOT/lab/inventory" \
        -e "kms_report_dir=$ee_dir/report") >"$ee_dir/report.log" 2>&1; then
    tail -n 40 "$ee_dir/report.log" >&2
    echo "the report failed in the EE" >&2
    exit 1
fi
step "comparing the reports"
# kept outside the lab's state directory, which lab/down.sh removes
keep="${KMSOPS_BUILD_DIR:-${TMPDIR:-/tmp}/kmsops-kms-build}/ee/lab-run"
rm -rf "$keep" && mkdir -p "$keep" && cp -r "$ee_dir/." "$keep/" && cp "$controller_json" "$keep/controller-report.json"
python3 "$ROOT/tests/ee/compare_reports.py" "$controller_json" "$ee_dir/report/kms-report.json" \
    | tee "$keep/comparison.txt"
echo "logs and both reports: $keep"
if [ "$started_lab" = yes ]; then step "removing the lab (lab/down.sh)"; fi
