"""workers.scheduler on a real Redis: one holder per queue with a short lock, hot standbys, due
jobs moved, RQ's scheduler hash kept, Redis outages waited out."""

import logging
import time
from datetime import timedelta

import pytest
from rq.job import JobStatus
from rq.scheduler import RQScheduler

from app.infra.liveness import scheduler_holder, scheduler_state
from app.infra.queueing import JOB_FUNCTION, job_options, make_queue
from app.timestamps import utc_now
from workers.scheduler import Scheduler

pytestmark = pytest.mark.redis

QUEUE = "sched"


def make(connection, name: str, **options) -> Scheduler:
    options.setdefault("reap", lambda queue: None)
    return Scheduler(connection, [QUEUE], name=name, **options)


def wait_until(condition, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_the_holder_moves_due_jobs_and_keeps_rqs_scheduler_hash(real_redis):
    queue = make_queue(real_redis, QUEUE)
    due = queue.enqueue_in(timedelta(seconds=0), JOB_FUNCTION, {"kind": "created"}, **job_options())
    later = queue.enqueue_in(timedelta(minutes=5), JOB_FUNCTION, {"kind": "created"}, **job_options())
    scheduler = make(real_redis, "s-1")

    scheduler.tick()

    assert scheduler.held == {QUEUE}
    assert queue.job_ids == [due.id]
    assert later.get_status() == JobStatus.SCHEDULED
    assert real_redis.get(RQScheduler.get_locking_key(QUEUE)) == b"s-1"
    assert 0 < real_redis.ttl(RQScheduler.get_locking_key(QUEUE)) <= 15  # SCHEDULER_LOCK_SECONDS
    state = scheduler_state(real_redis, QUEUE, utc_now())
    assert state.holder == "s-1" and state.heartbeat_age_seconds is not None and state.heartbeat_age_seconds < 2


def test_a_standby_moves_nothing_and_takes_over_when_the_holder_stops(real_redis):
    holder, standby = make(real_redis, "s-holder"), make(real_redis, "s-standby")
    holder.tick()
    standby.tick()
    assert (holder.held, standby.held) == ({QUEUE}, set())

    holder.start()
    holder.stop()  # a deploy's SIGTERM: the lock is released, not left to expire
    assert scheduler_holder(real_redis, QUEUE) is None
    standby.tick()
    assert standby.held == {QUEUE}


def test_a_dead_holders_lock_expires_and_a_standby_takes_over(real_redis):
    dead = make(real_redis, "s-dead", lock_seconds=1)
    dead.tick()  # ...then its process is killed: nothing releases the lock
    standby = make(real_redis, "s-standby").start()
    try:
        wait_until(lambda: scheduler_holder(real_redis, QUEUE) == "s-standby", timeout=5)
    finally:
        standby.stop()


def test_rqs_own_scheduler_sees_the_lock_as_taken(real_redis):
    make(real_redis, "s-1").tick()
    assert RQScheduler([QUEUE], connection=real_redis).acquire_locks() == set()


def test_a_holder_whose_lock_was_taken_stops_moving_jobs(real_redis):
    queue = make_queue(real_redis, QUEUE)
    scheduler = make(real_redis, "s-slow", lock_seconds=1)
    scheduler.tick()
    real_redis.set(RQScheduler.get_locking_key(QUEUE), "s-other", ex=15)  # it stalled; another took over
    job = queue.enqueue_in(timedelta(seconds=0), JOB_FUNCTION, {"kind": "created"}, **job_options())

    scheduler.tick()

    assert scheduler.held == set()
    assert queue.job_ids == [] and job.get_status() == JobStatus.SCHEDULED


def test_the_holder_runs_the_reaper_every_few_seconds(real_redis):
    reaped: list[str] = []
    clock = [100.0]
    scheduler = make(real_redis, "s-1", reap=lambda queue: reaped.append(queue.name), clock=lambda: clock[0])
    scheduler.tick()
    scheduler.tick()
    clock[0] += 5  # REAPER_INTERVAL_SECONDS
    scheduler.tick()
    assert reaped == [QUEUE, QUEUE]
    standby = make(real_redis, "s-2", reap=lambda queue: reaped.append("standby"))
    standby.tick()
    assert "standby" not in reaped


def test_it_waits_out_a_redis_outage_and_goes_on(redis_server, caplog):
    connection = redis_server.client
    queue = make_queue(connection, QUEUE)
    scheduler = make(connection, "s-1").start()
    try:
        wait_until(lambda: scheduler.held == {QUEUE})
        with caplog.at_level(logging.ERROR, logger="escalator.scheduler"):
            redis_server.stop()
            wait_until(lambda: "scheduler.redis_error scheduler=s-1 error=ConnectionError" in caplog.text)
            redis_server.start()  # empty again (no persistence): jobs scheduled from now on
        job = queue.enqueue_in(timedelta(seconds=0), JOB_FUNCTION, {"kind": "created"}, **job_options())
        wait_until(lambda: queue.job_ids == [job.id], timeout=15)  # at most the 5 s backoff, then a tick
    finally:
        scheduler.stop()
    assert scheduler_holder(connection, QUEUE) is None  # released on stop
