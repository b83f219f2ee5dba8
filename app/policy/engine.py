"""decide(): ticket text and a time in, the policy's decision out. Pure: no I/O."""

from __future__ import annotations

from app.policy.calendar import is_after_hours
from app.policy.categories import categorize
from app.policy.config import Policy
from app.policy.explain import explain
from app.policy.fields import readable_fields
from app.policy.intake import NOTHING, check_intake, needs_intake
from app.policy.model import COMMENT, LEVELS, NONE, Decision, Evidence, TicketText
from app.policy.outcome import outcome_for
from app.policy.terms import scan_terms


def decide(ticket: TicketText, policy: Policy) -> Decision:
    fields, link = readable_fields(ticket, policy)
    scans = [scan_terms(field_text, policy) for field_text in fields]
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
    intake = NOTHING
    if needs_intake(ticket, level, category):
        today = ticket.received_at.astimezone(policy.hours.time_zone).date()
        intake = check_intake(ticket, level, category, fields, link, today, policy)
        evidence += intake.evidence
    return Decision(
        urgency=level,
        near_miss=near_miss,
        category=category,
        after_hours=after_hours,
        on_call=outcome.on_call,
        priority=outcome.priority,
        tags=tuple(dict.fromkeys(outcome.tags + intake.tags)),
        response_due_at=outcome.response_due_at,
        explanation=explain(
            level, category, category_source, evidence, after_hours, ticket.received_at, outcome, intake, policy
        ),
        evidence=tuple(evidence),
        public_reply=outcome.public_reply,
        deadline=intake.deadline,
        short_notice=intake.short_notice,
        missing_info=intake.missing,
        removed_tags=intake.removed_tags,
        info_request_reply=intake.info_request_reply,
    )


def _category(found: str | None, ticket: TicketText, policy: Policy) -> tuple[str, str]:
    """The category and where it came from, for the note."""
    if found:
        return found, "from the text"
    known = ticket.known_category
    if ticket.event == COMMENT and known in policy.categories.names:
        return known, "no category words in this comment; kept the ticket's category"
    return policy.categories.fallback, "no category words found"
