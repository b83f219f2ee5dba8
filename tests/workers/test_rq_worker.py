"""The job as RQ runs it: by dotted name, JSON-serialized, with the worker process's context (the
real policy engine, and HTTP to the stub Zendesk)."""

import time

import pytest
from rq import SimpleWorker
from rq.registry import FailedJobRegistry, ScheduledJobRegistry
from rq.serializers import JSONSerializer

from app.infra.queueing import JOB_FUNCTION, job_options
from app.infra.settings import Settings
from tests.openapi import validate_request
from tests.stub_zendesk import StubZendesk
from tests.zendesk.factories import event
from workers import process

pytestmark = pytest.mark.redis

CREATED = event("ticket_created__urgent_outage")


@pytest.fixture
def stub(queue):
    """A stub Zendesk, and the worker process's context pointing at it (as `escalator worker` builds it)."""
    with StubZendesk() as server:
        # No SLA watchdog: it has its own tests (test_sla_check.py), and these tickets' checks would
        # all be due at once and add their reads to the requests counted here.
        settings = Settings(
            zendesk_base_url=server.url,
            zendesk_oauth_token="stub-token",
            queue_name=queue.name,
            sla_watchdog_lead_minutes=0,
        )
        process.install(process.WorkerContext.build(settings, queue.connection))
        try:
            yield server
        finally:
            process.install(None)


def work(queue) -> None:
    SimpleWorker([queue], connection=queue.connection, serializer=JSONSerializer).work(burst=True)


def test_an_urgent_ticket_gets_one_put_through_a_real_worker(stub, queue):
    stub.seed_ticket({"id": 35436, "updated_at": "2026-11-27T15:00:00Z"})
    job = queue.enqueue(JOB_FUNCTION, CREATED.to_job(), job_id=CREATED.job_id, **job_options())
    work(queue)

    assert job.return_value() == "updated"
    [put] = stub.requests(method="PUT")
    validate_request("PUT", "/api/v2/tickets/{ticket_id}", put["body"])
    ticket = stub.ticket(35436)
    assert ticket["priority"] == "urgent"
    assert {"urgency_urgent", "category_incident"} <= set(ticket["tags"])
    [note] = ticket["comments"]
    assert note["public"] is False and note["body"]

    again = queue.enqueue(JOB_FUNCTION, CREATED.to_job(), **job_options())
    work(queue)
    assert again.return_value() == "duplicate"
    assert len(stub.requests(method="PUT")) == 1


def test_an_outage_is_rescheduled_and_finally_fails_into_the_failed_registry(stub, queue):
    stub.script("/api/v2/tickets/35436", status=500, times=2, method="PUT")
    first = queue.enqueue(JOB_FUNCTION, CREATED.to_job(), **job_options())
    last = queue.enqueue(
        JOB_FUNCTION, CREATED.to_job(), attempt=8, outage_attempt=30, deadline=time.time() + 1, **job_options()
    )
    work(queue)

    assert first.return_value() == "rescheduled:unavailable"
    assert ScheduledJobRegistry(queue=queue).get_job_ids() == [f"{CREATED.job_id}-retry1"]
    assert FailedJobRegistry(queue=queue).get_job_ids() == [last.id]
    last.refresh()
    assert "GaveUp: unavailable after 9 attempts" in last.latest_result().exc_string
