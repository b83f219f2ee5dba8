"""Re-running a job whose run was cut off from outside: its worker or work horse died, or Redis
went away under it. Such a job did not fail; it never got to finish. The webhook was
acknowledged, so nobody would ever move it again: it runs again, at once.

RQ reaches a cut-off job on three paths, and each ends in RQ's own retry (`Job.retry`, which
re-enqueues the same job with its arguments) when the job has `retries_left`:

- the work horse died while its worker lived: `EscalatorWorker.handle_work_horse_killed`
  (workers.process), just before RQ's `handle_job_failure`;
- the whole worker died: `StartedJobRegistry.cleanup()` (run by workers.reaper within a minute,
  and by RQ's maintenance) calls the exception handlers with `AbandonedJobError` before it reads
  `retries_left`;
- a Redis error reached RQ from inside the job (the job could not even reschedule itself): RQ
  calls the worker's exception handlers before `handle_job_failure`.

`allow_rerun` gives such a job one retry. Jobs are enqueued without RQ's `Retry`, so every other
failure (GaveUp, AuthFailed, a bug) still fails the job into the failed registry. The re-runs of
one job are counted in its `meta`; after MAX_INTERRUPTED_RUNS (a job that kills its own work horse
every time, say by running out of memory) it fails visibly like any other failure.
"""

from __future__ import annotations

import logging
from types import TracebackType
from typing import Any

import redis
from rq.exceptions import AbandonedJobError
from rq.job import Job

from app import defaults
from app.infra.logs import log_event

log = logging.getLogger("escalator.worker")

INTERRUPTIONS = "interruptions"  # the job's meta key: how often it was cut off so far

# What RQ's intermediate-queue cleanup passes to `handle_job_failure` for a job a worker took
# off the queue and never started (rq/intermediate_queue.py).
STUCK_IN_INTERMEDIATE_QUEUE = "Job was stuck in intermediate queue."


def allow_rerun(job: Job, reason: str) -> bool:
    """Let RQ's retry re-enqueue `job` at once, unless it was cut off too often already."""
    interruptions = int(job.meta.get(INTERRUPTIONS, 0)) + 1
    if interruptions > defaults.MAX_INTERRUPTED_RUNS:
        log_event(
            log,
            "worker.job.interrupted_too_often",
            level=logging.ERROR,
            job=job.id,
            reason=reason,
            interruptions=interruptions,
            detail="failing it; see why in the worker's log, then `rq requeue`",
        )
        return False
    job.meta[INTERRUPTIONS] = interruptions  # saved with the job by RQ's retry
    job.retries_left = max(job.retries_left or 0, 1)
    job.retry_intervals = None  # re-enqueued at once, not through the scheduler
    log_event(
        log,
        "worker.job.interrupted",
        level=logging.WARNING,
        job=job.id,
        reason=reason,
        interruptions=interruptions,
        detail="running the job again",
    )
    return True


def rerun_interrupted(
    job: Job, exc_type: type[BaseException], exc_value: BaseException, traceback: TracebackType | Any
) -> bool:
    """An RQ exception handler (worker and registry cleanup): re-run jobs that were cut off.

    Returns True so RQ goes on with its other handlers and its own failure handling."""
    if issubclass(exc_type, AbandonedJobError):
        allow_rerun(job, "abandoned")
    elif issubclass(exc_type, (redis.ConnectionError, redis.TimeoutError)):
        allow_rerun(job, "redis_unavailable")
    return True
