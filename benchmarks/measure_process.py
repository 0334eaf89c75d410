# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a command and record its wall time and peak memory (the kernel's rusage of that process).

Usage: python measure_process.py COMMAND [ARG...]

stdin, stdout and stderr pass through; the exit code is the command's. When the environment has
KMSOPS_BENCH_LOG, one JSON line {"seconds", "cpu_seconds", "max_rss_kb", "argv"} is appended to that file. The
benchmark uses it as Ansible's Python interpreter, so every module process is measured.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time


def main():
    start = time.perf_counter()
    proc = subprocess.Popen(sys.argv[1:])  # pylint: disable=consider-using-with
    _pid, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code
    log = os.environ.get("KMSOPS_BENCH_LOG")
    if log:
        line = json.dumps(
            {
                "seconds": seconds,
                "cpu_seconds": usage.ru_utime + usage.ru_stime,
                "max_rss_kb": usage.ru_maxrss,
                "argv": [os.path.basename(arg) for arg in sys.argv[1:]],
            }
        )
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(line + "\n")
    sys.exit(code if code >= 0 else 128 - code)


if __name__ == "__main__":
    main()
