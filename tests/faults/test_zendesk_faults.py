"""Zendesk failing: errors, a hang, rate limits, conflicts, and an outage of minutes."""

from __future__ import annotations

import time

import pytest

from tests.faults.cases import CASES
from tests.faults.harness import escalation, record

pytestmark = [pytest.mark.slow]


def test_zendesk_500_timeout_429_409(make_stack):
    stack = make_stack()
    faults = {521: {"status": 500}, 522: {"hang": 12}, 523: {"status": 429, "retry_after": 2}, 524: {"status": 409}}
    for ticket, fault in faults.items():
        stack.seed(ticket)
        stack.stub.script(f"/api/v2/tickets/{ticket}", method="PUT", **fault)
        assert stack.deliver(escalation(ticket)) == 202
    settled = stack.settle()

    tally = stack.tally()
    record("zendesk 500, timeout, 429, 409", tally, settled_after_seconds=settled)
    assert tally == CASES["zendesk 500, timeout, 429, 409"].expected
    statuses = {
        t: [r["status"] for r in stack.stub.requests(method="PUT", path=f"/api/v2/tickets/{t}")] for t in faults
    }
    assert statuses[521][:2] == [500, 200] and statuses[523][:2] == [429, 200] and statuses[524][0] == 409


def test_zendesk_outage_of_minutes(make_stack):
    stack = make_stack(ESCALATOR_RETRY_BACKOFF_CAP_SECONDS="5")
    stack.stub.outage(503)
    tickets = range(531, 539)
    for ticket in tickets:
        stack.seed(ticket)
        assert stack.deliver(escalation(ticket)) == 202
    time.sleep(120)
    assert all(not stack.notes(t) for t in tickets)
    tries = len(stack.stub.requests())  # each job's first call (its user, or its PUT) got the 503
    stack.stub.outage(None)
    back = time.monotonic()
    stack.settle()
    applied_after = time.monotonic() - back

    tally = stack.tally()
    record("zendesk outage of minutes", tally, applied_after_seconds=applied_after)
    assert tally == CASES["zendesk outage of minutes"].expected
    assert tries >= 8 * 15  # each job kept trying through the 2 minutes, every 5 s at most
    assert applied_after < 15
    assert "gave_up" not in "".join(w.output() for w in stack.workers)
