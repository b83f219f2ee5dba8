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

Jobs for one ticket run under its lock (workers.apply), so arms and disarms of a ticket never
interleave; the record is written after the job, so a crash between leaves a job that the retry
finds (DuplicateJobError) and records.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from rq import Queue
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus

from app import defaults, redis_keys
from app.timestamps import format_utc, parse_time, utc_now

log = logging.getLogger("escalator.watchdog")

ARMED = "armed"  # a new check is scheduled (or queued, when its time has passed)
KEPT = "kept"  # an earlier check of the ticket is armed and covers this promise too
OFF = "off"  # ESCALATOR_SLA_WATCHDOG_LEAD_MINUTES=0

_CANCELLABLE = (JobStatus.SCHEDULED, JobStatus.QUEUED, JobStatus.DEFERRED)


@dataclass(frozen=True)
class ArmedCheck:
    """The check a ticket is watched by: its job, when the response is due, since when it counts."""

    job_id: str
    due: datetime
    since: datetime

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
        )

    def arm(self, ticket_id: int, due: datetime, since: datetime) -> str:
        """Watch the response due at `due` to the text that arrived at `since`: ARMED, KEPT or OFF."""
        if not self.enabled:
            return OFF
        current = self.armed(ticket_id)
        if current is not None and current.due <= due:
            return KEPT
        check = ArmedCheck(job_id=check_job_id(ticket_id, due), due=due, since=since)
        self._schedule(ticket_id, check)
        key = redis_keys.sla_check(ticket_id)
        with self.redis.pipeline() as pipe:
            pipe.delete(key)
            pipe.hset(key, mapping={"job_id": check.job_id, "due": format_utc(due), "since": format_utc(since)})
            pipe.expire(key, self._record_ttl(due))
            pipe.execute()
        if current is not None:
            self._cancel(current.job_id)
        log.info(
            "watchdog.armed ticket=%s due=%s check_at=%s job=%s",
            ticket_id,
            format_utc(due),
            format_utc(check_time(due, self.lead_minutes)),
            check.job_id,
        )
        return ARMED

    def disarm(self, ticket_id: int) -> ArmedCheck | None:
        """An agent replied in public: stop watching the ticket; the check that was armed, if any."""
        current = self.armed(ticket_id)
        if current is None:
            return None
        self.redis.delete(redis_keys.sla_check(ticket_id))
        self._cancel(current.job_id)
        log.info("watchdog.disarmed ticket=%s job=%s", ticket_id, current.job_id)
        return current

    def is_armed(self, ticket_id: int, job_id: str) -> bool:
        """Whether `job_id` is still the check the ticket is watched by (not disarmed, not replaced)."""
        current = self.armed(ticket_id)
        return current is not None and current.job_id == job_id

    def _schedule(self, ticket_id: int, check: ArmedCheck) -> None:
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
            log.info("watchdog.already_scheduled ticket=%s job=%s", ticket_id, check.job_id)

    def _cancel(self, job_id: str) -> None:
        try:
            job = Job.fetch(job_id, connection=self.redis, serializer=self.queue.serializer)
        except NoSuchJobError:
            return
        # A check already running or done is left alone: it sees it is no longer armed.
        if job.get_status(refresh=False) in _CANCELLABLE:
            job.delete()

    def _record_ttl(self, due: datetime) -> int:
        return max(0, int((due - self.clock()).total_seconds())) + defaults.SLA_CHECK_RECORD_TTL_SECONDS
