"""One log line per job a worker runs: `worker.job.done` or `worker.job.failed`, with its timings.

    worker.job.done job=<id> function=workers.jobs.apply_ticket_event queue=escalator-urgent
        queue_wait_ms=12 run_ms=85 event_id=<id> ticket=7001 since_webhook_ms=110 result=updated

`queue_wait_ms` is from the job's (re-)enqueue to its start (a rescheduled job is enqueued when
its delay is over), `run_ms` from its start to its end. A ticket-event job also names its event
and ticket, and `since_webhook_ms` is from the webhook's acceptance (the first job's creation,
also for a retry while that record lives) to the job's end; the decision itself is on the
job's `worker.ticket.*` line, with the same event id. A failure says the exception's type, never
its message (it may quote ticket text). The line is written where the job ran: the work horse of
`escalator worker`, or the process of `escalator serve`.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from rq import Queue, SimpleWorker
from rq.job import Job
from rq.worker import BaseWorker

from app.infra.logs import log_event
from app.infra.queueing import JOB_FUNCTION
from app.timestamps import parse_time
from workers.retries import first_job_id

log = logging.getLogger("escalator.worker")


def job_fields(job: Job) -> dict[str, Any]:
    """The job's id, function, queue and timings, as log fields (and a ticket event's own)."""
    return {
        "job": job.id,
        "function": job.func_name,
        "queue": job.origin,
        "queue_wait_ms": _milliseconds(job.enqueued_at, job.started_at),
        "run_ms": _milliseconds(job.started_at, job.ended_at),
        **_ticket_event_fields(job),
    }


def webhook_accepted_at(job: Job) -> datetime | None:
    """When the web intake accepted the webhook: this job's creation, or for a retry job
    (`<id>-retryN`), the first job's, while its record lives (RESULT_TTL_SECONDS)."""
    first = first_job_id(job.id)
    if first == job.id:
        return job.created_at
    created: bytes | None = job.connection.hget(Job.key_for(first), "created_at")  # type: ignore[assignment]
    return parse_time(created.decode()) if created else None


def _ticket_event_fields(job: Job) -> dict[str, Any]:
    event = job.args[0] if job.func_name == JOB_FUNCTION and job.args else None
    if not isinstance(event, dict):
        return {}
    return {
        "event_id": event.get("event_id"),
        "ticket": event.get("ticket_id"),
        "since_webhook_ms": _milliseconds(webhook_accepted_at(job), job.ended_at),
    }


def _milliseconds(start: datetime | None, end: datetime | None) -> int | None:
    if start is None or end is None:
        return None
    return round((end - start).total_seconds() * 1000)


def _result(value: Any) -> str:
    # Our jobs return short status strings ("updated", "rescheduled:rate_limited"); anything else
    # is named by its type, so a job's data never reaches the log.
    return value if isinstance(value, str) else type(value).__name__


class LogsJobs(BaseWorker):
    """A worker mixin: after each job, one `worker.job.done` or `worker.job.failed` line."""

    _job_error: str | None = None

    def perform_job(self, job: Job, queue: Queue) -> bool:
        self._job_error = None
        succeeded = super().perform_job(job, queue)
        if succeeded:
            # RQ keeps the return value on the job it just ran (reading it back is a round trip).
            log_event(log, "worker.job.done", **job_fields(job), result=_result(getattr(job, "_result", None)))
        else:
            log_event(
                log, "worker.job.failed", level=logging.WARNING, **job_fields(job), error=self._job_error or "unknown"
            )
        return succeeded

    def handle_exception(self, job: Job, *exc_info: Any) -> None:
        self._job_error = exc_info[0].__name__ if exc_info and exc_info[0] else None
        super().handle_exception(job, *exc_info)


class LoggingSimpleWorker(LogsJobs, SimpleWorker):
    """RQ's SimpleWorker (jobs in this process: `escalator serve`) with a line per job."""
