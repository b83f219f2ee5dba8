"""The Procfile's web command, really run: gunicorn serving the app factory on a free port."""

from __future__ import annotations

import subprocess

import pytest
import requests

from app.infra.queueing import make_queue, make_queues
from app.webhooks.signing import signed_headers
from tests.helpers import SAMPLES, free_port
from tests.processes import BIN, Process, process_env, procfile_command

pytestmark = pytest.mark.redis


@pytest.fixture
def gunicorn(tmp_path, real_redis, redis_test_url):
    port = free_port()
    env = process_env(
        PORT=str(port), REDIS_URL=redis_test_url, ZENDESK_WEBHOOK_SECRET="gunicorn-secret", WEB_CONCURRENCY="2"
    )
    process = Process(procfile_command("web"), env, tmp_path / "gunicorn.log")
    base = f"http://127.0.0.1:{port}"
    try:
        process.wait_for_url(base + "/healthz")
        yield base, process
    finally:
        process.stop()


def test_gunicorn_accepts_a_replayed_webhook_and_enqueues_it(gunicorn, real_redis):
    base, _process = gunicorn
    replay = subprocess.run(
        [
            str(BIN / "escalator"),
            "replay",
            str(SAMPLES / "ticket_created__urgent_incident.json"),
            "--url",
            base + "/webhooks/zendesk",
            "--secret",
            "gunicorn-secret",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert replay.returncode == 0, replay.stdout + replay.stderr
    assert " 202 " in replay.stdout
    assert make_queue(real_redis, "escalator-urgent").count == 1  # "URGENT: API returning 503"
    assert requests.get(base + "/readyz", timeout=5).json()["redis"] == "ok"


def test_gunicorn_refuses_a_fresh_body_signed_with_another_secret(gunicorn, real_redis):
    """Only the HMAC is wrong: a fresh timestamp, the right headers, a real event. The same body
    signed with the right secret is accepted, so the 401 can only come from the HMAC check."""
    base, _ = gunicorn
    raw = (SAMPLES / "ticket_created__urgent_incident.json").read_bytes()
    forged = signed_headers("not-the-secret", raw)  # timestamp: now
    response = requests.post(base + "/webhooks/zendesk", data=raw, timeout=5, headers=forged)
    assert response.status_code == 401
    assert sum(queue.count for queue in make_queues(real_redis, "escalator")) == 0

    genuine = signed_headers("gunicorn-secret", raw, forged["X-Zendesk-Webhook-Signature-Timestamp"])
    assert requests.post(base + "/webhooks/zendesk", data=raw, timeout=5, headers=genuine).status_code == 202
    assert sum(queue.count for queue in make_queues(real_redis, "escalator")) == 1


def test_gunicorn_says_once_at_start_up_whether_redis_keeps_its_data(gunicorn):
    _, process = gunicorn
    lines = [line for line in process.output().splitlines() if "redis.persistence." in line]
    assert len(lines) == 1  # the app is built once, in gunicorn's master (preload_app)
    assert "redis.persistence.ok" in lines[0] or "warning" in lines[0].lower()


def test_gunicorn_refuses_a_chunked_oversized_body(gunicorn):
    base, _ = gunicorn

    def chunks():
        for _ in range(40):
            yield b"x" * 8192

    response = requests.post(
        base + "/webhooks/zendesk", data=chunks(), timeout=5, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413


def test_gunicorn_start_fails_with_one_clear_message_when_settings_are_missing(tmp_path):
    process = Process(procfile_command("web"), process_env(PORT=str(free_port())), tmp_path / "bad.log")
    try:
        code = process.popen.wait(timeout=30)
    finally:
        process.stop()
    output = process.output()
    assert code != 0
    assert "REDIS_URL is required" in output and "ZENDESK_WEBHOOK_SECRET is required" in output
    assert "Traceback" not in output


# WEB_CONCURRENCY=abc is not here: gunicorn itself runs int() on it when `gunicorn` is imported,
# before it reads this config file, so that one ends in gunicorn's own traceback (README, Configuration).
@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [
        ("WEB_CONCURRENCY", "0", "WEB_CONCURRENCY must be between 1 and 64, not 0"),
        ("GUNICORN_WORKER_CONNECTIONS", "abc", "GUNICORN_WORKER_CONNECTIONS must be a whole number, not 'abc'"),
        ("PORT", "http", "PORT must be a whole number, not 'http'"),
        ("ESCALATOR_LOG_LEVEL", "loud", "ESCALATOR_LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL"),
    ],
)
def test_gunicorn_start_fails_with_the_settings_message_on_a_bad_value(tmp_path, redis_test_url, name, value, problem):
    env = process_env(PORT=str(free_port()), REDIS_URL=redis_test_url, ZENDESK_WEBHOOK_SECRET="s")
    env[name] = value
    process = Process(procfile_command("web"), env, tmp_path / "bad.log")
    try:
        code = process.popen.wait(timeout=30)
    finally:
        process.stop()
    output = process.output()
    assert code != 0
    assert problem in output and "Traceback" not in output
    assert output.count("\n") <= 3, output  # "invalid configuration:" and the one problem


def test_replay_wait_says_when_the_service_shows_no_job_status(gunicorn):
    base, _ = gunicorn
    replay = subprocess.run(
        [
            str(BIN / "escalator"),
            "replay",
            "ticket_created__urgent_incident",
            "--url",
            base + "/webhooks/zendesk",
            "--secret",
            "gunicorn-secret",
            "--wait",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert replay.returncode == 0, replay.stderr
    assert " 202 " in replay.stdout and "ESCALATOR_EXPOSE_JOB_STATUS" in replay.stdout
