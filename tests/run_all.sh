#!/usr/bin/env bash
# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Set up everything and run every test of kmsops.kms on a Debian machine (root or sudo).
#
#   tests/run_all.sh              install what is missing, then run all stages
#   tests/run_all.sh STAGE...     run only these stages (setup always runs first)
#
# Stages, in order:
#   units        pytest tests/unit                        (no network)
#   integration  pytest tests/integration                 (a real named on loopback, dig, nsupdate;
#                                                          the dns_bind role in a container)
#   windows      pytest tests/windows                     (Windows action plugins through Ansible,
#                                                          PowerShell executor replaced by a test double)
#   sanity       ansible-test sanity on a copy of the tree (pslint, and validate-modules of the one .ps1
#                module, left out: they need pwsh, which cannot be installed here)
#   matrix       nox (noxfile.py), one session per ansible-core version: the oldest the collection
#                claims (2.16, Python 3.11, its own venv) and the newest (2.21, Python 3.13, in a
#                Debian 13 container): unit tests, a smoke test of kms_publish, dns_record and
#                kms_discover against a real named (tests/smoke), ansible-test sanity. The sessions
#                run side by side (tests/matrix/run.py; KMSOPS_MATRIX_JOBS, default: the CPUs).
#                Venvs, wheels, images and ansible-test's venvs are cached under KMSOPS_CACHE_DIR
#                (/var/cache/kmsops-kms), keyed on their inputs
#   lint         ansible-lint --profile production; ruff check and ruff format --check (every Python
#                file); mypy on plugins/ (ruff and mypy are configured in pyproject.toml)
#   docs         ansible-doc renders every module, plugin and role; antsibull-docs
#                lint-collection-docs --plugin-docs (plugins, roles, docs/docsite); antsibull-changelog lint
#   galaxy       pytest tests/galaxy: ansible-galaxy collection build (no development files),
#                the tarball installed into an empty collections path runs a play from there
#                against a real named on loopback, galaxy-importer accepts the tarball (offline)
#   molecule     molecule test for every scenario under molecule/ but windows, on Debian 12; the
#                core scenario also on Debian 13 (BIND 9.20)
#   ee           the execution environment: ee/build.sh (ansible-builder, reused when its inputs
#                did not change), a play in it by ansible-navigator (tests/ee), then the lab's
#                site.yml and report in it against the lab's containers, the report compared
#                with the controller's (tests/ee/lab_in_ee.sh)
#
# At the end a table gives every stage's result and seconds.
#
# Setup is tests/setup.sh (shared with lab/up.sh): apt-get install of what is missing (bind9,
# bind9-dnsutils; docker.io and debootstrap for integration and molecule; chromium for
# integration); a virtual environment .venv with requirements-test.txt; a Docker engine started
# when none answers (and stopped at the end if this script started it); the container images
# built with tests/containers/build_images.sh (reused when up to date).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
ALL_STAGES=(units integration windows sanity matrix lint docs galaxy molecule ee)
if [ "$#" -gt 0 ]; then STAGES=("$@"); else STAGES=("${ALL_STAGES[@]}"); fi
# outside the repository: ansible-test skips every file of a tree that lies inside a git work tree
# but is ignored by it
BUILD="${KMSOPS_BUILD_DIR:-${TMPDIR:-/tmp}/kmsops-kms-build}"
FAILED=()
SUMMARY=()  # "stage result seconds", printed as a table at the end
# shellcheck source=tests/setup.sh
. "$ROOT/tests/setup.sh"

log() { printf '\n=== run_all: %s\n' "$*"; }

wants() {
    local stage
    for stage in "${STAGES[@]}"; do [ "$stage" = "$1" ] && return 0; done
    return 1
}

needs_containers() { wants integration || wants matrix || wants molecule || wants ee; }
# tests/integration/test_report_html.py opens the discovery report in headless Chromium
needs_browser() { wants integration; }

cleanup() {
    if [ "$KMSOPS_STARTED_DOCKER" = yes ]; then tests/containers/dockerd.sh stop || true; fi
}
trap cleanup EXIT

stage() {
    local name="$1"; shift
    log "$name: $*"
    local start=$SECONDS
    if "$@"; then
        log "$name passed in $((SECONDS - start)) s"
        SUMMARY+=("$name passed $((SECONDS - start))")
    else
        log "$name FAILED after $((SECONDS - start)) s"
        FAILED+=("$name")
        SUMMARY+=("$name FAILED $((SECONDS - start))")
    fi
}

summary() {
    # the time of every stage (and of the set-up), one table at the end
    local row name result seconds
    printf '\n=== run_all: time per stage\n'
    printf '%-12s %-7s %8s\n' stage result seconds
    for row in "${SUMMARY[@]}"; do
        read -r name result seconds <<<"$row"
        printf '%-12s %-7s %8s\n' "$name" "$result" "$seconds"
    done
    printf '%-12s %-7s %8s\n' total "" "$SECONDS"
}

copy_tree() {
    # the collection as Galaxy would see it: tracked and new files, nothing ignored; prints its path
    rm -rf "$1" && python3 tests/collection_tree.py copy "$1"
}

run_sanity() {
    # ansible-test sanity of the development version (.venv); the other versions: stage matrix
    local tree
    tree="$(copy_tree "$BUILD/sanity")"
    tests/sanity/run_sanity.sh "$tree" "$BUILD/ansible-test-home"
}

run_lint() {
    # lint this working tree, never a copy of the collection installed elsewhere (~/.ansible)
    local colls="$BUILD/lint-collections" ok=0
    rm -rf "$colls" && mkdir -p "$BUILD/lint-home"
    python3 tests/collection_tree.py link "$colls" >/dev/null
    HOME="$BUILD/lint-home" ANSIBLE_COLLECTIONS_PATH="$colls" ansible-lint --profile production || ok=1
    # Python: ruff's linter and formatter (pyproject.toml), on every Python file of the repository
    ruff check . || ok=1
    ruff format --check . || ok=1
    # mypy on plugins/ (pyproject.toml), from the linked tree: imports name ansible_collections.kmsops.kms
    (cd "$colls" && mypy --config-file "$ROOT/pyproject.toml" --cache-dir "$BUILD/mypy-cache") || ok=1
    return "$ok"
}

run_docs() {
    local plugin kind ok=0
    copy_tree "$BUILD/docs" >/dev/null
    export ANSIBLE_COLLECTIONS_PATH="$BUILD/docs"
    for kind in module lookup filter role; do
        # names from the JSON listing (the text listing of roles is YAML, not one name per line)
        local names
        names="$(ansible-doc -t "$kind" -l kmsops.kms --json 2>/dev/null \
                | python3 -c 'import json, sys; print("\n".join(sorted(json.load(sys.stdin))))')" || names=""
        # a listing that finds nothing must fail, not render nothing and pass
        if [ -z "$names" ]; then echo "FAILED: ansible-doc lists no $kind of kmsops.kms"; ok=1; fi
        for plugin in $names; do
            if ansible-doc -t "$kind" "$plugin" >/dev/null 2>"$BUILD/doc-error.txt"; then
                echo "rendered: $kind $plugin"
            else
                echo "FAILED to render: $kind $plugin"; cat "$BUILD/doc-error.txt"; ok=1
            fi
        done
    done
    # plugin and role docs, docs/docsite (extra-docs.yml, links.yml, the guide) and the changelog
    (cd "$BUILD/docs/ansible_collections/kmsops/kms" \
        && antsibull-docs lint-collection-docs --plugin-docs . && antsibull-changelog lint) || ok=1
    unset ANSIBLE_COLLECTIONS_PATH
    return "$ok"
}

run_ee() {
    ee/build.sh && pytest -q -p no:cacheprovider tests/ee && tests/ee/lab_in_ee.sh
}

run_molecule() {
    local scenario suite ok=0
    # every scenario but `windows`, which needs a real Windows Server (see README), on Debian 12;
    # core:trixie is the core scenario again with every container on Debian 13 (BIND 9.20)
    # KMSOPS_MOLECULE_SCENARIOS="core branch core:trixie" runs only these (the CI workflow's matrix)
    for scenario in ${KMSOPS_MOLECULE_SCENARIOS:-molecule/*/ core:trixie}; do
        suite="${scenario#*:}"
        [ "$suite" = "$scenario" ] && suite=bookworm
        scenario="$(basename "${scenario%%:*}")"
        [ "$scenario" = windows ] && continue
        [ -f "molecule/$scenario/molecule.yml" ] || continue
        if [ "$suite" = bookworm ]; then
            molecule test -s "$scenario" || ok=1
        else
            # that suite's images (reused when up to date), then the scenario on them
            KMSOPS_DEBIAN_SUITE="$suite" tests/containers/build_images.sh bind client kmshost-standin \
                && KMSOPS_IMAGE_TAG="$suite" molecule test -s "$scenario" || ok=1
        fi
    done
    return "$ok"
}

SETUP=()
if needs_containers; then SETUP+=(containers); fi
if needs_browser; then SETUP+=(browser); fi
setup_start=$SECONDS
kmsops_setup "${SETUP[@]}"
SUMMARY+=("setup passed $((SECONDS - setup_start))")
mkdir -p "$BUILD"

for name in "${STAGES[@]}"; do
    case "$name" in
        units) stage units pytest -q -p no:cacheprovider tests/unit ;;
        integration) stage integration pytest -q -p no:cacheprovider tests/integration ;;
        windows) stage windows pytest -q -p no:cacheprovider tests/windows ;;
        sanity) stage sanity run_sanity ;;
        matrix) stage matrix python3 tests/matrix/run.py ;;
        lint) stage lint run_lint ;;
        docs) stage docs run_docs ;;
        galaxy) stage galaxy pytest -q -p no:cacheprovider tests/galaxy ;;
        molecule) stage molecule run_molecule ;;
        ee) stage ee run_ee ;;
        *) echo "unknown stage $name; use: ${ALL_STAGES[*]}"; exit 2 ;;
    esac
done

summary
if [ "${#FAILED[@]}" -gt 0 ]; then
    log "FAILED stages: ${FAILED[*]}"
    exit 1
fi
log "all stages passed: ${STAGES[*]}"
