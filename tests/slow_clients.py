"""Slow clients for the web tier: connections that send a request a byte every half second and
never finish it, half stalled in the headers, half in a declared 100 KB body. Used by the web
resilience test, the fault suite and `bench/slow_clients.py`."""

from __future__ import annotations

import socket
import threading

HEAD = b"POST /webhooks/zendesk HTTP/1.1\r\nHost: x\r\n"


class SlowClients:
    def __init__(self, port: int, count: int):
        self.sockets: list[socket.socket] = []
        for index in range(count):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            if index % 2:
                sock.sendall(HEAD + b"Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{")
            else:
                sock.sendall(HEAD + b"X-Pad: a")
            self.sockets.append(sock)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._trickle, daemon=True)
        self._thread.start()

    def _trickle(self) -> None:
        while not self._stop.wait(0.5):
            for sock in list(self.sockets):
                try:
                    sock.send(b"a")
                except OSError:
                    self.sockets.remove(sock)  # the server gave up on it

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        for sock in self.sockets:
            sock.close()
