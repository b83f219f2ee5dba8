"""app.backtest.replay: the worker's decisions on a simulated ticket, and what they would cost."""

from types import SimpleNamespace

import pytest

from app.backtest.history import BY_AGENT, BY_ESCALATOR, BY_RULE, PRIORITY, Change, HistoryComment, TicketHistory
from app.backtest.replay import (
    GET_COMMENTS,
    GET_TICKET,
    IGNORED_AGENT,
    IGNORED_PRIVATE,
    NOOP,
    PUT_TICKET,
    TRIGGER_MODE,
    UPDATED,
    replay_ticket,
    tags_after,
)

MONDAY_10_ET = "2026-10-05T14:00:00Z"
NEXT_COMMENT = iter(range(800, 900))


def comment(at: str, body: str, role: str | None = "end-user", public: bool = True, html: str = "") -> HistoryComment:
    return HistoryComment(next(NEXT_COMMENT), 5, role, public, body, html, at)


def ticket(subject: str, description: str, *later, changes=(), priority="normal", tags=(), at=MONDAY_10_ET):
    return TicketHistory(
        id=1,
        subject=subject,
        created_at=at,
        priority=priority,
        tags=tuple(tags),
        comments=(comment(at, description), *later),
        changes=tuple(changes),
    )


def summary(replay):
    """(status, urgency, priority set, calls) per received event."""
    return [
        (e.status, e.decision["urgency"] if e.decision else None, e.decision and e.decision["priority_set"], e.calls)
        for e in replay.events
    ]


def test_a_new_urgent_ticket_is_one_put_that_raises_the_priority_and_tags_it(policy):
    replay = replay_ticket(ticket("URGENT: API returning errors", "Every call fails."), policy)

    [created] = replay.events
    assert (created.kind, created.status, created.calls) == ("created", UPDATED, {PUT_TICKET: 1})
    assert created.decision["priority_set"] == "urgent"
    # an urgent incident report that names neither a start time nor steps (POLICY.md section 6)
    assert created.decision["tags_added"] == [
        "urgency_urgent",
        "category_incident",
        "info_missing",
        "missing_start_time",
        "missing_steps_to_reproduce",
    ]


def test_never_lower_a_time_sensitive_comment_on_an_urgent_ticket_keeps_urgent(policy):
    history = ticket(
        "URGENT: API outage", "Full outage.", comment("2026-10-05T16:00:00Z", "Also time sensitive: launch tomorrow.")
    )

    assert summary(replay_ticket(history, policy)) == [
        (UPDATED, "urgent", "urgent", {PUT_TICKET: 1}),
        (UPDATED, "time_sensitive", None, {PUT_TICKET: 1}),  # only the tag is new
    ]


def test_an_agents_raise_in_the_history_is_on_the_ticket_the_policy_sees(policy):
    raised = Change("2026-10-05T14:30:00Z", BY_AGENT, PRIORITY, previous="normal", value="urgent")
    later = comment("2026-10-05T15:00:00Z", "This is time sensitive for us.")

    replay = replay_ticket(ticket("Webhook retries", "Duplicates arrive.", later, changes=[raised]), policy)

    assert summary(replay)[1] == (UPDATED, "time_sensitive", None, {PUT_TICKET: 1})


def test_changes_escalator_itself_made_are_left_out_the_replay_makes_its_own(policy):
    its_own = Change("2026-10-05T14:30:00Z", BY_ESCALATOR, PRIORITY, previous="normal", value="urgent")
    later = comment("2026-10-05T15:00:00Z", "This is time sensitive for us.")

    replay = replay_ticket(ticket("Webhook retries", "Duplicates arrive.", later, changes=[its_own]), policy)

    assert summary(replay)[1] == (UPDATED, "time_sensitive", "high", {PUT_TICKET: 1})


def test_category_memory_an_after_hours_comment_keeps_the_tickets_category_and_does_not_page(policy):
    after_hours = comment("2026-10-06T02:30:00Z", "Still urgent, please help.")  # Mon 22:30 ET
    remembered = replay_ticket(ticket("Urgent: locked out", "Password reset email never arrives.", after_hours), policy)
    fresh = replay_ticket(ticket("Question", "How do I export?", after_hours), policy)

    comment_decision = remembered.events[1].decision
    assert (comment_decision["category"], comment_decision["after_hours"], comment_decision["on_call"]) == (
        "account_access",
        True,
        False,
    )
    assert (fresh.events[1].decision["category"], fresh.events[1].decision["on_call"]) == ("other", True)


def test_only_public_end_user_comments_are_read_agent_comments_and_notes_are_ignored(policy):
    history = ticket(
        "Data vendor question",
        "Is the feed delayed today?",
        comment("2026-10-05T14:10:00Z", "Flagging this as urgent.", role="agent"),
        comment("2026-10-05T14:11:00Z", "URGENT: escalate", role="admin", public=False),
        comment("2026-10-05T14:12:00Z", "urgent?", role=None),  # unknown author: staff
        comment("2026-10-05T14:13:00Z", "Any update?\n\n> URGENT: the feed is empty"),  # quoted text is not read
    )

    assert summary(replay_ticket(history, policy)) == [
        (NOOP, "none", None, {}),
        (IGNORED_AGENT, None, None, {}),
        (IGNORED_PRIVATE, None, None, {}),
        (IGNORED_AGENT, None, None, {}),
        (NOOP, "none", None, {}),
    ]


def test_an_html_only_comment_is_read_as_html(policy):
    html = comment("2026-10-05T15:00:00Z", "", html="<p>Our checkout is <b>urgent</b>: the SDK stopped working.</p>")
    replay = replay_ticket(ticket("Follow-up", "Checking in.", html), policy)
    assert replay.events[1].decision["urgency"] == "urgent"


def test_a_rule_in_the_same_second_as_the_creation_acts_before_the_decision(policy):
    trigger = Change(MONDAY_10_ET, BY_RULE, PRIORITY, previous="normal", value="urgent")
    replay = replay_ticket(ticket("URGENT: outage", "All down.", changes=[trigger]), policy)
    assert summary(replay) == [(UPDATED, "urgent", None, {PUT_TICKET: 1})]


def test_with_custom_fields_each_escalating_decision_reads_the_ticket_first(policy_with):
    # A webhook snapshot has no custom fields, so any decision with a level would write them:
    # the worker reads the ticket before planning again. A decision without a level writes none.
    policy = policy_with(zendesk={"urgency_field_id": 101, "category_field_id": 102})
    history = ticket(
        "URGENT: API outage",
        "Full outage.",
        comment("2026-10-05T15:00:00Z", "Thanks."),
        comment("2026-10-05T16:00:00Z", "Also time sensitive: launch tomorrow."),
    )

    calls = [e.calls for e in replay_ticket(history, policy).events]

    assert calls == [{GET_TICKET: 1, PUT_TICKET: 1}, {}, {GET_TICKET: 1, PUT_TICKET: 1}]


def test_trigger_mode_reads_the_ticket_for_every_decision_and_the_comment_for_every_public_one(policy):
    history = ticket(
        "URGENT: API outage",
        "Full outage.",
        comment("2026-10-05T14:10:00Z", "On it.", role="agent"),
        comment("2026-10-05T14:11:00Z", "note", role="agent", public=False),  # no trigger fires
        comment("2026-10-05T14:20:00Z", "Thanks."),
    )

    calls = [(e.status, e.calls) for e in replay_ticket(history, policy, TRIGGER_MODE).events]

    assert calls == [
        (UPDATED, {GET_TICKET: 1, PUT_TICKET: 1}),
        (IGNORED_AGENT, {GET_COMMENTS: 1}),
        (NOOP, {GET_COMMENTS: 1, GET_TICKET: 1}),
    ]


def test_the_after_hours_public_reply_is_a_second_put_sent_once_per_ticket(policy_with):
    policy = policy_with(after_hours={"public_reply": {"enabled": True, "text": "We will answer tomorrow."}})
    history = ticket(
        "Urgent: locked out",
        "Password reset email never arrives.",
        comment("2026-10-06T02:40:00Z", "Still urgent."),
        at="2026-10-06T02:30:00Z",  # Mon 22:30 ET
    )

    events = replay_ticket(history, policy).events

    assert [(e.status, e.calls) for e in events] == [(UPDATED, {PUT_TICKET: 2}), (NOOP, {})]
    assert "next_business_day_replied" in events[0].decision["tags_added"]


@pytest.mark.parametrize(
    ("tags", "decision_tags", "answered", "expected"),
    [
        # a new category replaces the ticket's other policy category tags, not the agent's tags
        (
            ("vip", "category_other"),
            ("urgency_urgent", "category_incident"),
            (),
            ("vip", "urgency_urgent", "category_incident"),
        ),
        # a decision without a category tag leaves the category tags alone
        (("category_other",), ("urgency_near_miss",), (), ("category_other", "urgency_near_miss")),
        # tags a decision answers (policy 1.1's removed_tags) go
        (
            ("deadline_missing", "urgency_time_sensitive"),
            ("urgency_time_sensitive",),
            ("deadline_missing",),
            ("urgency_time_sensitive",),
        ),
    ],
)
def test_tags_after_an_update(policy, tags, decision_tags, answered, expected):
    decision = SimpleNamespace(tags=decision_tags, removed_tags=answered)
    assert tags_after(decision, tags, policy) == expected
