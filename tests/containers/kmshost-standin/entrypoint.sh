#!/bin/sh
# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Start the silent TCP listener (see kms-standin-listener) in the background, record its pid
# in /run/kms-standin.pid, then run the container's command (CMD, `sleep infinity` by default,
# or whatever Molecule / docker run pass) in the foreground.
set -eu
python3 /usr/local/bin/kms-standin-listener &
echo "$!" > /run/kms-standin.pid
exec "$@"
