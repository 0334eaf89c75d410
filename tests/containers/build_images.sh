#!/usr/bin/env bash
# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Build the container images of the tests without any registry:
#
#   kmsops/debian:bookworm      base image: debootstrap --variant=minbase + docker import
#   kmsops/<dir>:latest         one image per tests/containers/<dir>/Dockerfile, FROM the base
#                               (bind, client, kmshost-standin, samba-ad)
#
# With KMSOPS_DEBIAN_SUITE=trixie (Debian 13: BIND 9.20, Samba 4.22, Python 3.13) the same
# images are built on a trixie base: kmsops/debian:trixie and kmsops/<dir>:trixie. The
# Dockerfiles name the bookworm base; for another suite their FROM line is rewritten to that
# suite's base when the image is built (the bookworm images and their hashes stay as they are).
#
# Usage: tests/containers/build_images.sh [--force] [--list] [IMAGE...]
#   IMAGE      directory names under tests/containers (default: all); the base image is built
#              whenever it is missing or stale
#   --force    rebuild the named images (and the base image) even when they are up to date
#   --list     print the image names this script builds and exit
#
# Images that exist are reused. Each image carries the label org.kmsops.context-hash: a hash of
# what it was built from (the debootstrap recipe for the base; the build context directory and
# the base image's id for the others). An image whose label differs from the current hash is
# rebuilt, so an edited Dockerfile takes effect on the next run without --force.
#
# Environment: KMSOPS_DEBIAN_SUITE (bookworm), KMSOPS_DEBIAN_MIRROR (debootstrap's default),
# KMSOPS_BASE_IMAGE (kmsops/debian:<suite>), DEBOOTSTRAP_TMPDIR (/var/tmp).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SUITE="${KMSOPS_DEBIAN_SUITE:-bookworm}"
MIRROR="${KMSOPS_DEBIAN_MIRROR:-}"
BASE_IMAGE="${KMSOPS_BASE_IMAGE:-kmsops/debian:${SUITE}}"
# the tag of the images built FROM the base: latest for bookworm (what every test names), the
# suite's name otherwise
if [ "$SUITE" = bookworm ]; then TAG=latest; else TAG="$SUITE"; fi
BASE_INCLUDE="python3,python3-apt,procps"
LABEL="org.kmsops.context-hash"

# Files written into the base image before it is imported: no service starts during package
# installs (no init system in a container), no recommends, no apt cache left behind.
POLICY_RC_D='#!/bin/sh
# containers have no service manager: package scripts must not start services
exit 101'
APT_CONF='APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Languages "none";'

log() {
    printf 'build_images.sh: %s\n' "$*" >&2
}

image_label() {
    docker image inspect --format "{{ index .Config.Labels \"$LABEL\" }}" "$1" 2>/dev/null || true
}

base_recipe_hash() {
    {
        printf 'suite=%s\nmirror=%s\ninclude=%s\nvariant=minbase\n' "$SUITE" "$MIRROR" "$BASE_INCLUDE"
        printf '%s\n' "$POLICY_RC_D" "$APT_CONF"
    } | sha256sum | cut -d' ' -f1
}

context_hash() {
    # hash of every file in the build context (names and contents) plus the base image id
    local dir="$1" base_id
    base_id="$(docker image inspect --format '{{ .Id }}' "$BASE_IMAGE")"
    {
        printf 'base=%s\n' "$base_id"
        # (a bookworm image keeps the hash it had before other suites were added)
        [ "$SUITE" = bookworm ] || printf 'suite=%s\n' "$SUITE"
        (cd "$dir" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
        # file modes matter too (the entrypoint must stay executable)
        (cd "$dir" && find . -type f -printf '%m %p\n' | LC_ALL=C sort)
    } | sha256sum | cut -d' ' -f1
}

build_base() {
    local force="$1" want have
    want="$(base_recipe_hash)"
    have="$(image_label "$BASE_IMAGE")"
    if [ "$force" = 0 ] && [ "$have" = "$want" ]; then
        log "reusing $BASE_IMAGE"
        return 0
    fi
    local debootstrap_bin
    debootstrap_bin="$(command -v debootstrap || echo /usr/sbin/debootstrap)"
    if [ ! -x "$debootstrap_bin" ]; then
        log "debootstrap is missing: run tests/containers/dockerd.sh start (it installs it) or apt-get install debootstrap"
        return 1
    fi
    local root started
    root="$(mktemp -d "${DEBOOTSTRAP_TMPDIR:-/var/tmp}/kmsops-rootfs.XXXXXX")"
    # shellcheck disable=SC2064  # expand $root now: the trap must remove this directory
    trap "rm -rf '$root'" EXIT
    started="$(date +%s)"
    log "debootstrap $SUITE into $root (about 45 s)"
    local args=(--variant=minbase "--include=$BASE_INCLUDE" "$SUITE" "$root")
    [ -n "$MIRROR" ] && args+=("$MIRROR")
    if ! "$debootstrap_bin" "${args[@]}" >"$root.log" 2>&1; then
        log "debootstrap failed; last lines of $root.log:"
        tail -n 30 "$root.log" >&2
        return 1
    fi
    rm -f "$root.log"
    printf '%s\n' "$POLICY_RC_D" >"$root/usr/sbin/policy-rc.d"
    chmod 0755 "$root/usr/sbin/policy-rc.d"
    printf '%s\n' "$APT_CONF" >"$root/etc/apt/apt.conf.d/90kmsops-container"
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
    log "importing $root as $BASE_IMAGE"
    tar -C "$root" -c . | docker import \
        --change "LABEL $LABEL=$want" \
        --change 'ENV LANG=C.UTF-8' \
        --change 'CMD ["sleep", "infinity"]' \
        - "$BASE_IMAGE" >/dev/null
    rm -rf "$root"
    trap - EXIT
    log "built $BASE_IMAGE in $(($(date +%s) - started)) s"
}

build_role_image() {
    local force="$2" dir="$HERE/$1" image="kmsops/$1:$TAG" want have started
    if [ ! -f "$dir/Dockerfile" ]; then
        log "no Dockerfile in $dir"
        return 1
    fi
    want="$(context_hash "$dir")"
    have="$(image_label "$image")"
    if [ "$force" = 0 ] && [ "$have" = "$want" ]; then
        log "reusing $image"
        return 0
    fi
    started="$(date +%s)"
    log "building $image from $dir"
    local output
    # the Dockerfile, FROM this suite's base image
    if ! output="$(sed "s|^FROM kmsops/debian:bookworm\$|FROM $BASE_IMAGE|" "$dir/Dockerfile" \
                   | docker build --label "$LABEL=$want" --tag "$image" --file - "$dir" 2>&1)"; then
        printf '%s\n' "$output" >&2
        log "building $image failed"
        return 1
    fi
    log "built $image in $(($(date +%s) - started)) s"
}

all_images() {
    local dockerfile
    for dockerfile in "$HERE"/*/Dockerfile; do
        basename "$(dirname "$dockerfile")"
    done
}

main() {
    local force=0 images=() image
    while [ "$#" -gt 0 ]; do
        case "$1" in
            --force) force=1 ;;
            --list)
                echo "$BASE_IMAGE"
                all_images | sed "s|^|kmsops/|; s|\$|:$TAG|"
                return 0
                ;;
            -h | --help)
                sed -n '5,28p' "${BASH_SOURCE[0]}"
                return 0
                ;;
            -*)
                log "unknown option $1"
                return 2
                ;;
            *) images+=("$1") ;;
        esac
        shift
    done
    if ! docker info >/dev/null 2>&1; then
        log "no Docker engine answers: run tests/containers/dockerd.sh start first"
        return 1
    fi
    if [ "${#images[@]}" -eq 0 ]; then
        mapfile -t images < <(all_images)
    fi
    build_base "$force"
    for image in "${images[@]}"; do
        build_role_image "$image" "$force"
    done
}

main "$@"
