# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures for the integration tests.

* ``named``: a real BIND 9 server on loopback (see named_server.py), one per test session.
* ``site``: a fresh zone (``siteNN.example``, with child zone ``branch.siteNN.example``) per test.
* ``collection``: the collection built with ``ansible-galaxy collection build`` and installed
  into a temporary collections path, so tests run what a user installs.
* ``run_play``: runs tasks with ``ansible-playbook`` against localhost from that built
  collection and returns the per-task results (JSON callback) and the raw output.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile

import pytest
import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

# REPO and _tool are imported from here by other test modules
from ansible_run import REPO, PlaybookRun, ansible_env, make_tree, run_playbook  # noqa: F401 pylint: disable=wrong-import-position,unused-import
from ansible_run import tool as _tool  # noqa: F401 pylint: disable=unused-import
from named_server import NamedServer


def with_site(data, site):
    """DATA with every "SITE" in its strings replaced by the test's zone."""
    return json.loads(json.dumps(data).replace("SITE", site))


@pytest.fixture(scope="session")
def named():
    server = NamedServer(statistics=True).start()
    yield server
    server.stop()


@pytest.fixture
def site(named):
    return named.allocate_site()


@pytest.fixture(scope="session")
def collection():
    """Build the collection tarball and install it; yield the collections path."""
    work = tempfile.mkdtemp(prefix="kmsops-coll-")
    path = make_tree(os.path.join(work, "collections"), "install")
    yield path
    shutil.rmtree(work, ignore_errors=True)


class PlayResult(PlaybookRun):
    """A PlaybookRun of one play, with the per-task results of localhost as ``tasks`` (in order)
    and of every host as ``by_host``."""

    def __init__(self, run):
        self.__dict__.update(run.__dict__)
        self.by_host = [task["hosts"] for task in run.tasks]  # per task: {host: result}
        self.tasks = [hosts.get("localhost", {}) for hosts in self.by_host]

    def __getitem__(self, index):
        return self.tasks[index]

    def __repr__(self):
        messages = [task.get("msg") for task in self.tasks if task.get("failed")]
        return f"PlayResult(rc={self.rc}, failed={messages!r}, output={self.output[-2000:]!r})"


@pytest.fixture
def run_play(collection, tmp_path):
    """run_play(tasks, check=False, diff=False, verbosity=0, json_output=True, module_defaults=None).

    tasks: a list of task dicts, or YAML text of a list of tasks (run exactly as written).

    hosts=[names]: run the play on these inventory hosts (all local), forks=len(hosts): at once."""

    def run(
        tasks, check=False, diff=False, verbosity=0, json_output=True, module_defaults=None, extra_env=None, hosts=None
    ):
        inventory = "localhost,"
        if hosts:
            inventory = str(tmp_path / "hosts.ini")
            (tmp_path / "hosts.ini").write_text("".join(f"{host} ansible_connection=local\n" for host in hosts))
            extra_env = dict(extra_env or {}, ANSIBLE_FORKS=str(len(hosts)))
        play = {
            "name": "kmsops.kms integration",
            "hosts": "all" if hosts else "localhost",
            "connection": "local",
            "gather_facts": False,
            "tasks": tasks,
        }
        if module_defaults:
            play["module_defaults"] = module_defaults
        playbook = tmp_path / "play.yml"
        if isinstance(tasks, str):
            # YAML text of tasks, run as written (tags such as !unsafe kept): a task a report printed
            del play["tasks"]
            playbook.write_text(
                yaml.safe_dump([play], sort_keys=False)
                + "  tasks:\n"
                + "".join("    " + line + "\n" for line in tasks.splitlines())
            )
        else:
            playbook.write_text(yaml.safe_dump([play], sort_keys=False))
        result = run_playbook(
            playbook,
            inventory,
            collection,
            check=check,
            diff=diff,
            verbosity=verbosity,
            json_output=json_output,
            extra_env=extra_env,
            timeout=300,
        )
        if json_output and result.data is None:
            raise AssertionError("ansible-playbook did not print JSON:\n" + result.output)
        return PlayResult(result)

    return run


@pytest.fixture
def dns_defaults(named):
    """Connection options for the named fixture, signed with a given key."""

    def make(key="admin", **extra):
        algorithm, secret = named.keys[key]
        options = {
            "server": named.address,
            "server_port": named.port,
            "key_name": key,
            "key_secret": secret,
            "key_algorithm": algorithm,
        }
        options.update(extra)
        return options

    return make
