#!/usr/bin/env bash
# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Make a Docker engine available for the container tests, and take away only what we started.
#
#   tests/containers/dockerd.sh start    install docker.io/debootstrap when missing, start dockerd
#                                        when `docker info` fails, wait until it answers
#   tests/containers/dockerd.sh stop     stop dockerd only if `start` started it
#   tests/containers/dockerd.sh status   say whether an engine answers and who started it
#
# Environment:
#   KMSOPS_DOCKERD_STATE  pid file that records a daemon we started (default /run/kmsops-dockerd.pid)
#   KMSOPS_DOCKERD_LOG    dockerd's log file (default /var/log/kmsops-dockerd.log)
#   KMSOPS_DOCKERD_WAIT   seconds to wait for the engine to answer (default 60)
set -euo pipefail

STATE="${KMSOPS_DOCKERD_STATE:-/run/kmsops-dockerd.pid}"
LOG="${KMSOPS_DOCKERD_LOG:-/var/log/kmsops-dockerd.log}"
WAIT="${KMSOPS_DOCKERD_WAIT:-60}"

log() {
    printf 'dockerd.sh: %s\n' "$*" >&2
}

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo -n "$@"
    else
        log "need root (or sudo) to run: $*"
        return 1
    fi
}

engine_answers() {
    docker info >/dev/null 2>&1
}

install_missing() {
    local packages=()
    command -v dockerd >/dev/null 2>&1 || packages+=(docker.io)
    command -v docker >/dev/null 2>&1 || packages+=(docker.io)
    command -v debootstrap >/dev/null 2>&1 || [ -x /usr/sbin/debootstrap ] || packages+=(debootstrap)
    if [ "${#packages[@]}" -eq 0 ]; then
        return 0
    fi
    # de-duplicate (docker.io may be listed twice)
    mapfile -t packages < <(printf '%s\n' "${packages[@]}" | sort -u)
    log "installing ${packages[*]} with apt-get"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        "${packages[@]}"
}

recorded_pid() {
    # print the pid we recorded if that process is still a running dockerd
    local pid
    [ -s "$STATE" ] || return 1
    pid="$(cat "$STATE")"
    [ -n "$pid" ] && [ -r "/proc/$pid/comm" ] || return 1
    [ "$(cat "/proc/$pid/comm")" = "dockerd" ] || return 1
    printf '%s\n' "$pid"
}

start() {
    install_missing
    if engine_answers; then
        log "a Docker engine already answers; not starting one"
        return 0
    fi
    local dockerd_bin
    dockerd_bin="$(command -v dockerd || echo /usr/sbin/dockerd)"
    log "starting $dockerd_bin (log: $LOG)"
    as_root mkdir -p "$(dirname "$STATE")" "$(dirname "$LOG")"
    # setsid: the daemon must outlive this script and the shell or CI step that ran it
    as_root setsid "$dockerd_bin" >"$LOG" 2>&1 </dev/null &
    local launcher=$!
    local waited=0 pid=""
    while [ "$waited" -lt "$WAIT" ]; do
        if [ -z "$pid" ]; then
            if [ "$(cat "/proc/$launcher/comm" 2>/dev/null)" = "dockerd" ]; then
                pid="$launcher"
            else
                pid="$(pgrep -n -x dockerd || true)"
            fi
            [ -n "$pid" ] && printf '%s\n' "$pid" | as_root tee "$STATE" >/dev/null
        fi
        if engine_answers; then
            log "engine answers after ${waited}s (dockerd pid ${pid:-unknown})"
            return 0
        fi
        if ! kill -0 "$launcher" 2>/dev/null && [ -z "$(pgrep -x dockerd || true)" ]; then
            log "dockerd exited; last lines of $LOG:"
            tail -n 30 "$LOG" >&2 || true
            as_root rm -f "$STATE"
            return 1
        fi
        sleep 1
        waited=$((waited + 1))
    done
    log "engine did not answer within ${WAIT}s; last lines of $LOG:"
    tail -n 30 "$LOG" >&2 || true
    return 1
}

stop() {
    local pid
    if ! pid="$(recorded_pid)"; then
        as_root rm -f "$STATE"
        log "no dockerd started by this script is running; leaving any other engine alone"
        return 0
    fi
    log "stopping dockerd pid $pid (started by this script)"
    as_root kill -TERM "$pid"
    local waited=0
    while [ -d "/proc/$pid" ] && [ "$waited" -lt 30 ]; do
        sleep 1
        waited=$((waited + 1))
    done
    if [ -d "/proc/$pid" ]; then
        log "dockerd pid $pid did not stop in 30s; sending KILL"
        as_root kill -KILL "$pid" || true
    fi
    as_root rm -f "$STATE"
}

status() {
    local pid
    if engine_answers; then
        if pid="$(recorded_pid)"; then
            echo "engine answers; started by this script (pid $pid)"
        else
            echo "engine answers; not started by this script"
        fi
    else
        echo "no engine answers"
        return 1
    fi
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    *)
        echo "usage: $0 start|stop|status" >&2
        exit 2
        ;;
esac
