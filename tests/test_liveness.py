"""app.infra.liveness: what Redis says about workers, the scheduler and persistence (real Redis)."""

from __future__ import annotations

import logging
import os
import time
from datetime import timedelta

import fakeredis
import pytest
from rq import Worker
from rq.scheduler import RQScheduler

from app.infra.liveness import (
    failed_count,
    live_workers,
    log_persistence,
    oldest_wait_seconds,
    overdue_seconds,
    persistence,
    scheduler_holder,
    scheduler_state,
)
from app.infra.queueing import make_queue
from app.timestamps import utc_now
from tests.helpers import free_port

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


class Configured:
    """A Redis whose CONFIG GET answers with `values` (a real server's are what it runs with)."""

    def __init__(self, **values):
        self.values = {"appendonly": "yes", "appendfsync": "everysec", "save": "", "maxmemory-policy": "noeviction"}
        self.values.update({name.replace("_", "-"): value for name, value in values.items()})

    def config_get(self, name):
        return {name: self.values[name]}


def test_persistence_is_safe_with_the_append_only_file_and_no_eviction():
    found = persistence(Configured())
    assert found.safe is True
    assert found.detail == "append-only file on (appendfsync everysec), maxmemory-policy noeviction"
    assert persistence(Configured(appendfsync="always")).safe is True


@pytest.mark.parametrize(
    "config, says",
    [
        ({"appendonly": "no"}, "appendonly is no: nothing keeps data, so a restart loses the latest accepted jobs"),
        ({"appendonly": "no", "save": "3600 1"}, "appendonly is no: only snapshots (save 3600 1) keep data"),
        ({"appendfsync": "no"}, "appendfsync is no: a crash loses the writes the OS has not flushed yet"),
        (
            {"maxmemory_policy": "allkeys-lru"},
            "maxmemory-policy is allkeys-lru: when memory runs out Redis deletes keys",
        ),
    ],
)
def test_persistence_says_what_is_unsafe_and_what_is_needed(config, says):
    found = persistence(Configured(**config))
    assert found.safe is False
    assert says in found.detail
    assert found.detail.endswith(
        "escalator needs appendonly yes and maxmemory-policy noeviction (README: Redis persistence)"
    )


def test_persistence_is_read_from_the_server_or_unknown(real_redis):
    config = {name: real_redis.config_get(name)[name] for name in ("appendonly", "maxmemory-policy")}
    expected = config["appendonly"] == "yes" and config["maxmemory-policy"] == "noeviction"
    assert persistence(real_redis).safe is expected  # whatever this server runs with, it is read, not guessed
    unknown = persistence(fakeredis.FakeRedis())  # refuses CONFIG, as managed Redis often does
    assert unknown.safe is None and unknown.detail.startswith("unknown")


def test_the_start_up_check_logs_a_warning_for_an_unsafe_or_silent_redis(redis_server, caplog):
    log = logging.getLogger("escalator.test")
    with caplog.at_level(logging.INFO, logger="escalator.test"):
        unsafe = log_persistence(redis_server.url, log)
    assert unsafe.safe is False
    assert "WARNING" in caplog.text and "redis.persistence.unsafe detail=appendonly is no" in caplog.text

    redis_server.client.config_set("appendonly", "yes")
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="escalator.test"):
        assert log_persistence(redis_server.url, log).safe is True
    assert "redis.persistence.ok detail=append-only file on" in caplog.text

    caplog.clear()
    started = time.monotonic()
    with caplog.at_level(logging.INFO, logger="escalator.test"):
        gone = log_persistence(f"redis://127.0.0.1:{free_port()}/0", log)
    assert gone.safe is None and time.monotonic() - started < 5
    assert "redis.persistence.unknown detail=Redis did not answer (ConnectionError)" in caplog.text


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
