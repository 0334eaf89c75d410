# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection as a Galaxy user gets it.

* ``ansible-galaxy collection build`` makes a tarball that holds the collection and none of the
  development files (``build_ignore`` in galaxy.yml);
* the tarball installed into an empty collections path runs a play from that installed copy
  (not from this checkout) against a real ``named`` on loopback, read back with ``dig``;
* ``galaxy-importer`` (the code Galaxy runs on upload) accepts the tarball, offline.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile

import pytest
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))

from ansible_run import run_playbook  # noqa: E402 pylint: disable=wrong-import-position
from named_server import NamedServer  # noqa: E402 pylint: disable=wrong-import-position

BIN = os.path.dirname(sys.executable)
KMS_PORT = 1688

# Development files that must stay out of the tarball (top-level paths of the repository).
DEVELOPMENT = (
    "tests/",
    "molecule/",
    "lab/",
    "benchmarks/",
    "ee/",
    ".github/",
    ".ci/",
    ".ansible-lint",
    ".gitignore",
    ".venv",
    ".git/",
    "requirements-test.txt",
    "pyproject.toml",
    "noxfile.py",
    "changelogs/fragments/",
)


def _tool(name):
    path = os.path.join(BIN, name)
    return path if os.path.exists(path) else name


def _git_files(*prefixes):
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "--", *prefixes],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return {name for name in listed if os.path.isfile(os.path.join(REPO, name))}


@pytest.fixture(scope="module")
def tarball(tmp_path_factory):
    out = tmp_path_factory.mktemp("galaxy-build")
    subprocess.run(
        [_tool("ansible-galaxy"), "collection", "build", "--output-path", str(out), REPO],
        check=True,
        capture_output=True,
        text=True,
    )
    built = [name for name in os.listdir(out) if name.endswith(".tar.gz")]
    assert len(built) == 1, built
    return out / built[0]


@pytest.fixture(scope="module")
def installed(tarball, tmp_path_factory):
    """The tarball installed into an empty collections path; returns that path."""
    path = tmp_path_factory.mktemp("galaxy-install") / "collections"
    subprocess.run(
        [_tool("ansible-galaxy"), "collection", "install", "--offline", "-p", str(path), str(tarball)],
        check=True,
        capture_output=True,
        text=True,
    )
    return path


@pytest.fixture(scope="module")
def named():
    server = NamedServer(sites=2).start()
    yield server
    server.stop()


def test_tarball_holds_the_collection_and_no_development_files(tarball):
    with tarfile.open(tarball) as archive:
        names = {member.name for member in archive.getmembers() if member.isfile()}
    junk = sorted(
        name for name in names if name.startswith(DEVELOPMENT) or "__pycache__" in name or name.endswith(".pyc")
    )
    assert not junk, f"development files in the tarball: {junk}"
    for needed in (
        "MANIFEST.json",
        "FILES.json",
        "README.md",
        "COPYING",
        "meta/runtime.yml",
        "meta/execution-environment.yml",
        "requirements.txt",
        "bindep.txt",
        "playbooks/site.yml",
        "changelogs/changelog.yaml",
        "inventories/README.md",
    ):
        assert needed in names, needed
    # every plugin, role and playbook file of the checkout is shipped
    missing = sorted(_git_files("plugins", "roles", "playbooks", "inventories", "docs") - names)
    assert not missing, f"files of the collection left out of the tarball: {missing}"
    with tarfile.open(tarball) as archive:
        manifest = json.load(archive.extractfile("MANIFEST.json"))
    assert manifest["collection_info"]["namespace"] == "kmsops"
    assert manifest["collection_info"]["name"] == "kms"


def test_the_installed_copy_runs_a_play_against_real_named(installed, named, tmp_path):
    zone = named.allocate_site()
    collection = installed / "ansible_collections" / "kmsops" / "kms"
    assert (collection / "MANIFEST.json").is_file(), "not an installed collection"
    key_file = named.key_files["kms-publisher"]
    play = [
        {
            "name": "kmsops.kms from the installed tarball",
            "hosts": "localhost",
            "connection": "local",
            "gather_facts": False,
            "tasks": [
                {
                    "name": "Publish a KMS host",
                    "kmsops.kms.kms_publish": {
                        "server": named.address,
                        "server_port": named.port,
                        "key_file": key_file,
                        "hosts": [
                            {
                                "name": f"kms1.{zone}",
                                "addresses": ["127.0.0.1"],
                                "publish": [{"domain": zone, "priority": 0, "weight": 10}],
                            }
                        ],
                    },
                    "register": "published",
                },
                {
                    "name": "Find it as a client does",
                    "kmsops.kms.kms_discover": {
                        "domains": [zone],
                        "nameservers": [named.address],
                        "dns_port": named.port,
                        "probe": False,
                    },
                    "register": "found",
                },
                {
                    "name": "Check the result and order it with the collection's filter",
                    "ansible.builtin.assert": {
                        "that": [
                            "published is changed",
                            f"found.selected.target == 'kms1.{zone}'",
                            f"(['10 0 1688 kms2.{zone}.', '0 0 1688 kms1.{zone}.'] | kmsops.kms.srv_order(seed=1)"
                            f" | first).split()[-1] == 'kms1.{zone}.'",
                        ]
                    },
                },
            ],
        }
    ]
    playbook = tmp_path / "installed.yml"
    playbook.write_text(yaml.safe_dump(play, sort_keys=False))
    env = dict(os.environ)
    env.update(
        {
            # the installed copy only: no checkout, no collections next to the playbook or on sys.path
            "ANSIBLE_COLLECTIONS_PATH": str(installed),
            "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "false",
            "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_LOCALHOST_WARNING": "false",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
        }
    )
    proc = run_playbook(
        playbook, "localhost,", str(installed), verbosity=3, json_output=False, env=env, cwd=tmp_path, timeout=300
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-4000:]
    # the modules were loaded from the installed copy, never from this checkout
    for module in ("kms_publish", "kms_discover"):
        assert f"Using module file {collection}/plugins/modules/{module}.py" in output, module
    assert REPO + "/plugins" not in output
    # and what they did is real: read back with dig
    assert named.dig(f"_vlmcs._tcp.{zone}", "SRV") == [f"0 10 {KMS_PORT} kms1.{zone}."]
    assert named.dig(f"kms1.{zone}", "A") == ["127.0.0.1"]

    # the collection's own playbook resolves from the installed copy, with its example inventory
    syntax = run_playbook(
        "kmsops.kms.site",
        collection / "inventories" / "example",
        str(installed),
        json_output=False,
        args=["--syntax-check"],
        env=env,
        cwd=tmp_path,
    )
    assert syntax.returncode == 0, syntax.stdout + syntax.stderr


def test_galaxy_importer_accepts_the_tarball(tarball, tmp_path):
    # Offline. ansible-doc runs (every plugin's documentation must load). Left out, with reasons:
    # `ansible-test sanity` in the importer's container image (pulled from a registry, and no
    # registry can be reached here; the `sanity` stage runs ansible-test sanity itself), and the
    # importer's ansible-lint call (the `lint` stage runs ansible-lint --profile production on the
    # same files; the importer gives it a fixed 180 s, which a loaded 2-core machine exceeds).
    config = tmp_path / "galaxy-importer.cfg"
    config.write_text(
        "[galaxy-importer]\n"
        "run_ansible_doc = True\n"
        "run_ansible_lint = False\n"
        "check_changelog = True\n"
        "run_ansible_test = False\n"
        f"tmp_root_dir = {tmp_path}\n"
    )
    env = dict(
        os.environ,
        GALAXY_IMPORTER_CONFIG=str(config),
        HOME=str(tmp_path),
        PATH=BIN + os.pathsep + os.environ.get("PATH", ""),
    )
    proc = subprocess.run(
        [sys.executable, "-m", "galaxy_importer.main", "--print-result", str(tarball)],
        cwd=str(tmp_path),
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-4000:]
    assert "Importer processing completed successfully" in output, output[-4000:]
    problems = [line for line in output.splitlines() if line.startswith(("WARNING", "ERROR"))]
    assert not problems, problems
    result = json.loads(output[output.index("\n{") + 1 :])
    contents = {(item["content_type"], item["name"]) for item in result["contents"]}
    for expected in (
        ("module", "kms_publish"),
        ("module", "kms_discover"),
        ("role", "core_network"),
        ("filter", "srv_order"),
        ("lookup", "kms_discover"),
    ):
        assert expected in contents, expected
    assert all(item["content_type"] != "module" or item["description"] for item in result["contents"]), (
        "a module without a description"
    )
