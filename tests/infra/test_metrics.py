"""app.infra.metrics: counters in Redis, read in one round trip without RQ's cleanup."""

from __future__ import annotations

import redis
from prometheus_client import generate_latest
from rq.registry import StartedJobRegistry

from app.infra.metrics import (
    LATENCY_BUCKETS,
    OutcomeCounter,
    latency_bucket,
    queue_registry,
    record_job_result,
    record_vendor_call,
)
from app.infra.queueing import make_queues
from app.redis_keys import METRICS_WEBHOOK_OUTCOMES


def scrape(connection) -> str:
    return generate_latest(queue_registry(make_queues(connection, "escalator"))).decode()


def test_webhook_to_put_latency_is_a_histogram(fake_redis):
    for seconds in (0.02, 0.07, 0.07, 3.0, 7200.0):
        record_job_result(fake_redis, "updated", webhook_to_put_seconds=seconds)
    record_job_result(fake_redis, "noop")
    text = scrape(fake_redis)
    assert 'escalator_webhook_to_put_seconds_bucket{le="0.05"} 1.0' in text
    assert 'escalator_webhook_to_put_seconds_bucket{le="0.1"} 3.0' in text
    assert 'escalator_webhook_to_put_seconds_bucket{le="5.0"} 4.0' in text
    assert 'escalator_webhook_to_put_seconds_bucket{le="3600.0"} 4.0' in text
    assert 'escalator_webhook_to_put_seconds_bucket{le="+Inf"} 5.0' in text
    assert "escalator_webhook_to_put_seconds_count 5.0" in text
    assert "escalator_webhook_to_put_seconds_sum 7203.16" in text
    assert 'escalator_worker_jobs_total{result="updated"} 5.0' in text


def test_a_latency_falls_in_the_smallest_bucket_it_does_not_exceed():
    assert latency_bucket(0.05) == "le:0.05"
    assert latency_bucket(0.0500001) == "le:0.1"
    assert latency_bucket(LATENCY_BUCKETS[-1] + 1) == "le:+Inf"


def test_vendor_calls_are_counted_by_vendor_and_status(fake_redis):
    for status in (200, 200, 429, 503):
        record_vendor_call(fake_redis, "zendesk", status)
    record_vendor_call(fake_redis, "pagerduty", 202)
    text = scrape(fake_redis)
    assert 'escalator_vendor_calls_total{status="200",vendor="zendesk"} 2.0' in text
    assert 'escalator_vendor_calls_total{status="429",vendor="zendesk"} 1.0' in text
    assert 'escalator_vendor_calls_total{status="202",vendor="pagerduty"} 1.0' in text


def test_a_vendor_call_is_never_lost_to_a_metrics_failure():
    record_vendor_call(redis.Redis(port=1, socket_connect_timeout=0.1), "zendesk", 200)  # no exception


def test_a_scrape_reads_registries_without_cleaning_them(fake_redis):
    # An expired entry in the started registry is what RQ's cleanup would requeue or fail; a
    # scrape that ran it could race a worker's own and requeue a job twice.
    [urgent, _, _] = make_queues(fake_redis, "escalator")
    fake_redis.zadd(StartedJobRegistry(queue=urgent).key, {"job-1:exec-1": 1})
    assert 'escalator_jobs{state="started"} 1.0' in scrape(fake_redis)
    assert fake_redis.zcard(StartedJobRegistry(queue=urgent).key) == 1


def test_queue_lengths_are_shown_per_queue(fake_redis):
    fake_redis.rpush("rq:queue:escalator-urgent", "a", "b")
    fake_redis.rpush("rq:queue:escalator", "c")
    text = scrape(fake_redis)
    assert 'escalator_queue_length{queue="escalator-urgent"} 2.0' in text
    assert 'escalator_queue_length{queue="escalator-soon"} 0.0' in text
    assert 'escalator_jobs{state="queued"} 3.0' in text


def test_outcomes_are_written_in_one_batch(fake_redis):
    counter = OutcomeCounter(fake_redis, interval=3600)  # the background flush never comes here
    for outcome in ("invalid-signature", "invalid-signature", "ignored"):
        counter.add(outcome)
    assert fake_redis.hgetall(METRICS_WEBHOOK_OUTCOMES) == {}
    counter.flush()
    assert fake_redis.hgetall(METRICS_WEBHOOK_OUTCOMES) == {b"invalid-signature": b"2", b"ignored": b"1"}


def test_outcomes_counted_while_redis_is_down_are_written_later(fake_redis):
    down = OutcomeCounter(redis.Redis(port=1, socket_connect_timeout=0.1), interval=3600)
    down.add("redis-unavailable")
    down.flush()  # fails; the count is kept
    down.connection = fake_redis
    down.flush()
    assert fake_redis.hgetall(METRICS_WEBHOOK_OUTCOMES) == {b"redis-unavailable": b"1"}


def test_outcomes_are_flushed_in_the_background(fake_redis):
    import time

    counter = OutcomeCounter(fake_redis, interval=0.05)
    counter.add("ignored")
    deadline = time.monotonic() + 5
    while not fake_redis.hget(METRICS_WEBHOOK_OUTCOMES, "ignored") and time.monotonic() < deadline:
        time.sleep(0.02)
    assert fake_redis.hget(METRICS_WEBHOOK_OUTCOMES, "ignored") == b"1"
