"""app.zendesk.planner: event, comment and ticket in; the decision and the request bodies out."""

from dataclasses import replace

from app.ticket_event import Comment
from app.zendesk.planner import plan_public_reply, plan_update, ticket_text
from app.zendesk.ticket_state import TicketState
from tests.zendesk.factories import NO_FIELDS, FakeDecide, FakePolicy, api_ticket, decision, event

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
