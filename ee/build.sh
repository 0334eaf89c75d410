#!/usr/bin/env bash
# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Build the execution environment image of kmsops.kms with ansible-builder, without any registry:
#
#   ee/build.sh [--force]        build kmsops/ee:latest (KMSOPS_EE_IMAGE), or reuse it
#
# 1. the base image kmsops/debian:bookworm must exist (tests/containers/build_images.sh);
# 2. the collection tarball is built from this checkout (ansible-galaxy collection build);
# 3. the image is reused when its label org.kmsops.context-hash equals the hash of what it is
#    built from (base image id, this script, execution-environment.yml, ee/files, the
#    tarball's contents); otherwise
# 4. the Python wheels of the EE (ansible-core, ansible-runner, dnspython, bindep and their
#    dependencies) are fetched on this machine with `pip wheel` (pip inside the build cannot
#    verify PyPI's TLS certificate), and `ansible-builder build` runs with the Docker engine.
# Work directory: $KMSOPS_BUILD_DIR/ee (default /tmp/kmsops-kms-build/ee).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
IMAGE="${KMSOPS_EE_IMAGE:-kmsops/ee:latest}"
BASE_IMAGE="${KMSOPS_BASE_IMAGE:-kmsops/debian:bookworm}"
WORK="${KMSOPS_BUILD_DIR:-${TMPDIR:-/tmp}/kmsops-kms-build}/ee"
LABEL="org.kmsops.context-hash"
PATH="$ROOT/.venv/bin:$PATH"

log() { printf 'ee/build.sh: %s\n' "$*" >&2; }

force=0
case "${1:-}" in
    --force) force=1 ;;
    "") ;;
    *) echo "usage: $0 [--force]" >&2; exit 2 ;;
esac

if ! base_id="$(docker image inspect --format '{{ .Id }}' "$BASE_IMAGE" 2>/dev/null)"; then
    log "$BASE_IMAGE is missing: run tests/containers/build_images.sh first"
    exit 1
fi

started=$SECONDS
rm -rf "$WORK" && mkdir -p "$WORK/files/wheels"
cp "$ROOT/ee/execution-environment.yml" "$WORK/"
cp -p "$ROOT/ee/files/pkgmgr" "$WORK/files/"
ansible-galaxy collection build --output-path "$WORK/build" "$ROOT" >/dev/null
mv "$WORK"/build/kmsops-kms-*.tar.gz "$WORK/files/kmsops-kms.tar.gz"
rmdir "$WORK/build"

want="$({
    printf 'base=%s\n' "$base_id"
    # what the image is made of (not ee/navigator.sh, which only runs it)
    (cd "$ROOT/ee" && find build.sh execution-environment.yml files -type f -printf '%m %p\n' | LC_ALL=C sort)
    (cd "$ROOT/ee" && find build.sh execution-environment.yml files -type f -print0 | LC_ALL=C sort -z \
        | xargs -0 sha256sum)
    # the members' contents (FILES.json holds every file's checksum), not the tar's timestamps
    tar -xzOf "$WORK/files/kmsops-kms.tar.gz" | sha256sum
} | sha256sum | cut -d' ' -f1)"
have="$(docker image inspect --format "{{ index .Config.Labels \"$LABEL\" }}" "$IMAGE" 2>/dev/null || true)"
if [ "$force" = 0 ] && [ "$have" = "$want" ]; then
    log "reusing $IMAGE"
    exit 0
fi

log "fetching the wheels of the EE into $WORK/files/wheels"
# the EE's own pins (execution-environment.yml), the collection's requirements.txt, and what
# ansible-builder installs in its builder stage (bindep, pyyaml, packaging)
python3 - "$WORK/execution-environment.yml" >"$WORK/wheel-requirements.txt" <<'PY'
import sys
import yaml
with open(sys.argv[1], encoding="utf-8") as handle:
    deps = yaml.safe_load(handle)["dependencies"]
for key in ("ansible_core", "ansible_runner"):
    print(deps[key]["package_pip"])
for line in deps.get("python", []):
    print(line)
print("bindep\npyyaml\npackaging\nwheel\ndumb-init==1.2.5")
PY
grep -v '^\s*#' "$ROOT/requirements.txt" | grep -v '^\s*$' >>"$WORK/wheel-requirements.txt"
pip wheel -q --wheel-dir "$WORK/files/wheels" -r "$WORK/wheel-requirements.txt" 2>&1 \
    | grep -v "^WARNING: Location .* is ignored" >&2 || true
ls "$WORK"/files/wheels/ansible_core-*.whl >/dev/null

log "ansible-builder build -t $IMAGE (base $BASE_IMAGE)"
(cd "$WORK" && ansible-builder build --container-runtime docker --tag "$IMAGE" \
    --file execution-environment.yml --context context \
    --build-arg EE_BASE_IMAGE="$BASE_IMAGE" \
    --extra-build-cli-args "--label $LABEL=$want" -v 3) >"$WORK/build.log" 2>&1 || {
    tail -n 60 "$WORK/build.log" >&2
    log "ansible-builder build failed (log: $WORK/build.log)"
    exit 1
}
log "built $IMAGE in $((SECONDS - started)) s"
