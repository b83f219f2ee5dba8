"""The SLA watchdog's schedule: one check per ticket, a lead before its first response is due.

`arm` is called for every urgent or time-sensitive decision, `disarm` when an agent replies in
public. What makes it safe across retries, restarts and races (docs/oncall.md, "SLA watchdog"):

- The check's job id comes from the ticket and the due time (`sla-check-<ticket>-<due>`), and it
  is scheduled with RQ's `unique` (one Lua script: the job is written and registered only if no
  job has that id). A retried ticket job, or a second worker, arms the same check again and gets
  the one already there, never a second.
- Scheduled jobs live in Redis (RQ's scheduled registry), so a restarted worker or scheduler
  finds them; RQ's scheduler moves a due job to the queue and off the registry in one pipeline.
- A ticket watches one promise at a time, the earliest: a later decision with a later due keeps
  the armed check (any reply that answers the later comment answers the earlier one too); an
  earlier due (a time-sensitive ticket that turns urgent) replaces it.
- `disarm` deletes the ticket's armed-check record and cancels the scheduled job. The check
  itself runs only while it is still the armed one, so a reply that races the scheduler still
  wins; the check also reads the ticket's comments (the reply's webhook may not have arrived).
- A check whose time has passed (the lead is longer than the time left) is queued at once.
- A record is only as good as its job: a check rescheduled after an outage records its retry's
  job id, and `arm` keeps a record only while that job is scheduled, queued or running. A record
  whose job failed for good, was deleted or expired watches nothing, and the next promise is armed
  over it (the failed check stays in RQ's failed registry, armed, so `rq requeue` still runs it).
  The very promise whose check already ran or failed is not checked again (CHECKED).

Jobs for one ticket run under its lock (workers.apply), so arms and disarms of a ticket never
interleave; the record is written after the job, so a crash between leaves a job that the retry
finds (DuplicateJobError) and records.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from rq import Queue
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus

from app import defaults, redis_keys
from app.infra.logs import log_event
from app.oncall.page_events import PageDetails, agent_ticket_url
from app.oncall.slack import at_risk_text
from app.policy import Policy
from app.policy.calendar import is_after_hours
from app.ticket_event import CLOSED_STATUSES
from app.timestamps import format_utc, parse_time, utc_now
from app.zendesk import DryRunRead, NotFound, ZendeskApi
from workers.paging import NOT_CONFIGURED, Paging
from workers.retries import WILL_RUN, Budget, first_job_id, job_status, next_try, reschedule, retry_job_id
from workers.ticket_budget import TicketWriteBudget
from workers.ticket_lock import ticket_lock
from workers.ticket_writes import integration_user_id, write_with_conflict_retry

log = logging.getLogger("escalator.watchdog")

ARMED = "armed"  # a new check is scheduled (or queued, when its time has passed)
KEPT = "kept"  # an earlier check of the ticket is armed and covers this promise too
CHECKED = "checked"  # this very promise was checked already (its job ran or failed): not again
OFF = "off"  # ESCALATOR_SLA_WATCHDOG_LEAD_MINUTES=0

_CANCELLABLE = (JobStatus.SCHEDULED, JobStatus.QUEUED, JobStatus.DEFERRED)


@dataclass(frozen=True)
class ArmedCheck:
    """The check a ticket is watched by: its job, when the response is due, since when it counts."""

    job_id: str
    due: datetime
    since: datetime
    notified: bool = False  # the check found the response at risk and paged or told Slack
    retry_job: str | None = None  # the retry the check was rescheduled as, if it was

    @property
    def current_job(self) -> str:
        """The job that will run the check: the first, or the retry it was rescheduled as."""
        return self.retry_job or self.job_id

    def as_args(self, ticket_id: int) -> tuple[int, str, str]:
        return ticket_id, format_utc(self.due), format_utc(self.since)


def check_job_id(ticket_id: int, due: datetime) -> str:
    return f"sla-check-{ticket_id}-{due.astimezone(UTC):%Y%m%dT%H%MZ}"


def check_time(due: datetime, lead_minutes: int) -> datetime:
    return due - timedelta(minutes=lead_minutes)


class SlaWatchdog:
    def __init__(
        self,
        queue: Queue,
        lead_minutes: int,
        check_function: str,
        *,
        clock: Callable[[], datetime] = utc_now,
    ):
        """`check_function`: the dotted name of the job that checks a ticket (ticket_id, due, since)."""
        self.queue = queue
        self.redis = queue.connection
        self.lead_minutes = lead_minutes
        self.check_function = check_function
        self.clock = clock

    @property
    def enabled(self) -> bool:
        return self.lead_minutes > 0

    def armed(self, ticket_id: int) -> ArmedCheck | None:
        """The check the ticket is watched by, or None."""
        raw: dict[bytes, bytes] = self.redis.hgetall(redis_keys.sla_check(ticket_id))  # type: ignore[assignment]
        if not raw or b"job_id" not in raw:
            return None
        return ArmedCheck(
            job_id=raw[b"job_id"].decode(),
            due=parse_time(raw[b"due"].decode()),
            since=parse_time(raw[b"since"].decode()),
            notified=raw.get(b"notified") == b"1",
            retry_job=raw[b"retry_job"].decode() if b"retry_job" in raw else None,
        )

    def arm(self, ticket_id: int, due: datetime, since: datetime) -> str:
        """Watch the response due at `due` to the text that arrived at `since`: ARMED, KEPT or OFF."""
        if not self.enabled:
            return OFF
        current = self.armed(ticket_id)
        if current is not None and current.due <= due:
            if self._pending(current):
                return KEPT
            # Its job is gone (failed for good, deleted, expired): it watches nothing any more.
            log_event(log, "watchdog.stale", level=logging.WARNING, ticket=ticket_id, job=current.current_job)
        check = ArmedCheck(job_id=check_job_id(ticket_id, due), due=due, since=since)
        key = redis_keys.sla_check(ticket_id)
        if not self._schedule(ticket_id, check):
            if current is not None and current.job_id == check.job_id:
                self.redis.delete(key)
            return CHECKED
        with self.redis.pipeline() as pipe:
            pipe.delete(key)
            pipe.hset(key, mapping={"job_id": check.job_id, "due": format_utc(due), "since": format_utc(since)})
            pipe.expire(key, self._record_ttl(due))
            pipe.execute()
        if current is not None and current.job_id != check.job_id:
            self._cancel(current)
        log_event(
            log,
            "watchdog.armed",
            ticket=ticket_id,
            due=format_utc(due),
            check_at=format_utc(check_time(due, self.lead_minutes)),
            job=check.job_id,
        )
        return ARMED

    def disarm(self, ticket_id: int) -> ArmedCheck | None:
        """An agent replied in public: stop watching the ticket; the check that was armed, if any."""
        current = self.armed(ticket_id)
        if current is None:
            return None
        self.redis.delete(redis_keys.sla_check(ticket_id))
        self._cancel(current)
        log_event(log, "watchdog.disarmed", ticket=ticket_id, job=current.job_id)
        return current

    def mark_notified(self, ticket_id: int) -> None:
        """The running check told someone; its retry (after a failed tag write) must not again."""
        self.redis.hset(redis_keys.sla_check(ticket_id), "notified", "1")

    def finish(self, ticket_id: int) -> None:
        """The running check is done with the ticket: nothing is armed any more."""
        self.redis.delete(redis_keys.sla_check(ticket_id))

    def rescheduled(self, ticket_id: int, job_id: str, retry_job: str) -> None:
        """The check `job_id` will run again as `retry_job`: recorded (if it is still the armed
        one) before the retry is enqueued, so `arm` never takes a rescheduled check for a lost one."""
        key = redis_keys.sla_check(ticket_id)

        def record(pipe: Any) -> None:
            if pipe.hget(key, "job_id") != job_id.encode():
                return  # disarmed or replaced meanwhile (this runs outside the ticket's lock)
            pipe.multi()
            pipe.hset(key, "retry_job", retry_job)

        self.redis.transaction(record, key)

    def is_armed(self, ticket_id: int, job_id: str) -> bool:
        """Whether `job_id` is still the check the ticket is watched by (not disarmed, not replaced)."""
        current = self.armed(ticket_id)
        return current is not None and current.job_id == job_id

    def _schedule(self, ticket_id: int, check: ArmedCheck) -> bool:
        """Schedule the check (or queue it, when its time has passed); False when a job with its id
        exists that will not run again: this promise was checked already."""
        at = check_time(check.due, self.lead_minutes)
        job = self.queue.create_job(
            self.check_function,
            args=check.as_args(ticket_id),
            job_id=check.job_id,
            description=f"SLA check of ticket {ticket_id}, due {format_utc(check.due)}",
            timeout=defaults.JOB_TIMEOUT_SECONDS,
            result_ttl=defaults.RESULT_TTL_SECONDS,
            failure_ttl=defaults.FAILURE_TTL_SECONDS,
            status=JobStatus.SCHEDULED if at > self.clock() else JobStatus.QUEUED,
        )
        try:
            if at > self.clock():
                self.queue.schedule_job(job, at, unique=True)
            else:
                self.queue.enqueue_job(job, unique=True)
        except DuplicateJobError:
            status = job_status(self.queue, check.job_id)
            if status not in WILL_RUN:
                log_event(log, "watchdog.already_checked", ticket=ticket_id, job=check.job_id, status=status)
                return False
            log_event(log, "watchdog.already_scheduled", ticket=ticket_id, job=check.job_id)
        return True

    def _pending(self, check: ArmedCheck) -> bool:
        """Whether the check's job (its retry's, once rescheduled) still watches the ticket."""
        return job_status(self.queue, check.current_job) in WILL_RUN

    def _cancel(self, check: ArmedCheck) -> None:
        """Delete the check's scheduled or queued job (its retry's, if it was rescheduled)."""
        for job_id in dict.fromkeys((check.job_id, check.current_job)):
            try:
                job = Job.fetch(job_id, connection=self.redis, serializer=self.queue.serializer)
            except NoSuchJobError:
                continue
            # A check already running or done is left alone: it sees it is no longer armed.
            if job.get_status(refresh=False) in _CANCELLABLE:
                job.delete()

    def _record_ttl(self, due: datetime) -> int:
        return max(0, int((due - self.clock()).total_seconds())) + defaults.SLA_CHECK_RECORD_TTL_SECONDS


# --- the check (an RQ job) ---------------------------------------------------------------------

CHECK_FUNCTION = "workers.oncall_jobs.check_first_response"


def run_check(
    check: FirstResponseCheck, queue: Queue, job_id: str, ticket_id: int, due: str, since: str, budget: Budget
) -> str:
    """Run the check, or reschedule it when Zendesk or PagerDuty is not available."""
    try:
        return check.run(ticket_id, parse_time(due), parse_time(since))
    except Exception as error:
        step = next_try(error, budget)
        first = first_job_id(job_id)
        if step is None:
            # Left armed for `rq requeue`; `arm` sees the failed job and watches the next promise.
            log_event(
                log, "watchdog.check_failed", level=logging.ERROR, ticket=ticket_id, job=job_id, reason=str(error)
            )
            raise
        check.watchdog.rescheduled(ticket_id, first, retry_job_id(first, budget.attempt + 1))
        return reschedule(queue, CHECK_FUNCTION, (ticket_id, due, since), first, budget, step, error, {"check": first})


class FirstResponseCheck:
    """What the check does when its time comes (docs/oncall.md, "SLA watchdog").

    Under the ticket's lock: a check no longer armed (an agent replied, or an earlier promise
    replaced it) does nothing; a solved or closed ticket, or a public agent reply since the text
    arrived (read from the ticket's comments: the reply's webhook may not have come yet) ends the
    watch. Otherwise the response is at risk: page on-call when the check's time is after hours
    and the ticket is urgent and in a category that pages, else tell Slack; then add the
    `sla_at_risk` tag through the Tags endpoint (a safe update, no note). A ticket that already
    has the tag was handled by an earlier run.
    """

    def __init__(self, watchdog: SlaWatchdog, paging: Paging, zendesk: ZendeskApi, policy: Policy):
        self.watchdog = watchdog
        self.paging = paging
        self.zendesk = zendesk
        self.policy = policy
        self.redis = watchdog.redis

    def run(self, ticket_id: int, due: datetime, since: datetime) -> str:
        job_id = check_job_id(ticket_id, due)
        if not self.watchdog.is_armed(ticket_id, job_id):
            log_event(log, "watchdog.not_armed", ticket=ticket_id, job=job_id)
            return "sla:not_armed"
        with ticket_lock(self.redis, ticket_id):
            armed = self.watchdog.armed(ticket_id)
            if armed is None or armed.job_id != job_id:
                return "sla:not_armed"
            try:
                return self._check(ticket_id, armed)
            except DryRunRead:
                log_event(log, "watchdog.dry_run", ticket=ticket_id, reason="a dry run cannot read the ticket")
                return "skipped:dry_run"
            except NotFound:
                self.watchdog.finish(ticket_id)
                log_event(log, "watchdog.ticket_gone", level=logging.WARNING, ticket=ticket_id)
                return "sla:ticket_gone"

    def _check(self, ticket_id: int, armed: ArmedCheck) -> str:
        ticket = self.zendesk.get_ticket(ticket_id)
        tags = tuple(ticket.get("tags") or ())
        if (ticket.get("status") or "").lower() in CLOSED_STATUSES:
            self.watchdog.finish(ticket_id)
            return "sla:solved"
        if self.policy.tags.sla_at_risk in tags:
            self.watchdog.finish(ticket_id)
            return "sla:already_at_risk"
        if self._agent_replied(ticket_id, armed.since):
            self.watchdog.finish(ticket_id)
            log_event(log, "watchdog.answered", ticket=ticket_id)
            return "sla:answered"
        action = "notified_before" if armed.notified else self._notify(ticket_id, ticket, armed)
        self.watchdog.mark_notified(ticket_id)
        self._tag_at_risk(ticket_id, ticket)
        self.watchdog.finish(ticket_id)
        log_event(
            log,
            "watchdog.at_risk",
            level=logging.WARNING,
            ticket=ticket_id,
            due=format_utc(armed.due),
            action=action,
            reason="no public agent reply",
        )
        return f"sla:at_risk:{action}"

    def _agent_replied(self, ticket_id: int, since: datetime) -> bool:
        ours = integration_user_id(self.redis, self.zendesk)
        for comment in self.zendesk.get_recent_comments(ticket_id):
            created = comment["created_at"]
            if (
                comment["is_public"]
                and comment["author_is_staff"]
                and comment["author_id"] != ours
                and created is not None
                and parse_time(created) >= since
            ):
                return True
        return False

    def _notify(self, ticket_id: int, ticket: dict[str, Any], armed: ArmedCheck) -> str:
        policy = self.policy
        tags = tuple(ticket.get("tags") or ())
        category = next(
            (name for name in policy.categories.names if policy.tags.category(name) in tags),
            policy.categories.fallback,
        )
        urgency = "urgent" if policy.tags.urgent in tags else "time_sensitive"
        check_at = check_time(armed.due, self.watchdog.lead_minutes)
        pages = urgency == "urgent" and category in policy.after_hours.page_categories
        if pages and is_after_hours(check_at, policy.hours):
            details = PageDetails(
                ticket_id=ticket_id,
                category=category,
                subject=ticket.get("subject") or "",
                response_due_at=armed.due,
                event_time=armed.since,
                reason="first response at risk",
            )
            result = self.paging.page(details, note=False)
            if result.status != NOT_CONFIGURED:
                return f"page_{result.status}"
        text = at_risk_text(
            ticket_id,
            category,
            urgency,
            ticket.get("subject") or "",
            agent_ticket_url(self.paging.zendesk_url, ticket_id),
            armed.due,
            paged=False,
        )
        return "slack" if self.paging.notify_slack(ticket_id, text) else "logged"

    def _tag_at_risk(self, ticket_id: int, ticket: dict[str, Any]) -> None:
        """Add the tag through the Tags endpoint (a safe update); after a 409, re-read: a ticket
        that has the tag by then needs no write (workers/ticket_writes.py)."""
        tag = self.policy.tags.sla_at_risk
        writes = TicketWriteBudget(self.redis)

        def add(current: dict[str, Any]) -> None:
            if tag in (current.get("tags") or ()):
                return
            writes.take_for(self.zendesk, ticket_id)
            self.zendesk.add_tags(ticket_id, [tag], current.get("updated_at"))

        write_with_conflict_retry(
            add,
            lambda: self.zendesk.get_ticket(ticket_id),
            ticket,
            logger=log,
            conflict_event="watchdog.tag_conflict",
            ticket_id=ticket_id,
        )
