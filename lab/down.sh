#!/usr/bin/env bash
# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Remove the embedded lab: its containers and networks (label org.kmsops.lab, the AD site's of
# lab/up.sh --ad too) and its state directory with the fetched TSIG keys and the keytab
# ($KMSOPS_LAB_DIR, default ~/.cache/kmsops-lab). The images stay (tests/containers/build_images.sh
# reuses them), and so does the Docker engine.
set -euo pipefail

lab_dir="${KMSOPS_LAB_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kmsops-lab}"

docker ps -aq --filter label=org.kmsops.lab | xargs -r docker rm -f >/dev/null
docker network ls -q --filter label=org.kmsops.lab | xargs -r docker network rm >/dev/null
if [ -f "$lab_dir/.kmsops-lab" ]; then
    rm -rf "$lab_dir"
fi
echo "lab removed"
