"""Redis down, hanging, and killed and restarted from its append-only file."""

from __future__ import annotations

import signal
import threading
import time

import pytest

from tests.faults.cases import CASES
from tests.faults.harness import escalation, record

pytestmark = [pytest.mark.slow]


def deliver_in_background(stack, bodies: list[dict], spacing: float) -> threading.Thread:
    def run() -> None:
        for body in bodies:
            stack.deliver(body)
            time.sleep(spacing)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_redis_down(make_stack):
    stack = make_stack()
    before, during, after = range(601, 605), range(605, 609), range(609, 613)
    bodies = {t: escalation(t) for t in [*before, *during, *after]}
    for ticket in bodies:
        stack.seed(ticket)
    for ticket in before:
        assert stack.deliver(bodies[ticket]) == 202

    stack.redis_server.stop()
    refused = [stack.deliver(bodies[t]) for t in during]
    time.sleep(5)
    stack.redis_server.start()
    for ticket in after:
        stack.deliver(bodies[ticket])
    stack.redeliver_refused(list(bodies.values()))  # Zendesk, after Retry-After
    stack.settle()

    tally = stack.tally()
    record("redis down", tally)
    assert tally == CASES["redis down"].expected
    assert set(refused) == {503}


def test_redis_hanging(make_stack):
    stack = make_stack()
    bodies = {t: escalation(t) for t in range(621, 633)}
    for ticket in bodies:
        stack.seed(ticket)
    sender = deliver_in_background(stack, list(bodies.values()), spacing=0.5)
    time.sleep(1)
    stack.redis_server.signal(signal.SIGSTOP)
    time.sleep(8)
    stack.redis_server.signal(signal.SIGCONT)
    sender.join()
    stack.redeliver_refused(list(bodies.values()))
    stack.settle()

    tally = stack.tally()
    answers = [status for d in stack.deliveries.values() for status in d.answers]
    record("redis hanging", tally)
    assert tally == CASES["redis hanging"].expected
    assert set(answers) <= {202, 503}  # never a 500, and no delivery left waiting past Zendesk's 10 s
    assert 503 in answers


def test_redis_restarted_with_aof(make_stack):
    stack = make_stack()
    scheduled, queued = range(641, 646), range(646, 651)
    for ticket in scheduled:
        stack.seed(ticket)
        stack.stub.script(f"/api/v2/tickets/{ticket}", method="PUT", status=429, retry_after=6)
        assert stack.deliver(escalation(ticket)) == 202
    while stack.scheduled_jobs() < len(scheduled):
        time.sleep(0.1)
    for worker in stack.live_workers():  # the workers are busy elsewhere: these jobs wait in the queue
        worker.popen.send_signal(signal.SIGSTOP)
    for ticket in queued:
        stack.seed(ticket)
        assert stack.deliver(escalation(ticket)) == 202
    waiting = stack.pending_jobs()

    stack.redis_server.kill()  # SIGKILL: no last write; only what the append-only file has
    stack.redis_server.start()
    assert stack.pending_jobs() == waiting
    for worker in stack.live_workers():
        worker.popen.send_signal(signal.SIGCONT)
    stack.settle()

    tally = stack.tally()
    record("redis restarted with AOF", tally)
    assert tally == CASES["redis restarted with AOF"].expected
