"""The one-round-trip enqueue writes exactly what RQ's own enqueue writes, and dedupes atomically."""

from __future__ import annotations

import json
import zlib

import pytest
from rq.job import Job
from rq.serializers import JSONSerializer

from app import redis_keys
from app.infra.queueing import JOB_FUNCTION, job_options, make_queue
from app.webhooks.events import parse_event
from app.webhooks.intake import Intake, description, job_hash, seen_key
from tests.helpers import FIXTURES, SAMPLES, load_json

EVENTS = [
    parse_event(load_json(SAMPLES / name))
    for name in (
        "ticket_created__urgent_incident.json",
        "ticket_comment_added__end_user_time_sensitive.json",
        "ticket_status_changed__solved.json",
        "trigger__comment.json",
        "trigger__created.json",
    )
] + [parse_event(load_json(FIXTURES / "zendesk" / "ticket_comment_added__private_note_captured.json"))]
TIMESTAMPS = (b"created_at", b"enqueued_at")


def _written_by_rq(connection, queue_name, event) -> dict:
    """Everything RQ's enqueue_call writes for the event, read back."""
    queue = make_queue(connection, queue_name)
    options = job_options()
    queue.enqueue_call(
        JOB_FUNCTION,
        args=(event.to_job(),),
        job_id=event.job_id,
        description=description(event),
        timeout=options["job_timeout"],
        result_ttl=options["result_ttl"],
        failure_ttl=options["failure_ttl"],
    )
    return _snapshot(connection, queue, event)


def _snapshot(connection, queue, event) -> dict:
    return {
        "hash": connection.hgetall(Job.key_for(event.job_id)),
        "queue": connection.lrange(queue.key, 0, -1),
        "queues": connection.smembers("rq:queues"),
        "keys": sorted(k for k in connection.keys("*") if not k.startswith(b"escalator:")),
        "job_ttl": connection.ttl(Job.key_for(event.job_id)),
    }


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: f"{e.source}-{e.kind}")
@pytest.mark.redis
def test_the_job_is_the_one_rqs_enqueue_writes(real_redis, event):
    expected = _written_by_rq(real_redis, "escalator-soon", event)
    real_redis.flushdb()

    queue = make_queue(real_redis, "escalator-soon")
    assert Intake(real_redis).enqueue_once(queue, event, 3600).duplicate is False
    written = _snapshot(real_redis, queue, event)

    for name in TIMESTAMPS:  # the two times differ (they are "now"); their format does not
        assert len(written["hash"].pop(name)) == len(expected["hash"].pop(name)) == 27
    assert written == expected


def test_the_same_on_the_in_memory_redis_of_escalator_serve(fake_redis):
    event = EVENTS[1]
    expected = _written_by_rq(fake_redis, "escalator", event)
    fake_redis.flushall()
    queue = make_queue(fake_redis, "escalator")
    Intake(fake_redis).enqueue_once(queue, event, 3600)
    written = _snapshot(fake_redis, queue, event)
    for name in TIMESTAMPS:
        written["hash"].pop(name), expected["hash"].pop(name)
    assert written == expected


def test_rq_reads_the_job_back_as_its_own(fake_redis):
    event = EVENTS[0]
    queue = make_queue(fake_redis, "escalator-urgent")
    Intake(fake_redis).enqueue_once(queue, event, 3600)

    [job] = queue.get_jobs()
    assert (job.id, job.func_name, list(job.args), job.kwargs) == (event.job_id, JOB_FUNCTION, [event.to_job()], {})
    assert (job.origin, job.timeout, job.result_ttl, job.failure_ttl) == ("escalator-urgent", 25, 86400, 2592000)
    assert job.get_status() == "queued" and job.enqueued_at is not None
    stored = json.loads(zlib.decompress(fake_redis.hget(job.key, "data")))  # JSON, not pickle
    assert stored == [JOB_FUNCTION, None, [json.loads(json.dumps(event.to_job()))], {}]
    assert Job.fetch(job.id, connection=fake_redis, serializer=JSONSerializer).description == description(event)


def test_the_fast_hash_matches_the_one_rq_builds(fake_redis):
    # The per-event fields are encoded as RQ encodes them, for every kind of event.
    queue = make_queue(fake_redis, "escalator")
    intake = Intake(fake_redis)
    for event in EVENTS:
        intake.enqueue_once(queue, event, 3600)
        stored = {k.decode(): v for k, v in fake_redis.hgetall(Job.key_for(event.job_id)).items()}
        built = job_hash(queue, event)
        for name in ("created_at", "enqueued_at"):
            stored.pop(name), built.pop(name)
        encode = fake_redis.get_encoder().encode
        assert stored == {k: encode(v) for k, v in built.items()}


def test_a_redelivery_is_a_duplicate_and_both_are_counted(fake_redis):
    queue = make_queue(fake_redis, "escalator")
    intake = Intake(fake_redis)
    event = EVENTS[0]
    assert intake.enqueue_once(queue, event, 3600).duplicate is False
    assert intake.enqueue_once(queue, event, 3600).duplicate is True
    assert queue.job_ids == [event.job_id]
    assert fake_redis.hgetall(redis_keys.METRICS_WEBHOOK_OUTCOMES) == {b"accepted": b"1", b"duplicate": b"1"}
    assert 3590 < fake_redis.ttl(seen_key(event)) <= 3600


def test_a_failing_command_leaves_no_seen_marker(fake_redis):
    queue = make_queue(fake_redis, "escalator")
    fake_redis.set(queue.key, "not a list")
    with pytest.raises(Exception, match="WRONGTYPE"):
        Intake(fake_redis).enqueue_once(queue, EVENTS[0], 3600)
    assert not fake_redis.exists(seen_key(EVENTS[0]))
