"""The Procfile's `escalator worker`, really run: the scheduler thread gives up its lock on SIGTERM;
the worker says at start-up whether Redis keeps its data; and RQ's work loop is started again when
RQ ends it on a Redis error. (Workers and work horses SIGKILLed mid-job: tests/faults.)"""

from __future__ import annotations

import logging
import socket
import time

import pytest
import redis

from app.infra.liveness import scheduler_holder
from app.infra.queueing import JOB_FUNCTION, job_options, make_queue
from app.infra.settings import Settings
from tests.processes import Process, process_env, procfile_command
from tests.stub_zendesk import StubZendesk
from tests.zendesk.factories import event
from workers import process

pytestmark = [pytest.mark.redis, pytest.mark.e2e]

CREATED = event("ticket_created__urgent_outage")


class Workers:
    def __init__(self, stub: StubZendesk, redis_url: str, queue_name: str, logs):
        self.stub = stub
        self.logs = logs
        self.env = process_env(
            REDIS_URL=redis_url,
            ESCALATOR_QUEUE=queue_name,
            ZENDESK_BASE_URL=stub.url,
            ZENDESK_OAUTH_TOKEN="stub-token",
            ZENDESK_REQUESTS_PER_MINUTE="2500",
        )
        self.started: list[Process] = []

    def start(self) -> Process:
        worker = Process(procfile_command("worker"), self.env, self.logs / f"worker{len(self.started)}.log")
        self.started.append(worker)
        worker.wait_for_output("Listening on")
        return worker

    def stop_all(self) -> None:
        for worker in self.started:
            worker.stop()

    def wait_for(self, condition, timeout: float, what: str) -> float:
        started = time.monotonic()
        while not condition():
            if time.monotonic() - started > timeout:
                raise TimeoutError(f"{what} not within {timeout} s:\n" + self.started[-1].output()[-4000:])
            time.sleep(0.2)
        return time.monotonic() - started


@pytest.fixture
def workers(real_redis, redis_test_url, tmp_path):
    with StubZendesk() as stub:
        running = Workers(stub, redis_test_url, "kill-test", tmp_path)
        try:
            yield running
        finally:
            running.stop_all()


def test_sigterm_stops_the_worker_and_hands_the_scheduler_over_at_once(workers, real_redis):
    holder = workers.start()
    workers.wait_for(lambda: scheduler_holder(real_redis, "kill-test") is not None, 10, "the lock")
    standby = workers.start()
    standby_name = f"escalator-{socket.gethostname()}-{standby.popen.pid}"
    assert scheduler_holder(real_redis, "kill-test") != standby_name

    assert holder.stop(timeout=20) == 0  # a deploy: the lock is released, not left to expire
    took_over = workers.wait_for(lambda: scheduler_holder(real_redis, "kill-test") == standby_name, 5, "the takeover")
    assert took_over < 3


def test_the_work_horse_logs_one_line_per_job_with_its_timings(workers, real_redis):
    worker = workers.start()
    workers.stub.seed_ticket({"id": 35436, "updated_at": "2026-11-27T15:00:00Z"})
    queue = make_queue(real_redis, "kill-test-urgent")
    job = queue.enqueue(JOB_FUNCTION, CREATED.to_job(), job_id=CREATED.job_id, **job_options())

    def lines() -> list[dict]:  # the ticket job's; it also schedules an SLA check and a page
        return [line for line in worker.events("worker.job.done") if line["job"] == job.id]

    workers.wait_for(lines, 20, "the job's line")
    [done] = lines()
    assert (done["job"], done["function"], done["queue"], done["result"]) == (
        job.id,
        JOB_FUNCTION,
        "kill-test-urgent",
        "updated",
    )
    assert done["queue_wait_ms"] >= 0 and done["run_ms"] > 0
    assert done["level"] == "info" and done["logger"] == "escalator.worker"


def persistence_line(worker: Process) -> str:
    [line] = [line for line in worker.output().splitlines() if "redis.persistence." in line]
    return line


def test_the_worker_says_at_start_up_whether_redis_keeps_its_data(workers, redis_server):
    workers.env["REDIS_URL"] = redis_server.url
    unsafe = workers.start()
    line = persistence_line(unsafe)
    assert "redis.persistence.unsafe" in line and "warning" in line.lower() and "appendonly is no" in line
    unsafe.stop()

    redis_server.client.config_set("appendonly", "yes")
    line = persistence_line(workers.start())
    assert "redis.persistence.ok" in line and "append-only file on" in line


def test_the_work_loop_is_started_again_when_rq_ends_it_on_a_redis_error(monkeypatch, caplog, redis_test_url):
    runs: list[str] = []
    built = [0]
    real_init = process.EscalatorWorker.__init__

    def init(self, queues, **kwargs):
        built[0] += 1
        if built[0] == 1:
            raise redis.ConnectionError("Connection refused")  # RQ's constructor names its connection
        real_init(self, queues, **kwargs)

    def work(self, **kwargs):
        runs.append(self.name)
        if len(runs) == 1:
            raise redis.TimeoutError("Timeout reading from socket")  # RQ's teardown on a hung Redis
        if len(runs) == 2:
            return False  # RQ's "Redis connection timeout, quitting..."
        self.stop_requested = True  # SIGTERM
        return True

    monkeypatch.setattr(process.EscalatorWorker, "__init__", init)
    monkeypatch.setattr(process.EscalatorWorker, "work", work)
    monkeypatch.setattr(process.defaults, "WORKER_REDIS_RETRY_MAX_SECONDS", 0.1)
    with caplog.at_level(logging.ERROR, logger="escalator.worker"):
        assert process._work_until_stopped(Settings(redis_url=redis_test_url), burst=False) is True
    assert len(runs) == 3 and len(set(runs)) == 3  # a new worker (and name) each time
    assert "worker.redis_error error=ConnectionError" in caplog.text
    assert "worker.redis_error error=TimeoutError" in caplog.text
    assert caplog.text.count("worker.restarted") == 3
