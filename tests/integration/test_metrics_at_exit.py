"""Webhook outcomes buffered in a process reach Redis when it stops cleanly, not only every
METRICS_FLUSH_INTERVAL_SECONDS (app.infra.metrics.flush_all)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest
import requests

from app.redis_keys import METRICS_WEBHOOK_OUTCOMES
from app.webhooks.signing import signed_headers
from tests.helpers import REPO, SAMPLES, free_port
from tests.processes import Process, process_env, procfile_command

pytestmark = pytest.mark.redis


def outcomes(connection) -> dict[str, int]:
    return {k.decode(): int(v) for k, v in connection.hgetall(METRICS_WEBHOOK_OUTCOMES).items()}


def test_a_gunicorn_worker_writes_its_buffered_counts_when_it_stops(tmp_path, real_redis, redis_test_url):
    port = free_port()
    env = process_env(PORT=str(port), REDIS_URL=redis_test_url, ZENDESK_WEBHOOK_SECRET="exit-secret")
    env["WEB_CONCURRENCY"] = "1"
    # The Procfile's command with an app whose periodic flush is an hour away.
    argv = [*procfile_command("web")[:-1], "tests.integration.slow_flush_app:create_app()"]
    web = Process(argv, env, tmp_path / "web.log")
    try:
        web.wait_for_url(f"http://127.0.0.1:{port}/healthz")
        raw = (SAMPLES / "ticket_created__urgent_incident.json").read_bytes()
        for _ in range(3):
            # No idle keep-alive connection left behind: gunicorn waits for those until its
            # graceful timeout, and the master kills the worker then (no exit hook runs).
            forged = {**signed_headers("not-the-secret", raw), "Connection": "close"}
            answer = requests.post(f"http://127.0.0.1:{port}/webhooks/zendesk", data=raw, headers=forged, timeout=5)
            assert answer.status_code == 401
        time.sleep(0.5)
        assert outcomes(real_redis) == {}  # still in the worker's memory
        web.popen.send_signal(signal.SIGTERM)  # a deploy: gunicorn's master stops its workers
        assert web.popen.wait(timeout=30) == 0, web.output()[-3000:]
    finally:
        web.stop()
    assert outcomes(real_redis) == {"invalid-signature": 3}, web.output()[-3000:]


@pytest.mark.parametrize("ending", ["return", "KeyboardInterrupt"])
def test_any_process_writes_its_buffered_counts_at_exit(real_redis, redis_test_url, ending):
    """`escalator serve` ends on Ctrl-C (KeyboardInterrupt, or RQ's warm shutdown and a return)."""
    script = f"""
import redis
from app.infra.metrics import OutcomeCounter

counter = OutcomeCounter(redis.Redis.from_url({redis_test_url!r}), interval=3600)
counter.add("invalid-signature")
counter.add("too-large")
if {ending!r} == "KeyboardInterrupt":
    raise KeyboardInterrupt
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=30)
    assert done.returncode == (0 if ending == "return" else -signal.SIGINT), done.stderr
    assert outcomes(real_redis) == {"invalid-signature": 1, "too-large": 1}
