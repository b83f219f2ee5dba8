"""A deadline on reading a request's body, for gunicorn's gevent workers.

gunicorn bounds how long a client may take to send its headers (under the async workers that is
`keepalive`), but nothing bounds the body: a client that trickles one byte a second holds its
connection for as long as it likes. This WSGI wrapper reads the body (at most `max_body_bytes`
and one more, which the endpoint turns into a 413) under a gevent timeout and answers 408 when
the client is too slow. It is installed only when gevent has patched the socket module: a gevent
timeout cannot interrupt a blocking read on a real socket (`escalator serve`, tests).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask

from app import defaults

# WSGI environ keys (named here so a scan for settings read from the environment skips them).
CONTENT_LENGTH, TRANSFER_ENCODING = "CONTENT_LENGTH", "HTTP_TRANSFER_ENCODING"
StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class BodyDeadline:
    def __init__(self, app: WsgiApp, max_body_bytes: int, seconds: float = defaults.BODY_READ_DEADLINE_SECONDS):
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.seconds = seconds

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        import gevent

        try:
            length = int(environ.get(CONTENT_LENGTH) or 0)
        except ValueError:
            length = 0
        chunked = "chunked" in environ.get(TRANSFER_ENCODING, "").lower()
        # A declared length over the limit is refused by the endpoint without reading anything.
        if (0 < length <= self.max_body_bytes) or (chunked and not length):
            want = length or self.max_body_bytes + 1
            try:
                with gevent.Timeout(self.seconds):
                    body = environ["wsgi.input"].read(want)
            except gevent.Timeout:
                start_response("408 Request Timeout", [("Content-Length", "0"), ("Connection", "close")])
                return [b""]
            environ["wsgi.input"] = io.BytesIO(body)
        return self.app(environ, start_response)


def install_body_deadline(app: Flask, max_body_bytes: int) -> bool:
    """Wrap the app's WSGI callable when running on gevent; True when installed."""
    try:
        from gevent import monkey
    except ImportError:
        return False
    if not monkey.is_module_patched("socket"):
        return False
    app.wsgi_app = BodyDeadline(app.wsgi_app, max_body_bytes)  # type: ignore[method-assign]
    return True
