"""Retrying the on-call jobs (notices, SLA checks): what went wrong -> when to try again.

The same rules as the ticket job's (workers/jobs.py, docs/worker.md "Rate limits and retries"),
with the same retry policy (workers/retry_policy.py): PagerDuty's and Zendesk's outages are waited
out with capped exponential backoff, like their rate limits, until the job's deadline (the policy's
give-up time after its first reschedule). Slack, a second notice that is worth little hours late,
is given up after SLACK_MAX_OUTAGE_ATTEMPTS outage tries. A refusal (400, 401/403) is not retried:
the job fails into RQ's failed registry, with a clear log line, to be requeued once fixed.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import redis
from rq import Queue
from rq.exceptions import NoSuchJobError, ShutDownImminentException
from rq.job import Job, JobStatus
from rq.timeouts import JobTimeoutException

from app import defaults
from app.infra.logs import log_event
from app.infra.queueing import job_options
from app.oncall.errors import NoticeRateLimited, NoticeUnavailable
from app.zendesk import Conflict, RateLimited, ZendeskUnavailable
from workers.rate_limit import Throttled
from workers.retry_policy import RetryPolicy
from workers.ticket_budget import TicketWritesExhausted
from workers.ticket_lock import TicketBusy

log = logging.getLogger("escalator.worker")

SLACK = "slack"
# A job in one of these will still run: a started one is re-run should its worker die (workers.reaper).
WILL_RUN = (JobStatus.SCHEDULED, JobStatus.QUEUED, JobStatus.DEFERRED, JobStatus.STARTED)


class GaveUp(Exception):
    """A retryable error kept happening; the job fails so it can be requeued by hand."""


@dataclass(frozen=True)
class Budget:
    """How often a job was rescheduled (it names the retry job), how many of those were outages
    (they set the backoff), the Unix time after which it stops being retried, and the policy."""

    attempt: int = 0
    outage_attempt: int = 0
    deadline: float | None = None
    policy: RetryPolicy = field(default_factory=RetryPolicy)


@dataclass(frozen=True)
class NextTry:
    delay: float
    reason: str
    outage: bool = False  # an outage: the next one backs off longer
    limited: bool = False  # and it counts towards SLACK_MAX_OUTAGE_ATTEMPTS


def next_try(error: BaseException, budget: Budget) -> NextTry | None:
    """When to try again after `error`; None when it is not worth trying again (re-raise it)."""
    if isinstance(error, (NoticeRateLimited, RateLimited)):
        return NextTry(error.retry_after + jitter(), "rate_limited")
    if isinstance(error, NoticeUnavailable):
        backoff = budget.policy.backoff_seconds(budget.outage_attempt)
        return NextTry(backoff, "unavailable", outage=True, limited=error.vendor == SLACK)
    if isinstance(error, (ZendeskUnavailable, Conflict)):
        reason = "conflict" if isinstance(error, Conflict) else "unavailable"
        return NextTry(budget.policy.backoff_seconds(budget.outage_attempt), reason, outage=True)
    if isinstance(error, Throttled):
        return NextTry(error.wait + jitter(), "throttled")
    if isinstance(error, TicketWritesExhausted):
        return NextTry(error.wait + jitter(), "ticket_budget")
    if isinstance(error, TicketBusy):
        return NextTry(defaults.BUSY_DELAY_SECONDS + jitter(), "busy")
    if isinstance(error, ShutDownImminentException):
        return NextTry(defaults.INTERRUPTED_DELAY_SECONDS + jitter(), "shutdown")
    if isinstance(error, JobTimeoutException):
        return NextTry(defaults.INTERRUPTED_DELAY_SECONDS + jitter(), "timeout", outage=True)
    if isinstance(error, (redis.ConnectionError, redis.TimeoutError)):
        # A notice sent before Redis failed (its state not written) is sent again, under the same
        # dedup key: PagerDuty joins it to the alert it opened. If Redis is still gone, the
        # reschedule fails too and RQ re-runs the job (workers.reruns).
        return NextTry(budget.policy.backoff_seconds(budget.outage_attempt), "redis_unavailable", outage=True)
    return None


def reschedule(
    queue: Queue,
    function: str,
    args: tuple[Any, ...],
    first_job_id: str,
    budget: Budget,
    step: NextTry,
    error: BaseException,
    what: Mapping[str, Any] | str,
) -> str:
    """Enqueue the same job again after `step.delay`, or fail it (GaveUp) when its budget is
    spent; "rescheduled:<reason>". `what` names the job in the log line: its id fields
    (`{"check": job_id}`), or a word logged as the `job` field."""
    attempt = budget.attempt + 1
    outage_attempt = budget.outage_attempt + step.outage
    deadline = budget.deadline or time.time() + budget.policy.give_up_seconds
    if step.limited and outage_attempt >= defaults.SLACK_MAX_OUTAGE_ATTEMPTS:
        give_up(what, outage_attempt, step.reason, error)
    if time.time() + step.delay > deadline:
        give_up(what, attempt, step.reason, error)
    queue.enqueue_in(
        timedelta(seconds=step.delay),
        function,
        *args,
        attempt=attempt,
        outage_attempt=outage_attempt,
        deadline=deadline,
        job_id=retry_job_id(first_job_id, attempt),
        **job_options(),
    )
    log_event(
        log,
        "worker.job.rescheduled",
        level=logging.WARNING,
        **_job_fields(what),
        reason=step.reason,
        attempt=attempt,
        outage_attempt=outage_attempt,
        delay_seconds=round(step.delay, 1),
    )
    return f"rescheduled:{step.reason}"


def give_up(what: Mapping[str, Any] | str, attempts: int, reason: str, error: BaseException) -> None:
    log_event(
        log,
        "worker.job.gave_up",
        level=logging.ERROR,
        **_job_fields(what),
        reason=reason,
        attempts=attempts,
        error=str(error),
    )
    raise GaveUp(f"{reason} after {attempts} attempts: {error}") from error


def retry_job_id(first_job_id: str, attempt: int) -> str:
    """The id of a job's `attempt`-th retry (`<id>-retry3`)."""
    return f"{first_job_id}-retry{attempt}"


def _job_fields(what: Mapping[str, Any] | str) -> dict[str, Any]:
    return {"job": what} if isinstance(what, str) else dict(what)


def first_job_id(job_id: str) -> str:
    """The job id a retry chain is named after (`<id>-retry3` -> `<id>`)."""
    head, sep, tail = job_id.rpartition("-retry")
    return head if sep and tail.isdigit() else job_id


def jitter() -> float:
    return random.uniform(0, defaults.RESCHEDULE_JITTER_SECONDS)


def job_status(queue: Queue, job_id: str) -> JobStatus | None:
    """The job's status, or None when it no longer exists."""
    try:
        job = Job.fetch(job_id, connection=queue.connection, serializer=queue.serializer)
    except NoSuchJobError:
        return None
    return job.get_status(refresh=False)
