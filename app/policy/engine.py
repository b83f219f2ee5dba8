"""decide(): ticket text and a time in, the policy's decision out. Pure: no I/O."""

from __future__ import annotations

from app.policy.calendar import is_after_hours
from app.policy.categories import categorize
from app.policy.config import Policy
from app.policy.explain import explain
from app.policy.model import COMMENT, CREATED, LEVELS, NONE, Decision, Evidence, TicketText
from app.policy.outcome import outcome_for
from app.policy.terms import lower_same_length, scan_terms, word_set
from app.policy.text import html_to_text, normalize_newlines, remove_quoted

EVENTS = (CREATED, COMMENT)


def readable_fields(ticket: TicketText, policy: Policy) -> list[tuple[str, str]]:
    """(field, cleaned text) the policy reads: subject + description on creation, body on a comment."""
    if ticket.event not in EVENTS:
        raise ValueError(f"event must be one of {', '.join(EVENTS)}, got {ticket.event!r}")
    body = html_to_text(ticket.body) if ticket.body_is_html else ticket.body
    body = remove_quoted(normalize_newlines(body), policy.quotes)
    fields = [("body", body)]
    if ticket.event == CREATED:
        fields.insert(0, ("subject", " ".join(normalize_newlines(ticket.subject).split())))
    return fields


def decide(ticket: TicketText, policy: Policy) -> Decision:
    fields = []
    for name, text in readable_fields(ticket, policy):
        lowered = lower_same_length(text)
        fields.append((name, text, lowered, word_set(lowered)))
    scans = [scan_terms(text, name, policy, lowered, words) for name, text, lowered, words in fields]
    level = max((scan.level for scan in scans), key=LEVELS.index, default=NONE)
    evidence: list[Evidence] = []
    for scan in scans:
        evidence += scan.terms + scan.negated
    near_misses = [e for scan in scans for e in scan.near_misses]
    near_miss = level == NONE and bool(near_misses)
    if near_miss:
        evidence += near_misses

    match = categorize(fields, policy)
    category, category_source = _category(match.category, ticket, policy)
    evidence += match.evidence

    after_hours = is_after_hours(ticket.received_at, policy.hours)
    outcome = outcome_for(level, category, near_miss, after_hours, ticket.received_at, ticket.current_priority, policy)
    return Decision(
        urgency=level,
        near_miss=near_miss,
        category=category,
        after_hours=after_hours,
        on_call=outcome.on_call,
        priority=outcome.priority,
        tags=outcome.tags,
        response_due_at=outcome.response_due_at,
        explanation=explain(
            level, category, category_source, evidence, after_hours, ticket.received_at, outcome, policy
        ),
        evidence=tuple(evidence),
        public_reply=outcome.public_reply,
    )


def _category(found: str | None, ticket: TicketText, policy: Policy) -> tuple[str, str]:
    """The category and where it came from, for the note."""
    if found:
        return found, "from the text"
    known = ticket.known_category
    if ticket.event == COMMENT and known in policy.categories.names:
        return known, "no category words in this comment; kept the ticket's category"
    return policy.categories.fallback, "no category words found"
