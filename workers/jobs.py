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

The rules and the rescheduling are workers/retries.py's (`next_try`, `reschedule`), shared with
the on-call jobs. All of these are waited out, however often they come, until `deadline`: the retry policy's
give-up time (a day by default) after the job's first reschedule. Then the job fails (GaveUp)
into RQ's failed registry, with a log line. A job cut off from outside (its worker killed) is
re-run by RQ itself (workers.reruns).

`attempt` counts reschedules of any kind (it names the retry job); `outage_attempt` counts only
outages and sets their backoff, so throttling before an outage does not lengthen its first waits.
All three travel as the job's keyword arguments so `TicketEvent` stays as the web app made it.
"""

from __future__ import annotations

import logging
from datetime import datetime

from rq import Queue, get_current_job
from rq.exceptions import ShutDownImminentException

from app.infra.logs import log_event
from app.infra.metrics import record_job_result
from app.infra.queueing import JOB_FUNCTION, make_queue
from app.ticket_event import TicketEvent
from app.timestamps import utc_now
from app.zendesk import AuthFailed
from workers import process
from workers.apply import TicketEventApplier
from workers.job_log import webhook_accepted_at
from workers.retries import Budget, GaveUp, next_try, reschedule
from workers.retry_policy import RetryPolicy

log = logging.getLogger("escalator.worker")

__all__ = ["GaveUp", "apply_ticket_event", "run"]

DEFAULT_RETRY_POLICY = RetryPolicy()


def apply_ticket_event(event: dict, attempt: int = 0, outage_attempt: int = 0, deadline: float | None = None) -> str:
    """Apply one `TicketEvent.to_job()` dict to its ticket; returns a short status string."""
    job = get_current_job()
    if job is None:
        raise RuntimeError("apply_ticket_event runs as an RQ job")
    context = process.context(job.connection)
    # The context's own Redis client (short timeouts), not the worker's (RQ stretches its timeout
    # past the blocking dequeue): a reschedule against a hung Redis fails in seconds.
    queue = make_queue(context.connection, job.origin)
    accepted_at = webhook_accepted_at(job)
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
        budget = Budget(attempt, outage_attempt, deadline, retry_policy)
        status = _apply_or_reschedule(applier, queue, event, budget)
    except Exception:
        record_job_result(queue.connection, prefix + "failed")
        raise
    wrote = status in ("updated", "replied") and not applier.dry_run and accepted_at is not None
    latency = (utc_now() - accepted_at).total_seconds() if wrote and accepted_at else None
    record_job_result(queue.connection, prefix + status, webhook_to_put_seconds=latency)
    return status


def _apply_or_reschedule(applier: TicketEventApplier, queue: Queue, event: dict, budget: Budget) -> str:
    ticket_event = TicketEvent.from_job(event)
    try:
        return applier.apply(ticket_event)
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
    except (Exception, ShutDownImminentException) as error:  # the latter is a BaseException
        step = next_try(error, budget)  # workers/retries.py: the same rules as every other job
        if step is None:
            raise
        ids = {"ticket": ticket_event.ticket_id, "event_id": ticket_event.event_id}
        return reschedule(queue, JOB_FUNCTION, (event,), ticket_event.job_id, budget, step, error, ids)
