"""Hostile but realistic inputs found in review: negation tokens, quote headers, plural keywords,
the note's list of matched words, and inputs that used to be quadratic."""

from __future__ import annotations

import time

import pytest

from app.policy import decide
from app.policy.fields import read_field
from app.policy.model import NONE, TIME_SENSITIVE, URGENT
from app.policy.terms import scan_terms
from app.policy.text import remove_quoted


def level_of(text, policy):
    return scan_terms(read_field("body", text), policy).level


# A negator joined to the next word by a dash, an apostrophe or an em dash is still a word of its
# own ("words are letters and digits"); a lone dash is not a word and does not use up the window.
@pytest.mark.parametrize(
    "text, negator",
    [
        ("This is a not-so-urgent request", "not"),
        ("Nothing's urgent here", "nothing"),
        ("Nothing\u2019s urgent", "nothing"),
        ("It is not\u2014urgent", "not"),
        ("not - - - urgent", "not"),
        ("no \u2013 \u2013 urgent", "no"),
    ],
)
def test_negator_joined_by_punctuation_is_still_a_word(text, negator, policy):
    scan = scan_terms(read_field("body", text), policy)
    assert scan.level == NONE
    assert scan.negated and scan.negated[0].negator == negator


@pytest.mark.parametrize("text", ["not... urgent", "not\u2026 urgent", "No!!! urgent", "is it not?) urgent"])
def test_sentence_end_before_the_term_ends_negation(text, policy):
    assert level_of(text, policy) == URGENT


def test_hard_wrapped_text_with_no_spaces_near_the_term_is_still_negated(policy):
    # more than the look-back window of one-word lines: the words before the term are still read
    text = "not\n" * 40 + "urgent"
    assert level_of(text, policy) == NONE


def test_blank_line_with_spaces_ends_a_sentence(policy):
    assert level_of("this is not\n  \t\nurgent", policy) == URGENT


def test_numbers_with_points_and_commas_do_not_end_a_sentence(policy):
    assert level_of("not v2.0 urgent", policy) == NONE
    assert level_of("not 3,000 urgent", policy) == NONE


@pytest.mark.parametrize(
    "text", ["non  urgent", "non -\nurgent", "non - urgent", "NON\u00a0\u2013 urgent", "non  time sensitive"]
)
def test_non_prefix_with_any_run_of_spaces_or_dashes(text, policy):
    scan = scan_terms(read_field("body", text.replace("\u00a0", " ")), policy)
    assert scan.level == NONE
    assert scan.negated[0].negator == "non"


def test_non_inside_a_longer_word_does_not_negate(policy):
    assert level_of("canon  urgent", policy) == URGENT
    assert level_of("anon - urgent", policy) == URGENT


def test_outlook_block_with_bold_markers_in_plain_text_is_cut(policy):
    # Gmail's plain-text part renders Outlook's bold header labels as *From:* / *Sent:*
    text = (
        "Thanks, that fixed it.\n\n*From:* Jane Doe <jane@example.com>\n"
        "*Sent:* Monday, November 30, 2026 3:00 PM\n*To:* Support\n*Subject:* URGENT\n\nThis is urgent"
    )
    assert remove_quoted(text, policy.quotes) == "Thanks, that fixed it."


@pytest.mark.parametrize(
    "text, category",
    [
        ("bot attacks on our signup form", "fraud_attack"),
        ("two outages today", "incident"),
        ("please update the thresholds", "workflow_update"),
        ("changes to our workflows", "workflow_update"),
        ("both journeys need a new step", "workflow_update"),
        ("we can't login to the dashboard", "account_access"),
        ("I cannot login", "account_access"),
        ("users are unable to login", "account_access"),
    ],
)
def test_plural_and_login_spellings_of_keywords(text, category, policy, ticket):
    assert decide(ticket(text), policy).category == category


def test_note_names_a_lower_level_term_too(policy, ticket):
    decision = decide(ticket("The API is down, this is URGENT.", "Time-sensitive: API"), policy)
    assert decision.urgency == URGENT
    note = decision.explanation
    assert '"URGENT" in the body' in note
    assert '"Time-sensitive" in the subject' in note


def test_time_sensitive_note_when_both_fields_have_it(policy, ticket):
    decision = decide(ticket("it is time sensitive", "Time-sensitive"), policy)
    assert decision.urgency == TIME_SENSITIVE
    assert '"Time-sensitive" in the subject' in decision.explanation
    assert "Also found" not in decision.explanation


def test_a_long_run_of_time_time_time_is_linear(policy, ticket):
    start = time.perf_counter()
    decision = decide(ticket("time" * 50_000), policy)
    assert time.perf_counter() - start < 1.0
    assert decision.urgency == NONE
