"""app.infra.liveness: what Redis says about workers, the scheduler and persistence (real Redis)."""

from __future__ import annotations

import os
from datetime import timedelta

import fakeredis
import pytest
from rq import Worker
from rq.scheduler import RQScheduler

from app.infra.liveness import (
    failed_count,
    live_workers,
    oldest_wait_seconds,
    overdue_seconds,
    persistence,
    scheduler_holder,
    scheduler_state,
)
from app.infra.queueing import make_queue
from app.timestamps import utc_now

pytestmark = pytest.mark.redis


def test_a_worker_whose_heartbeat_expired_is_not_alive(real_redis):
    queue = make_queue(real_redis, "liveness")
    worker = Worker([queue], connection=real_redis, name="w-1")
    worker.register_birth()
    assert live_workers(queue) == ["w-1"]

    real_redis.delete(worker.key)  # what the TTL does when heartbeats stop

    assert live_workers(queue) == []
    assert real_redis.sismember("rq:workers:liveness", worker.key)  # still listed: doctor cleans nothing


def test_the_scheduler_is_the_holder_of_the_queues_lock(real_redis):
    assert scheduler_holder(real_redis, "liveness") is None
    scheduler = RQScheduler(["liveness"], connection=real_redis, name="sched-1")
    scheduler.acquire_locks()
    assert scheduler_holder(real_redis, "liveness") == "sched-1"
    scheduler.release_locks()
    assert scheduler_holder(real_redis, "liveness") is None


def test_waiting_and_failed_jobs(real_redis):
    queue = make_queue(real_redis, "liveness")
    assert oldest_wait_seconds(queue, utc_now()) is None
    queue.enqueue("workers.jobs.apply_ticket_event", {"kind": "created"})
    later = utc_now() + timedelta(seconds=90)
    assert 85 < oldest_wait_seconds(queue, later) < 91  # RQ stores enqueued_at to the millisecond
    assert failed_count(queue) == 0


def test_persistence_off_on_and_unknown(real_redis):
    found = persistence(real_redis)  # whatever this server runs with, it is read, not guessed
    assert found.enabled is (
        real_redis.config_get("appendonly")["appendonly"] == "yes" or bool(real_redis.config_get("save")["save"])
    )

    class Configured:
        def __init__(self, values):
            self.values = values

        def config_get(self, name):
            return {name: self.values[name]}

    assert persistence(Configured({"appendonly": "yes", "save": ""})).enabled is True
    assert persistence(Configured({"appendonly": "no", "save": "3600 1"})).detail == "snapshots (save 3600 1)"
    assert persistence(Configured({"appendonly": "no", "save": ""})).enabled is False
    unknown = persistence(fakeredis.FakeRedis())  # refuses CONFIG, as managed Redis often does
    assert unknown.enabled is None and unknown.detail.startswith("unknown")


def test_the_scheduler_state_names_its_process_and_heartbeat(real_redis):
    now = utc_now()
    assert scheduler_state(real_redis, "liveness", now).describe() == "not running"
    scheduler = RQScheduler(["liveness"], connection=real_redis, name="sched-2")
    scheduler.acquire_locks()
    assert scheduler_state(real_redis, "liveness", now).describe() == "running (sched-2)"  # no hash yet
    scheduler.register_birth()
    state = scheduler_state(real_redis, "liveness", now + timedelta(seconds=3))
    assert state.holder == "sched-2" and state.pid == os.getpid()
    assert 2 <= state.heartbeat_age_seconds <= 4
    assert state.describe().startswith(f"running (sched-2, pid {os.getpid()} on ")


def test_overdue_is_how_long_a_due_job_waits_for_the_scheduler(real_redis):
    queue = make_queue(real_redis, "liveness")
    now = utc_now()
    assert overdue_seconds(queue, now) is None
    queue.enqueue_at(now + timedelta(seconds=30), "workers.jobs.apply_ticket_event", {"kind": "created"})
    assert overdue_seconds(queue, now) is None  # not due yet
    assert 88 <= overdue_seconds(queue, now + timedelta(seconds=120)) <= 91
