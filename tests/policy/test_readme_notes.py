"""The README's "What agents see" notes are real engine output: each is decided again here and
must appear in the README exactly (indented as in its code block)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.policy import decide

README = Path(__file__).resolve().parents[2] / "README.md"


def in_readme_block(note: str) -> bool:
    return "\n".join(f"  {line}" for line in note.splitlines()) in README.read_text(encoding="utf-8")


def test_the_urgent_incident_note(policy, ticket):
    decision = decide(
        ticket("since 9:40 all calls fail", "URGENT: API returning 503", at="2026-11-27T15:00:00Z"), policy
    )
    assert decision.missing_info == ("steps_to_reproduce",)
    assert in_readme_block(decision.explanation), decision.explanation


@pytest.mark.parametrize(
    "body",
    [
        "Steps to reproduce: 1. Call POST /v1/evaluations 2. Observe the 502",  # as the README writes it
        "Steps to reproduce:\n1. Call POST /v1/evaluations\n2. Observe the 502",
    ],
)
def test_the_reply_that_supplies_the_steps(policy, ticket, body):
    decision = decide(
        ticket(
            body,
            event="comment",
            at="2026-11-27T15:30:00Z",
            known_level="urgent",
            known_category="incident",
            open_items=frozenset({"steps_to_reproduce"}),
        ),
        policy,
    )
    assert decision.removed_tags == ("missing_steps_to_reproduce", "info_missing")
    assert in_readme_block(decision.explanation), decision.explanation


def test_the_time_sensitive_comment_with_its_deadline(policy, ticket):
    decision = decide(
        ticket(
            "Any news? This is time-sensitive for us: the new journey threshold must be live before Friday.",
            event="comment",
            at="2026-11-30T23:00:00Z",
            current_priority="urgent",
            known_level="urgent",
            known_category="workflow_update",
        ),
        policy,
    )
    assert decision.deadline_iso() == "2026-12-04"
    assert in_readme_block(decision.explanation), decision.explanation


def test_the_short_notice_and_past_weekday_sentences(policy, ticket):
    readme = " ".join(README.read_text(encoding="utf-8").split())
    short = decide(ticket("Please change it by Wednesday", "Time-sensitive: new journey threshold"), policy)
    line = next(line for line in short.explanation.splitlines() if line.startswith("Deadline:"))
    assert short.short_notice and "short_notice" in short.tags
    assert line.startswith('Deadline: Wed 2026-12-02, from "by Wednesday" in the body (')
    assert line.endswith(
        "; 2 business days after the event's date (Mon 2026-11-30), fewer than 3: short notice, tagged short_notice."
    )
    assert '`Deadline: Wed 2026-12-02, from "by Wednesday" in the body (…); 2 business days' in readme
    past = decide(ticket("by Monday", "Time sensitive", at="2026-12-02T16:00:00Z"), policy)
    assert past.deadline is None and "deadline_missing" in past.tags
    assert '"by Monday" written on a Wednesday is no deadline (`deadline_missing`)' in readme
