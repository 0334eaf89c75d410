# Copyright: kmsops.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Relays in front of the real named: a TCP relay that does something to the server at an exact
moment (TripwireProxy), and a relay that passes UDP and refuses TCP (UdpOnlyRelay).

DNS over TCP passes through unchanged in both directions, one framed message at a time. The relay
counts the UPDATE messages the client sends and calls ``trip()`` once (the fault tests stop or kill
named there) at one of two points of the Nth UPDATE, both the same on every run:

* ``moment="before"``: instead of handing it to named; the message is dropped, so named never has it;
* ``moment="answered"``: when named's answer to it arrives; the answer is dropped, so named has
  committed the UPDATE (BIND answers after writing its journal) and the client never learns it.

After the trip the relay passes nothing more and keeps the client's connection open (unless
``trip()`` closes the relay): a client waiting for its answer times out rather than see the
connection close and send its UPDATE again. Nothing races the signal: named is idle at both points.
It answers nothing itself: every answer the client gets comes from named.
"""

from __future__ import annotations

import contextlib
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


MOMENTS = ("before", "answered")


class TripwireProxy:
    def __init__(self, upstream_port, after_updates, trip, moment, address="127.0.0.1"):
        if moment not in MOMENTS:
            raise ValueError(f"moment must be one of {MOMENTS}")
        self.upstream = (address, upstream_port)
        self.after_updates = after_updates
        self.trip = trip
        self.moment = moment
        self.updates = 0
        self.tripped = threading.Event()
        self._awaited = None  # the id of the UPDATE whose answer trips (moment "answered")
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
        for sock in [self.listener, *sockets]:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
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

    def _fire(self):
        self.tripped.set()  # from now on nothing passes, in either direction
        self.trip()

    def _client_to_server(self, client, server):
        try:
            while True:
                message = read_message(client)
                if message is None:
                    break
                if len(message) > 4 and (message[4] >> 3) & 0xF == OPCODE_UPDATE:
                    with self._lock:
                        self.updates += 1
                        nth = self.updates == self.after_updates
                        if nth and self.moment == "answered":
                            self._awaited = message[2:4]
                    if nth and self.moment == "before":
                        self._fire()  # named never sees this UPDATE
                if not self.tripped.is_set():
                    server.sendall(message)
        except OSError:
            pass
        finally:
            for sock in (client, server):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def _server_to_client(self, client, server):
        try:
            while True:
                answer = read_message(server)
                if answer is None:
                    break
                with self._lock:
                    awaited = self._awaited is not None and answer[2:4] == self._awaited
                if awaited:
                    self._fire()  # named has answered (and committed) this UPDATE; the client never hears it
                if not self.tripped.is_set():
                    client.sendall(answer)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                client.shutdown(socket.SHUT_RDWR)


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
