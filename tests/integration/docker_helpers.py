# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the container tests share: the docker client, the images, the Ansible tools of the venv.

The tests fail (never skip) without a Docker engine and say how to start one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD_IMAGES = os.path.join(REPO, "tests", "containers", "build_images.sh")


def docker(*args, check=True, timeout=120, stdin=None):
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=check, timeout=timeout, input=stdin)


def site_collections():
    """The directory that holds the collections shipped by the `ansible` package."""
    for entry in sys.path:
        if os.path.isdir(os.path.join(entry, "ansible_collections", "community", "docker")):
            return entry
    raise AssertionError("community.docker is not installed: pip install ansible (see requirements-test.txt)")


def container_inventory(path, groups):
    """Write an inventory of containers reached with community.docker.docker to PATH.

    GROUPS: {group: [container names]}; every container runs modules with its /usr/bin/python3."""
    host = {"ansible_connection": "community.docker.docker", "ansible_python_interpreter": "/usr/bin/python3"}
    path.write_text(
        yaml.safe_dump(
            {
                "all": {
                    "children": {
                        group: {"hosts": {name: dict(host) for name in names}} for group, names in groups.items()
                    }
                }
            }
        )
    )
    return path


def container_play_env(collection, callback="ansible.builtin.default"):
    """The environment for ansible-playbook against containers, from the built COLLECTION."""
    env = dict(os.environ)
    env.update(
        {
            "ANSIBLE_COLLECTIONS_PATH": collection + os.pathsep + site_collections(),
            "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "false",
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_PIPELINING": "true",
            "ANSIBLE_RETRY_FILES_ENABLED": "false",
            "ANSIBLE_STDOUT_CALLBACK": callback,
        }
    )
    return env


def require_docker_engine(*tools):
    """Fail unless a Docker engine answers and every one of TOOLS is on PATH."""
    if shutil.which("docker") is None:
        pytest.fail("the docker client is missing: run tests/containers/dockerd.sh start (installs docker.io)")
    proc = subprocess.run(["docker", "info"], capture_output=True, text=True, check=False, timeout=60)
    if proc.returncode != 0:
        pytest.fail(
            "no Docker engine answers (`docker info` failed); start one with "
            "`tests/containers/dockerd.sh start`:\n" + proc.stderr[-2000:]
        )
    for name in tools:
        if shutil.which(name) is None:
            pytest.fail(f"{name} is missing on the controller: apt-get install bind9-dnsutils")


def build_image(directory, suite="bookworm"):
    """Build kmsops/DIRECTORY for Debian SUITE (and its base) unless an up-to-date image exists;
    return its name: kmsops/DIRECTORY:latest for bookworm, kmsops/DIRECTORY:SUITE otherwise."""
    env = dict(os.environ, KMSOPS_DEBIAN_SUITE=suite)
    proc = subprocess.run([BUILD_IMAGES, directory], capture_output=True, text=True, check=False, timeout=900, env=env)
    assert proc.returncode == 0, "building the images failed:\n" + proc.stdout + proc.stderr
    return f"kmsops/{directory}:{'latest' if suite == 'bookworm' else suite}"
