"""The pre-screen: which queue an event waits on, from the policy's own words."""

from __future__ import annotations

from dataclasses import replace

import pytest

from app.policy import load_policy
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
