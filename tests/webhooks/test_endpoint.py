"""Every answer of POST /webhooks/zendesk, through the real signing and queueing path."""

from __future__ import annotations

import io
import json
import zlib
from dataclasses import replace

import pytest
import redis

from app.infra.queueing import JOB_FUNCTION
from app.infra.settings import ZENDESK_TEST_SECRET
from app.web.factory import create_app
from app.webhooks.signing import signed_headers
from tests.helpers import FIXTURES, SAMPLES, load_json

CREATED = load_json(SAMPLES / "ticket_created__urgent_incident.json")
COMMENT = load_json(SAMPLES / "ticket_comment_added__end_user_time_sensitive.json")


def test_ticket_created_is_enqueued_as_one_json_job(post_signed, queue):
    response = post_signed(CREATED)

    assert response.status_code == 202
    assert response.json == {"status": "accepted", "job_id": "zendesk-" + CREATED["id"]}
    [job] = queue.get_jobs()
    assert job.id == response.json["job_id"]
    assert job.func_name == JOB_FUNCTION
    [event] = job.args
    assert event["kind"] == "created" and event["ticket_id"] == 7001
    assert event["ticket"]["subject"] == "URGENT: API returning 503"
    stored = json.loads(zlib.decompress(queue.connection.hget(job.key, "data")))  # JSON, not pickle
    assert stored[0] == JOB_FUNCTION


def test_comment_added_carries_the_comment_and_its_author(post_signed, queue):
    assert post_signed(COMMENT).status_code == 202
    [job] = queue.get_jobs()
    comment = job.args[0]["comment"]
    assert comment["id"] == 60000000000004
    assert comment["author_is_staff"] is False and comment["is_public"] is True


def test_redelivered_event_is_acknowledged_but_enqueued_once(post_signed, queue):
    first = post_signed(CREATED)
    second = post_signed(CREATED)

    assert second.status_code == 202
    assert second.json == {"status": "duplicate", "job_id": first.json["job_id"]}
    assert queue.count == 1


def test_unhandled_event_type_is_acknowledged_and_ignored(post_signed, queue):
    body = load_json(SAMPLES / "ticket_tags_changed__unhandled.json")
    response = post_signed(body)
    assert response.status_code == 202
    assert response.json["ignored"] == "zen:event-type:ticket.tags_changed"
    assert queue.count == 0


def test_status_changed_is_accepted(post_signed, queue):
    response = post_signed(load_json(SAMPLES / "ticket_status_changed__solved.json"))
    assert response.status_code == 202 and queue.count == 1


@pytest.mark.parametrize("sample", ["trigger__comment", "trigger__created"])
def test_trigger_bodies_are_accepted(post_signed, queue, sample):
    body = load_json(SAMPLES / f"{sample}.json")
    response = post_signed(body)
    assert response.status_code == 202
    [job] = queue.get_jobs()
    assert job.args[0]["source"] == "trigger"
    assert job.args[0]["ticket_id"] == int(body["ticket_id"])


def test_trigger_status_change_is_accepted_on_the_last_queue(app, post_signed):
    body = load_json(FIXTURES / "zendesk" / "trigger_status_changed__solved.json")
    response = post_signed(body)
    assert response.status_code == 202
    [job] = app.extensions["escalator"].queues["rest"].get_jobs()
    assert (job.args[0]["kind"], job.args[0]["source"]) == ("status_changed", "trigger")
    assert job.args[0]["ticket"]["status"] == "solved"


def test_the_same_trigger_comment_twice_is_one_job(post_signed, queue):
    body = load_json(SAMPLES / "trigger__comment.json")
    post_signed(body)
    assert post_signed(body).json["status"] == "duplicate"
    assert queue.count == 1


def test_bad_signature_is_refused(post_signed, queue):
    response = post_signed(CREATED, secret="not-the-secret")
    assert response.status_code == 401
    assert response.json == {"error": "invalid-signature", "message": "signature does not match"}
    assert queue.count == 0


def test_missing_signature_is_refused(client, queue):
    response = client.post("/webhooks/zendesk", json=CREATED)
    assert response.status_code == 401
    assert "missing" in response.json["message"]


def test_stale_timestamp_is_refused(post_signed):
    response = post_signed(CREATED, timestamp="2026-11-27T14:54:59Z")
    assert response.status_code == 401
    assert "301 s from now" in response.json["message"]


def test_tampered_body_is_refused(client, now):
    raw = json.dumps(CREATED).encode()
    headers = signed_headers("test-signing-secret", raw, now.strftime("%Y-%m-%dT%H:%M:%SZ"))
    response = client.post("/webhooks/zendesk", data=raw.replace(b"URGENT", b"urgent"), headers=headers)
    assert response.status_code == 401


def test_zendesk_test_secret_is_refused_unless_allowed(settings, fake_redis, now, post_signed):
    assert post_signed(CREATED, secret=ZENDESK_TEST_SECRET).status_code == 401

    allowing = create_app(replace(settings, allow_test_secret=True), redis_connection=fake_redis, clock=lambda: now)
    raw = json.dumps(CREATED).encode()
    headers = signed_headers(ZENDESK_TEST_SECRET, raw, now.strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert allowing.test_client().post("/webhooks/zendesk", data=raw, headers=headers).status_code == 202


def test_rotation_accepts_old_and_new_secret(settings, fake_redis, now):
    app = create_app(replace(settings, webhook_secrets=("old", "new")), redis_connection=fake_redis, clock=lambda: now)
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    for secret, body in (("old", CREATED), ("new", COMMENT)):
        raw = json.dumps(body).encode()
        response = app.test_client().post("/webhooks/zendesk", data=raw, headers=signed_headers(secret, raw, stamp))
        assert response.status_code == 202


def test_body_over_the_limit_is_refused_before_anything_else(post_signed, queue):
    big = json.dumps({**CREATED, "padding": "x" * (256 * 1024)}).encode()
    response = post_signed(big)
    assert response.status_code == 413
    assert response.json["error"] == "too-large"
    assert queue.count == 0


def test_body_over_the_limit_without_content_length_is_refused(client):
    # A chunked request has no Content-Length; the server marks its input as terminated.
    response = client.post(
        "/webhooks/zendesk",
        input_stream=io.BytesIO(b"x" * (300 * 1024)),
        headers={"Content-Type": "application/json"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 413


def test_wrong_content_type_is_415(post_signed):
    response = post_signed(CREATED, headers={"Content-Type": "text/plain"})
    assert response.status_code == 415
    assert "text/plain" in response.json["message"]


def test_not_json_is_400(post_signed):
    response = post_signed(b"{not json")
    assert response.status_code == 400
    assert response.json["error"] == "invalid-json"


def test_json_that_is_not_an_object_is_422(post_signed):
    response = post_signed(b"[1, 2]")
    assert response.status_code == 422


def test_missing_fields_are_named(post_signed):
    body = json.loads(json.dumps(CREATED))
    del body["id"]
    del body["detail"]["id"]
    response = post_signed(body)
    assert response.status_code == 422
    assert response.json["fields"] == ["id", "detail.id"]


def test_comment_without_author_is_422(post_signed):
    body = json.loads(json.dumps(COMMENT))
    del body["event"]["comment"]["author"]
    response = post_signed(body)
    assert response.status_code == 422
    assert response.json["fields"] == ["event.comment.author.id"]


def test_trigger_comment_without_comment_id_is_422(post_signed):
    body = load_json(SAMPLES / "trigger__comment.json")
    body["comment_id"] = ""  # an unknown placeholder renders as an empty string
    response = post_signed(body)
    assert response.status_code == 422
    assert response.json["fields"] == ["comment_id"]


def test_non_numeric_ticket_id_is_422(post_signed):
    body = load_json(SAMPLES / "trigger__created.json")
    body["ticket_id"] = "{{ticket.id}}"
    response = post_signed(body)
    assert response.status_code == 422
    assert "numeric" in response.json["message"]


def test_redis_down_answers_503_with_retry_after(settings, now):
    unreachable = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    app = create_app(settings, redis_connection=unreachable, clock=lambda: now)
    raw = json.dumps(CREATED).encode()
    response = app.test_client().post(
        "/webhooks/zendesk",
        data=raw,
        headers=signed_headers("test-signing-secret", raw, now.strftime("%Y-%m-%dT%H:%M:%SZ")),
    )
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert "secret" not in response.get_data(as_text=True)


def test_failed_enqueue_does_not_mark_the_event_seen(settings, fake_redis, now):
    # A command failing inside the enqueue script does not undo the ones before it: the seen
    # marker is written last, so a redelivery after a failed enqueue is accepted, not a duplicate.
    app = create_app(settings, redis_connection=fake_redis, clock=lambda: now)
    urgent = app.extensions["escalator"].queues["urgent"]
    raw = json.dumps(CREATED).encode()
    headers = signed_headers("test-signing-secret", raw, now.strftime("%Y-%m-%dT%H:%M:%SZ"))

    fake_redis.set(urgent.key, "not a list")  # the RPUSH fails with WRONGTYPE
    assert app.test_client().post("/webhooks/zendesk", data=raw, headers=headers).status_code == 503
    fake_redis.delete(urgent.key)
    response = app.test_client().post("/webhooks/zendesk", data=raw, headers=headers)
    assert response.json["status"] == "accepted"
    assert urgent.count == 1


def test_refusals_are_logged_with_a_dotted_name_and_no_body(post_signed, caplog):
    caplog.set_level("INFO", logger="escalator")
    post_signed(CREATED, secret="wrong")
    post_signed(CREATED)
    messages = [r.getMessage() for r in caplog.records if r.name.startswith("escalator.webhook")]
    assert messages[0].startswith("webhook.zendesk.invalid-signature")
    assert messages[1].startswith("webhook.zendesk.accepted")
    assert not any("API returning" in m for m in messages)


@pytest.mark.parametrize("signature", ["éabc", "\udcff", "not base64 at all", ""])
def test_odd_signature_headers_are_refused_not_crashed(post_signed, signature):
    response = post_signed(CREATED, headers={"X-Zendesk-Webhook-Signature": signature})
    assert response.status_code == 401


def test_deeply_nested_json_is_400(post_signed):
    response = post_signed(b"[" * 50_000 + b"]" * 50_000)
    assert response.status_code == 400
    assert response.json["error"] == "invalid-json"


def test_colliding_event_ids_are_separate_jobs(post_signed, queue):
    for event_id in ("a:b", "a-b", "a.b"):
        body = json.loads(json.dumps(CREATED))
        body["id"] = event_id
        assert post_signed(body).json["status"] == "accepted"
    assert queue.count == 3
    assert len(set(queue.job_ids)) == 3


@pytest.mark.parametrize(
    "fixture, kind",
    [
        ("ticket_created__documented_example.json", "created"),
        ("ticket_comment_added__private_note_captured.json", "comment"),
    ],
)
def test_zendesks_own_example_payloads_are_accepted(post_signed, queue, fixture, kind):
    body = load_json(FIXTURES / "zendesk" / fixture)
    response = post_signed(body)
    assert response.status_code == 202
    assert response.json["job_id"] == "zendesk-" + body["id"]
    [job] = queue.get_jobs()
    assert job.args[0]["kind"] == kind


@pytest.mark.parametrize(
    "sample, lane",
    [
        ("ticket_created__urgent_incident.json", "urgent"),
        # "Is this urgent?" in the quoted reply: the pre-screen does not strip quotes (the engine does).
        ("ticket_comment_added__end_user_time_sensitive.json", "urgent"),
        ("trigger__comment.json", "soon"),
        ("ticket_status_changed__solved.json", "rest"),
    ],
)
def test_each_event_waits_on_the_queue_its_text_asks_for(app, post_signed, sample, lane):
    response = post_signed(load_json(SAMPLES / sample))
    queues = app.extensions["escalator"].queues
    assert queues[lane].job_ids == [response.json["job_id"]]
    assert sum(q.count for q in queues.values()) == 1


def test_metrics_can_ask_for_a_bearer_token(settings, fake_redis, now):
    app = create_app(replace(settings, metrics_token="s3cret-token"), redis_connection=fake_redis, clock=lambda: now)
    client = app.test_client()
    refused = client.get("/metrics")
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Basic s3cret-token"}).status_code == 401
    answered = client.get("/metrics", headers={"Authorization": "Bearer s3cret-token"})
    assert answered.status_code == 200 and "escalator_redis_up 1.0" in answered.get_data(as_text=True)


def test_refusals_are_counted_in_the_process_and_appear_on_the_next_scrape(client, post_signed, fake_redis):
    post_signed(CREATED, secret="wrong")
    assert fake_redis.hget("escalator:metrics:webhook-outcomes", "invalid-signature") is None  # not yet written
    text = client.get("/metrics").get_data(as_text=True)  # a scrape writes this process's counts first
    assert 'escalator_webhooks_total{outcome="invalid-signature"} 1.0' in text
