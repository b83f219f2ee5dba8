"""Plan what to write to a ticket: an event, its comment and the ticket in; a decision and the
request bodies out. Pure: the worker fetches what a plan needs, writes what it says, and nothing else.
Which events the policy does not read at all, where the event alone tells (`local_skip`), is
decided here too; the worker only adds what needs a lookup (whether we wrote it ourselves).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.policy import Policy
from app.policy import decide as policy_decide
from app.policy.config import ITEM_NAMES, Tags
from app.policy.model import COMMENT, CREATED, TIME_SENSITIVE, URGENT, Decision, TicketText
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
    decision = decide(ticket_text(event, comment, ticket, known_category, tags), policy)
    category_tags = tuple(tags.category_prefix + name for name in names)
    update = build_ticket_update(decision, ticket, policy.zendesk, category_tags, time_zone=policy.hours.time_zone)
    return Plan(
        decision=decision,
        update=update,
        needs_full_ticket=ticket.custom_fields is None and bool(custom_field_ids(update)),
    )


def changes_nothing_on_any_ticket(event: TicketEvent, policy: Policy, decide: Decide = policy_decide) -> bool:
    """Whether the event's text would change nothing whatever the ticket holds: a decision with
    no level and no near miss sets no priority, tag, field or note, and supplies none of the
    intake items a ticket may have open. Lets the worker skip reading a ticket the event did not
    carry (messaging), for most messages of a conversation.

    It is planned on a ticket with every intake item open (POLICY.md section 6): a message that
    supplies one of them changes a ticket that has it open, and one that supplies none changes
    no ticket, whichever items it has open."""
    tags = policy.tags
    every_item_open = (tags.info_missing, *(tags.item(name) for name in ITEM_NAMES))
    probe = TicketState(ticket_id=event.ticket_id, priority=None, tags=every_item_open, updated_at=None)
    return plan_update(event, None, probe, policy, decide).update is None


def plan_public_reply(decision: Decision, ticket: TicketState, policy: Policy) -> dict[str, Any] | None:
    """The PUT with the public replies the decision owes the ticket, or None when none is owed.

    Two replies, each off by default and sent once per ticket: the after-hours reply
    (`Decision.public_reply`, POLICY.md section 4) and the request for missing report items
    (`Decision.info_request_reply`, section 6). Each is owed when the decision has its text and
    the ticket, as last known, has the tag our update set for it (`next_business_day`,
    `info_missing`: the update landed) but not the tag that records the reply
    (`next_business_day_replied`, `info_requested`). The reply and its tag go in one safe update,
    so the tag is the proof the reply landed and no retry sends it twice (docs/worker.md, "Public
    replies"). Should both be owed (a policy that does not page urgent incidents after hours),
    one PUT carries them as one comment, since a PUT carries one comment.
    """
    tags = policy.tags
    replies = (
        (decision.public_reply, tags.next_business_day, tags.public_reply_sent),
        (decision.info_request_reply, tags.info_missing, tags.info_requested),
    )
    owed = [
        (text, sent) for text, landed, sent in replies if text and landed in ticket.tags and sent not in ticket.tags
    ]
    if not owed:
        return None
    return public_reply_update("\n\n".join(text for text, _ in owed), [sent for _, sent in owed], ticket)


def ticket_level(ticket_tags: tuple[str, ...], tags: Tags) -> str | None:
    """The level the ticket's urgency tags record, the highest when it has both (a time-sensitive
    comment on an urgent ticket adds its tag beside the urgent one); None when it has neither."""
    if tags.urgent in ticket_tags:
        return URGENT
    if tags.time_sensitive in ticket_tags:
        return TIME_SENSITIVE
    return None


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


@dataclass(frozen=True)
class LocalSkip:
    """An event the policy does not read, known from the event alone: its status, and the log
    line (name and ids) that says why."""

    status: str
    log_name: str
    ids: dict[str, Any]


def local_skip(event: TicketEvent, comment: Comment | None) -> LocalSkip | None:
    """The skip the event's own data decides, whoever wrote it; None when the policy reads the
    event (or cannot tell yet: a trigger comment not read)."""
    if event.kind == MESSAGE:
        return _message_skip(event)
    if event.kind != COMMENT or comment is None:
        return None  # a created event, or a trigger comment not read yet
    ids = {"comment": comment["id"]}
    if not comment["is_public"]:
        return LocalSkip("ignored:private_comment", "worker.comment.private", ids)
    if comment["author_is_staff"]:
        return LocalSkip("ignored:agent_comment", "worker.comment.agent", ids)
    if is_description_echo(event):
        return LocalSkip("ignored:first_comment", "worker.comment.first_comment", ids)
    return None


def _message_skip(event: TicketEvent) -> LocalSkip | None:
    assert event.message is not None
    author_type, text = event.message["author_type"], event.message["body"]
    if author_type != "end_user":
        return LocalSkip(f"ignored:{author_type}_message", "worker.message.not_end_user", {"author_type": author_type})
    if text is not None and not text.strip():
        return LocalSkip("ignored:empty_message", "worker.message.empty", {"message": event.message["id"]})
    return None


def ticket_text(
    event: TicketEvent, comment: Comment | None, ticket: TicketState, known_category: str | None, tags: Tags
) -> TicketText:
    """What the policy reads: subject and description of a new ticket, else the comment's (or the
    messaging message's) body. A message is read like a new end-user comment, at the event's time
    (a message carries no time of its own).

    A comment or message also carries what the ticket's tags remember (POLICY.md section 6): its
    level (`urgency_*`), so a comment at that level opens no intake item again, and its open
    items (`deadline_missing`, `missing_<item>`), which the comment may supply. A new ticket
    starts from nothing: its own retry, on a ticket that already has our tags, decides the same."""
    known_level, open_items = ticket_level(ticket.tags, tags), tags.open_items(ticket.tags)
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
            known_level=known_level,
            open_items=open_items,
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
        known_level=known_level,
        open_items=open_items,
    )
