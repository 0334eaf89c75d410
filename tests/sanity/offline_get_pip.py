# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stand-in for ansible-test's pip bootstrap script where ci-files.testing.ansible.com is unreachable.

ansible-test downloads ``get-pip-<version>.py`` into ``~/.ansible/test/cache/`` to put pip into the
empty virtual environments its sanity tests run in. That host cannot be reached from our CI, but
PyPI can: this script puts pip in with the interpreter's own ``ensurepip`` and then installs the
packages ansible-test asked for (its pinned pip, setuptools, wheel) from PyPI.
"""

from __future__ import annotations

import ensurepip
import os
import subprocess
import sys

CA_BUNDLES = ("/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt")


def main():
    ensurepip.bootstrap(upgrade=True)
    args = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
    # ansible-test runs this with a reduced environment: point pip at the system CA bundle again
    cert = [option for bundle in CA_BUNDLES if os.path.exists(bundle) for option in ("--cert", bundle)][:2]
    subprocess.check_call([sys.executable, "-m", "pip", "install", *cert, *args])


if __name__ == "__main__":
    main()
