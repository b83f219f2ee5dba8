"""The backtest counts the Zendesk calls the worker really makes for an event webhook.

The same event goes through the real worker (real policy engine, real Redis, Zendesk mocked with
`responses`) and through the replay; the calls must be the same. This is the rule docs/worker.md
("API calls per event") and docs/backtest.md ("API calls") state: one PUT per change; a GET of
the ticket first only when the update writes a configured custom field, which webhook snapshots
do not carry.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pytest
import responses

from app import redis_keys
from app.backtest.history import HistoryComment, TicketHistory
from app.backtest.replay import NOOP, replay_ticket
from app.policy import ZendeskFields, load_policy
from app.zendesk.client import ZendeskClient
from tests.zendesk.factories import (
    AFTER_HOURS_FIELD,
    BASE_URL,
    CATEGORY_FIELD,
    DUE_FIELD,
    INTEGRATION_USER_ID,
    URGENCY_FIELD,
    api_ticket,
    event,
)
from workers.apply import TicketEventApplier

pytestmark = pytest.mark.redis

TICKET_URL = f"{BASE_URL}/api/v2/tickets/35436"
FIELDS = ZendeskFields(
    urgency_field_id=URGENCY_FIELD,
    category_field_id=CATEGORY_FIELD,
    response_due_field_id=DUE_FIELD,
    response_due_field_type="text",
    after_hours_field_id=AFTER_HOURS_FIELD,
)
NO_FIELDS = ZendeskFields(0, 0, 0, "text", 0)
REQUESTER = 20978392


def worker_calls(real_redis, policy, ticket_event) -> dict[str, int]:
    """The calls the worker makes for the event, named as the backtest names them."""
    real_redis.set(redis_keys.INTEGRATION_USER_ID, INTEGRATION_USER_ID)  # GET /users/me is counted per run
    snapshot = ticket_event.ticket
    current = api_ticket(subject=snapshot["subject"], tags=snapshot["tags"], updated_at=snapshot["updated_at"])
    with responses.RequestsMock(assert_all_requests_are_fired=False) as api:
        api.get(TICKET_URL, json={"ticket": current})
        api.put(TICKET_URL, json={"ticket": {}})
        TicketEventApplier(ZendeskClient(BASE_URL, oauth_token="t"), real_redis, policy).apply(ticket_event)
        return dict(Counter(f"{call.request.method} /api/v2/tickets/{{id}}" for call in api.calls))


@pytest.mark.parametrize("fields", [NO_FIELDS, FIELDS], ids=["no fields", "fields configured"])
@pytest.mark.parametrize(
    ("subject", "description"),
    [
        ("URGENT: API returning 503", "Since 9:40 all calls fail."),  # escalates: fields to write
        ("API returning 503", "Any news? This is urgnet for us."),  # a near miss: tags and a note only
        ("Invoice question", "Where do I find last month's invoice?"),  # nothing to do
    ],
    ids=["urgent", "near miss", "nothing"],
)
def test_a_new_ticket_costs_what_the_backtest_counts(real_redis, fields, subject, description):
    policy = replace(load_policy(), zendesk=fields)
    created = event("ticket_created__urgent_outage")
    created = replace(created, ticket={**created.ticket, "subject": subject, "description": description})
    at = created.ticket["created_at"]
    history = TicketHistory(
        id=created.ticket_id,
        subject=subject,
        created_at=at,
        priority="normal",
        tags=tuple(created.ticket["tags"]),
        comments=(HistoryComment(1, REQUESTER, "end-user", True, description, "", at),),
    )

    [replayed] = replay_ticket(history, policy).events

    assert worker_calls(real_redis, policy, created) == replayed.calls


@pytest.mark.parametrize("fields", [NO_FIELDS, FIELDS], ids=["no fields", "fields configured"])
def test_an_escalating_comment_costs_what_the_backtest_counts(real_redis, fields):
    policy = replace(load_policy(), zendesk=fields)
    commented = event("ticket_comment_added__end_user_urgent")
    snapshot, comment = commented.ticket, commented.comment
    history = TicketHistory(
        id=commented.ticket_id,
        subject=snapshot["subject"],
        created_at=snapshot["created_at"],
        priority="normal",
        tags=tuple(snapshot["tags"]),
        comments=(
            HistoryComment(1, REQUESTER, "end-user", True, snapshot["description"], "", snapshot["created_at"]),
            HistoryComment(comment["id"], REQUESTER, "end-user", True, comment["body"], "", snapshot["updated_at"]),
        ),
    )

    creation, replayed = replay_ticket(history, policy).events

    assert creation.status == NOOP  # so the worker's snapshot is the replay's ticket at the comment
    assert replayed.decision["urgency"] == "urgent"
    assert worker_calls(real_redis, policy, commented) == replayed.calls
