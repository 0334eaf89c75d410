# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The `matrix` stage of tests/run_all.sh: every nox session of noxfile.py, several at once.

    python3 tests/matrix/run.py [SESSION...]

Each session is mostly one busy process at a time (pylint, ansible-playbook), so on a 2-core
machine two sessions side by side take about as long as one. KMSOPS_MATRIX_JOBS sets how many
run at once (default: the number of CPUs). Each session's output goes to a log file and is
printed whole when the session ends (never interleaved); at the end one line per version and
part (units, smoke, sanity: the "matrix:" lines of tests/matrix/check.sh) and per session
its result and seconds. Exit status 1 when any session failed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def nox_command():
    here = os.path.join(os.path.dirname(sys.executable), "nox")
    return [here] if os.path.exists(here) else ["nox"]


def sessions():
    listing = subprocess.run(
        [*nox_command(), "--list", "--json"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    return [entry["session"] for entry in json.loads(listing)]


def run_session(name, logs):
    log = os.path.join(logs, f"{name}.log")
    started = time.monotonic()
    with open(log, "w", encoding="utf-8") as handle:
        code = subprocess.run(
            [*nox_command(), "--non-interactive", "--nocolor", "-s", name],
            cwd=ROOT,
            stdout=handle,
            stderr=subprocess.STDOUT,
            check=False,
        ).returncode
    seconds = time.monotonic() - started
    with open(log, encoding="utf-8") as handle:
        output = handle.read()
    print(
        f"\n=== matrix: session {name} ({'passed' if code == 0 else 'FAILED'}, {seconds:.0f} s)\n{output}", flush=True
    )
    return name, code, seconds, [line for line in output.splitlines() if line.startswith("matrix: [")]


def main(argv):
    names = argv or sessions()
    jobs = int(os.environ.get("KMSOPS_MATRIX_JOBS", os.cpu_count() or 1))
    with (
        tempfile.TemporaryDirectory(prefix="kmsops-matrix-logs-") as logs,
        ThreadPoolExecutor(max_workers=max(1, jobs)) as pool,
    ):
        results = list(pool.map(lambda name: run_session(name, logs), names))
    print("\n=== matrix: results")
    for _name, _code, _seconds, parts in results:
        for line in parts:
            print(line)
    for name, code, seconds, _parts in results:
        print(f"matrix: session {name:<14} {'passed' if code == 0 else 'FAILED':<7} {seconds:5.0f} s")
    return 1 if any(code for _name, code, _seconds, _parts in results) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
