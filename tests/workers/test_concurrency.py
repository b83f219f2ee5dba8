"""Two comments on one ticket, applied by two workers at once, against the stub Zendesk; and the
ticket lock of a job killed while holding it, which must expire."""

import os
import signal
import threading
import time

import pytest

from app import defaults, redis_keys
from app.ticket_event import COMMENT, TicketEvent
from app.webhooks.events import parse_event
from app.zendesk import ZendeskClient
from tests.stub_zendesk import StubZendesk
from tests.zendesk.factories import fixture
from workers.apply import TicketBusy

pytestmark = pytest.mark.redis

CUSTOMER = {"id": 20978392, "name": "Dana Customer", "role": "end-user"}


def trigger_comment(comment_id: int) -> TicketEvent:
    return TicketEvent(
        event_id=f"trigger:35436:{comment_id}",
        kind=COMMENT,
        source="trigger",
        ticket_id=35436,
        occurred_at="2026-11-30T16:00:00Z",
        actor_id=CUSTOMER["id"],
        comment_id=comment_id,
    )


def test_two_comments_on_one_ticket_apply_one_after_the_other(make_applier, known_integration_user):
    with StubZendesk() as stub:
        stub.seed_ticket(
            {"id": 35436, "subject": "API errors", "priority": "normal", "updated_at": "2026-11-30T15:59:00Z"}
        )
        for comment_id in (1, 2):
            stub.seed_comment(
                35436, {"id": comment_id, "body": "This is urgent!", "created_at": "2026-11-30T16:00:00Z"}, CUSTOMER
            )
        # The first PUT is slow, which without the lock lets the other job read the old ticket.
        stub.script("/api/v2/tickets/35436", hang=0.5, method="PUT")
        results = {}

        def work(comment_id: int) -> None:
            applier = make_applier(zendesk=ZendeskClient(stub.url, oauth_token="t"))
            results[comment_id] = applier.apply(trigger_comment(comment_id))

        threads = [threading.Thread(target=work, args=(c,)) for c in (1, 2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=20)

        assert sorted(results.values()) == ["noop", "updated"]
        requests = stub.requests()
        assert [r["status"] for r in requests if r["method"] == "PUT"] == [200]  # no 409: never over each other
        kinds = ["comments" if r["path"].endswith("/comments") else r["method"] for r in requests]
        assert kinds == ["comments", "GET", "PUT", "comments", "GET"]
        assert stub.ticket(35436)["priority"] == "urgent"


class DiesMidWrite:
    """A Zendesk whose update kills the process that sends it, as an out-of-memory kill would."""

    dry_run = False

    def update_ticket(self, ticket_id, body):
        os.kill(os.getpid(), signal.SIGKILL)

    def __getattr__(self, name):
        raise AssertionError(f"the job should not call {name}")


def killed_mid_write(make_applier, event: TicketEvent) -> None:
    """Apply `event` in a child process that dies holding the ticket's lock."""
    child = os.fork()
    if child == 0:
        try:
            make_applier(zendesk=DiesMidWrite()).apply(event)
        finally:
            os._exit(1)  # not reached: the update kills the child
    _, status = os.waitpid(child, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL


def test_the_lock_of_a_job_killed_while_holding_it_expires(make_applier, known_integration_user, redis_db):
    event = parse_event(fixture("ticket_created__urgent_outage"))
    killed_mid_write(make_applier, event)

    left_behind = redis_db.pttl(redis_keys.ticket_lock(event.ticket_id))
    assert 0 < left_behind <= defaults.TICKET_LOCK_TIMEOUT_SECONDS * 1000  # never a lock for ever


def test_a_lock_left_behind_holds_the_ticket_only_until_it_expires(
    make_applier, known_integration_user, redis_db, monkeypatch
):
    monkeypatch.setattr(defaults, "TICKET_LOCK_TIMEOUT_SECONDS", 1)
    event = parse_event(fixture("ticket_created__urgent_outage"))
    killed_mid_write(make_applier, event)
    with StubZendesk() as stub:
        stub.seed_ticket({"id": event.ticket_id, "updated_at": event.ticket["updated_at"]})
        applier = make_applier(zendesk=ZendeskClient(stub.url, oauth_token="t"))
        applier.lock_wait_seconds = 0.2
        with pytest.raises(TicketBusy):  # the dead job's lock still holds the ticket...
            applier.apply(event)
        time.sleep(1)
        assert applier.apply(event) == "updated"  # ...and then it does not
