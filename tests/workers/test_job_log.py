"""workers.job_log: one `worker.job.done` / `worker.job.failed` line per job, with its timings, from
the worker that ran it (in process here; the forking worker's line: test_worker_process.py)."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

import pytest
from rq.job import Job
from rq.serializers import JSONSerializer

from app.infra.queueing import JOB_FUNCTION
from workers.job_log import LoggingSimpleWorker, job_fields

pytestmark = pytest.mark.redis

SECRET_WORDS = "our payroll export is down"


def nap(seconds: float) -> str:
    time.sleep(seconds)
    return "napped"


def broken() -> str:
    raise ValueError(SECRET_WORDS)


def work(queue) -> None:
    LoggingSimpleWorker([queue], connection=queue.connection, serializer=JSONSerializer).work(burst=True)


def lines(caplog, event: str) -> list[dict]:
    return [r.escalator_fields for r in caplog.records if getattr(r, "escalator_event", None) == event]


def test_a_finished_job_is_one_line_with_its_result_and_timings(queue, caplog):
    job = queue.enqueue(f"{__name__}.nap", 0.2)
    time.sleep(0.3)  # waiting on the queue
    with caplog.at_level(logging.INFO, logger="escalator.worker"):
        work(queue)

    [done] = lines(caplog, "worker.job.done")
    assert (done["job"], done["function"], done["queue"], done["result"]) == (
        job.id,
        "tests.workers.test_job_log.nap",
        queue.name,
        "napped",
    )
    assert 300 <= done["queue_wait_ms"] < 5000
    assert 200 <= done["run_ms"] < 5000
    assert lines(caplog, "worker.job.failed") == []


def test_a_failed_job_names_the_exception_type_and_not_its_message(queue, caplog):
    job = queue.enqueue(f"{__name__}.broken")
    with caplog.at_level(logging.INFO, logger="escalator.worker"):
        work(queue)

    [failed] = lines(caplog, "worker.job.failed")
    assert (failed["job"], failed["function"], failed["error"]) == (
        job.id,
        "tests.workers.test_job_log.broken",
        "ValueError",
    )
    assert failed["run_ms"] >= 0 and failed["queue_wait_ms"] >= 0
    assert lines(caplog, "worker.job.done") == []
    escalator_text = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("escalator"))
    assert SECRET_WORDS not in escalator_text


def _ticket_job(queue, job_id: str, created_at: datetime, ended_at: datetime) -> Job:
    event = {"event_id": "ev-1", "ticket_id": 7001}
    job = Job.create(JOB_FUNCTION, args=(event,), id=job_id, connection=queue.connection, serializer=JSONSerializer)
    job.created_at, job.ended_at = created_at, ended_at
    return job


def test_a_ticket_event_job_names_its_event_ticket_and_time_since_the_webhook(queue):
    accepted = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
    first = _ticket_job(queue, "zendesk-ev-1", accepted, accepted + timedelta(milliseconds=250))
    fields = job_fields(first)
    assert (fields["event_id"], fields["ticket"], fields["since_webhook_ms"]) == ("ev-1", 7001, 250)

    # A retry counts from the first job's creation, the webhook's acceptance, while that record lives.
    first.save()
    retry = _ticket_job(
        queue, "zendesk-ev-1-retry2", accepted + timedelta(seconds=60), accepted + timedelta(seconds=61)
    )
    assert job_fields(retry)["since_webhook_ms"] == 61_000
    first.delete()
    assert job_fields(retry)["since_webhook_ms"] is None


def test_other_jobs_carry_no_ticket_event_fields(queue):
    job = queue.enqueue(f"{__name__}.nap", 0)
    assert not {"event_id", "ticket", "since_webhook_ms"} & set(job_fields(job))
