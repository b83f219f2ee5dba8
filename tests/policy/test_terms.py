"""POLICY.md section 1: which words count, negation, near misses, and the ordinary-word traps."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.policy.fields import context_around, read_field
from app.policy.model import NONE, TIME_SENSITIVE, URGENT
from app.policy.terms import (
    LOOKBACK_CHARS_PER_WORD,
    NegationReader,
    _all_scope_items,
    _negator_among,
    _patterns,
    _scope_items,
    _term_matches,
    negated_by,
    scan_terms,
)


def level_of(text, policy):
    return scan_terms(read_field("body", text), policy).level


@pytest.mark.parametrize(
    "text",
    [
        "URGENT: API returning 503",
        "[Urgent] dashboard down",
        "#urgent please",
        "Urgent!!!",
        "This is an urgent-request",
        "urgent",
        "uRgEnT",
        "Please treat as urgent.",
        "(urgent)",
        "urgent_request",
        "\u201curgent\u201d",
        "It's urgent's time",
        "URGENT\u2014now",
    ],
)
def test_urgent_counts_as_a_whole_word_in_any_case(text, policy):
    assert level_of(text, policy) == URGENT


@pytest.mark.parametrize(
    "text", ["urgently", "urgency", "insurgent", "urgentness", "nonurgently x", "urgent2", "resurgent"]
)
def test_urgent_inside_or_extended_does_not_count(text, policy):
    assert level_of(text, policy) == NONE


@pytest.mark.parametrize(
    "text",
    [
        "Time-sensitive",
        "TIME SENSITIVE",
        "time \u2013 sensitive",
        "time\u2014sensitive",
        "time\u2010sensitive",
        "time\u2011sensitive",
        "time\nsensitive",
        "time  -  sensitive",
        "time\r\nsensitive",
        "Time--Sensitive request",
    ],
)
def test_time_sensitive_joined_by_spaces_breaks_or_dashes(text, policy):
    assert level_of(text, policy) == TIME_SENSITIVE


@pytest.mark.parametrize(
    "text",
    ["timesensitive", "time_sensitive", "time/sensitive", "sensitive time", "overtime sensitive", "time sensitiveness"],
)
def test_time_sensitive_other_joins_do_not_count(text, policy):
    assert level_of(text, policy) == NONE


def test_highest_level_wins_when_both_appear(policy):
    assert level_of("Time sensitive, and honestly urgent.", policy) == URGENT
    assert level_of("It is not urgent. But it is time sensitive.", policy) == TIME_SENSITIVE


@pytest.mark.parametrize(
    "text",
    [
        "This is not urgent",
        "no urgent action needed",
        "It isn't time sensitive",
        "Non-urgent question",
        "nonurgent",
        "non urgent",
        "non time-sensitive",
        "Never urgent",
        "nothing urgent here",
        "without urgent follow-up",
        "It\u2019s not time-sensitive",
        "We don\u2019t consider it urgent",
        "This doesn't seem super urgent",
        "not-urgent",
        "NOT URGENT",
        "Not\nurgent",
    ],
)
def test_negated_terms_do_not_escalate(text, policy):
    scan = scan_terms(read_field("body", text), policy)
    assert scan.level == NONE
    assert scan.negated and scan.negated[0].negator


@pytest.mark.parametrize(
    "text",
    [
        "Not sure who to ask, but this is URGENT",
        "Is this urgent? Yes.",
        "No. This is urgent.",
        "No, this is urgent",
        "API not responding, urgent!",
        "I could not log in; urgent",
        "Not a problem.\n\nUrgent: new one",
        "not this one but that one is urgent",
    ],
)
def test_negator_outside_the_window_or_sentence_does_not_negate(text, policy):
    assert level_of(text, policy) == URGENT


def test_negation_window_is_three_words(policy):
    assert level_of("not really very urgent", policy) == NONE  # 3 words before: not really very
    assert level_of("not really that very urgent", policy) == URGENT  # "not" is the 4th word


def test_negation_evidence_names_the_negator(policy):
    scan = scan_terms(read_field("body", "It isn't really urgent"), policy)
    assert scan.level == NONE
    assert scan.negated[0].negator == "isn't"
    # "don't" is four words before the term here, outside the window
    assert scan_terms(read_field("body", "We don't think it is urgent"), policy).level == URGENT


def test_one_counted_term_escalates_even_next_to_a_negated_one(policy):
    assert level_of("Not urgent yesterday. Today it is urgent.", policy) == URGENT


@pytest.mark.parametrize(
    "text, word",
    [
        ("Any news? This is urgnet for us.", "urgnet"),
        ("urgant", "urgant"),
        ("ugrent", "ugrent"),
        ("we need this urgently", "urgently"),
        ("the urgency is high", "urgency"),
        ("urgen", "urgen"),
        ("uregnt", "uregnt"),
        ("urgetn", "urgetn"),
        ("URGNET", "URGNET"),
        ("urgentt", "urgentt"),
        ("time senstive", "time senstive"),
        ("time-sensative", "time-sensative"),
        ("timesensitive", "timesensitive"),
        ("time sensetive", "time sensetive"),
        ("time_sensitive", "time_sensitive"),
        ("time sensitivity", "time sensitivity"),
    ],
)
def test_near_misses_are_flagged_not_escalated(text, word, policy):
    scan = scan_terms(read_field("body", text), policy)
    assert scan.level == NONE
    assert [e.text for e in scan.near_misses] == [word]


ORDINARY_WORD_TRAPS = [
    "agent",
    "regent",
    "argent",
    "current",
    "urged",
    "urges",
    "insurgent",
    "insurgency",
    "detergent",
    "emergent",
    "sergeant",
    "urge",
    "sensitive data",
    "time insensitive",
    "sometimes sensitive",
    "time zone",
    "timeline sensitive",
    "the pungent smell",
    "a tangent",
    "our parent company",
    "recent event",
    "time sensitize",
    "the agents urged us",
    "content",
    "gent",
    "ur gent",
]


@pytest.mark.parametrize("text", ORDINARY_WORD_TRAPS)
def test_ordinary_words_are_not_near_misses(text, policy):
    scan = scan_terms(read_field("body", text), policy)
    assert scan.level == NONE
    assert scan.near_misses == []


@pytest.mark.parametrize("text", ["not urgently needed", "no urgnet issue", "non-urgnet", "isn't time senstive"])
def test_negated_near_misses_are_not_near_misses(text, policy):
    scan = scan_terms(read_field("body", text), policy)
    assert scan.near_misses == []
    assert scan.negated


def test_near_misses_only_matter_when_nothing_counts(policy):
    scan = scan_terms(read_field("body", "urgent, and also urgnet"), policy)
    assert scan.level == URGENT
    assert scan.near_misses == []


def test_evidence_offsets_point_into_the_text(policy):
    text = "Hello team. The dashboard is down and this is URGENT for us."
    scan = scan_terms(read_field("body", text), policy)
    found = scan.terms[0]
    assert text[found.offset : found.offset + len(found.text)] == "URGENT"
    assert found.field == "body"
    assert "this is URGENT for us" in found.context


def test_context_is_a_few_words_on_one_line():
    text = "word " * 30 + "urgent\nnext line " + "tail " * 30
    start = text.index("urgent")
    context = context_around(text, start, start + 6)
    assert "\n" not in context and context.startswith("…") and context.endswith("…")
    assert "urgent next line" in context and len(context) < 110


def test_offsets_survive_letters_that_lower_case_to_two_characters(policy):
    text = "\u0130\u0130\u0130 urgent"  # "İ".lower() is two characters
    scan = scan_terms(read_field("body", text), policy)
    assert scan.level == URGENT
    assert text[scan.terms[0].offset :].startswith("urgent")


def test_but_starts_a_new_clause_and_ends_negation(policy):
    assert level_of("not urgent but time sensitive", policy) == TIME_SENSITIVE
    assert level_of("not yet urgent", policy) == NONE


# The scan's shortcuts (a `str.find` for the terms' first words, a short look-back read first,
# remembered look-backs) must read exactly as the plain reading does, for any text.
SCAN_VOCABULARY = [
    *["urgent", "URGENT", "urgentime", "urgnet", "urgen", "nonurgent", "non", "-", "\u2014", "_"],
    *["time", "sensitive", "timesensitive", "time-", "sensitiv", "sometimes"],
    *["not", "no", "never", "nothing's", "isn't", "isn\u2019t", "dont", "can", "cannot", "without"],
    *["but", "however", "this", "is", "really", "a", "v2.0", "3,000", "x", "\u00e9t\u00e9"],
    *[".", "..", ",", ";", ":", "!", "?", "\u2026", "'", "\u2019", "\n", "\n\n", "\n \n", " ", "  ", "\t"],
]
scan_texts = st.lists(st.sampled_from(SCAN_VOCABULARY), max_size=60).map(
    lambda parts: "".join(p + (" " if i % 3 else "") for i, p in enumerate(parts))
)


@settings(max_examples=400, deadline=None)
@given(text=scan_texts)
def test_term_matches_are_those_of_the_plain_pattern_scan(text, policy):
    lowered = read_field("body", text).lowered
    shortcut = [(m.span(), m.lastgroup) for m in _term_matches(lowered, policy)]
    plain = [(m.span(), m.lastgroup) for m in _patterns(policy).term.finditer(lowered)]
    assert shortcut == plain


@settings(max_examples=400, deadline=None)
@given(text=scan_texts)
def test_the_short_look_back_reads_the_last_items_of_the_whole_one(text, policy):
    lowered = read_field("body", text).lowered
    patterns = _patterns(policy)
    reach = LOOKBACK_CHARS_PER_WORD * (policy.negation.window + 1)
    for start in range(len(lowered) + 1):
        lookback = max(0, start - reach)
        short = _scope_items(lowered, lookback, start, patterns)
        whole = _all_scope_items(lowered, lookback, start, patterns)
        assert short == whole[len(whole) - len(short) :]
        assert _negator_among(short, policy.negation, patterns) == _negator_among(whole, policy.negation, patterns)


@settings(max_examples=200, deadline=None)
@given(text=scan_texts, repeat=st.integers(min_value=1, max_value=8))
def test_remembered_look_backs_give_the_answer_of_reading_them(text, repeat, policy):
    lowered = read_field("body", text * repeat).lowered
    reader = NegationReader(lowered, policy)
    for start in range(len(lowered) + 1):
        assert reader.negator(start) == negated_by(lowered, start, policy)


def test_a_long_wrapped_look_back_is_read_whole(policy):
    # the short look-back holds too few items here ("aaaa..." words), so the whole one is read
    text = "not " + "a" * 20 + " " + "b" * 20 + " urgent"
    assert level_of(text, policy) == NONE
    assert level_of("can not " + "a" * 20 + " urgent", policy) == NONE
    assert level_of("not " + "a" * 20 + " " + "b" * 20 + " " + "c" * 20 + " urgent", policy) == URGENT
