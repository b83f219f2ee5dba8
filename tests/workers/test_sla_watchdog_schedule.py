"""The SLA watchdog's schedule on a real Redis with RQ's own scheduler and worker: one check per
ticket, at due - lead, never lost or doubled by retries and restarts, cancelled by a reply."""

from datetime import UTC, datetime, timedelta

import pytest
from rq import SimpleWorker, get_current_job
from rq.job import Job, JobStatus
from rq.registry import FinishedJobRegistry, ScheduledJobRegistry
from rq.scheduler import RQScheduler
from rq.serializers import JSONSerializer

from app import redis_keys
from app.infra.queueing import make_queue
from workers.sla_watchdog import ARMED, KEPT, OFF, SlaWatchdog, check_job_id

pytestmark = pytest.mark.redis

RECORDED = "test:sla-checks"
CHECK = "tests.workers.test_sla_watchdog_schedule.record_check"
TICKET = 35436


def record_check(ticket_id: int, due: str, since: str) -> str:
    """Stands in for the real check: records that it ran, and with what."""
    job = get_current_job()
    assert job is not None
    job.connection.rpush(RECORDED, f"{ticket_id} {due} {since}")
    return "checked"


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def queue(redis_db):
    return make_queue(redis_db, "escalator-test")


def watchdog(queue, clock=now, lead: int = 15) -> SlaWatchdog:
    return SlaWatchdog(queue, lead, CHECK, clock=clock)


def scheduled(queue) -> dict[str, float]:
    return dict(queue.connection.zrange(ScheduledJobRegistry(queue=queue).key, 0, -1, withscores=True))


def run_scheduler(queue) -> None:
    """One pass of RQ's scheduler, as a running `escalator worker` makes every second."""
    scheduler = RQScheduler([queue], connection=queue.connection, serializer=JSONSerializer)
    scheduler.acquire_locks()
    scheduler.enqueue_scheduled_jobs()
    scheduler.release_locks()


def work(queue) -> None:
    SimpleWorker([queue], connection=queue.connection, serializer=JSONSerializer).work(burst=True)


def ran(queue) -> list[str]:
    return [x.decode() for x in queue.connection.lrange(RECORDED, 0, -1)]


def test_a_check_is_scheduled_a_lead_before_the_response_is_due(queue):
    due = now() + timedelta(hours=2)
    since = due - timedelta(hours=2)
    assert watchdog(queue).arm(TICKET, due, since) == ARMED

    job_id = check_job_id(TICKET, due)
    assert job_id == f"sla-check-{TICKET}-{due:%Y%m%dT%H%MZ}"
    assert scheduled(queue) == {job_id.encode(): (due - timedelta(minutes=15)).timestamp()}
    job = Job.fetch(job_id, connection=queue.connection, serializer=JSONSerializer)
    assert job.func_name == CHECK
    assert job.args == [TICKET, f"{due:%Y-%m-%dT%H:%M:%SZ}", f"{since:%Y-%m-%dT%H:%M:%SZ}"]
    assert job.timeout == 25
    armed = watchdog(queue).armed(TICKET)
    assert (armed.job_id, armed.due, armed.since) == (job_id, due, since)
    assert queue.connection.ttl(redis_keys.sla_check(TICKET)) > 2 * 3600


def test_arming_again_keeps_one_check(queue):
    due = now() + timedelta(hours=2)
    dog = watchdog(queue)
    assert dog.arm(TICKET, due, due - timedelta(hours=2)) == ARMED
    assert dog.arm(TICKET, due, due - timedelta(hours=2)) == KEPT  # a retried job
    assert dog.arm(TICKET, due + timedelta(minutes=30), due - timedelta(hours=1)) == KEPT  # a later promise
    assert list(scheduled(queue)) == [check_job_id(TICKET, due).encode()]


def test_a_crash_between_scheduling_and_recording_leaves_one_check(queue):
    due = now() + timedelta(hours=2)
    dog = watchdog(queue)
    dog.arm(TICKET, due, due - timedelta(hours=2))
    queue.connection.delete(redis_keys.sla_check(TICKET))  # the record never made it

    assert dog.arm(TICKET, due, due - timedelta(hours=2)) == ARMED  # the retry finds the job
    assert list(scheduled(queue)) == [check_job_id(TICKET, due).encode()]
    assert dog.armed(TICKET).job_id == check_job_id(TICKET, due)


def test_an_earlier_due_replaces_the_armed_check(queue):
    later = now() + timedelta(days=2)  # time-sensitive: 4 business hours over a weekend
    earlier = now() + timedelta(hours=2)  # then an urgent comment
    dog = watchdog(queue)
    dog.arm(TICKET, later, now())
    assert dog.arm(TICKET, earlier, now()) == ARMED

    assert list(scheduled(queue)) == [check_job_id(TICKET, earlier).encode()]
    assert not queue.connection.exists(Job.key_for(check_job_id(TICKET, later)))
    assert dog.armed(TICKET).due == earlier


def test_a_check_whose_time_has_passed_is_queued_at_once(queue):
    since = now()
    due = since + timedelta(minutes=10)  # a lead of 15 minutes is already past
    assert watchdog(queue).arm(TICKET, due, since) == ARMED
    assert scheduled(queue) == {}
    assert queue.job_ids == [check_job_id(TICKET, due)]
    work(queue)
    assert ran(queue) == [f"{TICKET} {due:%Y-%m-%dT%H:%M:%SZ} {since:%Y-%m-%dT%H:%M:%SZ}"]


def test_lead_zero_turns_the_watchdog_off(queue):
    assert watchdog(queue, lead=0).arm(TICKET, now() + timedelta(hours=2), now()) == OFF
    assert scheduled(queue) == {} and queue.job_ids == []
    assert watchdog(queue, lead=0).armed(TICKET) is None


def test_a_reply_disarms_and_cancels_the_scheduled_check(queue):
    due = now() + timedelta(hours=2)
    dog = watchdog(queue)
    dog.arm(TICKET, due, now())
    cancelled = dog.disarm(TICKET)

    assert cancelled.job_id == check_job_id(TICKET, due)
    assert scheduled(queue) == {}
    assert dog.armed(TICKET) is None
    assert not dog.is_armed(TICKET, cancelled.job_id)
    assert dog.disarm(TICKET) is None  # nothing armed: nothing to do
    # A later urgent comment watches its own promise again.
    assert dog.arm(TICKET, due + timedelta(hours=1), now()) == ARMED


def test_a_reply_cancels_a_check_already_moved_to_the_queue(queue):
    due = now() + timedelta(minutes=5)
    dog = watchdog(queue)
    dog.arm(TICKET, due, now())
    assert queue.job_ids == [check_job_id(TICKET, due)]
    dog.disarm(TICKET)
    assert queue.job_ids == []
    work(queue)
    assert ran(queue) == []


def test_restarted_scheduler_and_worker_neither_lose_nor_double_a_check(queue):
    # Armed an hour ago (by the clock then), due now: the check's time passed while no scheduler ran.
    hour_ago = now() - timedelta(hours=1)
    due = now() + timedelta(minutes=5)
    since = hour_ago
    first = watchdog(queue, clock=lambda: hour_ago)
    assert first.arm(TICKET, due, since) == ARMED
    assert list(scheduled(queue)) == [check_job_id(TICKET, due).encode()]

    # The worker dies; a new one (new objects, same Redis) starts, and the ticket job that armed
    # the check is retried and arms it again.
    restarted = make_queue(queue.connection, queue.name)
    second = watchdog(restarted, clock=lambda: hour_ago)
    second.arm(TICKET, due, since)
    queue.connection.delete(redis_keys.sla_check(TICKET))
    second.arm(TICKET, due, since)
    assert list(scheduled(restarted)) == [check_job_id(TICKET, due).encode()]

    run_scheduler(restarted)
    run_scheduler(restarted)  # a second scheduler pass (or a second scheduler) finds nothing
    assert restarted.job_ids == [check_job_id(TICKET, due)]
    work(restarted)
    work(restarted)
    assert len(ran(queue)) == 1
    assert FinishedJobRegistry(queue=restarted).get_job_ids() == [check_job_id(TICKET, due)]

    # Arming the same promise after it ran does not run it again (the job id is taken).
    queue.connection.delete(redis_keys.sla_check(TICKET))
    second.arm(TICKET, due, since)
    run_scheduler(restarted)
    work(restarted)
    assert len(ran(queue)) == 1


def test_a_check_whose_job_is_gone_does_not_block_the_next_promise(queue):
    due = now() + timedelta(hours=2)
    dog = watchdog(queue)
    dog.arm(TICKET, due, now())
    Job.fetch(check_job_id(TICKET, due), connection=queue.connection, serializer=JSONSerializer).delete()

    later = due + timedelta(minutes=30)
    assert dog.arm(TICKET, later, now()) == ARMED  # not "kept" by a check that will never run
    assert list(scheduled(queue)) == [check_job_id(TICKET, later).encode()]
    assert dog.armed(TICKET).job_id == check_job_id(TICKET, later)


def test_a_check_already_running_keeps_the_watch(queue):
    due = now() + timedelta(minutes=5)  # queued at once
    dog = watchdog(queue)
    dog.arm(TICKET, due, now())
    job = Job.fetch(check_job_id(TICKET, due), connection=queue.connection, serializer=JSONSerializer)
    job.set_status(JobStatus.STARTED)

    assert dog.arm(TICKET, due + timedelta(minutes=30), now()) == KEPT
    assert dog.armed(TICKET).job_id == check_job_id(TICKET, due)
