"""The Procfile's web command under trouble: slow clients, a hung Redis, log lines from hostile ids.

Real gunicorn (the Procfile's settings), real sockets; every load is bounded and on loopback.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from app.webhooks.signing import signed_headers
from tests.helpers import SAMPLES, free_port, load_json
from tests.processes import Process, process_env, procfile_command
from tests.slow_clients import SlowClients

pytestmark = [pytest.mark.redis, pytest.mark.slow]

SECRET = "resilience-secret"
COMMENT = load_json(SAMPLES / "ticket_comment_added__end_user_time_sensitive.json")


def _web(tmp_path, redis_url: str, **env) -> tuple[Process, str]:
    port = free_port()
    process = Process(
        procfile_command("web"),
        process_env(PORT=str(port), REDIS_URL=redis_url, ZENDESK_WEBHOOK_SECRET=SECRET, WEB_CONCURRENCY="2", **env),
        tmp_path / "web.log",
    )
    base = f"http://127.0.0.1:{port}"
    process.wait_for_url(base + "/healthz")
    return process, base


def _deliver(base: str, event_id: str | None = None) -> tuple[requests.Response, float]:
    raw = json.dumps({**COMMENT, "id": event_id or str(uuid.uuid4())}).encode()
    # Connection: close, so no idle keep-alive connection makes the worker wait out its graceful timeout.
    headers = {**signed_headers(SECRET, raw), "Connection": "close"}
    started = time.monotonic()
    response = requests.post(base + "/webhooks/zendesk", data=raw, headers=headers, timeout=10)
    return response, time.monotonic() - started


def test_100_slow_clients_leave_signed_webhooks_answered_within_a_second(tmp_path, real_redis, redis_test_url):
    web, base = _web(tmp_path, redis_test_url)
    slow = None
    try:
        slow = SlowClients(int(base.rsplit(":", 1)[1]), 100)
        time.sleep(1)  # every slow connection is open and stuck mid-request
        answers = [_deliver(base) for _ in range(20)]
        assert len(slow.sockets) == 100  # the slow clients were still connected throughout
    finally:
        if slow:
            slow.close()
        web.stop()
    assert [response.status_code for response, _ in answers] == [202] * 20
    assert max(seconds for _, seconds in answers) < 1.0, [round(s, 3) for _, s in answers]


class HangingServer:
    """Accepts TCP connections and reads them, never answering: a Redis that hangs."""

    def __init__(self):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(512)
        self.port = self.listener.getsockname()[1]
        self.connections: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections.append(conn)

    def close(self) -> None:
        self.listener.close()
        for conn in self.connections:
            conn.close()


def test_a_hung_redis_is_answered_503_with_retry_after_within_5_seconds(tmp_path):
    hanging = HangingServer()
    web, base = _web(tmp_path, f"redis://127.0.0.1:{hanging.port}/0")
    try:
        with ThreadPoolExecutor(50) as pool:
            answers = list(pool.map(lambda _: _deliver(base), range(50)))
    finally:
        web.stop()
        hanging.close()
    assert [response.status_code for response, _ in answers] == [503] * 50
    assert {response.headers["Retry-After"] for response, _ in answers} == {"30"}
    assert max(seconds for _, seconds in answers) < 5.0, sorted(round(s, 2) for _, s in answers)[-5:]


def test_a_newline_in_an_event_id_cannot_forge_a_log_line_in_the_web_or_the_worker(
    tmp_path, real_redis, redis_test_url
):
    web, base = _web(tmp_path, redis_test_url)
    worker = Process(procfile_command("worker"), process_env(REDIS_URL=redis_test_url), tmp_path / "worker.log")
    forged = 'x\n{"event": "webhook.zendesk.accepted", "forged": true}\r\x1b[31m'
    try:
        worker.wait_for_output("Listening on")
        response, _ = _deliver(base, event_id=forged)
        assert response.status_code == 202
        worker.wait_for_output("worker.ticket.updated")  # a dry run: the update it would send is logged
    finally:
        web.stop()
        worker.stop()
    escaped = forged.replace("\n", "\\n").replace("\r", "\\r").replace("\x1b", "\\x1b")
    web_records = [json.loads(line) for line in web.output().splitlines()]  # every line is one JSON object
    [accepted] = [r for r in web_records if r["event"] == "webhook.zendesk.accepted"]
    assert accepted["event_id"] == escaped
    worker_records = [json.loads(line) for line in worker.output().splitlines()]
    [updated] = [r for r in worker_records if r["event"] == "worker.ticket.updated"]
    assert updated["event_id"] == escaped
    assert not any(r.get("forged") for r in web_records + worker_records)
