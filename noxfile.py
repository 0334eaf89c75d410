# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The version matrix of kmsops.kms: one nox session per ansible-core version.

    nox                       every version (the `matrix` stage of tests/run_all.sh)
    nox -s matrix-2.16        one version
    nox -l                    the sessions

Each session runs tests/matrix/check.sh on a fresh copy of the collection: the unit tests, the
smoke test (tests/smoke: kms_publish, dns_record and kms_discover against a real named) and
ansible-test sanity. The whole integration suite, Molecule and the rest run once, on the
development version (.venv), in their own stages.

* ``matrix-2.16``: the oldest ansible-core that meta/runtime.yml claims, on this machine's Python
  3.11, in a virtual environment of its own.
* ``matrix-2.21``: the newest ansible-core, which needs Python 3.12+: in a Debian 13 (trixie)
  container with Python 3.13 and BIND 9.20. The image ``kmsops/matrix:2.21`` is built FROM
  ``kmsops/bind:trixie`` (tests/containers/build_images.sh) with ansible-core installed from
  wheels fetched on this machine (``pip download --python-version 3.13 --only-binary=:all:``);
  no registry is pulled from.

What is cached (under KMSOPS_CACHE_DIR, default /var/cache/kmsops-kms, outside the clone, so a
fresh clone on the same machine reuses it): the nox virtual environments, the downloaded wheels
(a directory per hash of the requirements and the Python version), ansible-test's home with its
sanity virtual environments, and the matrix image (labelled with the hash of its inputs: the
requirements, the Dockerfile and the id of its base image; rebuilt when that hash changes).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

import nox

ROOT = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(ROOT, "tests"))

from collection_tree import collection_path, make_tree  # noqa: E402 pylint: disable=wrong-import-position

CACHE = os.environ.get("KMSOPS_CACHE_DIR", "/var/cache/kmsops-kms")
BUILD = os.environ.get("KMSOPS_BUILD_DIR", os.path.join(os.environ.get("TMPDIR", "/tmp"), "kmsops-kms-build"))
REQUIREMENTS = os.path.join(ROOT, "tests", "matrix", "requirements.txt")
DOCKERFILE = os.path.join(ROOT, "tests", "matrix", "Dockerfile")
LABEL = "org.kmsops.context-hash"
# the CA bundle this machine trusts: ansible-test in the container installs its sanity tools
# from PyPI through it
CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"

# ansible-core version -> where it runs. Keep in step with requires_ansible (meta/runtime.yml)
# and the README's "Supported versions".
VERSIONS = {
    "2.16": {"spec": "ansible-core>=2.16,<2.17", "python": "3.11", "suite": None},
    "2.21": {"spec": "ansible-core>=2.21,<2.22", "python": "3.13", "suite": "trixie"},
}

nox.options.envdir = os.path.join(CACHE, "nox")
nox.options.reuse_venv = "yes"
nox.options.default_venv_backend = "venv"
nox.options.error_on_missing_interpreters = True
nox.options.sessions = [f"matrix-{version}" for version in VERSIONS]


def requirement_lines(path=REQUIREMENTS):
    """The requirements of PATH with every ``-r`` include read in place (comments dropped)."""
    lines = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            line = line.split("#", 1)[0].strip()
            if line.startswith("-r "):
                lines += requirement_lines(os.path.join(os.path.dirname(path), line[3:].strip()))
            elif line:
                lines.append(line)
    return lines


def sha256(*parts):
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8") + b"\0")
    return digest.hexdigest()


def fresh_tree(version):
    """A copy of the collection as Galaxy would ship it, for this version only; its path."""
    collections = os.path.join(BUILD, f"matrix-{version}")
    shutil.rmtree(collections, ignore_errors=True)
    return collection_path(make_tree(collections, "copy"))


def ansible_test_home(version):
    home = os.path.join(CACHE, f"ansible-test-home-{version}")
    os.makedirs(home, exist_ok=True)
    return home


def docker_output(*args):
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=False).stdout.strip()


def wheels(session, version):
    """The wheels of VERSION's requirements for its Python, downloaded once per hash of them."""
    config = VERSIONS[version]
    requirements = [config["spec"], *requirement_lines()]
    key = sha256(config["python"], *requirements)[:16]
    directory = os.path.join(CACHE, "wheels", f"py{config['python']}-{key}")
    if os.path.exists(os.path.join(directory, "requirements.txt")):
        session.log(f"reusing the wheels in {directory}")
        return directory
    os.makedirs(os.path.dirname(directory), exist_ok=True)
    partial = tempfile.mkdtemp(prefix="partial-", dir=os.path.dirname(directory))
    session.run(
        sys.executable,
        "-m",
        "pip",
        "download",
        "--quiet",
        "--dest",
        partial,
        "--python-version",
        config["python"],
        "--only-binary=:all:",
        *requirements,
        external=True,
    )
    with open(os.path.join(partial, "requirements.txt"), "w", encoding="utf-8") as handle:
        handle.write("\n".join(requirements) + "\n")
    shutil.rmtree(directory, ignore_errors=True)
    os.rename(partial, directory)  # complete or absent: a broken download is never reused
    return directory


def matrix_image(session, version):
    """kmsops/matrix:VERSION, built FROM kmsops/bind:<suite> unless an up-to-date one exists."""
    config = VERSIONS[version]
    suite = config["suite"]
    session.run(
        os.path.join(ROOT, "tests", "containers", "build_images.sh"),
        "bind",
        env={"KMSOPS_DEBIAN_SUITE": suite},
        external=True,
    )
    base = f"kmsops/bind:{suite}"
    image = f"kmsops/matrix:{version}"
    with open(DOCKERFILE, encoding="utf-8") as handle:
        dockerfile = handle.read()
    want = sha256(
        base,
        docker_output("image", "inspect", "--format", "{{ .Id }}", base),
        dockerfile,
        config["python"],
        config["spec"],
        *requirement_lines(),
    )
    have = docker_output("image", "inspect", "--format", '{{ index .Config.Labels "%s" }}' % LABEL, image)
    if have == want:
        session.log(f"reusing {image}")
        return image
    source = wheels(session, version)
    with tempfile.TemporaryDirectory(prefix="kmsops-matrix-image-") as context:
        shutil.copytree(source, os.path.join(context, "wheels"))
        shutil.copy(DOCKERFILE, os.path.join(context, "Dockerfile"))
        session.run(
            "docker",
            "build",
            "--quiet",
            "--build-arg",
            f"BASE={base}",
            "--label",
            f"{LABEL}={want}",
            "--tag",
            image,
            context,
            external=True,
        )
    return image


def host_session(version):
    config = VERSIONS[version]

    @nox.session(name=f"matrix-{version}", python=config["python"])
    def run(session):
        session.install("--quiet", config["spec"], "-r", REQUIREMENTS)
        tree = fresh_tree(version)
        session.run(os.path.join(tree, "tests", "matrix", "check.sh"), tree, ansible_test_home(version), external=True)

    run.__doc__ = f"ansible-core {version} on Python {config['python']} (this machine, its own venv)"
    return run


def container_session(version):
    config = VERSIONS[version]

    @nox.session(name=f"matrix-{version}", python=False)
    def run(session):
        image = matrix_image(session, version)
        tree = fresh_tree(version)
        collections = os.path.dirname(os.path.dirname(os.path.dirname(tree)))
        inside = "/work/collections/ansible_collections/kmsops/kms"
        mounts = [
            "--volume",
            f"{collections}:/work/collections",
            "--volume",
            f"{ansible_test_home(version)}:/work/home",
            # ::1 as on this machine: the test named listens on both loopback addresses
            "--sysctl",
            "net.ipv6.conf.lo.disable_ipv6=0",
        ]
        if os.path.exists(CA_BUNDLE):
            mounts += ["--volume", f"{CA_BUNDLE}:{CA_BUNDLE}:ro", "--env", f"PIP_CERT={CA_BUNDLE}"]
        session.run(
            "docker",
            "run",
            "--rm",
            "--name",
            f"kmsops-matrix-{version}-{os.getpid()}",
            *mounts,
            image,
            f"{inside}/tests/matrix/check.sh",
            inside,
            "/work/home",
            external=True,
        )

    run.__doc__ = (
        f"ansible-core {version} on Python {config['python']} "
        f"(Debian {config['suite']} container kmsops/matrix:{version})"
    )
    return run


for _version, _config in VERSIONS.items():
    globals()[f"matrix_{_version.replace('.', '_')}"] = (
        container_session(_version) if _config["suite"] else host_session(_version)
    )
