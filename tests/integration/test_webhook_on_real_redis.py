"""The webhook endpoint against a real Redis server: exactly one job per event, 503 when it is gone."""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from datetime import UTC, datetime

import pytest
import redis

from app import redis_keys
from app.infra.queueing import make_queue
from app.web.factory import create_app
from app.webhooks.signing import signed_headers
from tests.helpers import SAMPLES, SECRET, free_port, load_json
from tests.processes import Process, redis_server_binary

pytestmark = pytest.mark.redis

CREATED = load_json(SAMPLES / "ticket_created__urgent_incident.json")


def _post(client, body: dict):
    raw = json.dumps(body).encode()
    return client.post("/webhooks/zendesk", data=raw, headers=signed_headers(SECRET, raw))


def _app(settings, connection):
    return create_app(settings, redis_connection=connection, clock=lambda: datetime.now(UTC))


def test_redelivered_event_is_one_job(settings, real_redis):
    app = _app(settings, real_redis)
    client = app.test_client()
    answers = [_post(client, CREATED) for _ in range(3)]

    assert [a.json["status"] for a in answers] == ["accepted", "duplicate", "duplicate"]
    queue = make_queue(real_redis, settings.queue_name + "-urgent")  # "URGENT: API returning 503"
    assert queue.job_ids == ["zendesk-" + CREATED["id"]]


def test_the_seen_marker_is_forgotten_after_its_ttl(settings, real_redis):
    """The marker that turns a redelivery into a duplicate lives ESCALATOR_EVENT_SEEN_TTL_SECONDS:
    long enough for Zendesk's redeliveries, and not for ever (Redis would only grow)."""
    settings = replace(settings, event_seen_ttl_seconds=3600)
    answer = _post(_app(settings, real_redis).test_client(), CREATED)
    assert answer.json["status"] == "accepted"

    ttl = real_redis.ttl(redis_keys.webhook_seen(answer.json["job_id"]))
    assert 3600 - 5 < ttl <= 3600


def test_concurrent_redeliveries_make_one_job(settings, real_redis):
    app = _app(settings, real_redis)
    statuses: list[str] = []

    def deliver():
        statuses.append(_post(app.test_client(), CREATED).json["status"])

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(statuses) == ["accepted"] + ["duplicate"] * 7
    assert make_queue(real_redis, settings.queue_name + "-urgent").count == 1


def test_503_with_retry_after_when_redis_stops_and_nothing_is_lost(settings, tmp_path):
    port = free_port()
    server = Process(
        [redis_server_binary(), "--port", str(port), "--save", "", "--appendonly", "no"],
        env={},
        log_path=tmp_path / "redis.log",
    )
    try:
        server.wait_for_output("Ready to accept connections")
        connection = redis.Redis(port=port, socket_connect_timeout=0.5, socket_timeout=0.5)
        app = _app(settings, connection)
        client = app.test_client()
        assert _post(client, CREATED).status_code == 202
        server.stop()

        comment = load_json(SAMPLES / "ticket_comment_added__end_user_time_sensitive.json")
        refused = _post(client, comment)
        assert refused.status_code == 503
        assert refused.headers["Retry-After"] == "30"
        assert client.get("/readyz").status_code == 503

        # Zendesk redelivers after Retry-After; once Redis is back the event is accepted, not a duplicate.
        server = Process(
            [redis_server_binary(), "--port", str(port), "--save", "", "--appendonly", "no"],
            env={},
            log_path=tmp_path / "redis2.log",
        )
        server.wait_for_output("Ready to accept connections")
        assert _post(client, comment).json["status"] == "accepted"
    finally:
        server.stop()
