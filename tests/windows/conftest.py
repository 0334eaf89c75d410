# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run kms_host / kms_client / kms_info through ansible-playbook against localhost, with the
test double fake_kms_licensing.py standing in for the PowerShell executor.

The collection is copied to a temporary ansible_collections tree (``collection_tree.py``,
``copy``: the repository is never touched) and the double replaces
plugins/modules/kms_licensing.py in the copy only.
"""

from __future__ import annotations

import copy
import json
import os
import pathlib
import shutil
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# REPO is imported from here by the tests
from collection_tree import REPO, collection_path, make_tree  # noqa: F401 pylint: disable=wrong-import-position,unused-import

from ansible_collections.kmsops.kms.plugins.plugin_utils.kms._gvlk import GVLK_TABLE

sys.path.append(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "integration"))
from ansible_run import run_playbook

HERE = os.path.dirname(os.path.abspath(__file__))
BIN = os.path.dirname(sys.executable)

# Format-valid keys that are not KMS client setup keys: stand-ins for KMS host keys.
HOST_KEY = "BCDFG-HJKMP-QRTVW-XY234-6789B"
HOST_KEY_2 = "QRTVW-XY234-6789B-CDFGH-JKMPN"
GVLK_2022_DC = "WX4NM-KYWYW-QJJR4-XV3QB-6VM33"
CONFIRMATION_ID = "123456-234567-345678-456789-567890-678901-789012-890123"


@pytest.fixture(scope="session")
def collection_root(tmp_path_factory):
    root = make_tree(str(tmp_path_factory.mktemp("kmsops-windows")), "copy")
    modules = pathlib.Path(collection_path(root)) / "plugins" / "modules"
    # the double replaces the executor (Ansible would otherwise pick the .ps1 and look for powershell)
    os.unlink(str(modules / "kms_licensing.ps1"))
    shutil.copy(os.path.join(HERE, "fake_kms_licensing.py"), str(modules / "kms_licensing.py"))
    # the double's list of published GVLKs, from the collection's table (see is_gvlk there)
    with open(os.path.join(root, "gvlks.json"), "w", encoding="utf-8") as handle:
        json.dump(sorted(entry.key for entry in GVLK_TABLE), handle)
    return root


def server_state(**service):
    state = {
        "computer_name": "WIN01",
        "os": {
            "caption": "Microsoft Windows Server 2022 Datacenter",
            "edition_id": "ServerDatacenter",
            "build": 20348,
            "product_type": 3,
            "powershell_version": "5.1.20348.2849",
            "dotnet4_version": "4.8.04161",
        },
        "dns_domain": "corp.example",
        "service": {
            "Version": "10.0.20348.1",
            "IsKeyManagementServiceMachine": 0,
            "KeyManagementServiceCurrentCount": -1,
            "RequiredClientCount": -1,
            "KeyManagementServiceListeningPort": 1688,
            "KeyManagementServiceDnsPublishing": True,
            "KeyManagementServiceLowPriority": False,
            "KeyManagementServiceHostCaching": True,
            "KeyManagementServiceProductKeyID": "",
            "VLActivationInterval": 120,
            "VLRenewalInterval": 10080,
            "KeyManagementServiceMachine": "",
            "KeyManagementServicePort": 1688,
            "KeyManagementServiceLookupDomain": "",
        },
        "products": [
            {
                "ID": "gvlk",
                "Name": "Windows(R), ServerDatacenter edition",
                "Description": "Windows(R) Operating System, VOLUME_KMSCLIENT channel",
                "LicenseStatus": 1,
                "PartialProductKey": "6VM33",
                "ProductKeyID": "x",
                "LicenseFamily": "ServerDatacenter",
                "OfflineInstallationId": "",
                "GracePeriodRemaining": 0,
                "LicenseIsAddon": False,
                "IsKeyManagementServiceMachine": 0,
                "DiscoveredKeyManagementServiceMachineName": "",
                "DiscoveredKeyManagementServiceMachinePort": 0,
                "DiscoveredKeyManagementServiceMachineIpAddress": "",
            }
        ],
        "other_products": [],
        "registry": {
            "DnsDomainPublishList": None,
            "EnableKmsLowPriority": None,
            "DisableDnsPublishing": None,
            "KeyManagementServiceVersion": None,
        },
        "registry_wow6432": {"present": True, "KeyManagementServiceVersion": None},
        # a fresh host: Windows' rule SPPSVC-In-TCP exists and is disabled (issue 17 point 1)
        "firewall": {
            "rule_port": None,
            "rule_profiles": None,
            "builtin_exists": True,
            "builtin_enabled": False,
            "builtin_profiles": "Any",
        },
    }
    state["service"].update(service)
    return state


class Harness:
    """One fake Windows machine (a JSON file) and a way to run plays against it."""

    def __init__(self, collection_root, workdir):
        self.collection_root = collection_root
        self.workdir = workdir
        self.state_path = os.path.join(workdir, "fake-windows.json")
        self.log_path = os.path.join(workdir, "executor-calls.jsonl")
        self.ledger_path = os.path.join(workdir, "ledger.json")
        self.inventory = os.path.join(workdir, "inventory.ini")
        with open(self.inventory, "w") as handle:
            handle.write("[windows]\nkms01 ansible_connection=local ansible_python_interpreter=%s\n" % sys.executable)
        self.write_state(server_state())
        self.runs = 0

    def write_state(self, state):
        with open(self.state_path, "w") as handle:
            json.dump(state, handle, indent=2)

    def read_state(self):
        with open(self.state_path) as handle:
            return json.load(handle)

    def executor_calls(self):
        if not os.path.exists(self.log_path):
            return []
        with open(self.log_path) as handle:
            return [json.loads(line) for line in handle if line.strip()]

    def run(self, tasks, *args):
        """Run the tasks (each gets register: rN; failures are kept, not fatal) and return
        (completed process, [results])."""
        self.runs += 1
        out = os.path.join(self.workdir, "results-%d.json" % self.runs)
        play_tasks = []
        for index, task in enumerate(tasks):
            task = copy.deepcopy(task)
            task.setdefault("name", "task %d" % index)
            task["register"] = "r%d" % index
            task["ignore_errors"] = True
            play_tasks.append(task)
        names = ", ".join("r%d | default(None)" % i for i in range(len(tasks)))
        play_tasks.append(
            {
                "name": "Save the results",
                "ansible.builtin.copy": {"content": "{{ [%s] | to_json }}" % names, "dest": out, "mode": "0600"},
                "check_mode": False,
                "diff": False,
            }
        )
        playbook = os.path.join(self.workdir, "play-%d.yml" % self.runs)
        with open(playbook, "w") as handle:
            json.dump([{"hosts": "windows", "gather_facts": False, "tasks": play_tasks}], handle, indent=2)
        env = dict(os.environ)
        env.update(
            {
                "ANSIBLE_COLLECTIONS_PATH": self.collection_root,
                "ANSIBLE_NOCOLOR": "1",
                "ANSIBLE_LOCAL_TEMP": os.path.join(self.workdir, "tmp-local"),
                "ANSIBLE_REMOTE_TEMP": os.path.join(self.workdir, "tmp-remote"),
                "ANSIBLE_RETRY_FILES_ENABLED": "0",
                "ANSIBLE_DEPRECATION_WARNINGS": "0",
                "KMSOPS_FAKE_STATE": self.state_path,
                "KMSOPS_FAKE_LOG": self.log_path,
                "KMSOPS_FAKE_GVLKS": os.path.join(self.collection_root, "gvlks.json"),
            }
        )
        proc = run_playbook(
            playbook,
            self.inventory,
            self.collection_root,
            json_output=False,
            args=args,
            env=env,
            cwd=self.workdir,
            timeout=300,
        )
        results = None
        if os.path.exists(out):
            with open(out) as handle:
                results = json.load(handle)
        assert results is not None, proc.stdout + proc.stderr
        return proc, results


@pytest.fixture
def win(collection_root, tmp_path):
    return Harness(collection_root, str(tmp_path))
