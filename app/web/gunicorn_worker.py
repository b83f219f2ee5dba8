"""gunicorn's gevent worker, sending each response in one TCP segment where the OS allows.

gunicorn writes a response's headers and its body with two separate sends. Each wakes the client
(Zendesk, or a benchmark on the same machine) and, on loopback, the receiving process runs in
between; measured, the second send cost as much as our whole Redis round trip. With TCP_CORK
held while the request is handled, the kernel joins headers and body and sends them when the
cork is pulled at the end of the request. Linux only; elsewhere this is the plain gevent worker.
"""

from __future__ import annotations

import contextlib
import socket

from gunicorn.workers.ggevent import GeventWorker

TCP_CORK = getattr(socket, "TCP_CORK", None)


class CorkedGeventWorker(GeventWorker):
    def handle_request(self, listener_name, req, sock, addr):
        if TCP_CORK is None:
            return super().handle_request(listener_name, req, sock, addr)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, TCP_CORK, 1)
        except OSError:
            return super().handle_request(listener_name, req, sock, addr)
        try:
            return super().handle_request(listener_name, req, sock, addr)
        finally:
            with contextlib.suppress(OSError):  # the client went away
                sock.setsockopt(socket.IPPROTO_TCP, TCP_CORK, 0)  # pulls the cork: what is buffered goes now
