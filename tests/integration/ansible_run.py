# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run ansible-playbook against the collection as a user installs it (made by
``tests/collection_tree.py``, ``install``).

Shared by the integration fixtures (conftest.py) and the benchmark (benchmarks/).
"""

from __future__ import annotations

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from collection_tree import REPO, make_tree  # noqa: E402,F401 pylint: disable=wrong-import-position,unused-import

BIN = os.path.dirname(sys.executable)


def tool(name):
    """NAME from the virtual environment of this Python when it is there, else from PATH."""
    path = os.path.join(BIN, name)
    return path if os.path.exists(path) else name


def ansible_env(collections, json_output=True, extra=None):
    """The environment for ansible-playbook: that collection, this Python, quiet, JSON output."""
    env = dict(os.environ)
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": collections,
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_LOCALHOST_WARNING": "false",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
        "ANSIBLE_RETRY_FILES_ENABLED": "false",
    })
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
            tasks.append({"name": task["task"]["name"], "duration": task["task"].get("duration", {}),
                          "hosts": task["hosts"]})
    return tasks
