#!/usr/bin/env bash
# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Run a playbook inside the kmsops.kms execution environment (ee/build.sh) with
# ansible-navigator, the way AWX / Automation Platform would run it, without any registry:
#
#   ee/navigator.sh PLAYBOOK [ansible-playbook options...]
#
# The image is $KMSOPS_EE_IMAGE (kmsops/ee:latest), never pulled; output goes to stdout; the
# container shares the host's network, so it reaches what the controller reaches (loopback,
# the lab's Docker networks). The playbook's directory is the project directory.
#   KMSOPS_EE_DOCKER=1      also hand the EE the Docker socket, the docker CLI and the
#                           community.docker collection of .venv, for inventories whose hosts
#                           are containers reached by docker exec (the lab); runs as root then
#   KMSOPS_EE_MOUNTS="D..." directories mounted at the same path (key files, report output)
#   KMSOPS_EE_ENV="V..."    environment variables passed into the EE
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
IMAGE="${KMSOPS_EE_IMAGE:-kmsops/ee:latest}"
LOG_DIR="${KMSOPS_BUILD_DIR:-${TMPDIR:-/tmp}/kmsops-kms-build}/ee"
PATH="$ROOT/.venv/bin:$PATH"
mkdir -p "$LOG_DIR"

args=(run "$@" --mode stdout --execution-environment true --container-engine docker
      --execution-environment-image "$IMAGE" --pull-policy never
      --playbook-artifact-enable false --log-file "$LOG_DIR/ansible-navigator.log"
      --container-options=--network=host)
for dir in ${KMSOPS_EE_MOUNTS:-}; do
    args+=(--execution-environment-volume-mounts "$dir:$dir")
done
for var in ${KMSOPS_EE_ENV:-}; do
    args+=(--pass-environment-variable "$var")
done
if [ "${KMSOPS_EE_DOCKER:-0}" = 1 ]; then
    docker_cli="$(command -v docker)"
    community_docker="$("$ROOT/.venv/bin/python" -c \
        'import ansible_collections.community.docker as c; print(list(c.__path__)[0])')"
    args+=(--container-options=--user=0
           --execution-environment-volume-mounts /var/run/docker.sock:/var/run/docker.sock
           --execution-environment-volume-mounts "$docker_cli:/usr/local/bin/docker:ro"
           --execution-environment-volume-mounts
           "$community_docker:/usr/share/ansible/collections/ansible_collections/community/docker:ro")
fi
exec ansible-navigator "${args[@]}"
