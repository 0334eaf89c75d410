# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A TCP relay in front of the real named that does something to the server at an exact moment.

DNS over TCP passes through unchanged in both directions. The relay counts the UPDATE messages the
client sends; right after the Nth one has been handed to named it calls ``trip()`` once (the fault
tests stop or kill named there), so "in the middle of a run" is the same point on every run.
It answers nothing itself: every answer the client gets comes from named.
"""

from __future__ import annotations

import socket
import struct
import threading

OPCODE_UPDATE = 5


def _read_exactly(sock, count):
    data = b""
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def read_message(sock):
    """One DNS message over TCP with its 2-byte length prefix, or None when the peer closed."""
    try:
        length = _read_exactly(sock, 2)
        return length + _read_exactly(sock, struct.unpack("!H", length)[0])
    except EOFError:
        return None


class TripwireProxy:
    def __init__(self, upstream_port, after_updates, trip, address="127.0.0.1"):
        self.upstream = (address, upstream_port)
        self.after_updates = after_updates
        self.trip = trip
        self.updates = 0
        self.tripped = threading.Event()
        self._lock = threading.Lock()
        self._sockets = []
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind((address, 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self):
        """Stop listening and drop every relayed connection (new connections are refused)."""
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in [self.listener] + sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def _accept(self):
        while True:
            try:
                client, _address = self.listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            with self._lock:
                self._sockets += [client, server]
            threading.Thread(target=self._client_to_server, args=(client, server), daemon=True).start()
            threading.Thread(target=self._server_to_client, args=(client, server), daemon=True).start()

    def _client_to_server(self, client, server):
        try:
            while True:
                length = _read_exactly(client, 2)
                message = _read_exactly(client, struct.unpack("!H", length)[0])
                server.sendall(length + message)
                if len(message) > 2 and (message[2] >> 3) & 0xF == OPCODE_UPDATE:
                    with self._lock:
                        self.updates += 1
                        fire = self.updates == self.after_updates
                    if fire:
                        self.tripped.set()
                        self.trip()
        except (EOFError, OSError):
            pass
        finally:
            for sock in (client, server):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    @staticmethod
    def _server_to_client(client, server):
        try:
            while True:
                data = server.recv(65536)
                if not data:
                    break
                client.sendall(data)
        except OSError:
            pass
        finally:
            try:
                client.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
