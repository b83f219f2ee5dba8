"""workers.dequeue on a real Redis: several queues, in priority order, and no moment in which a
taken job is in no list (so a worker that dies right after taking one loses nothing)."""

import threading
import time

import pytest
from rq import SimpleWorker
from rq.exceptions import DequeueTimeout
from rq.serializers import JSONSerializer

from app.infra.queueing import JOB_FUNCTION, job_options
from workers.dequeue import SafeDequeueQueue
from workers.process import EscalatorWorker

pytestmark = pytest.mark.redis

NAMES = ["dq-urgent", "dq-soon", "dq"]


@pytest.fixture
def queues(real_redis):
    return [SafeDequeueQueue(name, connection=real_redis, serializer=JSONSerializer) for name in NAMES]


def enqueue(queue, job_id: str):
    return queue.enqueue(JOB_FUNCTION, {"kind": "created"}, job_id=job_id, **job_options())


def dequeue(queues, timeout=None):
    return SafeDequeueQueue.dequeue_any(queues, timeout, connection=queues[0].connection, serializer=JSONSerializer)


def test_the_first_non_empty_queue_wins_and_the_job_waits_in_its_intermediate_list(queues):
    enqueue(queues[2], "rest-1")
    enqueue(queues[1], "soon-1")
    enqueue(queues[0], "urgent-1")

    taken = [dequeue(queues) for _ in range(3)]

    assert [(job.id, queue.name) for job, queue in taken] == [
        ("urgent-1", "dq-urgent"),
        ("soon-1", "dq-soon"),
        ("rest-1", "dq"),
    ]
    # Until a worker starts it, a taken job is in a list RQ and the reaper know (never in none).
    assert [q.intermediate_queue.get_job_ids() for q in queues] == [["urgent-1"], ["soon-1"], ["rest-1"]]
    assert dequeue(queues) is None


def test_an_idle_worker_wakes_at_once_for_an_urgent_job_and_within_a_second_for_the_others(queues):
    for queue, job_id in ((queues[0], "urgent-2"), (queues[2], "rest-2")):
        threading.Timer(0.3, enqueue, args=(queue, job_id)).start()
        started = time.monotonic()
        job, _ = dequeue(queues, timeout=10)
        waited = time.monotonic() - started
        assert job.id == job_id
        assert waited < (1.0 if job_id.startswith("urgent") else 2.0)


def test_nothing_within_the_timeout_is_rqs_dequeue_timeout(queues):
    started = time.monotonic()
    with pytest.raises(DequeueTimeout):
        dequeue(queues, timeout=1)
    assert time.monotonic() - started < 2.5


def test_a_job_deleted_meanwhile_is_skipped_and_leaves_nothing_behind(queues, real_redis):
    enqueue(queues[1], "gone").delete(remove_from_queue=False)
    enqueue(queues[2], "kept")
    job, queue = dequeue(queues)
    assert (job.id, queue.name) == ("kept", "dq")
    assert queues[1].intermediate_queue.get_job_ids() == []


def test_the_worker_removes_the_intermediate_entry_when_the_job_starts(queues, real_redis):
    enqueue(queues[1], "runs")

    class Recording(EscalatorWorker):  # the horse's bookkeeping, without running the job
        def execute_job(self, job, queue):
            self.prepare_job_execution(job)

    worker = Recording(NAMES, connection=real_redis, name="dq-worker")
    assert worker.queue_class is SafeDequeueQueue
    worker.work(burst=True)
    assert [q.intermediate_queue.get_job_ids() for q in queues] == [[], [], []]


def test_a_plain_rq_worker_still_runs_what_we_enqueue(queues, real_redis):
    """Jobs stay ordinary RQ jobs on ordinary lists: `rq worker` (or SimpleWorker) can drain them."""
    enqueue(queues[0], "plain")
    assert SimpleWorker(queues, connection=real_redis, serializer=JSONSerializer).work(burst=True)
    assert queues[0].count == 0
