"""RQ job entry points. RQ imports `workers.jobs.apply_ticket_event` by name (app.queueing).

The job builds its collaborators and hands the event to `TicketEventApplier`; `run` turns what
can go wrong into the right next step:

- RateLimited (429): rescheduled after Retry-After, plus up to 1 s jitter -> "rescheduled:rate_limited"
- Throttled (our token bucket): rescheduled when the next token is due -> "rescheduled:throttled"
- TicketBusy (lock wait): rescheduled in a few seconds -> "rescheduled:busy"
- ZendeskUnavailable (5xx, timeouts), Conflict (409 that did not settle): rescheduled with
  exponential backoff and jitter -> "rescheduled:unavailable" / "rescheduled:conflict"; after
  MAX_OUTAGE_ATTEMPTS the job fails (GaveUp) into RQ's failed registry
- AuthFailed (401/403): the job fails at once, with a clear log line
- anything else: the job fails, and RQ records why

`attempt` counts reschedules; it travels as the job's keyword argument so `TicketEvent` stays as
the web app made it. Every kind of reschedule stops at MAX_ATTEMPTS.
"""
from __future__ import annotations

import logging
import random
from datetime import timedelta

from rq import Queue, get_current_job

from app.metrics import record_job_result
from app.queueing import JOB_FUNCTION, job_options, make_queue
from app.settings import Settings
from app.webhooks.events import TicketEvent
from app.zendesk import AuthFailed, Conflict, RateLimited, ZendeskUnavailable, make_zendesk
from workers.apply import TicketBusy, TicketEventApplier
from workers.rate_limit import Throttled, TokenBucket

log = logging.getLogger("escalator.worker")

MAX_ATTEMPTS = 20  # reschedules of any kind, so no event circulates for ever
MAX_OUTAGE_ATTEMPTS = 5  # tries against a failing Zendesk (5xx, timeouts, conflicts) before failing
BACKOFF_BASE_SECONDS = 2.0
BACKOFF_CAP_SECONDS = 300.0
RESCHEDULE_JITTER_SECONDS = 1.0
BUSY_DELAY_SECONDS = 2.0


class GaveUp(Exception):
    """A retryable error kept happening; the job fails so it can be requeued by hand."""


def apply_ticket_event(event: dict, attempt: int = 0) -> str:
    """Apply one `TicketEvent.to_job()` dict to its ticket; returns a short status string."""
    from app.policy import load_policy

    job = get_current_job()
    connection = job.connection
    settings = Settings.from_env()
    bucket = TokenBucket(connection, settings.zendesk_requests_per_minute)
    applier = TicketEventApplier(
        make_zendesk(settings, throttle=bucket.acquire),
        connection,
        load_policy(settings.policy_path),
        settings,
    )
    return run(applier, make_queue(connection, job.origin), event, attempt)


def run(applier: TicketEventApplier, queue: Queue, event: dict, attempt: int = 0) -> str:
    """Apply the event, reschedule or fail; count the result for /metrics either way."""
    try:
        status = _apply_or_reschedule(applier, queue, event, attempt)
    except Exception:
        record_job_result(queue.connection, "failed")
        raise
    record_job_result(queue.connection, status)
    return status


def _apply_or_reschedule(applier: TicketEventApplier, queue: Queue, event: dict, attempt: int) -> str:
    ticket_event = TicketEvent.from_job(event)
    try:
        return applier.apply(ticket_event)
    except RateLimited as e:
        return _reschedule(queue, event, attempt, e.retry_after + _jitter(), "rate_limited", e)
    except Throttled as e:
        return _reschedule(queue, event, attempt, e.wait + _jitter(), "throttled", e)
    except TicketBusy as e:
        return _reschedule(queue, event, attempt, BUSY_DELAY_SECONDS + _jitter(), "busy", e)
    except (ZendeskUnavailable, Conflict) as e:
        reason = "conflict" if isinstance(e, Conflict) else "unavailable"
        if attempt + 1 >= MAX_OUTAGE_ATTEMPTS:
            _give_up(ticket_event, attempt, reason, e)
        return _reschedule(queue, event, attempt, backoff_seconds(attempt), reason, e)
    except AuthFailed as e:
        log.error("worker.zendesk.auth_failed ticket=%s status=%s: Zendesk refused our credentials; "
                  "check ZENDESK_OAUTH_TOKEN (or ZENDESK_EMAIL and ZENDESK_API_TOKEN) and the "
                  "integration user's role. Not retried: fix, then `rq requeue`.",
                  ticket_event.ticket_id, e.status)
        raise


def backoff_seconds(attempt: int) -> float:
    """Exponential backoff with jitter: 2, 4, 8 ... s (capped), each scaled by 0.5-1.0."""
    return min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** attempt) * random.uniform(0.5, 1.0)


def _jitter() -> float:
    return random.uniform(0, RESCHEDULE_JITTER_SECONDS)


def _reschedule(queue: Queue, event: dict, attempt: int, delay: float, reason: str, error: Exception) -> str:
    ticket_event = TicketEvent.from_job(event)
    if attempt + 1 >= MAX_ATTEMPTS:
        _give_up(ticket_event, attempt, reason, error)
    queue.enqueue_in(
        timedelta(seconds=delay),
        JOB_FUNCTION,
        event,
        attempt=attempt + 1,
        job_id=f"{ticket_event.job_id}-retry{attempt + 1}",
        **job_options(),
    )
    log.warning("worker.job.rescheduled ticket=%s event=%s reason=%s attempt=%d delay=%.1fs",
                ticket_event.ticket_id, ticket_event.event_id, reason, attempt + 1, delay)
    return f"rescheduled:{reason}"


def _give_up(event: TicketEvent, attempt: int, reason: str, error: Exception) -> None:
    log.error("worker.job.gave_up ticket=%s event=%s reason=%s attempts=%d: %s",
              event.ticket_id, event.event_id, reason, attempt + 1, error)
    raise GaveUp(f"{reason} after {attempt + 1} attempts: {error}") from error
