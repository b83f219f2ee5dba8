"""The reaper: a job whose worker died is run again within a minute, by RQ's own retry.

RQ notices a dead worker's job only when the job's entry in the started registry expires (about
70 s after its last heartbeat, with our 10 s heartbeat) *and* somebody then cleans the registry:
RQ's worker maintenance, every 10 to 14 minutes. And it fails the job instead of running it again.
`reap` does better, every few seconds, in whichever worker holds the scheduler lock
(workers.scheduler) and in every worker's own maintenance (workers.process):

1. A job whose worker is dead (its `rq:worker:<name>` hash expired, says it died, or has not had a
   heartbeat for WORKER_DEAD_AFTER_SECONDS) has its started-registry entry expired at once.
2. RQ's registry cleanup (`rq.registry.clean_registries`) then handles it with our exception
   handler, `workers.reruns.rerun_interrupted`: the job is re-enqueued as it was.
3. A job a worker took off the queue and never started (RQ's intermediate list: a worker that died
   right after its BLMOVE, or a BLMOVE whose answer was lost) goes back to the front of its queue.

It runs under RQ's own registry-cleaning lock key with a short TTL, so two cleanups never race
(two would retry one job twice) and a reaper killed while holding it blocks the next for seconds,
not the 15 minutes of RQ's own lock.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import redis
from rq import Queue
from rq.job import JobStatus
from rq.registry import StartedJobRegistry, clean_registries
from rq.utils import utcparse
from rq.worker_registration import clean_worker_registry

from app import defaults
from app.infra.logs import log_event
from app.timestamps import utc_now
from workers.reruns import rerun_interrupted

log = logging.getLogger("escalator.worker")


def reap(
    queue: Queue, *, dead_after: float = defaults.WORKER_DEAD_AFTER_SECONDS, now: datetime | None = None
) -> list[str] | None:
    """Clean `queue`'s registries, re-running the jobs of dead workers and the jobs never started.

    Returns the ids of the jobs given back, or None when another cleanup holds the lock."""
    connection = queue.connection
    if not connection.set(queue.registry_cleaning_key, 1, nx=True, ex=defaults.REAPER_LOCK_SECONDS):
        return None
    now = now or utc_now()
    try:
        given_back = _expire_jobs_of_dead_workers(queue, now, dead_after)
        clean_registries(queue, exception_handlers=[rerun_interrupted])
        clean_worker_registry(queue)
        given_back += _requeue_jobs_never_started(queue, now, dead_after)
    finally:
        connection.delete(queue.registry_cleaning_key)
    return given_back


def _expire_jobs_of_dead_workers(queue: Queue, now: datetime, dead_after: float) -> list[str]:
    connection = queue.connection
    registry = StartedJobRegistry(queue=queue)
    expired = []
    for job_id, execution_id in registry.get_job_and_execution_ids(cleanup=False):
        worker = _worker_of(connection, job_id, execution_id)
        if worker is not None and _is_dead(connection, worker, now, dead_after):
            # Score 0: "expired long ago"; RQ's cleanup below takes it from here.
            connection.zadd(registry.key, {f"{job_id}:{execution_id}": 0}, xx=True)
            log_event(
                log,
                "worker.reaper.dead_worker",
                level=logging.WARNING,
                job=job_id,
                worker=worker,
                detail="running the job again",
            )
            expired.append(job_id)
    return expired


def _worker_of(connection: redis.Redis, job_id: str, execution_id: str) -> str | None:
    # The execution hash is written by the worker before it forks; the job's field by the horse.
    for key in (f"rq:execution:{job_id}:{execution_id}", f"rq:job:{job_id}"):
        name: bytes | None = connection.hget(key, "worker_name")  # type: ignore[assignment]  # sync client
        if name:
            return name.decode()
    return None


def _is_dead(connection: redis.Redis, worker: str, now: datetime, dead_after: float) -> bool:
    fields: dict[bytes, bytes] = connection.hgetall(f"rq:worker:{worker}")  # type: ignore[assignment]  # sync client
    if not fields or b"death" in fields:
        return True
    heartbeat = fields.get(b"last_heartbeat")
    if not heartbeat:
        return False
    return (now - utcparse(heartbeat.decode())).total_seconds() > dead_after


def _requeue_jobs_never_started(queue: Queue, now: datetime, dead_after: float) -> list[str]:
    intermediate = queue.intermediate_queue
    waiting = intermediate.get_job_ids()
    if not waiting:
        return []
    started = {job_id for job_id, _ in StartedJobRegistry(queue=queue).get_job_and_execution_ids(cleanup=False)}
    requeued = []
    for job_id in waiting:
        if job_id in started or intermediate.set_first_seen(job_id):
            continue  # running, or seen here for the first time: a worker may be just starting it
        first_seen = intermediate.get_first_seen(job_id)
        if first_seen is None or now - first_seen < timedelta(seconds=dead_after):
            continue
        job = queue.fetch_job(job_id)
        with queue.connection.pipeline() as pipe:
            pipe.lrem(intermediate.key, 1, job_id)
            pipe.delete(intermediate.get_first_seen_key(job_id))
            if (
                job is not None
                and job.get_status() == JobStatus.QUEUED
                and queue.connection.lpos(queue.key, job_id) is None
            ):
                pipe.lpush(queue.key, job_id)  # at the front: it has waited already
                requeued.append(job_id)
            pipe.execute()
    if requeued:
        log_event(log, "worker.reaper.never_started", level=logging.WARNING, jobs=",".join(requeued), queue=queue.name)
    return requeued
