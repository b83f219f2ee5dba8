"""app.zendesk.planner: event, comment and ticket in; the decision and the request bodies out."""

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from app.policy import load_policy
from app.ticket_event import Comment
from app.zendesk.planner import (
    changes_nothing_on_any_ticket,
    is_description_echo,
    local_skip,
    plan_public_reply,
    plan_update,
    ticket_text,
)
from app.zendesk.ticket_state import TicketState
from tests.zendesk.factories import (
    DEADLINE_FIELD,
    DUE_FIELD,
    NO_FIELDS,
    TAGS,
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
        TAGS,
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
    text = ticket_text(message, None, replace(SNAPSHOT, subject="Chat with Dana"), "incident", TAGS)
    assert (text.event, text.body, text.body_is_html, text.known_category) == (
        "comment",
        "This is urgent now: the dashboard is down for all our agents.",
        False,
        "incident",
    )
    assert text.received_at.isoformat() == "2026-11-30T16:00:00.504117+00:00"
    with pytest.raises(ValueError, match="needs its text"):
        ticket_text(replace(message, message={**message.message, "body": None}), None, SNAPSHOT, None, TAGS)


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


# --- POLICY.md section 6: what the ticket's tags remember, the deadline field, the info request


def test_the_factories_tags_are_the_shipped_ones():
    assert load_policy().tags == TAGS


def test_a_comment_carries_the_tickets_level_and_open_items_from_its_tags():
    decide = FakeDecide()
    tags = ("enterprise", "urgency_time_sensitive", "urgency_urgent", "info_missing", "missing_start_time")
    plan_update(
        event("ticket_comment_added__end_user_urgent"),
        end_user_comment("here is when it began"),
        replace(SNAPSHOT, tags=tags),
        FakePolicy(),
        decide,
    )
    [text] = decide.calls
    assert (text.known_level, text.open_items) == ("urgent", frozenset({"start_time"}))


@pytest.mark.parametrize(
    "tags, level, items",
    [
        ((), None, frozenset()),
        (("urgency_time_sensitive", "deadline_missing"), "time_sensitive", frozenset({"deadline"})),
        (("urgency_urgent", "missing_example_applications"), "urgent", frozenset({"example_applications"})),
        (("urgency_near_miss", "missing_something_else"), None, frozenset()),
    ],
)
def test_a_message_carries_the_same_memory(tags, level, items):
    message = event("messaging_ticket_message_added__end_user_urgent")
    text = ticket_text(message, None, replace(SNAPSHOT, tags=tags), None, TAGS)
    assert (text.known_level, text.open_items) == (level, items)


def test_a_new_ticket_starts_from_nothing_even_on_its_retry():
    """A retry of the creation meets the tags its first attempt wrote: it decides as new, so the
    same decision, and finds nothing left to write."""
    decide = FakeDecide()
    tagged = replace(SNAPSHOT, tags=("urgency_urgent", "info_missing", "missing_start_time"))
    plan_update(event("ticket_created__urgent_outage"), None, tagged, FakePolicy(NO_FIELDS), decide)
    [text] = decide.calls
    assert (text.known_level, text.open_items) == (None, frozenset())


def answered(removed: tuple[str, ...], **changes):
    return replace(
        decision("none", priority=None, due=None, explanation="Supplied: steps."), removed_tags=removed, **changes
    )


def test_a_comment_with_no_level_that_answers_open_items_writes_the_tags_without_them_and_its_note():
    tags = ("enterprise", "urgency_urgent", "category_incident", "info_missing", "missing_steps_to_reproduce")
    plan = plan_update(
        event("ticket_comment_added__end_user_urgent"),
        end_user_comment("1. call 2. see"),
        replace(SNAPSHOT, tags=tags),
        FakePolicy(),
        lambda text, policy: answered(("missing_steps_to_reproduce", "info_missing")),
    )
    assert plan.update == {
        "ticket": {
            "tags": ["enterprise", "urgency_urgent", "category_incident"],
            "comment": {"body": "Supplied: steps.", "public": False},
            "safe_update": True,
            "updated_stamp": SNAPSHOT.updated_at,
        }
    }
    assert plan.needs_full_ticket is False


def test_short_notice_alone_is_a_change():
    plan = plan_update(
        event("ticket_comment_added__end_user_urgent"),
        end_user_comment("the deadline is tomorrow"),
        replace(SNAPSHOT, tags=("urgency_time_sensitive", "deadline_missing")),
        FakePolicy(NO_FIELDS),
        lambda text, policy: answered(("deadline_missing",), tags=("short_notice",)),
    )
    assert plan.update["ticket"]["tags"] == ["urgency_time_sensitive", "short_notice"]


@pytest.mark.parametrize("urgency", ["time_sensitive", "none"])
def test_the_deadline_goes_into_the_deadline_field_as_a_date(urgency):
    with_deadline = replace(decision(urgency, priority=None, due=None), deadline=date(2026, 12, 4))
    fields = ZendeskConfig(deadline_field_id=DEADLINE_FIELD)
    ticket = TicketState.from_api(
        api_ticket(custom_fields=[{"id": DEADLINE_FIELD, "value": None}], tags=["urgency_time_sensitive"])
    )
    plan = plan_update(
        event("ticket_comment_added__end_user_urgent"),
        end_user_comment("by Friday"),
        ticket,
        FakePolicy(fields),
        lambda text, policy: with_deadline,
    )
    assert {"id": DEADLINE_FIELD, "value": "2026-12-04"} in plan.update["ticket"]["custom_fields"]

    already = TicketState.from_api(api_ticket(custom_fields=[{"id": DEADLINE_FIELD, "value": "2026-12-04"}]))
    again = plan_update(
        event("ticket_comment_added__end_user_urgent"),
        end_user_comment("by Friday"),
        replace(already, tags=ticket.tags),
        FakePolicy(fields),
        lambda text, policy: with_deadline,
    )
    assert DEADLINE_FIELD not in [f["id"] for f in (again.update or {"ticket": {}})["ticket"].get("custom_fields", [])]


def test_no_deadline_field_configured_writes_none():
    with_deadline = replace(decision("time_sensitive", priority="high"), deadline=date(2026, 12, 4))
    plan = plan_update(
        event("ticket_created__urgent_outage"),
        None,
        TicketState.from_api(api_ticket()),
        FakePolicy(),
        lambda text, policy: with_deadline,
    )
    assert all(f["id"] != DEADLINE_FIELD for f in plan.update["ticket"]["custom_fields"])


INFO_REQUEST = "Please send:\n- the steps our team can take to reproduce the issue"


def test_the_info_request_is_owed_once_per_ticket_after_the_update_that_opened_the_items():
    asking = replace(decision(), info_request_reply=INFO_REQUEST)
    opened = replace(SNAPSHOT, tags=("enterprise", "info_missing", "missing_steps_to_reproduce"))

    body = plan_public_reply(asking, opened, FakePolicy())

    assert body == {
        "ticket": {
            "comment": {"body": INFO_REQUEST, "public": True},
            "tags": ["enterprise", "info_missing", "missing_steps_to_reproduce", "info_requested"],
            "safe_update": True,
            "updated_stamp": SNAPSHOT.updated_at,
        }
    }
    asked = replace(opened, tags=(*opened.tags, "info_requested"))
    assert plan_public_reply(asking, asked, FakePolicy()) is None  # sent: never again
    assert plan_public_reply(asking, SNAPSHOT, FakePolicy()) is None  # the update did not land
    assert plan_public_reply(decision(), opened, FakePolicy()) is None  # off, or nothing missing


def test_both_replies_owed_go_in_one_comment_with_both_tags():
    both = replace(decision(), public_reply="Next business day.", info_request_reply=INFO_REQUEST)
    ticket = replace(SNAPSHOT, tags=("next_business_day", "info_missing"))

    body = plan_public_reply(both, ticket, FakePolicy())

    assert body["ticket"]["comment"]["body"] == "Next business day.\n\n" + INFO_REQUEST
    assert body["ticket"]["tags"] == [
        "next_business_day",
        "info_missing",
        "next_business_day_replied",
        "info_requested",
    ]
    one_sent = replace(ticket, tags=(*ticket.tags, "next_business_day_replied"))
    assert plan_public_reply(both, one_sent, FakePolicy())["ticket"]["comment"]["body"] == INFO_REQUEST


def test_a_message_that_supplies_an_open_item_is_not_skipped_unread():
    message = event("messaging_ticket_message_added__end_user_urgent")
    supplies = replace(decision("none", priority=None, due=None), removed_tags=("missing_start_time",))
    nothing = decision("none", priority=None, due=None)
    assert changes_nothing_on_any_ticket(message, FakePolicy(), lambda text, policy: nothing) is True
    assert changes_nothing_on_any_ticket(message, FakePolicy(), lambda text, policy: supplies) is False


def test_a_message_is_probed_on_a_ticket_with_every_item_open():
    decide = FakeDecide()
    changes_nothing_on_any_ticket(event("messaging_ticket_message_added__end_user_urgent"), FakePolicy(), decide)
    [text] = decide.calls
    assert text.open_items == frozenset({"deadline", "start_time", "example_applications", "steps_to_reproduce"})


def _comment_of(name: str) -> Comment:
    found = event(name).comment
    assert found is not None
    return found


@pytest.mark.parametrize(
    "name, comment_changes, status",
    [
        ("ticket_comment_added__end_user_urgent", {}, None),  # the policy reads it
        ("ticket_comment_added__end_user_urgent", {"is_public": False}, "ignored:private_comment"),
        ("ticket_comment_added__agent_reply", {}, "ignored:agent_comment"),
        ("ticket_comment_added__own_internal_note", {}, "ignored:private_comment"),  # whoever wrote it
        ("ticket_created__urgent_outage", None, None),
        ("trigger_comment__end_user", None, None),  # not read yet: the worker reads the comment first
    ],
)
def test_a_skip_known_from_the_event_alone(name, comment_changes, status):
    comment = None if comment_changes is None else {**_comment_of(name), **comment_changes}
    skip = local_skip(event(name), comment)
    assert (skip.status if skip else None) == status


def test_a_first_comment_is_skipped_before_anyone_asks_who_wrote_it():
    echo = with_times("ticket_comment_added__end_user_urgent", "2026-11-30T16:00:00Z", "2026-11-30T16:00:00Z")
    skip = local_skip(echo, echo.comment)
    assert skip is not None and (skip.status, skip.log_name) == (
        "ignored:first_comment",
        "worker.comment.first_comment",
    )


@pytest.mark.parametrize(
    "author_type, body, status",
    [
        ("end_user", "URGENT: checkout down", None),
        ("end_user", None, None),  # text not in the payload: read from the conversation log first
        ("end_user", "  \n ", "ignored:empty_message"),
        ("agent", "on it", "ignored:agent_message"),
        ("business", "auto reply", "ignored:business_message"),
    ],
)
def test_a_message_is_skipped_unless_an_end_user_wrote_some_text(author_type, body, status):
    base = event("messaging_ticket_message_added__end_user_urgent")
    assert base.message is not None
    message = replace(base, message={**base.message, "author_type": author_type, "body": body})
    skip = local_skip(message, None)
    assert (skip.status if skip else None) == status
