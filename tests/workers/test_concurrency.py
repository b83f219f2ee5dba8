"""Two comments on one ticket, applied by two workers at once, against the stub Zendesk."""

import threading

import pytest

from app.ticket_event import COMMENT, TicketEvent
from app.zendesk import ZendeskClient
from tests.stub_zendesk import StubZendesk

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
