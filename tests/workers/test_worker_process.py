"""The Procfile's `escalator worker`, really run, against a stub Zendesk: a job whose work horse or
whole worker is SIGKILLed mid-write runs again by itself and the ticket still gets exactly one
note; the scheduler thread gives up its lock on SIGTERM; the worker says at start-up whether Redis
keeps its data; and RQ's work loop is started again when RQ ends it on a Redis error."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import time
import uuid

import pytest
import redis

from app.infra.liveness import scheduler_holder
from app.infra.queueing import JOB_FUNCTION, job_options, make_queue
from app.infra.settings import Settings
from app.webhooks.events import parse_event
from tests.processes import Process, process_env, procfile_command
from tests.stub_zendesk import INTEGRATION_USER_ID, StubZendesk
from tests.zendesk.factories import fixture
from workers import process

pytestmark = [pytest.mark.redis, pytest.mark.e2e]

UPDATED_AT = "2026-11-27T15:00:00Z"


def urgent_ticket_event(ticket_id: int) -> dict:
    body = fixture("ticket_created__urgent_outage")
    body["id"] = str(uuid.uuid4())
    body["subject"] = f"zen:ticket:{ticket_id}"
    body["detail"].update(id=str(ticket_id), updated_at=UPDATED_AT, created_at=UPDATED_AT)
    return parse_event(body).to_job()


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

    def notes(self, ticket_id: int) -> list[dict]:
        return [c for c in self.stub.ticket(ticket_id)["comments"] if c["author_id"] == INTEGRATION_USER_ID]

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


def put_landed(workers: Workers, ticket_id: int):
    """Zendesk applied the update (the stub answers it late): the job is mid-write."""
    return lambda: workers.stub.ticket(ticket_id)["priority"] == "urgent"


def horse_of(worker: Process) -> int:
    found = subprocess.run(["pgrep", "-P", str(worker.popen.pid)], capture_output=True, text=True).stdout.split()
    assert len(found) == 1, found
    return int(found[0])


@pytest.mark.slow
def test_a_killed_work_horse_runs_its_job_again_and_writes_one_note(workers, real_redis):
    worker = workers.start()
    workers.stub.seed_ticket({"id": 9101, "updated_at": UPDATED_AT})
    workers.stub.script("/api/v2/tickets/9101", method="PUT", hang_after=60)
    queue = make_queue(real_redis, "kill-test")
    queue.enqueue(JOB_FUNCTION, urgent_ticket_event(9101), job_id="kill-horse", **job_options())
    workers.wait_for(put_landed(workers, 9101), 20, "the PUT")

    os.kill(horse_of(worker), signal.SIGKILL)  # an out-of-memory kill of the job's process

    # Re-enqueued at once; it waits for the dead run's ticket lock to expire (30 s), then its safe
    # update meets the first write (409), re-reads the ticket and finds nothing left to do.
    workers.wait_for(lambda: "worker.ticket.noop ticket=9101" in worker.output(), 60, "the re-run")
    assert "worker.job.interrupted job=kill-horse reason=work_horse_killed interruptions=1" in worker.output()
    assert len(workers.notes(9101)) == 1
    assert workers.stub.ticket(9101)["priority"] == "urgent"


@pytest.mark.slow
def test_a_killed_worker_s_job_runs_again_within_a_minute_and_writes_one_note(workers, real_redis):
    first = workers.start()
    workers.start()  # a second worker (another dyno, or Heroku's restart of the first)
    workers.stub.seed_ticket({"id": 9102, "updated_at": UPDATED_AT})
    workers.stub.script("/api/v2/tickets/9102", method="PUT", hang_after=120)
    queue = make_queue(real_redis, "kill-test")
    queue.enqueue(JOB_FUNCTION, urgent_ticket_event(9102), job_id="kill-worker", **job_options())
    workers.wait_for(put_landed(workers, 9102), 20, "the PUT")
    if "kill-worker" not in first.output():  # the other worker took it: kill that one
        first = workers.started[1]

    horse = horse_of(first)
    os.kill(first.popen.pid, signal.SIGKILL)  # worker and horse (its own process group), as a crashed dyno
    os.kill(horse, signal.SIGKILL)
    killed_at = time.monotonic()

    survivor = next(w for w in workers.started if w is not first)
    workers.wait_for(lambda: "worker.ticket.noop ticket=9102" in survivor.output(), 75, "the re-run")
    assert time.monotonic() - killed_at < 60
    assert "worker.reaper.dead_worker job=kill-worker" in survivor.output()
    assert len(workers.notes(9102)) == 1


def test_sigterm_stops_the_worker_and_hands_the_scheduler_over_at_once(workers, real_redis):
    holder = workers.start()
    workers.wait_for(lambda: scheduler_holder(real_redis, "kill-test") is not None, 10, "the lock")
    standby = workers.start()
    standby_name = f"escalator-{socket.gethostname()}-{standby.popen.pid}"
    assert scheduler_holder(real_redis, "kill-test") != standby_name

    assert holder.stop(timeout=20) == 0  # a deploy: the lock is released, not left to expire
    took_over = workers.wait_for(lambda: scheduler_holder(real_redis, "kill-test") == standby_name, 5, "the takeover")
    assert took_over < 3


def test_the_worker_says_at_start_up_whether_redis_keeps_its_data(workers, redis_server):
    workers.env["REDIS_URL"] = redis_server.url
    unsafe = workers.start()
    assert "WARNING escalator.worker redis.persistence unsafe: appendonly is no" in unsafe.output()
    unsafe.stop()

    redis_server.client.config_set("appendonly", "yes")
    safe = workers.start()
    assert "INFO escalator.worker redis.persistence ok: append-only file on" in safe.output()


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
