"""Plan what to write to a ticket: an event, its comment and the ticket in; a decision and the
request bodies out. Pure: the worker fetches what a plan needs, writes what it says, and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.policy import Policy
from app.policy import decide as policy_decide
from app.policy.model import COMMENT, CREATED, Decision, TicketText
from app.ticket_event import EVENT_SOURCE, MESSAGE, Comment, TicketEvent
from app.timestamps import parse_time
from app.zendesk.ticket_state import TicketState
from app.zendesk.ticket_update import build_ticket_update, custom_field_ids, public_reply_update

Decide = Callable[[TicketText, Policy], Decision]


@dataclass(frozen=True)
class Plan:
    decision: Decision
    # The PUT body; None when the ticket already has everything the decision sets (no call, no note).
    update: dict[str, Any] | None
    # The update writes custom fields, but the ticket it was planned on did not show them (a
    # webhook snapshot): read the ticket and plan again, so a field is never lowered or rewritten
    # (with a note) to the value it already has.
    needs_full_ticket: bool


def plan_update(
    event: TicketEvent,
    comment: Comment | None,
    ticket: TicketState,
    policy: Policy,
    decide: Decide = policy_decide,
) -> Plan:
    """The decision for `event` (with `comment`, when it is a comment) on `ticket`, and its PUT."""
    tags, names = policy.tags, policy.categories.names
    known_category = ticket.known_category(tags.category_prefix, names)
    decision = decide(ticket_text(event, comment, ticket, known_category), policy)
    category_tags = tuple(tags.category_prefix + name for name in names)
    update = build_ticket_update(decision, ticket, policy.zendesk, category_tags, time_zone=policy.hours.time_zone)
    return Plan(
        decision=decision,
        update=update,
        needs_full_ticket=ticket.custom_fields is None and bool(custom_field_ids(update)),
    )


def changes_nothing_on_any_ticket(event: TicketEvent, policy: Policy, decide: Decide = policy_decide) -> bool:
    """Whether the event's text would change nothing whatever the ticket holds: a decision with
    no level and no near miss sets no priority, tag, field or note. Lets the worker skip reading
    a ticket the event did not carry (messaging), for most messages of a conversation."""
    blank = TicketState(ticket_id=event.ticket_id, priority=None, tags=(), updated_at=None)
    return plan_update(event, None, blank, policy, decide).update is None


def plan_public_reply(decision: Decision, ticket: TicketState, policy: Policy) -> dict[str, Any] | None:
    """The PUT with the decision's after-hours public reply, or None when none is owed.

    Owed when the decision has reply text and the ticket, as last known, has the next-business-day
    tag but not the reply-sent tag. The reply and that tag go in one safe update, so the tag is
    the proof the reply landed and no retry sends it twice (docs/worker.md, "Public reply").
    """
    tags = policy.tags
    owed = tags.next_business_day in ticket.tags and tags.public_reply_sent not in ticket.tags
    if not (decision.public_reply and owed):
        return None
    return public_reply_update(decision.public_reply, tags.public_reply_sent, ticket)


def is_description_echo(event: TicketEvent) -> bool:
    """An event webhook's comment that is the new ticket's first comment (its description).

    Its snapshot shows the ticket unchanged since it was created (`created_at == updated_at`): the
    comment came with the creating action, which the `ticket.created` event decides (subject and
    description together), so deciding it again would cost a second pass and API calls. Any
    later comment changes `updated_at`. A snapshot without both times proves nothing. Zendesk
    does not document that a description fires `comment_added`; docs/worker.md, "One pass per
    new ticket", has the doubts.
    """
    if event.kind != COMMENT or event.source != EVENT_SOURCE or event.ticket is None:
        return False
    created, updated = event.ticket.get("created_at"), event.ticket.get("updated_at")
    return created is not None and updated is not None and parse_time(created) == parse_time(updated)


def ticket_text(
    event: TicketEvent, comment: Comment | None, ticket: TicketState, known_category: str | None
) -> TicketText:
    """What the policy reads: subject and description of a new ticket, else the comment's (or the
    messaging message's) body. A message is read like a new end-user comment, at the event's time
    (a message carries no time of its own)."""
    if event.kind == MESSAGE:
        if event.message is None or event.message["body"] is None:
            raise ValueError("a message event needs its text to be planned")
        return TicketText(
            event=COMMENT,
            subject=ticket.subject,
            body=event.message["body"],
            received_at=parse_time(event.occurred_at),
            current_priority=ticket.priority,
            known_category=known_category,
        )
    if event.kind == CREATED:
        return TicketText(
            event=CREATED,
            subject=ticket.subject,
            body=ticket.description,
            received_at=parse_time(ticket.created_at or event.occurred_at),
            current_priority=ticket.priority,
            known_category=known_category,
        )
    if comment is None:
        raise ValueError(f"a {event.kind} event needs its comment to be planned")
    body, is_html = comment["body"], False
    if not body and comment["html_body"]:
        body, is_html = comment["html_body"], True
    return TicketText(
        event=COMMENT,
        subject=ticket.subject,
        body=body,
        body_is_html=is_html,
        received_at=parse_time(comment["created_at"] or event.occurred_at),
        current_priority=ticket.priority,
        known_category=known_category,
    )
