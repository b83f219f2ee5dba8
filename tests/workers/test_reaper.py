"""workers.reaper on a real Redis: the jobs of dead workers, and jobs taken but never started, go
back on the queue as they were; a live worker's job is left alone. (The same with real processes
killed mid-job: tests/workers/test_worker_process.py.)"""

from datetime import timedelta

import pytest
from rq import Worker
from rq.job import JobStatus
from rq.registry import FailedJobRegistry, StartedJobRegistry
from rq.serializers import JSONSerializer

from app import defaults
from app.infra.queueing import JOB_FUNCTION, job_options, make_queue
from app.timestamps import utc_now
from workers.reaper import reap
from workers.reruns import INTERRUPTIONS

pytestmark = pytest.mark.redis

EVENT = {"kind": "created", "ticket_id": 7}


@pytest.fixture
def queue(real_redis):
    return make_queue(real_redis, "reaper")


def started_by(queue, name: str):
    """A job that worker `name` took off the queue and started, as RQ records it (the parent's
    execution and the horse's bookkeeping), with that worker still registered."""
    worker = Worker([queue], connection=queue.connection, name=name, serializer=JSONSerializer)
    worker.register_birth()
    queue.enqueue(JOB_FUNCTION, EVENT, attempt=2, **job_options())
    job, _ = queue.dequeue_any([queue], None, connection=queue.connection, serializer=JSONSerializer)
    worker.prepare_execution(job)
    worker.prepare_job_execution(job, remove_from_intermediate_queue=True)
    assert job.get_status() == JobStatus.STARTED
    return worker, job


def test_the_job_of_a_worker_that_vanished_runs_again_as_it_was(queue):
    worker, job = started_by(queue, "w-killed")
    queue.connection.delete(worker.key)  # SIGKILL: no death recorded; the heartbeat key expires

    assert reap(queue) == [job.id]

    assert queue.job_ids == [job.id]
    job.refresh()
    assert job.get_status() == JobStatus.QUEUED
    assert job.kwargs == {"attempt": 2} and job.args == [EVENT]
    assert job.meta[INTERRUPTIONS] == 1
    assert StartedJobRegistry(queue=queue).get_job_ids(cleanup=False) == []
    assert FailedJobRegistry(queue=queue).get_job_ids() == []


def test_a_worker_without_a_heartbeat_for_long_is_dead(queue):
    _worker, job = started_by(queue, "w-stalled")
    soon = utc_now() + timedelta(seconds=defaults.WORKER_DEAD_AFTER_SECONDS - 5)
    assert reap(queue, now=soon) == []
    assert queue.job_ids == []

    later = utc_now() + timedelta(seconds=defaults.WORKER_DEAD_AFTER_SECONDS + 1)
    assert reap(queue, now=later) == [job.id]
    assert queue.job_ids == [job.id]


def test_a_live_workers_job_is_left_alone(queue):
    _worker, job = started_by(queue, "w-alive")
    assert reap(queue) == []
    assert queue.job_ids == []
    assert job.get_status() == JobStatus.STARTED


def test_a_job_cut_off_too_often_fails_into_the_failed_registry(queue):
    worker, job = started_by(queue, "w-oom")
    job.meta[INTERRUPTIONS] = defaults.MAX_INTERRUPTED_RUNS
    job.save_meta()
    queue.connection.delete(worker.key)

    reap(queue)

    assert queue.job_ids == []
    assert FailedJobRegistry(queue=queue).get_job_ids() == [job.id]


def test_a_job_taken_but_never_started_goes_back_to_the_front(queue):
    queue.enqueue(JOB_FUNCTION, EVENT, job_id="taken", **job_options())
    # A worker moved it to RQ's intermediate list (BLMOVE) and died before it started it.
    assert queue.dequeue_any([queue], None, connection=queue.connection, serializer=JSONSerializer)[0].id == "taken"
    queue.enqueue(JOB_FUNCTION, EVENT, job_id="next", **job_options())

    assert reap(queue) == []  # seen for the first time: a live worker may be just starting it
    assert queue.job_ids == ["next"]

    later = utc_now() + timedelta(seconds=defaults.WORKER_DEAD_AFTER_SECONDS + 1)
    assert reap(queue, now=later) == ["taken"]
    assert queue.job_ids == ["taken", "next"]
    assert queue.intermediate_queue.get_job_ids() == []


def test_a_leftover_of_a_job_that_ran_is_only_removed(queue):
    queue.enqueue(JOB_FUNCTION, EVENT, job_id="ran", **job_options())
    job, _ = queue.dequeue_any([queue], None, connection=queue.connection, serializer=JSONSerializer)
    job.set_status(JobStatus.FINISHED)
    reap(queue)
    assert reap(queue, now=utc_now() + timedelta(seconds=defaults.WORKER_DEAD_AFTER_SECONDS + 1)) == []
    assert queue.job_ids == [] and queue.intermediate_queue.get_job_ids() == []


def test_one_cleanup_at_a_time_under_a_short_lock(queue):
    queue.connection.set(queue.registry_cleaning_key, 1, ex=60)  # another cleanup is running
    assert reap(queue) is None
    queue.connection.delete(queue.registry_cleaning_key)

    assert reap(queue) == []
    assert not queue.connection.exists(queue.registry_cleaning_key)  # released when done
