"""RQ job entry points. RQ imports `workers.jobs.apply_ticket_event` by name (app.infra.queueing).

The job takes the worker process's `TicketEventApplier` (workers.process) and hands it the event; `run` turns what
can go wrong into the right next step:

- RateLimited (429): rescheduled after Retry-After, plus up to 1 s jitter -> "rescheduled:rate_limited"
- Throttled (our token bucket): rescheduled when the next token is due -> "rescheduled:throttled"
- TicketWritesExhausted (the ticket's own budget, Zendesk's per-ticket limit): rescheduled when
  its oldest write leaves the window -> "rescheduled:ticket_budget"
- TicketBusy (lock wait): rescheduled in a few seconds -> "rescheduled:busy"
- ZendeskUnavailable (5xx, timeouts), Conflict (409 that did not settle), a Redis error inside the
  job: rescheduled with capped exponential backoff and jitter (workers.retry_policy) ->
  "rescheduled:unavailable" / "rescheduled:conflict" / "rescheduled:redis_unavailable"
- ShutDownImminentException (HerokuWorker, a few seconds after the dyno's SIGTERM) and
  JobTimeoutException (RQ, at the job timeout): rescheduled shortly -> "rescheduled:shutdown" /
  "rescheduled:timeout". The webhook was acknowledged, so the event must not wait for a manual
  requeue; a re-run is safe (done marks, safe_update). Timeouts count as outages.
- AuthFailed (401/403): the job fails at once, with a clear log line
- anything else: the job fails, and RQ records why

All of these are waited out, however often they come, until `deadline`: the retry policy's
give-up time (a day by default) after the job's first reschedule. Then the job fails (GaveUp)
into RQ's failed registry, with a log line. A job cut off from outside (its worker killed) is
re-run by RQ itself (workers.reruns).

`attempt` counts reschedules of any kind (it names the retry job); `outage_attempt` counts only
outages and sets their backoff, so throttling before an outage does not lengthen its first waits.
All three travel as the job's keyword arguments so `TicketEvent` stays as the web app made it.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import redis
from rq import Queue, get_current_job
from rq.exceptions import ShutDownImminentException
from rq.job import Job
from rq.timeouts import JobTimeoutException

from app import defaults
from app.infra.logs import log_event
from app.infra.metrics import record_job_result
from app.infra.queueing import JOB_FUNCTION, job_options, make_queue
from app.ticket_event import TicketEvent
from app.timestamps import parse_time, utc_now
from app.zendesk import AuthFailed, Conflict, RateLimited, ZendeskUnavailable
from workers import process
from workers.apply import TicketBusy, TicketEventApplier
from workers.rate_limit import Throttled
from workers.retry_policy import RetryPolicy
from workers.ticket_budget import TicketWritesExhausted

log = logging.getLogger("escalator.worker")

DEFAULT_RETRY_POLICY = RetryPolicy()


class GaveUp(Exception):
    """A retryable error kept happening; the job fails so it can be requeued by hand."""


def apply_ticket_event(event: dict, attempt: int = 0, outage_attempt: int = 0, deadline: float | None = None) -> str:
    """Apply one `TicketEvent.to_job()` dict to its ticket; returns a short status string."""
    job = get_current_job()
    if job is None:
        raise RuntimeError("apply_ticket_event runs as an RQ job")
    context = process.context(job.connection)
    # The context's own Redis client (short timeouts), not the worker's (RQ stretches its timeout
    # past the blocking dequeue): a reschedule against a hung Redis fails in seconds.
    queue = make_queue(context.connection, job.origin)
    accepted_at = webhook_accepted_at(job, TicketEvent.from_job(event).job_id)
    return run(
        context.applier,
        queue,
        event,
        attempt,
        outage_attempt,
        deadline,
        accepted_at=accepted_at,
        retry_policy=context.retry_policy,
    )


def webhook_accepted_at(job: Job, first_job_id: str) -> datetime | None:
    """When the web intake accepted the webhook: this job's creation, or for a retry job
    (`<id>-retryN`), the first job's, while its record lives (RESULT_TTL_SECONDS)."""
    if job.id == first_job_id:
        return job.created_at
    created: bytes | None = job.connection.hget(Job.key_for(first_job_id), "created_at")  # type: ignore[assignment]
    return parse_time(created.decode()) if created else None


def run(
    applier: TicketEventApplier,
    queue: Queue,
    event: dict,
    attempt: int = 0,
    outage_attempt: int = 0,
    deadline: float | None = None,
    *,
    accepted_at: datetime | None = None,
    retry_policy: RetryPolicy = DEFAULT_RETRY_POLICY,
) -> str:
    """Apply the event, reschedule or fail; count the result for /metrics either way (and, when
    it wrote to Zendesk, the seconds since its webhook was accepted)."""
    # A dry run's "updated" wrote nothing: count it apart, so a dashboard never mistakes it.
    prefix = "dry_run:" if applier.dry_run else ""
    try:
        budget = _Budget(attempt, outage_attempt, deadline, retry_policy)
        status = _apply_or_reschedule(applier, queue, event, budget)
    except Exception:
        record_job_result(queue.connection, prefix + "failed")
        raise
    wrote = status in ("updated", "replied") and not applier.dry_run and accepted_at is not None
    latency = (utc_now() - accepted_at).total_seconds() if wrote and accepted_at else None
    record_job_result(queue.connection, prefix + status, webhook_to_put_seconds=latency)
    return status


@dataclass(frozen=True)
class _Budget:
    """How often a job was rescheduled (`attempt`, also its retry job id), how many of those were
    outages, the Unix time after which it stops being retried, and the policy that sets both."""

    attempt: int
    outage_attempt: int
    deadline: float | None
    policy: RetryPolicy


def _apply_or_reschedule(applier: TicketEventApplier, queue: Queue, event: dict, budget: _Budget) -> str:
    ticket_event = TicketEvent.from_job(event)
    try:
        return applier.apply(ticket_event)
    except RateLimited as e:
        return _reschedule(queue, event, budget, e.retry_after + _jitter(), "rate_limited", e)
    except Throttled as e:
        return _reschedule(queue, event, budget, e.wait + _jitter(), "throttled", e)
    except TicketWritesExhausted as e:
        return _reschedule(queue, event, budget, e.wait + _jitter(), "ticket_budget", e)
    except TicketBusy as e:
        return _reschedule(queue, event, budget, defaults.BUSY_DELAY_SECONDS + _jitter(), "busy", e)
    except ShutDownImminentException as e:
        return _reschedule(queue, event, budget, defaults.INTERRUPTED_DELAY_SECONDS + _jitter(), "shutdown", e)
    except JobTimeoutException as e:
        return _reschedule(
            queue, event, budget, defaults.INTERRUPTED_DELAY_SECONDS + _jitter(), "timeout", e, outage=True
        )
    except (ZendeskUnavailable, Conflict) as e:
        reason = "conflict" if isinstance(e, Conflict) else "unavailable"
        return _reschedule(queue, event, budget, _backoff(budget), reason, e, outage=True)
    except (redis.ConnectionError, redis.TimeoutError) as e:
        # If Redis is still gone, this reschedule fails too and RQ re-runs the job (workers.reruns).
        return _reschedule(queue, event, budget, _backoff(budget), "redis_unavailable", e, outage=True)
    except AuthFailed as e:
        log_event(
            log,
            "worker.zendesk.auth_failed",
            level=logging.ERROR,
            ticket=ticket_event.ticket_id,
            status=e.status,
            detail="Zendesk refused our credentials; check ZENDESK_OAUTH_TOKEN (or ZENDESK_EMAIL and "
            "ZENDESK_API_TOKEN) and the integration user's role. Not retried: fix, then `rq requeue`.",
        )
        raise


def _backoff(budget: _Budget) -> float:
    return budget.policy.backoff_seconds(budget.outage_attempt)


def _jitter() -> float:
    return random.uniform(0, defaults.RESCHEDULE_JITTER_SECONDS)


def _reschedule(
    queue: Queue, event: dict, budget: _Budget, delay: float, reason: str, error: BaseException, outage: bool = False
) -> str:
    """Enqueue the same event again in `delay` seconds, or fail the job when that is past its
    deadline. `outage` says this reschedule counts as an outage (it lengthens the next backoff)."""
    ticket_event = TicketEvent.from_job(event)
    attempt, outage_attempt = budget.attempt + 1, budget.outage_attempt + outage
    deadline = budget.deadline or time.time() + budget.policy.give_up_seconds
    if time.time() + delay > deadline:
        _give_up(ticket_event, attempt, reason, error)
    queue.enqueue_in(
        timedelta(seconds=delay),
        JOB_FUNCTION,
        event,
        attempt=attempt,
        outage_attempt=outage_attempt,
        deadline=deadline,
        job_id=f"{ticket_event.job_id}-retry{attempt}",
        **job_options(),
    )
    log_event(
        log,
        "worker.job.rescheduled",
        level=logging.WARNING,
        ticket=ticket_event.ticket_id,
        event_id=ticket_event.event_id,
        reason=reason,
        attempt=attempt,
        outage_attempt=outage_attempt,
        delay_seconds=round(delay, 1),
    )
    return f"rescheduled:{reason}"


def _give_up(event: TicketEvent, attempts: int, reason: str, error: BaseException) -> None:
    log_event(
        log,
        "worker.job.gave_up",
        level=logging.ERROR,
        ticket=event.ticket_id,
        event_id=event.event_id,
        reason=reason,
        attempts=attempts,
        error=str(error),
    )
    raise GaveUp(f"{reason} after {attempts} attempts: {error}") from error
