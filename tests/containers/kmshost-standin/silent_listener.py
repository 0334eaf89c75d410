# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A silent TCP listener that stands in for a KMS host in container tests.

It accepts connections on the KMS port (1688 by default) and never sends a byte: a client's
TCP connect succeeds (the host is reachable), and that is all. It reads and discards what a
peer sends and closes the connection after the peer closes or after an idle timeout. It is not
a KMS server and does not implement or answer the KMS activation protocol.

Run with python3 (no shebang on purpose: the image calls ``python3`` explicitly).
Environment: KMS_STANDIN_PORT (default 1688), KMS_STANDIN_IDLE (seconds, default 30),
KMS_STANDIN_MAX_CONNECTIONS (default 64; more are closed at once).
"""

from __future__ import annotations

import os
import selectors
import socket
import time


def listening_socket(port):
    """Bind to all addresses: dual-stack IPv6 when the kernel offers it, IPv4 otherwise."""
    try:
        sock = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        address = ("::", port)
    except OSError:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        address = ("0.0.0.0", port)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError:
        sock.close()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("0.0.0.0", port))
    sock.listen(64)
    sock.setblocking(False)
    return sock


def serve(port, idle, max_connections):
    selector = selectors.DefaultSelector()
    server = listening_socket(port)
    selector.register(server, selectors.EVENT_READ, None)
    last_seen = {}
    while True:
        for key, _events in selector.select(timeout=1.0):
            if key.data is None:
                try:
                    conn, _peer = server.accept()
                except OSError:
                    continue
                if len(last_seen) >= max_connections:
                    conn.close()
                    continue
                conn.setblocking(False)
                selector.register(conn, selectors.EVENT_READ, "peer")
                last_seen[conn] = time.monotonic()
            else:
                conn = key.fileobj
                try:
                    data = conn.recv(4096)  # read and discard; never answer
                except OSError:
                    data = b""
                if data:
                    last_seen[conn] = time.monotonic()
                else:
                    selector.unregister(conn)
                    last_seen.pop(conn, None)
                    conn.close()
        now = time.monotonic()
        for conn, seen in list(last_seen.items()):
            if now - seen > idle:
                selector.unregister(conn)
                del last_seen[conn]
                conn.close()


def main():
    serve(
        int(os.environ.get("KMS_STANDIN_PORT", "1688")),
        float(os.environ.get("KMS_STANDIN_IDLE", "30")),
        int(os.environ.get("KMS_STANDIN_MAX_CONNECTIONS", "64")),
    )


if __name__ == "__main__":
    main()
