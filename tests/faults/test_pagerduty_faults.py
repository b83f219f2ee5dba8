"""PagerDuty failing while urgent incidents arrive after hours."""

from __future__ import annotations

import pytest

from tests.faults.cases import CASES
from tests.faults.harness import AFTER_HOURS, escalation, record

pytestmark = [pytest.mark.slow]


def test_pagerduty_failing(make_stack):
    stack = make_stack(ESCALATOR_RETRY_BACKOFF_CAP_SECONDS="3")
    stack.pagerduty.script(status=503, times=10)
    stack.pagerduty.script(hang=7, times=1)  # past the 5 s read timeout: did the page go out?
    tickets = (801, 802, 803)
    for ticket in tickets:
        stack.seed(ticket)
        assert stack.deliver(escalation(ticket, at=AFTER_HOURS)) == 202
    settled = stack.settle(timeout=120)

    tally = stack.tally(paged=True)
    record("pagerduty failing", tally, settled_after_seconds=settled)
    assert tally == CASES["pagerduty failing"].expected
    assert all(stack.pagerduty.alerts()[key]["status"] == "triggered" for key in stack.pagerduty.alerts())
    assert len(stack.pagerduty.alerts()) == 3
