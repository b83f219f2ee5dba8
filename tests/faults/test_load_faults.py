"""Many deliveries at once: one event fifty times, ten comments on one ticket."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from tests.faults.cases import CASES
from tests.faults.harness import escalation, record, urgent_comment
from tests.slow_clients import SlowClients


def test_50_concurrent_deliveries_of_one_event(make_stack):
    stack = make_stack()
    stack.seed(701)
    body = escalation(701)
    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(lambda _: stack.deliver(body), range(50)))
    stack.redeliver_refused([body])
    stack.settle()

    tally = stack.tally()
    record("50 concurrent deliveries of one event", tally)
    assert tally == CASES["50 concurrent deliveries of one event"].expected
    assert answers == [202] * 50
    [delivery] = stack.deliveries.values()
    assert sorted(delivery.outcomes) == ["accepted"] + ["duplicate"] * 49
    assert len(stack.stub.requests(method="PUT", path="/api/v2/tickets/701")) == 1


def test_ten_comments_on_one_ticket_at_once(make_stack):
    stack = make_stack()
    stack.seed(702)
    bodies = [urgent_comment(702, 702000 + n) for n in range(10)]
    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(stack.deliver, bodies))
    stack.redeliver_refused(bodies)
    stack.settle()

    tally = stack.tally()
    record("ten comments on one ticket at once", tally)
    assert tally == CASES["ten comments on one ticket at once"].expected
    assert answers == [202] * 10
    puts = stack.stub.requests(method="PUT", path="/api/v2/tickets/702")
    # One write lands; the other nine, planned from their events' (older) ticket, meet it as a 409,
    # re-read the ticket and find nothing left to do.
    assert sorted(p["status"] for p in puts) == [200] + [409] * 9


def test_100_slow_clients(make_stack):
    stack = make_stack()
    bodies = [escalation(t) for t in range(711, 721)]
    for body in bodies:
        stack.seed(int(body["detail"]["id"]))
    slow = SlowClients(stack.port, 100)
    try:
        with ThreadPoolExecutor(max_workers=10) as pool:
            answers = list(pool.map(stack.deliver, bodies))
    finally:
        slow.close()
    stack.settle()

    tally = stack.tally()
    seconds = max(s for d in stack.deliveries.values() for s in d.seconds)
    record("100 slow clients", tally, slowest_delivery_seconds=seconds)
    assert tally == CASES["100 slow clients"].expected
    assert answers == [202] * 10  # none timed out: Zendesk would have counted a failure
