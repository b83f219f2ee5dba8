"""Paging on-call for a ticket: what was sent, kept in Redis, so nothing is sent twice or lost.

A ticket's page has one state (`escalator:page:ticket:<id>`), changed only by jobs that hold the
ticket's lock (workers.ticket_lock), so a page, its acknowledge and its resolve never race:

    (none) --page--> open --agent reply--> acknowledged --solved/closed--> resolved
      |                |                                                     |
      |                +----------------solved/closed------------------------+
      +--page, PagerDuty did not take it--> pending --the retry job sends--> open
                                              |
                                              +--agent reply or solved--> cancelled (never sent)

- `page` sends the trigger at once, so the ticket's one note can say it went out. A ticket whose
  page is open, acknowledged or pending is not paged again (PagerDuty would fold a second trigger
  into the open alert anyway, but it is not even sent). A resolved or cancelled page is closed:
  an urgent after-hours comment on the reopened ticket pages again (PagerDuty opens a new alert
  under the same dedup key).
- A trigger PagerDuty did not take (429, 5xx, a timeout) leaves the page `pending` and queues a
  job (`workers.oncall_jobs.deliver_notice`) that retries it, waiting out PagerDuty for as long as
  it takes (docs/oncall.md); when it goes out, that job adds the second note. A trigger PagerDuty
  refused (400: a wrong routing key) is queued too: it fails into RQ's failed registry, visibly,
  and goes out once the key is fixed and the job requeued.
- Acknowledge and resolve are tried at once as well, and queued when PagerDuty does not take them;
  the state changes only after the attempt, so an interrupted one is tried again by the job's
  retry. A queued acknowledge or resolve goes out only while the page is still acknowledged or
  resolved: never against the new alert of a reopened ticket.
- A `pending` page names its job (the retry's, once rescheduled). When that job will not run any
  more (it failed for good: given up after a day of outages, or refused and not requeued; or it is
  gone), the next page of the ticket is sent instead of answering "still being retried".
- A state and the job it promises (the retry of a `pending` trigger, an acknowledge's retry, a
  Slack copy) are written in one Redis transaction: never a `pending` page with no job to send it.
- Slack gets a copy of each trigger, acknowledge and resolve PagerDuty took, always through its
  own job: Slack failing never holds up or fails a page.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import redis
from redis.client import Pipeline
from rq import Queue

from app import defaults, redis_keys
from app.infra.logs import log_event
from app.infra.queueing import job_options
from app.oncall import slack as slack_text
from app.oncall.errors import NoticeError, NoticeRateLimited, NoticeRejected, NoticeUnavailable
from app.oncall.page_events import (
    ACKNOWLEDGE,
    RESOLVE,
    PageDetails,
    acknowledge_event,
    agent_ticket_url,
    dedup_key,
    resolve_event,
    trigger_event,
)
from app.oncall.pagerduty import Pager
from app.oncall.slack import SlackWebhook
from app.policy.config import PageSeverity
from workers.retries import WILL_RUN, first_job_id, job_status

log = logging.getLogger("escalator.oncall")

NOTICE_FUNCTION = "workers.oncall_jobs.deliver_notice"

PENDING, OPEN, ACKNOWLEDGED, RESOLVED, CANCELLED = "pending", "open", "acknowledged", "resolved", "cancelled"
LIVE = (PENDING, OPEN, ACKNOWLEDGED)  # a page that must not be sent again
# The state a queued acknowledge or resolve belongs to: in any other, it is stale.
_STATE_AFTER = {ACKNOWLEDGE: ACKNOWLEDGED, RESOLVE: RESOLVED}
NO_ROUTING_KEY = "PAGERDUTY_ROUTING_KEY is not set"

# What `page` did, for the note and the job's log line.
PAGED, ALREADY_PAGED, RETRYING, REFUSED, NOT_CONFIGURED = (
    "paged",
    "already_paged",
    "retrying",
    "refused",
    "not_configured",
)


@dataclass(frozen=True)
class PageState:
    state: str
    dedup_key: str
    note_owed: bool  # a retried trigger owes the ticket a second note once it goes out
    job: str | None = None  # pending: the job that sends the trigger (the first, or its latest retry)


@dataclass(frozen=True)
class PageResult:
    status: str
    dedup_key: str | None = None
    reason: str = ""

    def note_line(self) -> str:
        """The line the ticket's internal note gets about the page."""
        if self.status == PAGED:
            return f"On-call paged (PagerDuty incident {self.dedup_key})."
        if self.status == ALREADY_PAGED:
            return f"On-call already paged (PagerDuty incident {self.dedup_key}): no second page."
        if self.status == RETRYING:
            return (
                f"On-call page not accepted by PagerDuty yet ({self.reason}); it is being retried, "
                "and a second note will say when it went out."
            )
        if self.status == REFUSED:
            return (
                f"On-call page refused by PagerDuty ({self.reason}): check PAGERDUTY_ROUTING_KEY; "
                "the page waits in the failed jobs and goes out when requeued."
            )
        return "On-call page required, paging not configured: no page was sent (PAGERDUTY_ROUTING_KEY is not set)."


def retried_page_note(key: str) -> str:
    """The second note, when a page that had to be retried finally went out."""
    return f"On-call paged (PagerDuty incident {key}), after retrying: PagerDuty took the page now."


class Paging:
    def __init__(
        self,
        connection: redis.Redis,
        queue: Queue,
        *,
        zendesk_url: str | None,
        pager: Pager | None = None,
        slack: SlackWebhook | None = None,
        severities: PageSeverity,
    ):
        """`pager` None: paging is not configured. `queue`: where retries and Slack copies go."""
        self.redis = connection
        self.queue = queue
        self.zendesk_url = zendesk_url
        self.pager = pager
        self.slack = slack
        self.severities = severities

    @property
    def enabled(self) -> bool:
        return self.pager is not None

    def dedup_key(self, ticket_id: int) -> str:
        return dedup_key(self.zendesk_url, ticket_id)

    def state(self, ticket_id: int) -> PageState | None:
        raw: dict[bytes, bytes] = self.redis.hgetall(redis_keys.page(ticket_id))  # type: ignore[assignment]
        if not raw or b"state" not in raw:
            return None
        return PageState(
            state=raw[b"state"].decode(),
            dedup_key=raw.get(b"dedup_key", b"").decode(),
            note_owed=raw.get(b"note_owed") == b"1",
            job=raw[b"job"].decode() if b"job" in raw else None,
        )

    # --- called with the ticket's lock held ------------------------------------------------------

    def page(self, details: PageDetails, *, note: bool = True) -> PageResult:
        """Trigger the ticket's page unless one is live. `note`: the ticket gets a second note if
        the page has to be retried (the SLA watchdog's pages write no note)."""
        ticket_id = details.ticket_id
        if self.pager is None:
            log_event(log, "oncall.page.not_configured", level=logging.WARNING, ticket=ticket_id, reason=NO_ROUTING_KEY)
            return PageResult(NOT_CONFIGURED)
        key = self.dedup_key(ticket_id)
        current = self.state(ticket_id)
        if current is not None and current.state == PENDING:
            if self._will_run(current.job):
                return PageResult(RETRYING, key, "an earlier attempt is still being retried")
            # Its job failed for good (given up, or refused and not requeued) or is gone: try again.
            log_event(log, "oncall.page.stale", level=logging.WARNING, ticket=ticket_id, job=current.job)
        elif current is not None and current.state in LIVE:
            log_event(log, "oncall.page.already_open", ticket=ticket_id, state=current.state)
            return PageResult(ALREADY_PAGED, key)
        event = trigger_event(details, self.zendesk_url, self.severities)
        mirror = self._slack_copy(details, key)
        try:
            self.pager.send(event)
        except NoticeError as error:
            # `pending` and the job that retries it are one transaction: a pending page without its
            # job would answer "retrying" to every later page of the ticket and never go out.
            with self._transaction() as pipe:
                job_id = self._queue_notice(pipe, ticket_id, {"event": event, "slack_text": mirror}, error)
                self._write_state(pipe, ticket_id, PENDING, key, note_owed=note, job=job_id)
                pipe.execute()
            _log_deferred(ticket_id, event, job_id, error)
            status = REFUSED if isinstance(error, NoticeRejected) else RETRYING
            return PageResult(status, key, _short(error))
        with self._transaction() as pipe:
            self._write_state(pipe, ticket_id, OPEN, key)
            if mirror:
                self._queue_slack(pipe, ticket_id, mirror)
            pipe.execute()
        log_event(log, "oncall.page.sent", ticket=ticket_id, dedup_key=key)
        return PageResult(PAGED, key)

    def acknowledge(self, ticket_id: int) -> str | None:
        """An agent replied in public: acknowledge the open page (cancel a pending one)."""
        return self._close(ticket_id, (OPEN,), ACKNOWLEDGED, acknowledge_event, slack_text.acknowledged_text)

    def resolve(self, ticket_id: int) -> str | None:
        """The ticket was solved or closed: resolve its page (cancel a pending one)."""
        return self._close(ticket_id, (OPEN, ACKNOWLEDGED), RESOLVED, resolve_event, slack_text.resolved_text)

    def deliver_trigger(self, ticket_id: int, event: dict[str, Any], mirror: str | None) -> str:
        """Send a trigger that had to wait (the notice job); errors reach the job, which retries."""
        current = self.state(ticket_id)
        if current is None or current.state != PENDING:
            state = current.state if current else "no_page"
            log_event(log, "oncall.page.retry_skipped", ticket=ticket_id, state=state)
            return f"skipped:{state}"
        if self.pager is None:
            raise NoticeRejected(f"pagerduty: paging is no longer configured ({NO_ROUTING_KEY})", "pagerduty")
        self.pager.send(event)
        with self._transaction() as pipe:
            self._write_state(pipe, ticket_id, OPEN, current.dedup_key, note_owed=current.note_owed)
            if mirror:
                self._queue_slack(pipe, ticket_id, mirror)
            pipe.execute()
        log_event(log, "oncall.page.sent", ticket=ticket_id, dedup_key=current.dedup_key, after_retry=True)
        return PAGED

    def deliver_event(self, ticket_id: int, event: dict[str, Any]) -> str:
        """Send an acknowledge or resolve that had to wait (the notice job), unless the page moved on
        meanwhile: a stale acknowledge or resolve must not silence the new alert of a reopened
        ticket paged again under the same dedup key (or acknowledge after the resolve)."""
        action = event["event_action"]
        current = self.state(ticket_id)
        state = current.state if current else "no_page"
        if state != _STATE_AFTER[action]:
            log_event(log, "oncall.page.retry_skipped", ticket=ticket_id, action=action, state=state)
            return f"skipped:{state}"
        if self.pager is None:
            raise NoticeRejected(f"pagerduty: paging is no longer configured ({NO_ROUTING_KEY})", "pagerduty")
        self.pager.send(event)
        log_event(log, f"oncall.page.{state}", ticket=ticket_id, after_retry=True)
        return action

    def rescheduled(self, ticket_id: int, job_id: str, retry_job: str) -> None:
        """The trigger job `job_id` will run again as `retry_job`: recorded before the retry is
        enqueued, while the page is still pending on that job, so `page` sees the retry."""
        name = redis_keys.page(ticket_id)

        def record(pipe: Any) -> None:
            state, job = pipe.hmget(name, "state", "job")
            if state != PENDING.encode() or job is None or first_job_id(job.decode()) != first_job_id(job_id):
                return
            pipe.multi()
            pipe.hset(name, "job", retry_job)

        self.redis.transaction(record, name)

    def owed_note(self, ticket_id: int) -> str | None:
        """The second note a retried page owes the ticket, once it went out; else None."""
        current = self.state(ticket_id)
        if current is None or not current.note_owed or current.state not in (OPEN, ACKNOWLEDGED, RESOLVED):
            return None
        return retried_page_note(current.dedup_key)

    def note_written(self, ticket_id: int) -> None:
        self.redis.hdel(redis_keys.page(ticket_id), "note_owed")

    # --- sending ---------------------------------------------------------------------------------

    def post_to_slack(self, text: str) -> bool:
        """Post now; False when no webhook is configured any more (the message is dropped)."""
        if self.slack is None:
            return False
        self.slack.post(text)
        return True

    def notify_slack(self, ticket_id: int, text: str) -> bool:
        """Queue a Slack message (when a webhook is configured); whether one was queued."""
        if self.slack is None:
            return False
        with self._transaction() as pipe:
            self._queue_slack(pipe, ticket_id, text)
            pipe.execute()
        return True

    def _close(
        self,
        ticket_id: int,
        from_states: tuple[str, ...],
        to_state: str,
        build: Callable[[str | None, int], dict[str, Any]],
        message: Callable[[int, str | None], str],
    ) -> str | None:
        current = self.state(ticket_id)
        if current is None:
            return None
        if current.state == PENDING:
            self._set_state(ticket_id, CANCELLED, current.dedup_key)
            log_event(log, "oncall.page.cancelled", ticket=ticket_id, reason=f"{to_state} before the page went out")
            return CANCELLED
        if current.state not in from_states:
            return None
        event = build(self.zendesk_url, ticket_id)
        error = None
        if self.pager is not None:
            try:
                self.pager.send(event)
            except NoticeError as e:
                error = e
        # Sent (or not) first, then the new state with its retry job or Slack copy in one
        # transaction: a state written before a send or enqueue that never happens would leave
        # PagerDuty's alert open for good (a second acknowledge or resolve is harmless).
        with self._transaction() as pipe:
            self._write_state(pipe, ticket_id, to_state, current.dedup_key, note_owed=current.note_owed)
            if error is not None:
                job_id = self._queue_notice(pipe, ticket_id, {"event": event}, error)
            elif self.slack is not None:
                self._queue_slack(pipe, ticket_id, message(ticket_id, agent_ticket_url(self.zendesk_url, ticket_id)))
            pipe.execute()
        if error is not None:
            _log_deferred(ticket_id, event, job_id, error)
        else:
            log_event(log, f"oncall.page.{to_state}", ticket=ticket_id, dedup_key=current.dedup_key)
        return to_state

    def _slack_copy(self, details: PageDetails, key: str) -> str | None:
        if self.slack is None:
            return None
        return slack_text.paged_text(
            details.ticket_id,
            details.category,
            details.subject,
            agent_ticket_url(self.zendesk_url, details.ticket_id),
            details.response_due_at,
            key,
        )

    def _transaction(self) -> Pipeline:
        """A MULTI/EXEC pipeline: state writes and the jobs they promise commit together or not at all."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.multi()  # rq's enqueue calls multi() itself unless the caller already has
        return pipe

    def _set_state(self, ticket_id: int, state: str, key: str) -> None:
        with self._transaction() as pipe:
            self._write_state(pipe, ticket_id, state, key)
            pipe.execute()

    def _write_state(
        self, pipe: Pipeline, ticket_id: int, state: str, key: str, *, note_owed: bool = False, job: str | None = None
    ) -> None:
        name = redis_keys.page(ticket_id)
        pipe.hset(name, mapping={"state": state, "dedup_key": key})
        if note_owed:
            pipe.hset(name, "note_owed", "1")
        else:
            pipe.hdel(name, "note_owed")
        if job:
            pipe.hset(name, "job", job)
        else:
            pipe.hdel(name, "job")
        pipe.expire(name, defaults.PAGE_STATE_TTL_SECONDS)

    def _will_run(self, job_id: str | None) -> bool:
        """Whether the job of a pending page is still to run (or running: the reaper re-runs it)."""
        if job_id is None:
            return True  # a pending page recorded before pages named their job
        return job_status(self.queue, job_id) in WILL_RUN

    def _queue_notice(self, pipe: Pipeline, ticket_id: int, payload: dict[str, Any], error: NoticeError) -> str:
        """Add the retry of a PagerDuty event to `pipe`; its job id."""
        notice = {"vendor": "pagerduty", "ticket_id": ticket_id, **payload}
        return self._enqueue(pipe, notice, _first_wait(error), f"page-{payload['event']['event_action']}-{ticket_id}")

    def _queue_slack(self, pipe: Pipeline, ticket_id: int, text: str) -> None:
        self._enqueue(pipe, {"vendor": "slack", "ticket_id": ticket_id, "text": text}, 0.0, f"slack-{ticket_id}")

    def _enqueue(self, pipe: Pipeline, notice: dict[str, Any], delay: float, name: str) -> str:
        """Add the notice job to `pipe`: it exists once the caller executes the transaction."""
        job_id = f"{name}-{time.time_ns()}"
        options = {"job_id": job_id, "pipeline": pipe, **job_options()}
        if delay > 0:
            self.queue.enqueue_in(timedelta(seconds=delay), NOTICE_FUNCTION, notice, **options)
        else:
            self.queue.enqueue(NOTICE_FUNCTION, notice, **options)
        return job_id


def _first_wait(error: NoticeError) -> float:
    """How long a PagerDuty event waits before its first retry."""
    if isinstance(error, NoticeRateLimited):
        return error.retry_after
    if isinstance(error, NoticeUnavailable):
        return defaults.RETRY_BACKOFF_BASE_SECONDS  # the first wait of the retry policy
    return 0.0


def _log_deferred(ticket_id: int, event: dict[str, Any], job_id: str, error: NoticeError) -> None:
    log_event(
        log,
        "oncall.page.deferred",
        level=logging.ERROR if isinstance(error, NoticeRejected) else logging.WARNING,
        ticket=ticket_id,
        action=event["event_action"],
        job=job_id,
        delay_s=round(_first_wait(error)),
        reason=str(error),
    )


def _short(error: NoticeError) -> str:
    """The reason for the note: `PagerDuty answered 503`, `PagerDuty timed out (ReadTimeout)`;
    a refusal in full (PagerDuty's own words say what to fix)."""
    text = str(error).removeprefix(f"{error.vendor}: ")
    if error.status is not None and not isinstance(error, NoticeRejected):
        return f"PagerDuty answered {error.status}"
    return f"PagerDuty {text}"[:200]
