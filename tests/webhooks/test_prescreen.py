"""The pre-screen: which queue an event waits on, from the policy's own words."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.policy import decide, load_policy
from app.policy.model import COMMENT as POLICY_COMMENT
from app.policy.model import TIME_SENSITIVE, TicketText
from app.policy.model import URGENT as URGENT_LEVEL
from app.ticket_event import COMMENT, CREATED, MESSAGE, STATUS_CHANGED, TicketEvent
from app.webhooks.prescreen import Prescreen, lane_pattern

POLICY = load_policy()
SCREEN = Prescreen(POLICY)


def comment(text: str) -> TicketEvent:
    body = {"id": 1, "body": text, "html_body": "", "is_public": True, "author_id": 2, "author_is_staff": False}
    return TicketEvent(
        "e", COMMENT, "event", 1, "2026-11-30T16:00:00Z", comment={**body, "created_at": None}, comment_id=1
    )


def created(subject: str, description: str = "") -> TicketEvent:
    ticket = {
        "subject": subject,
        "description": description,
        "priority": None,
        "status": "new",
        "tags": [],
        "created_at": None,
        "updated_at": None,
    }
    return TicketEvent("e", CREATED, "event", 1, "2026-11-30T16:00:00Z", ticket=ticket)


@pytest.mark.parametrize(
    "text",
    ["URGENT: API down", "[Urgent] help", "#urgent", "urgent-request", "this is not urgent", "very_urgent_now"],
)
def test_the_urgent_term_as_a_word_goes_first(text):
    assert SCREEN.lane(comment(text)) == "urgent"


@pytest.mark.parametrize(
    "text",
    [
        "time sensitive",
        "Time-Sensitive",
        "time\u2014sensitive",
        "time \n sensitive",
        "we need this urgently",
        "what is the urgency",
        "time sensitivity matters",
    ],
)
def test_time_sensitive_and_near_misses_go_second(text):
    assert SCREEN.lane(comment(text)) == "soon"


@pytest.mark.parametrize("text", ["thanks for the help", "insurgent", "detergent", "sometime sensible", ""])
def test_everything_else_goes_last(text):
    assert SCREEN.lane(comment(text)) == "rest"


def test_urgent_anywhere_wins_over_an_earlier_near_miss():
    assert SCREEN.lane(comment("urgency aside, it is time sensitive and in fact URGENT")) == "urgent"


def test_a_new_ticket_is_read_by_subject_and_description():
    assert SCREEN.lane(created("Question", "please treat as urgent")) == "urgent"
    assert SCREEN.lane(created("Time sensitive: threshold")) == "soon"


def test_bodies_without_text_wait_in_the_middle_and_status_changes_last():
    trigger_comment = TicketEvent("t", COMMENT, "trigger", 1, "2026-11-30T16:00:00Z", comment_id=5)
    trigger_created = TicketEvent("t", CREATED, "trigger", 1, "2026-11-30T16:00:00Z")
    status = TicketEvent("s", STATUS_CHANGED, "event", 1, "2026-11-30T16:00:00Z")
    assert SCREEN.lane(trigger_comment) == SCREEN.lane(trigger_created) == "soon"
    assert SCREEN.lane(status) == "rest"


def test_a_messaging_message_is_read_by_its_text():
    def message(body):
        return TicketEvent(
            "m",
            MESSAGE,
            "event",
            1,
            "2026-11-30T16:00:00Z",
            message={"id": "a1", "body": body, "author_type": "end_user"},
        )

    assert SCREEN.lane(message("URGENT please call")) == "urgent"
    assert SCREEN.lane(message("hello")) == "rest"
    assert SCREEN.lane(message(None)) == "soon"  # the worker reads the text


def test_the_words_come_from_the_policy():
    policy = replace(POLICY, terms=replace(POLICY.terms, urgent="dringend"))
    assert lane_pattern(policy).search("DRINGEND bitte").lastgroup == "urgent"
    assert Prescreen(policy).lane(comment("urgent")) == "soon"  # now only a near miss ("urgen...")


def html_comment(html: str) -> TicketEvent:
    event = comment("")
    return replace(event, comment={**event.comment, "html_body": html})


@pytest.mark.parametrize(
    ("text", "lane"),
    [
        ("\uff35\uff32\uff27\uff25\uff2e\uff34: API down", "urgent"),  # full-width URGENT
        ("ur\u200bgent please", "urgent"),  # zero-width space
        ("ur\u00adgent please", "urgent"),  # soft hyphen
        ("\ufeffURGENT", "urgent"),  # a byte-order mark in front
        ("\u1d41\u1d3f\u1d33\u1d31\u1d3a\u1d40", "urgent"),  # modifier capitals, NFKC: URGENT
        ("\uff54\uff49\uff4d\uff45 \uff53\uff45\uff4e\uff53\uff49\uff54\uff49\uff56\uff45", "soon"),  # full-width
        ("time\u200b-\u200bsensitive", "soon"),
    ],
)
def test_look_alike_and_invisible_characters_are_read_as_the_engine_reads_them(text, lane):
    assert SCREEN.lane(comment(text)) == lane


def test_an_html_only_body_is_read_by_its_visible_text():
    assert SCREEN.lane(html_comment("<p>&#85;RGENT: the &quot;API&quot; is down</p>")) == "urgent"
    assert SCREEN.lane(html_comment("<p>ur<b></b>gent</p>")) == "urgent"
    assert SCREEN.lane(html_comment("<p>thanks</p>")) == "rest"


# --- the engine against the pre-screen --------------------------------------------------------

WHEN = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
TERMS = ["urgent", "time sensitive", "time-sensitive", "time\u2013sensitive", "time\nsensitive", "non-urgent"]
FILLER = ["", " ", "the API is down", "not", "please", "!", "\n\n", "_", "#", "(", "it's", "\u00e9", "x"]
INVISIBLES = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"]


def full_width(char: str) -> str:
    return chr(ord(char) + 0xFEE0) if "!" <= char <= "~" else "\u3000" if char == " " else char


@st.composite
def disguised(draw) -> str:
    """A policy term written as a customer (or someone testing us) might: any case, full-width
    letters, invisible characters inside, words around it."""
    term = draw(st.sampled_from(TERMS))
    letters = []
    for char in term:
        char = draw(st.sampled_from([char, char.upper(), char.lower(), full_width(char), full_width(char.upper())]))
        letters.append(char + draw(st.sampled_from(["", "", "", *INVISIBLES])))
    before = draw(st.lists(st.sampled_from(FILLER), max_size=3))
    after = draw(st.lists(st.sampled_from(FILLER), max_size=3))
    return " ".join(before) + draw(st.sampled_from(["", " ", "\n"])) + "".join(letters) + " " + " ".join(after)


def engine_level(text: str) -> str:
    return decide(TicketText(event=POLICY_COMMENT, subject="", body=text, received_at=WHEN), POLICY).urgency


def assert_never_behind(text: str) -> None:
    level, lane = engine_level(text), SCREEN.lane(comment(text))
    if level == URGENT_LEVEL:
        assert lane == "urgent", (text, level, lane)
    elif level == TIME_SENSITIVE:
        assert lane in ("urgent", "soon"), (text, level, lane)


@settings(max_examples=400, deadline=None)
@given(disguised())
def test_what_the_engine_finds_urgent_the_prescreen_never_puts_last(text):
    assert_never_behind(text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from([*"urgentimsv -_\n.", "\uff35", "\uff52", *INVISIBLES]), max_size=40))
def test_nor_for_any_text_made_of_the_terms_letters(text):
    assert_never_behind(text)
