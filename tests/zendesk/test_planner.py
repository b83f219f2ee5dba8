"""app.zendesk.planner: event, comment and ticket in; the decision and the request bodies out."""

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from app.ticket_event import Comment
from app.zendesk.planner import (
    changes_nothing_on_any_ticket,
    is_description_echo,
    plan_public_reply,
    plan_update,
    ticket_text,
)
from app.zendesk.ticket_state import TicketState
from tests.zendesk.factories import (
    DUE_FIELD,
    NO_FIELDS,
    FakeDecide,
    FakePolicy,
    ZendeskConfig,
    api_ticket,
    decision,
    event,
)

SNAPSHOT = TicketState(ticket_id=35436, priority="normal", tags=("enterprise",), updated_at="2026-11-27T15:00:00Z")


def end_user_comment(body: str) -> Comment:
    return {
        "id": 41000000001,
        "body": body,
        "html_body": "",
        "is_public": True,
        "author_id": 20978392,
        "author_is_staff": False,
        "created_at": "2026-11-30T16:00:00Z",
    }


def test_a_new_ticket_is_planned_from_its_subject_and_description():
    decide = FakeDecide()
    created = event("ticket_created__urgent_outage")
    ticket = replace(SNAPSHOT, subject="URGENT: API down", description="all calls fail")

    plan = plan_update(created, None, ticket, FakePolicy(NO_FIELDS), decide)

    [text] = decide.calls
    assert (text.event, text.subject, text.body) == ("created", "URGENT: API down", "all calls fail")
    assert plan.decision.urgency == "urgent"
    assert plan.update["ticket"]["priority"] == "urgent"
    assert plan.needs_full_ticket is False


def test_a_comment_is_planned_from_its_body_at_its_own_time_with_the_tickets_category():
    decide = FakeDecide()
    ticket = replace(SNAPSHOT, tags=("category_fraud_attack",))

    plan_update(
        event("ticket_comment_added__end_user_urgent"), end_user_comment("urgent!"), ticket, FakePolicy(), decide
    )

    [text] = decide.calls
    assert (text.event, text.body, text.known_category) == ("comment", "urgent!", "fraud_attack")
    assert text.received_at.isoformat() == "2026-11-30T16:00:00+00:00"


def test_an_html_only_comment_is_read_as_html():
    text = ticket_text(
        event("ticket_comment_added__end_user_urgent"),
        {**end_user_comment(""), "html_body": "<p>x</p>"},
        SNAPSHOT,
        None,
    )
    assert (text.body, text.body_is_html) == ("<p>x</p>", True)


def test_nothing_to_change_plans_no_update():
    plan = plan_update(
        event("ticket_comment_added__end_user_urgent"),
        end_user_comment("thanks"),
        SNAPSHOT,
        FakePolicy(NO_FIELDS),
        FakeDecide(),
    )
    assert plan.update is None and plan.decision.urgency == "none"


def test_custom_fields_planned_on_a_snapshot_ask_for_the_full_ticket_first():
    created = event("ticket_created__urgent_outage")
    ticket = replace(SNAPSHOT, subject="URGENT")
    on_snapshot = plan_update(created, None, ticket, FakePolicy(), FakeDecide())
    on_api_ticket = plan_update(created, None, TicketState.from_api(api_ticket()), FakePolicy(), FakeDecide())

    assert on_snapshot.needs_full_ticket is True
    assert on_api_ticket.needs_full_ticket is False


def test_the_public_reply_is_owed_once_per_ticket():
    owed = replace(SNAPSHOT, tags=("next_business_day",))
    sent = replace(SNAPSHOT, tags=("next_business_day", "next_business_day_replied"))
    with_reply = replace(decision(), public_reply="We will get back to you on Monday.")

    body = plan_public_reply(with_reply, owed, FakePolicy())

    assert body["ticket"]["comment"] == {"body": "We will get back to you on Monday.", "public": True}
    assert body["ticket"]["updated_stamp"] == SNAPSHOT.updated_at
    assert plan_public_reply(with_reply, sent, FakePolicy()) is None
    assert plan_public_reply(decision(), owed, FakePolicy()) is None


def test_a_date_due_field_gets_the_day_in_the_policys_time_zone():
    due_late_at_night = replace(decision(), response_due_at=datetime(2026, 11, 28, 3, 30, tzinfo=UTC))
    policy = FakePolicy(ZendeskConfig(response_due_field_type="date"))
    plan = plan_update(
        event("ticket_created__urgent_outage"),
        None,
        TicketState.from_api(api_ticket()),
        policy,
        lambda text, policy: due_late_at_night,
    )
    assert {"id": DUE_FIELD, "value": "2026-11-27"} in plan.update["ticket"]["custom_fields"]  # 22:30 in New York


def test_a_message_is_read_like_a_comment_at_the_events_time():
    message = event("messaging_ticket_message_added__end_user_urgent")
    text = ticket_text(message, None, replace(SNAPSHOT, subject="Chat with Dana"), "incident")
    assert (text.event, text.body, text.body_is_html, text.known_category) == (
        "comment",
        "This is urgent now: the dashboard is down for all our agents.",
        False,
        "incident",
    )
    assert text.received_at.isoformat() == "2026-11-30T16:00:00.504117+00:00"
    with pytest.raises(ValueError, match="needs its text"):
        ticket_text(replace(message, message={**message.message, "body": None}), None, SNAPSHOT, None)


def with_times(name: str, created_at, updated_at):
    base = event(name)
    return replace(base, ticket={**base.ticket, "created_at": created_at, "updated_at": updated_at})


@pytest.mark.parametrize(
    "name, created_at, updated_at, echo",
    [
        ("ticket_comment_added__end_user_urgent", "2026-11-30T16:00:00Z", "2026-11-30T16:00:00Z", True),
        ("ticket_comment_added__end_user_urgent", "2026-11-30T16:00:00Z", "2026-11-30T16:00:00+00:00", True),
        ("ticket_comment_added__end_user_urgent", "2026-11-30T16:00:00Z", "2026-11-30T16:00:01Z", False),
        ("ticket_comment_added__end_user_urgent", None, "2026-11-30T16:00:00Z", False),
        ("ticket_comment_added__end_user_urgent", "2026-11-30T16:00:00Z", None, False),
        ("ticket_created__urgent_outage", "2026-11-27T15:00:00Z", "2026-11-27T15:00:00Z", False),
        # the captured messaging note: created 08:36:43, updated 08:36:44 (a second action)
        ("ticket_comment_added__private_note_captured", "2026-06-09T08:36:43Z", "2026-06-09T08:36:44Z", False),
    ],
)
def test_a_description_echo_is_a_comment_on_a_ticket_unchanged_since_its_creation(name, created_at, updated_at, echo):
    assert is_description_echo(with_times(name, created_at, updated_at)) is echo


def test_trigger_comments_are_never_description_echoes():
    assert is_description_echo(event("trigger_comment__end_user")) is False


@pytest.mark.parametrize(
    "text, nothing",
    [
        ("Thanks, that helps!", True),
        ("This is urgent now.", False),
        ("Is this time sensitive?", False),
    ],
)
def test_a_message_that_changes_nothing_on_any_ticket_needs_no_ticket(text, nothing):
    message = event("messaging_ticket_message_added__end_user_urgent")
    message = replace(message, message={**message.message, "body": text})
    assert changes_nothing_on_any_ticket(message, FakePolicy(), FakeDecide()) is nothing


def test_a_near_miss_changes_a_ticket_so_the_ticket_is_needed():
    message = event("messaging_ticket_message_added__end_user_urgent")
    near_miss = replace(decision("none", priority=None, due=None), tags=("urgency_near_miss",))
    assert changes_nothing_on_any_ticket(message, FakePolicy(), lambda text, policy: near_miss) is False
