"""Whether the queue side is alive, read from Redis: workers, the scheduler, waiting, due and
failed jobs, persistence. Read-only (`escalator zendesk doctor`, `/readyz` and the start-up check
use it; nothing here cleans RQ's registries).

RQ keeps one hash per worker that the worker's heartbeat renews (TTL `worker_ttl` + 60 s): a
worker whose hash has expired is dead even while its name is still in the registry set. The
scheduler (workers/scheduler.py, a thread of every worker) holds a lock key per queue while it
runs (SCHEDULER_LOCK_SECONDS, renewed every second) and writes its heartbeat to RQ's scheduler
hash.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from rq import Queue, Worker
from rq.exceptions import SchedulerNotFound
from rq.job import Job
from rq.registry import FailedJobRegistry, ScheduledJobRegistry
from rq.scheduler import RQScheduler

from app.infra.logs import log_event


def live_workers(queue: Queue) -> list[str]:
    """Names of the workers serving `queue` whose heartbeat is current."""
    return sorted(worker.name for worker in Worker.all(queue=queue))


def scheduler_holder(connection: redis.Redis, queue_name: str) -> str | None:
    """The name of the scheduler that holds `queue_name`'s lock, or None when none runs.

    The one place that decides "the scheduler is running", so a different scheduler (a supervised
    process instead of the worker's child) changes only this function."""
    holder = connection.get(RQScheduler.get_locking_key(queue_name))
    if holder is None:
        return None
    return holder.decode() if isinstance(holder, bytes) else str(holder)


def scheduler_running(connection: redis.Redis, queue_names: list[str]) -> bool:
    """Whether every one of the queues has a scheduler (one round trip, for /readyz)."""
    holders: list = connection.mget([RQScheduler.get_locking_key(name) for name in queue_names])  # type: ignore[assignment]  # sync client
    return all(holder is not None for holder in holders)


@dataclass(frozen=True)
class SchedulerState:
    holder: str | None  # None: no scheduler runs for the queue
    pid: int | None = None
    hostname: str | None = None
    heartbeat_age_seconds: float | None = None

    def describe(self) -> str:
        if self.holder is None:
            return "not running"
        if self.pid is None:
            return f"running ({self.holder})"
        age = f", last tick {self.heartbeat_age_seconds:.0f} s ago" if self.heartbeat_age_seconds is not None else ""
        return f"running ({self.holder}, pid {self.pid} on {self.hostname}{age})"


def scheduler_state(connection: redis.Redis, queue_name: str, now: datetime) -> SchedulerState:
    """Who schedules `queue_name`'s due jobs, with its pid, host and heartbeat (RQ's scheduler hash)."""
    holder = scheduler_holder(connection, queue_name)
    if holder is None:
        return SchedulerState(None)
    try:
        found = RQScheduler.fetch(holder, connection)
    except SchedulerNotFound:
        return SchedulerState(holder)
    age = (now - found.last_heartbeat).total_seconds() if found.last_heartbeat else None
    return SchedulerState(holder, found.pid, found.hostname, age)


def overdue_seconds(queue: Queue, now: datetime) -> float | None:
    """How long the most overdue scheduled job (a retry, a rate-limit wait) has been due without
    being moved to its queue; None when none is due. Seconds count only when no scheduler runs."""
    due: list = queue.connection.zrangebyscore(  # type: ignore[assignment]  # sync client
        ScheduledJobRegistry(queue=queue).key, "-inf", now.timestamp(), 0, 1, withscores=True
    )
    if not due:
        return None
    [(_job_id, score)] = due
    return max(0.0, now.timestamp() - float(score))


def failed_count(queue: Queue) -> int:
    return FailedJobRegistry(queue=queue).count


def oldest_wait_seconds(queue: Queue, now: datetime) -> float | None:
    """How long the job at the head of the queue has waited; None for an empty queue."""
    for job_id in queue.get_job_ids(0, 1):
        job = Job.fetch(job_id, connection=queue.connection, serializer=queue.serializer)
        if job.enqueued_at is not None:
            enqueued = job.enqueued_at if job.enqueued_at.tzinfo else job.enqueued_at.replace(tzinfo=UTC)
            return max(0.0, (now - enqueued).total_seconds())
    return None


@dataclass(frozen=True)
class Persistence:
    safe: bool | None  # None: unknown (the server refuses CONFIG, as managed Redis often does)
    detail: str


NEEDED = "escalator needs appendonly yes and maxmemory-policy noeviction (README: Redis persistence)"


def persistence(connection: redis.Redis) -> Persistence:
    """Whether Redis keeps every accepted job: across a restart (the append-only file, written
    at least every second) and under memory pressure (no eviction)."""
    try:
        appendonly = _config(connection, "appendonly")
        appendfsync = _config(connection, "appendfsync")
        save = _config(connection, "save")
        eviction = _config(connection, "maxmemory-policy")
    except redis.ResponseError:
        return Persistence(
            None, f"unknown: this Redis does not answer CONFIG GET (managed Redis often refuses it); {NEEDED}"
        )
    problems = []
    if appendonly != "yes":
        kept = f"only snapshots (save {save}) keep data" if save else "nothing keeps data"
        problems.append(f"appendonly is {appendonly or 'unset'}: {kept}, so a restart loses the latest accepted jobs")
    elif appendfsync == "no":
        problems.append("appendfsync is no: a crash loses the writes the OS has not flushed yet (about 30 s)")
    if eviction != "noeviction":
        problems.append(f"maxmemory-policy is {eviction}: when memory runs out Redis deletes keys, jobs among them")
    if problems:
        return Persistence(False, "; ".join(problems) + f"; {NEEDED}")
    return Persistence(True, f"append-only file on (appendfsync {appendfsync}), maxmemory-policy noeviction")


def log_persistence(url: str, log: logging.Logger) -> Persistence:
    """At start-up: say in the log whether Redis keeps accepted jobs, with a warning when it does
    not or cannot be asked. A quick, single try: a Redis that does not answer delays nothing."""
    connection = _probe(url)
    try:
        found = persistence(connection)
    except redis.RedisError as error:
        found = Persistence(None, f"unknown: Redis did not answer ({type(error).__name__}); {NEEDED}")
    finally:
        connection.close()
    if found.safe:
        log_event(log, "redis.persistence.ok", detail=found.detail)
    elif found.safe is None:
        log_event(
            log, "redis.persistence.unknown", level=logging.WARNING, detail=found.detail.removeprefix("unknown: ")
        )
    else:
        log_event(log, "redis.persistence.unsafe", level=logging.WARNING, detail=found.detail)
    return found


def _probe(url: str) -> redis.Redis:
    options: dict = {"socket_connect_timeout": 2, "socket_timeout": 2, "retry": Retry(NoBackoff(), 0)}
    if url.startswith("rediss://"):
        options["ssl_cert_reqs"] = None
    return redis.Redis.from_url(url, **options)


def _config(connection: redis.Redis, name: str) -> str:
    answer: dict = connection.config_get(name)  # type: ignore[assignment]  # sync client
    value = answer.get(name, "")
    return value.decode() if isinstance(value, bytes) else str(value)
