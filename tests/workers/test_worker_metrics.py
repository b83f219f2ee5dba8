"""The worker's metrics: webhook-to-PUT latency and Zendesk calls by status, in Redis for /metrics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from rq.job import Job

from app.infra.settings import Settings
from app.redis_keys import METRICS_VENDOR_CALLS, METRICS_WEBHOOK_TO_PUT
from tests.zendesk.factories import BASE_URL, event
from workers import jobs, process
from workers.job_log import webhook_accepted_at

pytestmark = pytest.mark.redis

TICKET_URL = f"{BASE_URL}/api/v2/tickets/35436"
CREATED = event("ticket_created__urgent_outage")


def test_an_update_records_the_seconds_since_its_webhook(applier, api, queue, redis_db):
    api.put(TICKET_URL, json={"ticket": {}})
    accepted_at = datetime.now(UTC) - timedelta(seconds=3)

    assert jobs.run(applier, queue, CREATED.to_job(), accepted_at=accepted_at) == "updated"

    histogram = redis_db.hgetall(METRICS_WEBHOOK_TO_PUT)
    assert histogram[b"le:5.0"] == b"1" and 3.0 <= float(histogram[b"sum"]) < 4.0


def test_a_job_that_wrote_nothing_records_no_latency(applier, api, queue, redis_db):
    api.put(TICKET_URL, status=429, headers={"Retry-After": "30"})
    assert jobs.run(applier, queue, CREATED.to_job(), accepted_at=datetime.now(UTC)) == "rescheduled:rate_limited"
    assert redis_db.hgetall(METRICS_WEBHOOK_TO_PUT) == {}


def test_a_retry_job_measures_from_the_first_jobs_webhook(queue, redis_db):
    first = queue.enqueue_call("workers.jobs.apply_ticket_event", args=(CREATED.to_job(),), job_id=CREATED.job_id)
    retry = queue.enqueue_call(
        "workers.jobs.apply_ticket_event", args=(CREATED.to_job(),), job_id=f"{CREATED.job_id}-retry1"
    )
    fetched = Job.fetch(retry.id, connection=redis_db, serializer=queue.serializer)
    accepted = webhook_accepted_at(fetched)
    assert accepted is not None and abs((accepted - first.created_at).total_seconds()) < 0.001
    assert webhook_accepted_at(first) == first.created_at


def test_every_zendesk_response_is_counted_by_status(api, redis_db):
    settings = Settings(zendesk_base_url=BASE_URL, zendesk_oauth_token="t", zendesk_requests_per_minute=600)
    zendesk = process.WorkerContext.build(settings, redis_db).zendesk
    api.get(TICKET_URL, json={"ticket": {"id": 35436}})
    api.put(TICKET_URL, status=429, headers={"Retry-After": "1"})

    zendesk.get_ticket(35436)
    with pytest.raises(Exception, match="429"):
        zendesk.update_ticket(35436, {"ticket": {"priority": "urgent"}})

    assert redis_db.hgetall(METRICS_VENDOR_CALLS) == {b"zendesk:200": b"1", b"zendesk:429": b"1"}


def test_pagerduty_calls_are_counted_with_zendesks(api, redis_db):
    settings = Settings(
        zendesk_base_url=BASE_URL,
        zendesk_oauth_token="t",
        pagerduty_routing_key="e93facc04764012d7bfb002500d5d1a6",
        pagerduty_events_url="https://events.pagerduty.example/v2/enqueue",
    )
    pager = process.WorkerContext.build(settings, redis_db).paging.pager
    api.post("https://events.pagerduty.example/v2/enqueue", status=202, json={"dedup_key": "k"})

    pager.send({"event_action": "trigger", "dedup_key": "k", "payload": {}})

    assert redis_db.hgetall(METRICS_VENDOR_CALLS) == {b"pagerduty:202": b"1"}
