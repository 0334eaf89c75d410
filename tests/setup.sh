#!/usr/bin/env bash
# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# The one set-up of a Debian machine for kmsops.kms, shared by tests/run_all.sh and lab/up.sh
# (root, or sudo without a password). Everything is reused when it is already there.
#
#   tests/setup.sh [containers] [browser]             as a command
#   . tests/setup.sh; kmsops_setup [containers] [browser]   from another script (bash)
#
# Always: apt-get install of what is missing of bind9, bind9-dnsutils, faketime, git, shellcheck,
# python3-venv; the virtual environment .venv with requirements.txt and requirements-test.txt
# (reinstalled when either file changes); .venv/bin, /usr/sbin and /sbin put on PATH.
# containers: also docker.io and debootstrap; a Docker engine started when none answers
#             (KMSOPS_STARTED_DOCKER=yes then, so the caller can stop it); the images of
#             tests/containers built (tests/containers/build_images.sh, reused when up to date).
# browser:    also chromium (headless, for tests/browser/check_report.py).
# Progress goes to standard output, one "=== setup:" line per step that does something.

KMSOPS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KMSOPS_VENV="$KMSOPS_ROOT/.venv"
export KMSOPS_STARTED_DOCKER=no

kmsops_setup_log() { printf '=== setup: %s\n' "$*"; }

kmsops_as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi
}

kmsops_setup_packages() {
    # $1: "yes" when the containers are wanted, $2: "yes" when the browser is wanted
    local missing=()
    command -v named >/dev/null || [ -x /usr/sbin/named ] || missing+=(bind9)
    command -v dig >/dev/null || missing+=(bind9-dnsutils)
    command -v faketime >/dev/null || missing+=(faketime)  # clock skew (TSIG BADTIME) in the integration tests
    command -v git >/dev/null || missing+=(git)
    command -v shellcheck >/dev/null || missing+=(shellcheck)
    python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)
    if [ "$1" = yes ]; then
        command -v dockerd >/dev/null || [ -x /usr/sbin/dockerd ] || missing+=(docker.io)
        command -v debootstrap >/dev/null || [ -x /usr/sbin/debootstrap ] || missing+=(debootstrap)
    fi
    if [ "$2" = yes ]; then
        command -v chromium >/dev/null || missing+=(chromium)
    fi
    if [ "${#missing[@]}" -gt 0 ]; then
        kmsops_setup_log "apt-get install ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        kmsops_as_root apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 \
            || { kmsops_setup_log "apt-get update, then install again" \
                 && kmsops_as_root apt-get update -q >/dev/null \
                 && kmsops_as_root apt-get install -y -q "${missing[@]}" >/dev/null; } \
            || return 1
    fi
    case ":$PATH:" in *:/usr/sbin:*) ;; *) PATH="$PATH:/usr/sbin:/sbin" ;; esac
    export PATH
}

kmsops_setup_venv() {
    local stamp="$KMSOPS_VENV/.requirements.sha256" want
    want="$(cat "$KMSOPS_ROOT/requirements.txt" "$KMSOPS_ROOT/requirements-test.txt" | sha256sum | cut -d' ' -f1)"
    if [ ! -x "$KMSOPS_VENV/bin/python" ]; then
        kmsops_setup_log "python3 -m venv $KMSOPS_VENV"
        python3 -m venv "$KMSOPS_VENV" || return 1
    fi
    if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
        kmsops_setup_log "pip install -r requirements-test.txt into $KMSOPS_VENV (a minute or two)"
        "$KMSOPS_VENV/bin/pip" install -q --upgrade pip >/dev/null || return 1
        "$KMSOPS_VENV/bin/pip" install -q -r "$KMSOPS_ROOT/requirements-test.txt" || return 1
        echo "$want" >"$stamp"
    fi
    case ":$PATH:" in *":$KMSOPS_VENV/bin:"*) ;; *) PATH="$KMSOPS_VENV/bin:$PATH" ;; esac
    export PATH
}

kmsops_setup_containers() {
    if ! docker info >/dev/null 2>&1; then
        export KMSOPS_STARTED_DOCKER=yes
        kmsops_setup_log "starting the Docker engine"
    fi
    "$KMSOPS_ROOT/tests/containers/dockerd.sh" start || return 1
    kmsops_setup_log "container images (tests/containers/build_images.sh; the first build takes about 2 minutes)"
    "$KMSOPS_ROOT/tests/containers/build_images.sh"
}

kmsops_setup() {
    local containers=no browser=no what
    for what in "$@"; do
        case "$what" in
            containers) containers=yes ;;
            browser) browser=yes ;;
            *) echo "tests/setup.sh: unknown part '$what' (use: containers browser)" >&2; return 2 ;;
        esac
    done
    kmsops_setup_packages "$containers" "$browser" || return 1
    kmsops_setup_venv || return 1
    if [ "$containers" = yes ]; then kmsops_setup_containers || return 1; fi
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -euo pipefail
    kmsops_setup "$@"
fi
