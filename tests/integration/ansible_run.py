# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run ansible-playbook against the collection as a user installs it (made by
``tests/collection_tree.py``, ``install``).

Shared by the integration fixtures (conftest.py), the test files and the benchmark (benchmarks/):
``run_playbook`` is the one place tests start ansible-playbook, ``PlaybookRun`` the one reader of
what it printed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from collection_tree import REPO, make_tree  # noqa: F401 pylint: disable=wrong-import-position,unused-import

BIN = os.path.dirname(sys.executable)


def tool(name):
    """NAME from the virtual environment of this Python when it is there, else from PATH."""
    path = os.path.join(BIN, name)
    return path if os.path.exists(path) else name


def ansible_env(collections, json_output=True, extra=None):
    """The environment for ansible-playbook: that collection, this Python, quiet, JSON output."""
    env = dict(os.environ)
    env.update(
        {
            "ANSIBLE_COLLECTIONS_PATH": collections,
            "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_LOCALHOST_WARNING": "false",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
            "ANSIBLE_RETRY_FILES_ENABLED": "false",
        }
    )
    if json_output:
        env["ANSIBLE_STDOUT_CALLBACK"] = "ansible.posix.json"
    env.update(extra or {})
    return env


def json_tasks(stdout):
    """The tasks printed by the ansible.posix.json callback: [{"name", "duration", "hosts"}]."""
    data = json.loads(stdout)
    tasks = []
    for play in data["plays"]:
        for task in play["tasks"]:
            tasks.append(
                {"name": task["task"]["name"], "duration": task["task"].get("duration", {}), "hosts": task["hosts"]}
            )
    return tasks


class PlaybookRun:
    """What one ansible-playbook run printed, read once.

    ``rc``, ``stdout``, ``stderr``, ``output`` (both); with the JSON callback ``data`` (the whole
    document), ``stats`` (per host) and ``tasks`` (per task in order: ``name``, ``action`` of its
    first result, ``hosts`` {host: result}); None / [] when the run printed no JSON."""

    def __init__(self, proc, json_output=True):
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.data = None
        self.stats = {}
        self.tasks = []
        if json_output:
            lines = proc.stdout.splitlines()
            try:  # with -v and more, verbose lines come before the JSON document
                start = lines.index("{")
                self.data = json.loads("\n".join(lines[start:]))
            except ValueError:
                self.data = None
        if self.data is not None:
            self.stats = self.data.get("stats", {})
            for play in self.data["plays"]:
                for task in play["tasks"]:
                    hosts = task["hosts"]
                    action = next((r.get("action") for r in hosts.values() if r.get("action")), None)
                    self.tasks.append(
                        {
                            "name": task["task"]["name"],
                            "action": action,
                            "hosts": hosts,
                            "duration": task["task"].get("duration", {}),
                        }
                    )

    @property
    def output(self):
        return self.stdout + self.stderr

    @property
    def returncode(self):  # as subprocess.CompletedProcess names it
        return self.rc

    def results(self, action=None, name=None, host=None):
        """[(host, result)] of every task, or of the tasks running module ACTION, or named NAME."""
        found = []
        for task in self.tasks:
            if name is not None and task["name"] != name:
                continue
            for task_host, result in task["hosts"].items():
                if action is not None and result.get("action") != action:
                    continue
                if host is not None and task_host != host:
                    continue
                found.append((task_host, result))
        return found

    def by_action(self):
        """{action: [(host, result), ...]} of every task."""
        out = {}
        for task in self.tasks:
            for task_host, result in task["hosts"].items():
                out.setdefault(result.get("action"), []).append((task_host, result))
        return out

    def failures(self):
        """The message of every failed result (loops: of every failed item)."""
        messages = []
        for _host, result in self.results():
            if result.get("failed") or result.get("unreachable"):
                items = [item for item in result.get("results") or [] if item.get("failed")]
                messages += [str(item.get("msg")) for item in items] or [str(result.get("msg"))]
        return messages

    def changed_hosts(self):
        return {host: counts["changed"] for host, counts in self.stats.items() if counts.get("changed")}

    def __repr__(self):
        return f"PlaybookRun(rc={self.rc}, failures={self.failures()!r}, output={self.output[-3000:]!r})"


def run_playbook(
    playbook,
    inventory,
    collections,
    check=False,
    diff=False,
    verbosity=0,
    json_output=True,
    extra_env=None,
    extra_vars=None,
    args=(),
    cwd=None,
    timeout=600,
    env=None,
):
    """ansible-playbook PLAYBOOK (a path or a collection playbook such as kmsops.kms.site) with
    INVENTORY, from the collections path COLLECTIONS; returns a PlaybookRun. The one place tests
    start ansible-playbook.

    ``env``: a whole environment to run with instead of :func:`ansible_env` (containers, the
    Windows double); ``extra_env`` is added to either."""
    cmd = [tool("ansible-playbook"), "-i", str(inventory), str(playbook)]
    if check:
        cmd.append("--check")
    if diff:
        cmd.append("--diff")
    if verbosity:
        cmd.append("-" + "v" * verbosity)
    for name, value in (extra_vars or {}).items():
        cmd += ["-e", f"{name}={value}"]
    cmd += list(args)
    if env is None:
        env = ansible_env(collections, json_output, {"ANSIBLE_HOST_KEY_CHECKING": "false"})
    env = dict(env, **(extra_env or {}))
    proc = subprocess.run(
        cmd, capture_output=True, text=True, env=env, timeout=timeout, check=False, cwd=str(cwd) if cwd else None
    )
    return PlaybookRun(proc, json_output)
