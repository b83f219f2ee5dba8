"""The lanes on a real Redis with the project's worker: an event the prescreen puts in the urgent
lane is run before the ones queued earlier in the slower lanes (docs/worker.md, strict priority)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from rq.job import Job
from rq.serializers import JSONSerializer

from app.infra.queueing import JOB_FUNCTION, QueueNames, job_options, make_queue
from app.infra.settings import Settings
from app.policy import load_policy
from app.webhooks.prescreen import Prescreen
from tests.zendesk.factories import event
from workers import process
from workers.process import EscalatorWorker

pytestmark = pytest.mark.redis

BASE = "lane-order"
URGENT_EVENT = event("ticket_created__urgent_outage")


def created(number: int, subject: str, description: str):
    assert URGENT_EVENT.ticket is not None
    ticket = {**URGENT_EVENT.ticket, "subject": subject, "description": description}
    return replace(URGENT_EVENT, event_id=f"lane-{number}", ticket_id=9000 + number, ticket=ticket)


@pytest.fixture
def dry_run_worker_context(real_redis):
    """The worker process's context, in dry run (no Zendesk): every ticket job ends "updated" or "noop"."""
    settings = Settings(queue_name=BASE, sla_watchdog_lead_minutes=0)
    process.install(process.WorkerContext.build(settings, real_redis))
    try:
        yield
    finally:
        process.install(None)


def test_the_worker_runs_the_urgent_lane_before_events_queued_earlier(real_redis, dry_run_worker_context):
    screen = Prescreen(load_policy())
    names = QueueNames(BASE)
    events = [
        created(1, "Invoice question", "How do I export last month's invoices?"),
        created(2, "Report", "The export is time sensitive: the audit is on Friday"),
        created(3, "Another question", "Where do I change my password?"),
        created(4, "\uff35\uff32\uff27\uff25\uff2e\uff34: API down", "every call fails since 9:40"),
    ]
    lanes = [screen.lane(e) for e in events]
    assert lanes == ["rest", "soon", "rest", "urgent"]
    for ticket_event, lane in zip(events, lanes, strict=True):  # queued in this order, urgent last
        queue = make_queue(real_redis, names.of(lane))
        queue.enqueue(JOB_FUNCTION, ticket_event.to_job(), job_id=ticket_event.job_id, **job_options())

    worker = EscalatorWorker(names.in_priority_order(), connection=real_redis, name="lane-order-worker")
    assert [queue.name for queue in worker.queues] == ["lane-order-urgent", "lane-order-soon", "lane-order"]
    worker.work(burst=True)

    jobs = [Job.fetch(e.job_id, connection=real_redis, serializer=JSONSerializer) for e in events]
    assert all(job.get_status() == "finished" for job in jobs), [job.get_status() for job in jobs]
    run_order = [e.event_id for e, job in sorted(zip(events, jobs, strict=True), key=lambda pair: pair[1].started_at)]
    assert run_order[:2] == ["lane-4", "lane-2"]  # urgent, then soon, then the rest in arrival order
    assert run_order[2:] == ["lane-1", "lane-3"]
