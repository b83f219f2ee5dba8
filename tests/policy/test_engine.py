"""decide(): POLICY.md section 5 worked examples, and which text is read for which event."""

from __future__ import annotations

import pytest

from app.policy import decide
from app.policy.model import COMMENT, CREATED


def due(decision):
    return decision.response_due_iso()


def test_worked_example_1_urgent_api_503_friday_business_hours(policy, ticket):
    d = decide(ticket("since 9:40 all calls fail", "URGENT: API returning 503", at="2026-11-27T15:00:00Z"), policy)
    assert (d.urgency, d.category, d.after_hours, d.on_call) == ("urgent", "incident", False, False)
    assert d.priority == "urgent" and due(d) == "2026-11-27T17:00:00Z"
    # section 6: "since 9:40" is the start time, but there are no steps to reproduce
    assert d.tags == ("urgency_urgent", "category_incident", "info_missing", "missing_steps_to_reproduce")
    assert d.missing_info == ("steps_to_reproduce",)


def test_worked_example_2_urgent_fraud_attack_saturday_night_pages(policy, ticket):
    d = decide(
        ticket(
            "hundreds of fraudulent applications approved since midnight",
            "Urgent - fraud attack",
            at="2026-11-28T07:30:00Z",
        ),
        policy,
    )
    assert (d.urgency, d.category, d.after_hours, d.on_call) == ("urgent", "fraud_attack", True, True)
    assert due(d) == "2026-11-28T09:30:00Z"
    assert "on_call_paged" in d.tags and "after_hours" in d.tags


def test_worked_example_3_urgent_locked_out_saturday_night_does_not_page(policy, ticket):
    d = decide(ticket("password reset email never arrives", "Urgent: locked out", at="2026-11-28T07:30:00Z"), policy)
    assert (d.urgency, d.category, d.after_hours, d.on_call) == ("urgent", "account_access", True, False)
    assert due(d) == "2026-11-28T09:30:00Z"
    assert d.tags == ("urgency_urgent", "category_account_access", "after_hours", "next_business_day")


def test_worked_example_4_time_sensitive_threshold_monday_evening(policy, ticket):
    d = decide(
        ticket(
            "please update our journey threshold before Friday",
            "Time-sensitive: threshold change",
            at="2026-11-30T23:00:00Z",
        ),
        policy,
    )
    assert (d.urgency, d.category, d.after_hours, d.on_call) == ("time_sensitive", "workflow_update", False, False)
    assert d.priority == "high" and due(d) == "2026-12-01T15:00:00Z"


def test_worked_example_5_negated_comment_changes_nothing(policy, ticket):
    d = decide(
        ticket(
            "This is not urgent, just following up.",
            event=COMMENT,
            at="2026-11-30T16:00:00Z",
            known_category="incident",
        ),
        policy,
    )
    assert (d.urgency, d.near_miss, d.category, d.after_hours, d.on_call) == ("none", False, "incident", False, False)
    assert d.priority is None and d.tags == () and due(d) is None


def test_worked_example_6_misspelt_comment_is_a_near_miss(policy, ticket):
    d = decide(
        ticket(
            "Any news? This is urgnet for us.",
            event=COMMENT,
            at="2026-11-30T16:00:00Z",
            known_category="account_access",
        ),
        policy,
    )
    assert (d.urgency, d.near_miss, d.category, d.on_call) == ("none", True, "account_access", False)
    assert d.tags == ("urgency_near_miss",) and d.priority is None and due(d) is None


def test_created_reads_the_subject(policy, ticket):
    assert decide(ticket("all calls fail", "URGENT"), policy).urgency == "urgent"


def test_comment_ignores_the_subject(policy, ticket):
    d = decide(ticket("any update?", "URGENT: API down", event=COMMENT), policy)
    assert d.urgency == "none" and d.category == "other"


def test_comment_that_names_a_category_replaces_the_known_one(policy, ticket):
    d = decide(ticket("now we are locked out too", event=COMMENT, known_category="incident"), policy)
    assert d.category == "account_access"


def test_unknown_known_category_falls_back_to_other(policy, ticket):
    assert decide(ticket("hello", event=COMMENT, known_category="bogus"), policy).category == "other"


def test_created_ticket_ignores_known_category(policy, ticket):
    assert decide(ticket("hello", "question", known_category="incident"), policy).category == "other"


def test_quoted_urgent_in_a_comment_does_not_count(policy, ticket):
    body = "Thanks, that worked.\n\nOn Mon, Nov 30, 2026 at 9:00 AM Support <s@example.com> wrote:\n> Is this urgent?"
    assert decide(ticket(body, event=COMMENT), policy).urgency == "none"


def test_html_body_is_reduced_before_reading(policy, ticket):
    body = "<div>Our <b>URGENT</b> issue: the dashboard is <i>down</i></div><blockquote>not urgent</blockquote>"
    d = decide(ticket(body, "Help", body_is_html=True), policy)
    assert (d.urgency, d.category) == ("urgent", "incident")
    term = next(e for e in d.evidence if e.kind == "term")
    assert term.field == "body" and term.text == "URGENT"


def test_evidence_offsets_index_the_cleaned_field(policy, ticket):
    d = decide(ticket("<p>Hi&nbsp;team</p><p>this is urgent</p>", "x", body_is_html=True), policy)
    term = next(e for e in d.evidence if e.kind == "term")
    assert term.offset == len("Hi team\n\nthis is ")


def test_unknown_event_is_refused(policy, ticket):
    with pytest.raises(ValueError, match="event must be one of"):
        decide(ticket("urgent", event="deleted"), policy)


def test_naive_time_is_refused(policy):
    from datetime import datetime

    from app.policy.model import TicketText

    with pytest.raises(ValueError, match="timezone-aware"):
        decide(TicketText(CREATED, "urgent", "", datetime(2026, 11, 30, 12)), policy)


def test_one_megabyte_of_near_misses_is_fast(policy, ticket):
    import time

    started = time.perf_counter()
    d = decide(ticket("urgen " * 175_000, event=COMMENT), policy)
    assert time.perf_counter() - started < 1
    assert d.near_miss and len([e for e in d.evidence if e.kind == "near_miss"]) == policy.near_miss.max_reported


def test_public_reply_is_offered_only_when_enabled_and_out_of_scope(policy, policy_with, raw_policy, ticket):
    night = "2026-11-28T07:30:00Z"
    assert decide(ticket("locked out", "Urgent", at=night), policy).public_reply is None
    enabled = policy_with(after_hours={"public_reply": dict(raw_policy["after_hours"]["public_reply"], enabled=True)})
    assert decide(ticket("locked out", "Urgent", at=night), enabled).public_reply
    assert decide(ticket("API down", "Urgent", at=night), enabled).public_reply is None
    assert decide(ticket("locked out", "Urgent"), enabled).public_reply is None  # business hours
