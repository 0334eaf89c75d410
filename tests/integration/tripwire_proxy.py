# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Relays in front of the real named: a TCP relay that does something to the server at an exact
moment (TripwireProxy), and a relay that passes UDP and refuses TCP (UdpOnlyRelay).

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


class UdpOnlyRelay:
    """A relay in front of the real named that serves UDP only, as behind a firewall that lets DNS
    over UDP through and refuses TCP.

    Every UDP datagram goes to named and named's answer comes back unchanged (named sets TC itself
    when the answer does not fit). TCP to the same port is refused: the port is bound and never
    listens, so a connect gets RST (ECONNREFUSED). It answers nothing itself.
    """

    def __init__(self, upstream_port, address="127.0.0.1"):
        self.upstream = (address, upstream_port)
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind((address, 0))
        self.port = self.udp.getsockname()[1]
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.bind((address, self.port))  # bound, never listening: TCP connects are refused
        self.truncated = 0  # answers with TC passed on
        threading.Thread(target=self._relay, daemon=True).start()

    def close(self):
        for sock in (self.udp, self.tcp):
            sock.close()

    def _relay(self):
        while True:
            try:
                query, client = self.udp.recvfrom(65535)
            except OSError:
                return
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as upstream:
                upstream.settimeout(5)
                try:
                    upstream.sendto(query, self.upstream)
                    answer = upstream.recvfrom(65535)[0]
                except OSError:
                    continue
            if len(answer) > 2 and answer[2] & 0x02:  # TC
                self.truncated += 1
            try:
                self.udp.sendto(answer, client)
            except OSError:
                return
