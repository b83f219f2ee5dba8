"""app.web.body_deadline: a request body that takes too long is answered 408, a prompt one passes."""

from __future__ import annotations

import io

import gevent
import pytest

from app.web.body_deadline import BodyDeadline, install_body_deadline


class Trickling:
    """A request body arriving a byte at a time, slower than any deadline here."""

    def read(self, size: int = -1) -> bytes:
        gevent.sleep(5)
        return b"x"


def _call(app, environ) -> tuple[str, bytes]:
    seen = {}

    def start_response(status, headers):
        seen["status"] = status

    body = b"".join(app(environ, start_response))
    return seen["status"], body


def _echo(environ, start_response):
    start_response("202 Accepted", [])
    return [environ["wsgi.input"].read()]


@pytest.mark.parametrize("headers", [{"CONTENT_LENGTH": "100"}, {"HTTP_TRANSFER_ENCODING": "chunked"}])
def test_a_body_slower_than_the_deadline_is_answered_408(headers):
    app = BodyDeadline(_echo, max_body_bytes=1024, seconds=0.05)
    status, _ = _call(app, {"wsgi.input": Trickling(), **headers})
    assert status.startswith("408")


def test_a_prompt_body_reaches_the_app_whole():
    app = BodyDeadline(_echo, max_body_bytes=1024, seconds=1)
    status, body = _call(app, {"wsgi.input": io.BytesIO(b'{"a": 1}'), "CONTENT_LENGTH": "8"})
    assert (status, body) == ("202 Accepted", b'{"a": 1}')


def test_a_declared_length_over_the_limit_is_left_to_the_endpoint_unread():
    app = BodyDeadline(_echo, max_body_bytes=4, seconds=0.05)
    environ = {"wsgi.input": io.BytesIO(b"0123456789"), "CONTENT_LENGTH": "10"}
    assert _call(app, environ)[0] == "202 Accepted"  # the endpoint answers 413 itself


def test_it_is_installed_only_where_gevent_can_interrupt_a_read(app):
    assert install_body_deadline(app, 1024) is False  # the test process is not monkey-patched
