# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A real BIND 9 ``named`` on loopback for the integration tests.

The server is started from a temporary directory with a generated configuration:

* a pool of sites, each a zone ``siteNN.example`` plus a child zone ``branch.siteNN.example``
  (both primary on this server), so each test gets zones nobody else touches;
* TSIG keys made with the real ``tsig-keygen``:
  ``kms-publisher`` may change only ``_vlmcs._tcp.<zone>`` SRV and the A/AAAA records of the
  KMS host names ``kms1`` .. ``kms4`` in each zone (least privilege, as the dns_bind role does);
  ``other-writer`` and ``admin`` may change anything in the zones (another writer / an admin);
  ``md5-key`` (hmac-md5) and ``sha512-key`` (hmac-sha512) prove other algorithms;
* ``refused.example``: a zone whose update-policy grants nothing to anyone.

Records are read back with ``dig``, an independent client.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request

KMS_HOST_LABELS = ("kms1", "kms2", "kms3", "kms4")
KEYS = {
    "kms-publisher": "hmac-sha256",
    "other-writer": "hmac-sha256",
    "admin": "hmac-sha256",
    "md5-key": "hmac-md5",
    "sha512-key": "hmac-sha512",
}


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
        tcp.bind(("127.0.0.1", 0))
        port = tcp.getsockname()[1]
    # the same port must be free for UDP and on ::1 too
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.bind(("127.0.0.1", port))
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        with socket.socket(socket.AF_INET6, kind) as sock6:
            sock6.bind(("::1", port))
    return port


class NamedServer:
    """Start, query and stop one ``named``."""

    address = "127.0.0.1"

    def __init__(self, sites=150, workdir=None, statistics=False, check_names=None, startup_seconds=20):
        self.sites = sites
        self.startup_seconds = startup_seconds  # until the first zone answers (thousands of zones load slowly)
        # BIND's check-names for primary zones (default: fail). "warn" or "ignore" lets the zones
        # hold names that are not host names (old_kms.<zone> as an SRV target), as Windows DNS does
        self.check_names = check_names
        self.statistics = statistics  # open BIND's statistics channel (HTTP/JSON) on loopback
        self.statistics_port = None
        self.workdir = workdir or tempfile.mkdtemp(prefix="kmsops-named-")
        self.port = None
        self.proc = None
        self._conf = None
        self.keys = {}  # name -> (algorithm, secret)
        self.key_files = {}  # name -> path of the tsig-keygen output
        self._next_site = 0

    # -- setup -------------------------------------------------------------------------------
    def _make_keys(self):
        for name, algorithm in KEYS.items():
            text = subprocess.run(
                ["tsig-keygen", "-a", algorithm, name], check=True, capture_output=True, text=True
            ).stdout
            path = os.path.join(self.workdir, name + ".key")
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.chmod(path, 0o600)
            secret = re.search(r'secret\s+"([^"]+)"', text).group(1)
            self.keys[name] = (algorithm, secret)
            self.key_files[name] = path

    @staticmethod
    def _zone_text(zone):
        return (
            "$TTL 3600\n"
            f"@ IN SOA ns1.{zone}. hostmaster.{zone}. 1 3600 600 86400 300\n"
            f"@ IN NS ns1.{zone}.\n"
            "ns1 IN A 127.0.0.1\n"
        )

    def zone_names(self):
        names = []
        for index in range(1, self.sites + 1):
            names.append(f"site{index:02d}.example")
            names.append(f"branch.site{index:02d}.example")
        return names

    def _policy(self, zone):
        grants = [f"grant kms-publisher name _vlmcs._tcp.{zone}. SRV TXT;"]
        grants += [f"grant kms-publisher name {label}.{zone}. A AAAA;" for label in KMS_HOST_LABELS]
        grants += [
            "grant other-writer zonesub ANY;",
            "grant admin zonesub ANY;",
            "grant md5-key zonesub ANY;",
            "grant sha512-key zonesub ANY;",
        ]
        return "\n    ".join(grants)

    def _write_config(self):
        lines = [f'include "{path}";' for path in self.key_files.values()]
        statistics = ""
        if self.statistics_port:
            statistics = (
                f"statistics-channels {{ inet 127.0.0.1 port {self.statistics_port} allow {{ 127.0.0.1; }}; }};\n"
            )
        lines.append(
            "options {\n"
            f'  directory "{self.workdir}";\n'
            f'  pid-file "{self.workdir}/named.pid";\n'
            f"  listen-on port {self.port} {{ 127.0.0.1; }};\n"
            f"  listen-on-v6 port {self.port} {{ ::1; }};\n"
            "  recursion no;\n"
            "  allow-query { any; };\n"
            "  notify no;\n"
            "  dnssec-validation no;\n"
            "  session-keyfile none;\n"
            + (f"  check-names primary {self.check_names};\n" if self.check_names else "")
            + "};\n"
            "controls { };\n"
            f"{statistics}"
            "logging {\n"
            f'  channel main {{ file "{self.workdir}/named.log"; severity info; print-time yes; }};\n'
            "  category default { main; };\n"
            "  category update { main; };\n"
            "  category update-security { main; };\n"
            "};\n"
        )
        for zone in [*self.zone_names(), "refused.example"]:
            path = os.path.join(self.workdir, zone + ".zone")
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(self._zone_text(zone))
            if zone == "refused.example":
                policy = "allow-update { none; };"
            else:
                policy = f"update-policy {{\n    {self._policy(zone)}\n  }};"
            lines.append(f'zone "{zone}" {{\n  type primary;\n  file "{path}";\n  {policy}\n}};\n')
        conf = os.path.join(self.workdir, "named.conf")
        with open(conf, "w", encoding="utf-8") as handle:
            handle.write("\n".join(lines))
        subprocess.run(["named-checkconf", conf], check=True)
        return conf

    def start(self):
        self._make_keys()
        self.port = free_port()
        if self.statistics:
            self.statistics_port = free_port()
        self._conf = self._write_config()
        return self._launch()

    def _launch(self):
        # named keeps its own copy of the log's descriptor
        with open(os.path.join(self.workdir, "named.stderr"), "a", encoding="utf-8") as log:
            self.proc = subprocess.Popen(
                ["named", "-g", "-c", self._conf, "-n", "1"], stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.time() + self.startup_seconds
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("named exited: " + self.read_log())
            if self.serial("site01.example") is not None:
                return self
            time.sleep(0.1)
        raise RuntimeError(f"named did not answer in {self.startup_seconds} s: " + self.read_log())

    def restart(self):
        """Start named again on the same port and files (after it was killed): it reloads its zones
        and journals, as after a crash."""
        if self.proc and self.proc.poll() is None:
            raise RuntimeError("named is still running")
        return self._launch()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)  # a stopped named would never see the TERM
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def read_log(self):
        text = ""
        for name in ("named.stderr", "named.log"):
            path = os.path.join(self.workdir, name)
            if os.path.exists(path):
                with open(path, encoding="utf-8", errors="replace") as handle:
                    text += handle.read()
        return text

    def allocate_site(self):
        """Hand out a site zone (and its branch child zone) that no other test uses."""
        self._next_site += 1
        if self._next_site > self.sites:
            raise RuntimeError("the named fixture ran out of site zones; raise NamedServer(sites=...)")
        return f"site{self._next_site:02d}.example"

    # -- counting what the server received -------------------------------------------------
    def server_statistics(self):
        """BIND's server statistics, read from its statistics channel (JSON)."""
        if not self.statistics_port:
            raise RuntimeError("start NamedServer(statistics=True) to read the statistics channel")
        url = f"http://127.0.0.1:{self.statistics_port}/json/v1/server"
        with urllib.request.urlopen(url, timeout=10) as response:
            return json.load(response)

    def messages_received(self):
        """The DNS messages the server has received so far (every opcode), as BIND counts them."""
        return sum(self.server_statistics().get("opcodes", {}).values())

    # -- reading back with dig ---------------------------------------------------------------
    def dig_answer(self, name, rdtype):
        """Return [(ttl, rdata text), ...] of the answer, read with dig over TCP."""
        out = subprocess.run(
            [
                "dig",
                "+tcp",
                "+norecurse",
                "+noall",
                "+answer",
                "+nottlunits",
                "-p",
                str(self.port),
                "@" + self.address,
                name,
                rdtype,
            ],
            check=True,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout
        answer = []
        for line in out.splitlines():
            parts = line.split(None, 4)
            if len(parts) == 5 and parts[3].upper() == rdtype.upper():
                answer.append((int(parts[1]), parts[4].strip()))
        return sorted(answer, key=lambda item: item[1].lower())

    def dig(self, name, rdtype):
        """Return the sorted rdata texts of NAME/RDTYPE (lower-cased names)."""
        return sorted(value.lower() for _ttl, value in self.dig_answer(name, rdtype))

    def ttls(self, name, rdtype):
        return {ttl for ttl, _value in self.dig_answer(name, rdtype)}

    def serial(self, zone):
        try:
            out = subprocess.run(
                [
                    "dig",
                    "+short",
                    "+norecurse",
                    "+time=1",
                    "+tries=1",
                    "-p",
                    str(self.port),
                    "@" + self.address,
                    zone,
                    "SOA",
                ],
                capture_output=True,
                text=True,
                timeout=5,
                check=False,
            ).stdout.split()
        except subprocess.TimeoutExpired:
            return None
        if len(out) >= 3 and out[2].isdigit():
            return int(out[2])
        return None

    def nsupdate(self, key, commands):
        """Send an update with the real nsupdate (an independent writer)."""
        script = f"server {self.address} {self.port}\n" + commands.strip() + "\nsend\n"
        return subprocess.run(
            ["nsupdate", "-v", "-k", self.key_files[key]],
            input=script,
            capture_output=True,
            text=True,
            timeout=15,
            check=True,
        )
