"""Workers, work horses and the scheduler killed mid-work (SIGKILL: an out-of-memory kill, a
crashed dyno). Nothing accepted may be lost, nothing applied twice."""

from __future__ import annotations

import json
import time

import pytest

from app.infra.liveness import scheduler_holder
from tests.faults.cases import CASES
from tests.faults.harness import escalation, record

pytestmark = [pytest.mark.slow]


def logged(output: str, event: str, **fields) -> bool:
    """Whether a process's JSON log lines include `event` with these fields (a line still being
    written is skipped)."""
    for line in output.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if record.get("event") == event and all(record.get(k) == v for k, v in fields.items()):
            return True
    return False


def test_worker_sigkill_mid_job(make_stack):
    stack = make_stack()
    stack.seed(501)
    stack.stub.script("/api/v2/tickets/501", method="PUT", hang_after=60)  # applied; the answer is late
    assert stack.deliver(escalation(501)) == 202
    victim = stack.busy_worker()
    while stack.stub.ticket(501)["priority"] != "urgent":
        time.sleep(0.05)

    stack.kill_worker(victim)
    killed = time.monotonic()
    survivor = stack.live_workers()[0]
    while not logged(survivor.output(), "worker.ticket.noop", ticket=501):
        assert time.monotonic() - killed < 60, survivor.output()[-3000:]
        time.sleep(0.2)
    rerun_after = time.monotonic() - killed
    stack.settle()

    tally = stack.tally()
    record("worker SIGKILL mid-job", tally, rerun_after_seconds=rerun_after)
    assert tally == CASES["worker SIGKILL mid-job"].expected
    assert "worker.reaper.dead_worker" in survivor.output()


def test_work_horse_sigkill_mid_job(make_stack):
    stack = make_stack()
    stack.seed(502)
    stack.stub.script("/api/v2/tickets/502", method="PUT", hang_after=60)
    assert stack.deliver(escalation(502)) == 202
    worker = stack.busy_worker()
    while stack.stub.ticket(502)["priority"] != "urgent":
        time.sleep(0.05)

    killed = time.monotonic()
    stack.kill_horse(worker)
    stack.settle(timeout=90)

    tally = stack.tally()
    record("work horse SIGKILL mid-job", tally, settled_after_seconds=time.monotonic() - killed)
    assert tally == CASES["work horse SIGKILL mid-job"].expected
    assert "work_horse_killed" in [e["reason"] for e in worker.events("worker.job.interrupted")]


def test_scheduler_killed(make_stack):
    stack = make_stack()
    tickets = range(511, 516)
    for ticket in tickets:
        stack.seed(ticket)
        stack.stub.script(f"/api/v2/tickets/{ticket}", method="PUT", status=429, retry_after=8)
    holder_name = None
    while holder_name is None:
        holder_name = scheduler_holder(stack.redis, "escalator")
        time.sleep(0.1)
    for ticket in tickets:
        assert stack.deliver(escalation(ticket)) == 202
    while stack.scheduled_jobs() < len(tickets):  # every job met its 429 and waits for its retry
        time.sleep(0.1)

    holder = next(w for w in stack.live_workers() if holder_name.endswith(f"-{w.popen.pid}"))
    stack.kill_worker(holder)
    killed = time.monotonic()
    while scheduler_holder(stack.redis, "escalator") in (None, holder_name):
        assert time.monotonic() - killed < 20
        time.sleep(0.1)
    takeover = time.monotonic() - killed
    stack.settle()

    tally = stack.tally()
    record("scheduler killed", tally, takeover_seconds=takeover)
    assert tally == CASES["scheduler killed"].expected
    assert takeover <= 16
