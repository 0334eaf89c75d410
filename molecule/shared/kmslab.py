# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers the testinfra verifiers of the Molecule scenarios share.

The scenarios' molecule.yml put this directory on PYTHONPATH. Everything here reads the
containers from outside (``dig`` from a client, the discovery module run on a client through
Ansible, the Docker CLI on the controller) so that a test sees what a host of the site sees.
"""

from __future__ import annotations

import contextlib
import json
import os
import pathlib
import shutil
import subprocess
import tempfile
import time

import testinfra
import yaml

STANDIN_PID = "/run/kms-standin.pid"
STANDIN_START = "nohup python3 /usr/local/bin/kms-standin-listener >/dev/null 2>&1 & echo $! > " + STANDIN_PID
REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]


def inventory_dir():
    """The scenario's inventory directory (Molecule's hosts file + the linked inventory)."""
    return pathlib.Path(os.environ["MOLECULE_INVENTORY_FILE"]).parent


def host(name):
    """A testinfra host for a container of the scenario (docker exec through Ansible)."""
    return testinfra.get_host("ansible://" + name + "?ansible_inventory=" + str(inventory_dir()))


def dig(client, server, name, rdtype, port=53, timeout=2):
    """Ask ``server`` from ``client`` with dig +short; the answer's lines, sorted.

    Raises AssertionError when dig does not get an answer (timeout, REFUSED, ...), with the
    status dig reports, so a test can expect that too (see dig_status).
    """
    result = client.run("dig +short +time=%s +tries=1 -p %s @%s %s %s", str(timeout), str(port), server, name, rdtype)
    assert result.rc == 0, "dig @%s %s %s failed: %s%s" % (server, name, rdtype, result.stdout, result.stderr)
    return sorted(line for line in result.stdout.splitlines() if line and not line.startswith(";"))


def dig_status(client, server, name, rdtype, timeout=2):
    """What dig reports for a query: the header status (NOERROR, REFUSED, ...) or 'timeout'."""
    result = client.run("dig +time=%s +tries=1 @%s %s %s", str(timeout), server, name, rdtype)
    if "timed out" in result.stdout or "no servers could be reached" in result.stdout:
        return "timeout"
    for line in result.stdout.splitlines():
        if "status:" in line:
            return line.split("status:", 1)[1].split(",", 1)[0].strip()
    return "no answer (rc %d): %s %s" % (result.rc, result.stdout, result.stderr)


def srv_values(client, server, domain):
    """The SRV values at _vlmcs._tcp.<domain> as (priority, weight, port, target) tuples."""
    values = []
    for line in dig(client, server, "_vlmcs._tcp." + domain, "SRV"):
        priority, weight, port, target = line.split()
        values.append((int(priority), int(weight), int(port), target.rstrip(".").lower()))
    return sorted(values)


def discover(client, domains, nameservers, seed=None, probe=True, timeout=2):
    """Run kmsops.kms.kms_discover on ``client`` (as a client of its site does)."""
    args = {
        "domains": list(domains),
        "nameservers": list(nameservers),
        "probe": probe,
        "timeout": timeout,
    }
    if seed is not None:
        args["seed"] = seed
    result = client.ansible("kmsops.kms.kms_discover", json.dumps(args), check=False)
    assert not result.get("failed"), result
    return result


def order(result):
    """Targets of a discovery result in the order a client tries them."""
    return [candidate["target"] for candidate in result["candidates"]]


def selected(result):
    """The target the client uses, or None."""
    return result["selected"]["target"] if result["selected"] else None


def _listening(kms_host, port=1688):
    return ":%d " % port in kms_host.run("ss -Hltn").stdout


def _wait(predicate, what, seconds=10):
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting for " + what
        time.sleep(0.2)


@contextlib.contextmanager
def standin_stopped(kms_host):
    """Stop the stand-in KMS listener of ``kms_host`` (host up, port 1688 closed); restart it."""
    kms_host.run_test("kill $(cat %s)", STANDIN_PID)
    _wait(lambda: not _listening(kms_host), "the stand-in to stop")
    try:
        yield
    finally:
        kms_host.run_test(STANDIN_START)
        _wait(lambda: _listening(kms_host), "the stand-in to listen again")


def container_address(container, network):
    """IPv4 address of a container on a Docker network (empty when not attached)."""
    return subprocess.run(
        [
            "docker",
            "inspect",
            "-f",
            '{{with index .NetworkSettings.Networks "%s"}}{{.IPAddress}}{{end}}' % network,
            container,
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


@contextlib.contextmanager
def network_cut(container, network):
    """Disconnect ``container`` from ``network``; reconnect it with the same address after."""
    address = container_address(container, network)
    assert address, "%s is not on %s" % (container, network)
    subprocess.run(["docker", "network", "disconnect", network, container], check=True)
    try:
        yield
    finally:
        subprocess.run(["docker", "network", "connect", "--ip", address, network, container], check=True)


def run_site(edit_hosts=None, limit=None, extra_vars=None):
    """Run the collection's site.yml against the scenario inventory, optionally edited.

    ``edit_hosts`` gets the parsed inventory/hosts.yml and changes it in place (for example
    removes a host); the run then uses a copy of the scenario inventory with that change.
    Returns the CompletedProcess; raises with the output when the run fails.
    """
    source = inventory_dir()
    with tempfile.TemporaryDirectory(prefix="kmsops-inventory-") as tmp:
        inventory = pathlib.Path(tmp)
        shutil.copy(source / "ansible_inventory.yml", inventory / "ansible_inventory.yml")
        shutil.copytree(source / "group_vars", inventory / "group_vars")
        hosts = yaml.safe_load((source / "hosts").read_text())
        if edit_hosts:
            edit_hosts(hosts)
        (inventory / "hosts.yml").write_text(yaml.safe_dump(hosts))
        command = ["ansible-playbook", "-i", str(inventory), str(REPO_ROOT / "site.yml")]
        if limit:
            command += ["--limit", limit]
        if extra_vars:
            command += ["--extra-vars", json.dumps(extra_vars)]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    return result


def remove_host(hosts, name):
    """Remove a host from every group of a parsed YAML inventory (in place)."""

    def walk(group):
        if not isinstance(group, dict):
            return
        (group.get("hosts") or {}).pop(name, None)
        for child in (group.get("children") or {}).values():
            walk(child)

    walk(hosts["all"])
    return hosts


def named_log(dns_host, path="/var/cache/bind/named.log"):
    """BIND's log on the DNS host (dns_bind_log_file of the scenarios)."""
    return dns_host.file(path).content_string


def srv_order(values, seed):
    """The collection's srv_order filter (RFC 2782 order) from the collection under test."""
    import sys  # pylint: disable=import-outside-toplevel

    for path in reversed(os.environ["ANSIBLE_COLLECTIONS_PATH"].split(os.pathsep)):
        if path not in sys.path:
            sys.path.insert(0, path)
    from ansible_collections.kmsops.kms.plugins.filter import kms_filters  # pylint: disable=import-outside-toplevel

    return kms_filters.srv_order(values, seed=seed)
