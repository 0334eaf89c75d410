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
#   lint         ansible-lint --profile production
#   docs         ansible-doc renders every module and plugin
#   molecule     molecule test for every scenario under molecule/ but windows
#
# What setup does: apt-get install bind9, bind9-dnsutils, docker.io, debootstrap when missing;
# a virtual environment .venv with requirements-test.txt; a Docker engine started when none
# answers (and stopped at the end if this script started it); the container images built with
# tests/containers/build_images.sh (reused when up to date).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
ALL_STAGES=(units integration windows sanity lint docs molecule)
if [ "$#" -gt 0 ]; then STAGES=("$@"); else STAGES=("${ALL_STAGES[@]}"); fi
VENV="$ROOT/.venv"
# outside the repository: ansible-test skips every file of a tree that lies inside a git work tree
# but is ignored by it
BUILD="${KMSOPS_BUILD_DIR:-${TMPDIR:-/tmp}/kmsops-kms-build}"
FAILED=()

log() { printf '\n=== run_all: %s\n' "$*"; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi
}

wants() {
    local stage
    for stage in "${STAGES[@]}"; do [ "$stage" = "$1" ] && return 0; done
    return 1
}

needs_containers() { wants integration || wants molecule; }

install_system_packages() {
    local missing=()
    command -v named >/dev/null || [ -x /usr/sbin/named ] || missing+=(bind9)
    command -v dig >/dev/null || missing+=(bind9-dnsutils)
    command -v git >/dev/null || missing+=(git)
    command -v shellcheck >/dev/null || missing+=(shellcheck)
    python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)
    if needs_containers; then
        command -v dockerd >/dev/null || missing+=(docker.io)
        command -v debootstrap >/dev/null || missing+=(debootstrap)
    fi
    if [ "${#missing[@]}" -gt 0 ]; then
        log "installing ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        as_root apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 \
            || { as_root apt-get update -q >/dev/null && as_root apt-get install -y -q "${missing[@]}" >/dev/null; }
    fi
    export PATH="$PATH:/usr/sbin:/sbin"
}

setup_venv() {
    local stamp="$VENV/.requirements.sha256" want
    want="$(cat requirements.txt requirements-test.txt | sha256sum | cut -d' ' -f1)"
    if [ ! -x "$VENV/bin/python" ]; then
        log "creating $VENV"
        python3 -m venv "$VENV"
    fi
    if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
        log "installing requirements-test.txt"
        "$VENV/bin/pip" install -q --upgrade pip >/dev/null
        "$VENV/bin/pip" install -q -r requirements-test.txt
        echo "$want" >"$stamp"
    fi
    export PATH="$VENV/bin:$PATH"
}

STARTED_DOCKER=no
setup_containers() {
    if ! docker info >/dev/null 2>&1; then STARTED_DOCKER=yes; fi
    tests/containers/dockerd.sh start
    tests/containers/build_images.sh
}

cleanup() {
    if [ "$STARTED_DOCKER" = yes ]; then tests/containers/dockerd.sh stop || true; fi
}
trap cleanup EXIT

stage() {
    local name="$1"; shift
    log "$name: $*"
    local start=$SECONDS
    if "$@"; then
        log "$name passed in $((SECONDS - start)) s"
    else
        log "$name FAILED after $((SECONDS - start)) s"
        FAILED+=("$name")
    fi
}

copy_tree() {
    # the collection as Galaxy would see it: tracked and new files, nothing ignored
    local dest="$1/ansible_collections/kmsops/kms"
    rm -rf "$1" && mkdir -p "$dest"
    local file
    # files deleted in the work tree are still listed by git ls-files -c: keep those that exist
    git ls-files -co --exclude-standard -z \
        | while IFS= read -r -d '' file; do if [ -e "$file" ]; then printf '%s\0' "$file"; fi; done \
        | tar --null -T - -cf - | tar -C "$dest" -xf -
    echo "$dest"
}

run_sanity() {
    local tree home
    tree="$(copy_tree "$BUILD/sanity")"
    # ansible-test downloads its pip bootstrap script from a host CI cannot reach; give it ours
    home="$BUILD/ansible-test-home"
    mkdir -p "$home/.ansible/test/cache"
    cp tests/sanity/offline_get_pip.py "$home/.ansible/test/cache/get_pip_24_2.py"
    # PowerShell cannot be installed here, and pslint and validate-modules need pwsh for a .ps1
    # module: run every other test on the whole tree, and validate-modules on all but the .ps1
    local python_modules
    python_modules="$(cd "$tree" && find plugins/modules -name '*.py' | sort | tr '\n' ' ')"
    (cd "$tree" && HOME="$home" ansible-test sanity --python 3.11 --requirements --color no \
        --skip-test pslint --skip-test validate-modules) || return 1
    # shellcheck disable=SC2086
    (cd "$tree" && HOME="$home" ansible-test sanity --python 3.11 --requirements --color no \
        --test validate-modules $python_modules)
}

run_lint() {
    # lint this working tree, never a copy of the collection installed elsewhere (~/.ansible)
    local colls="$BUILD/lint-collections"
    rm -rf "$colls" && mkdir -p "$colls/ansible_collections/kmsops" "$BUILD/lint-home"
    ln -s "$ROOT" "$colls/ansible_collections/kmsops/kms"
    HOME="$BUILD/lint-home" ANSIBLE_COLLECTIONS_PATH="$colls" ansible-lint --profile production
}

run_docs() {
    local plugin kind ok=0
    copy_tree "$BUILD/docs" >/dev/null
    export ANSIBLE_COLLECTIONS_PATH="$BUILD/docs"
    for kind in module lookup filter role; do
        for plugin in $(ansible-doc -t "$kind" -l kmsops.kms 2>/dev/null | awk '{print $1}'); do
            if ansible-doc -t "$kind" "$plugin" >/dev/null 2>"$BUILD/doc-error.txt"; then
                echo "rendered: $kind $plugin"
            else
                echo "FAILED to render: $kind $plugin"; cat "$BUILD/doc-error.txt"; ok=1
            fi
        done
    done
    unset ANSIBLE_COLLECTIONS_PATH
    return "$ok"
}

run_molecule() {
    local scenario ok=0
    # every scenario but `windows`, which needs a real Windows Server (see README)
    for scenario in molecule/*/; do
        scenario="$(basename "$scenario")"
        [ "$scenario" = windows ] && continue
        [ -f "molecule/$scenario/molecule.yml" ] || continue
        molecule test -s "$scenario" || ok=1
    done
    return "$ok"
}

install_system_packages
setup_venv
if needs_containers; then setup_containers; fi
mkdir -p "$BUILD"

for name in "${STAGES[@]}"; do
    case "$name" in
        units) stage units pytest -q -p no:cacheprovider tests/unit ;;
        integration) stage integration pytest -q -p no:cacheprovider tests/integration ;;
        windows) stage windows pytest -q -p no:cacheprovider tests/windows ;;
        sanity) stage sanity run_sanity ;;
        lint) stage lint run_lint ;;
        docs) stage docs run_docs ;;
        molecule) stage molecule run_molecule ;;
        *) echo "unknown stage $name; use: ${ALL_STAGES[*]}"; exit 2 ;;
    esac
done

if [ "${#FAILED[@]}" -gt 0 ]; then
    log "FAILED stages: ${FAILED[*]}"
    exit 1
fi
log "all stages passed: ${STAGES[*]}"
