#!/usr/bin/env bash
# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# One version of the matrix (noxfile.py): the unit tests, the smoke test (tests/smoke: kms_publish,
# dns_record, kms_discover against a real named) and ansible-test sanity, with the ansible-core,
# Python, named and dig found on PATH (a nox virtual environment on this machine, or the venv of
# a matrix container image):
#
#   tests/matrix/check.sh TREE HOME
#
# TREE  the collection copied by `tests/collection_tree.py copy` (.../ansible_collections/kmsops/kms)
# HOME  ansible-test's home (tests/sanity/run_sanity.sh)
#
# Every part runs even when one fails; the last lines are one "matrix:" line per part with its
# result and seconds, and the exit status is 1 when any part failed.
set -uo pipefail

tree="$1" home="$2"
cd "$tree" || exit 2
version="$(ansible --version | head -n 1)"
python="$(python3 --version)"
echo "matrix: $version, $python, $(named -v)"
results=() failed=0

part() {
    local name="$1" start=$SECONDS
    shift
    echo "=== matrix: $name"
    if "$@"; then
        results+=("$name passed $((SECONDS - start))")
    else
        results+=("$name FAILED $((SECONDS - start))")
        failed=1
    fi
}

part units pytest -q -p no:cacheprovider tests/unit
part smoke pytest -q -p no:cacheprovider tests/smoke
part sanity tests/sanity/run_sanity.sh "$tree" "$home"

for row in "${results[@]}"; do
    read -r name result seconds <<<"$row"
    printf 'matrix: %-30s %-6s %-7s %4s s\n' "${version#ansible }" "$name" "$result" "$seconds"
done
exit "$failed"
