# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The execution environment (ee/build.sh) runs the collection, through ansible-navigator.

A play runs inside the EE image with ``ansible-navigator run --mode stdout`` (ee/navigator.sh)
against a real ``named`` on the host's loopback (the EE shares the host's network); it uses the
collection installed in the image, not this checkout. Records are read back with ``dig`` on
the host. The EE must already be built (the ``ee`` stage of tests/run_all.sh does it).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))

from named_server import NamedServer  # noqa: E402 pylint: disable=wrong-import-position

IMAGE = os.environ.get("KMSOPS_EE_IMAGE", "kmsops/ee:latest")
IN_EE = "/usr/share/ansible/collections/ansible_collections/kmsops/kms"


@pytest.fixture(scope="module")
def named():
    server = NamedServer(sites=2).start()
    yield server
    server.stop()


def navigator(playbook, *args, env=None):
    return subprocess.run(
        [os.path.join(REPO, "ee", "navigator.sh"), str(playbook), *args],
        cwd=os.path.dirname(str(playbook)),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env=dict(os.environ, **(env or {})),
    )


def test_image_is_built_from_the_local_base_and_labelled():
    labels = subprocess.run(
        [
            "docker",
            "image",
            "inspect",
            "--format",
            '{{ index .Config.Labels "org.kmsops.context-hash" }} '
            '{{ index .Config.Labels "ansible-execution-environment" }}',
            IMAGE,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert len(labels) == 2 and len(labels[0]) == 64 and labels[1] == "true", labels


def test_a_play_in_the_ee_publishes_and_discovers(named, tmp_path):
    zone = named.allocate_site()
    algorithm, secret = named.keys["kms-publisher"]
    play = [
        {
            "name": "kmsops.kms inside the execution environment",
            "hosts": "localhost",
            "connection": "local",
            "gather_facts": False,
            "module_defaults": {
                "group/kmsops.kms.dns": {
                    "server": named.address,
                    "server_port": named.port,
                    "key_name": "kms-publisher",
                    "key_secret": secret,
                    "key_algorithm": algorithm,
                }
            },
            "tasks": [
                {
                    "name": "Publish a KMS host",
                    "kmsops.kms.kms_publish": {
                        "hosts": [
                            {
                                "name": f"kms1.{zone}",
                                "addresses": ["127.0.0.1"],
                                "publish": [{"domain": zone, "weight": 5}],
                            }
                        ]
                    },
                    "register": "published",
                },
                {
                    "name": "Find it as a client does",
                    "kmsops.kms.kms_discover": {
                        "domains": [zone],
                        "nameservers": [named.address],
                        "dns_port": named.port,
                    },
                    "register": "found",
                },
                {
                    "name": "Read the tools of the image",
                    "ansible.builtin.command": "dig -v",
                    "changed_when": False,
                    "register": "dig",
                },
                {
                    "name": "Check",
                    "ansible.builtin.assert": {
                        "that": [
                            "published is changed",
                            f"found.selected.target == 'kms1.{zone}'",
                            "dig.stderr is search('DiG 9')",
                            # GSS-TSIG's Python binding is in the image
                            "lookup('ansible.builtin.pipe', 'python3 -c \"import gssapi; print(1)\"') == '1'",
                        ]
                    },
                },
            ],
        }
    ]
    playbook = tmp_path / "ee-play.yml"
    playbook.write_text(yaml.safe_dump(play, sort_keys=False))
    proc = navigator(playbook, "-i", "localhost,", "-vvv", env={"ANSIBLE_PYTHON_INTERPRETER": "/usr/bin/python3"})
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-4000:]
    # the modules came from the collection installed in the image
    for module in ("kms_publish", "kms_discover"):
        assert f"Using module file {IN_EE}/plugins/modules/{module}.py" in output, output[-3000:]
    assert REPO + "/plugins" not in output
    assert secret not in output, "the TSIG secret leaked into the output"
    assert named.dig(f"_vlmcs._tcp.{zone}", "SRV") == [f"0 5 1688 kms1.{zone}."]
