# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stand-in KMS hosts for tests on loopback: TCP listeners that accept and say nothing (the
collection never answers the KMS protocol), all on one free port."""

from __future__ import annotations

import contextlib
import socket


@contextlib.contextmanager
def silent_listeners(addresses):
    """Listen on every address of ``addresses`` on one free port; yield the port."""
    probe = socket.socket()
    probe.bind((addresses[0], 0))
    port = probe.getsockname()[1]
    probe.close()
    listeners = []
    try:
        for address in addresses:
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((address, port))
            sock.listen(16)
            listeners.append(sock)
        yield port
    finally:
        for sock in listeners:
            sock.close()
