"""Every case of the fault suite: what is injected, what must hold, and the tally it asserts.

docs/reliability.md's table is made from this list (`python -m tests.faults.report`), and
tests/faults/test_reliability_doc.py fails when the two differ: the document states exactly the
numbers the tests assert.
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.faults.harness import Tally


@dataclass(frozen=True)
class Case:
    name: str
    fault: str
    holds: str
    sent: int  # events sent
    escalations: int  # tickets those events escalate

    @property
    def expected(self) -> Tally:
        return Tally(sent=self.sent, applied=self.escalations, duplicated=0, lost=0)


CASES = {
    case.name: case
    for case in [
        Case(
            "redis down",
            "redis-server stopped for 5 s while events arrive, then started again",
            "deliveries in the outage get 503 + Retry-After and are redelivered; none is lost",
            sent=12,
            escalations=12,
        ),
        Case(
            "redis hanging",
            "redis-server SIGSTOPped for 8 s while events arrive, then SIGCONTed",
            "no delivery is answered 2xx without its job; the refused ones are redelivered",
            sent=12,
            escalations=12,
        ),
        Case(
            "redis restarted with AOF",
            "redis-server SIGKILLed with jobs queued and retries scheduled, restarted from its append-only file",
            "every accepted job and scheduled retry survives the restart",
            sent=10,
            escalations=10,
        ),
        Case(
            "worker SIGKILL mid-job",
            "the worker and its work horse SIGKILLed while Zendesk applies the update",
            "the job runs again within a minute, on the other worker; one note",
            sent=1,
            escalations=1,
        ),
        Case(
            "work horse SIGKILL mid-job",
            "the work horse alone SIGKILLed while Zendesk applies the update",
            "the worker re-enqueues the job at once; one note",
            sent=1,
            escalations=1,
        ),
        Case(
            "scheduler killed",
            "the worker holding the scheduler lock SIGKILLed with retries scheduled",
            "the other worker's scheduler takes over within the 15 s lock; every retry runs",
            sent=5,
            escalations=5,
        ),
        Case(
            "zendesk 500, timeout, 429, 409",
            "one ticket each: a 500, a 12 s hang (past the client's timeout), a 429, a 409",
            "each is retried as documented; one note each",
            sent=4,
            escalations=4,
        ),
        Case(
            "zendesk outage of minutes",
            "every Zendesk request answered 503 for 2 minutes (backoff capped at 5 s by configuration)",
            "the jobs wait the outage out and apply within seconds of its end",
            sent=8,
            escalations=8,
        ),
        Case(
            "pagerduty failing",
            "PagerDuty answers 503 to the first 10 pages, then hangs past the client's timeout once",
            "each after-hours incident is escalated once and paged once, when PagerDuty takes it",
            sent=3,
            escalations=3,
        ),
        Case(
            "50 concurrent deliveries of one event",
            "the same event delivered 50 times at once",
            "one job, one note",
            sent=1,
            escalations=1,
        ),
        Case(
            "ten comments on one ticket at once",
            "ten urgent comments on one ticket delivered at once",
            "applied one after the other; the ticket is escalated once, one note",
            sent=10,
            escalations=1,
        ),
        Case(
            "100 slow clients",
            "100 connections trickle a request a byte every half second (headers or body) while events arrive",
            "every delivery is answered 202 within Zendesk's 10 s and applied once",
            sent=10,
            escalations=10,
        ),
    ]
}
