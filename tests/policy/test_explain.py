"""The internal note: matched words and where, negations, near misses, category, time rule."""

from __future__ import annotations

from app.policy import decide
from app.policy.model import COMMENT


def test_note_names_the_word_the_field_and_context(policy, ticket):
    note = decide(
        ticket("since 9:40 all calls fail", "URGENT: API returning 503", at="2026-11-27T15:00:00Z"), policy
    ).explanation
    assert '"URGENT" in the subject ("URGENT: API returning 503")' in note
    assert 'Category: incident, from "503" in the subject' in note
    assert "inside business hours" in note
    assert "First response due 2026-11-27T17:00:00Z (Fri 2026-11-27 12:00 EST)" in note
    assert "Priority set to urgent." in note


def test_note_for_after_hours_page(policy, ticket):
    note = decide(ticket("fraudulent applications", "Urgent", at="2026-11-28T07:30:00Z"), policy).explanation
    assert "after hours" in note and "On-call page required: urgent fraud_attack after hours." in note


def test_note_for_next_business_day(policy, ticket):
    note = decide(ticket("locked out", "Urgent", at="2026-11-28T07:30:00Z"), policy).explanation
    assert "handled on the next business day" in note


def test_note_for_time_sensitive_names_business_hours_rule_and_both_zones(policy, ticket):
    note = decide(ticket("x", "Time sensitive", at="2026-11-30T23:00:00Z"), policy).explanation
    assert "4 business hours after the event" in note
    assert "2026-12-01T15:00:00Z (Tue 2026-12-01 10:00 EST)" in note


def test_note_names_negated_words(policy, ticket):
    note = decide(ticket("This is not urgent, just following up.", event=COMMENT), policy).explanation
    assert 'Not counted: "urgent" in the body' in note and 'negated by "not"' in note


def test_note_names_near_misses_and_the_tag(policy, ticket):
    note = decide(ticket("This is urgnet for us.", event=COMMENT), policy).explanation
    assert "Near miss" in note and '"urgnet" in the body' in note and "urgency_near_miss" in note


def test_note_names_the_never_lower_rule(policy, ticket):
    note = decide(ticket("still time sensitive", event=COMMENT, current_priority="urgent"), policy).explanation
    assert "Priority kept at urgent: the service never lowers a priority." in note


def test_note_says_where_a_kept_category_came_from(policy, ticket):
    note = decide(ticket("any news?", event=COMMENT, known_category="incident"), policy).explanation
    assert "Category: incident (no category words in this comment; kept the ticket's category)." in note


def test_note_is_short_and_one_line_per_fact(policy, ticket):
    body = "urgent " * 1000 + "down " * 1000
    note = decide(ticket(body, "URGENT"), policy).explanation
    assert len(note) < 2500
    assert note.count("\n") < 10
