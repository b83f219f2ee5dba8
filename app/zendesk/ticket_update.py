"""Decision + the ticket as we last saw it -> the body of one `PUT /api/v2/tickets/{id}`, or None.

Pure code. The body carries only what would change: a higher priority, the tags the ticket lacks
(`additional_tags`, so the agent's tags are never replaced), the ticket's other policy category
tags when the decision records a category (`remove_tags`, so a ticket has one category tag), the
configured custom fields whose value differs, and one internal note with the engine's
explanation. When nothing would change the answer is None: no call, and no note.

Field values:
- urgency field: the level ("urgent" / "time_sensitive"), never lowered.
- category field: the category name ("incident").
- after-hours field: a boolean (a checkbox field).
- response-due field: a date field gets the UTC date of the due time (`YYYY-MM-DD`), matching the
  policy's rule that due times are written in UTC; a text field gets the full ISO time
  (`2026-11-27T17:00:00Z`). An existing due value is never moved later.
Fields are set only for a decision with a level (urgent or time_sensitive); a field id of 0 is
not configured and is skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.policy.config import ZendeskFields
from app.policy.model import LEVELS, NONE, Decision, priority_rank
from app.zendesk.ticket_state import TicketState


def build_ticket_update(
    decision: Decision, ticket: TicketState, fields: ZendeskFields, category_tags: tuple[str, ...] = ()
) -> dict[str, Any] | None:
    """The PUT body for `decision` on `ticket`, or None when the ticket already has it all.

    `fields` is the policy's Zendesk config: `urgency_field_id`, `category_field_id`,
    `response_due_field_id`, `response_due_field_type` ("date" | "text"), `after_hours_field_id`.
    `category_tags` are the tags of every policy category: when the decision adds or keeps one,
    the ticket's others are removed.
    """
    changes: dict[str, Any] = {}
    if _raises_priority(decision.priority, ticket.priority):
        changes["priority"] = decision.priority
    new_tags = [t for t in dict.fromkeys(decision.tags) if t not in ticket.tags]
    if new_tags:
        changes["additional_tags"] = new_tags
    stale_tags = _stale_category_tags(decision.tags, ticket.tags, category_tags)
    if stale_tags:
        changes["remove_tags"] = stale_tags
    custom_fields = _field_updates(decision, fields, ticket.custom_fields)
    if custom_fields:
        changes["custom_fields"] = custom_fields
    if not changes:
        return None
    changes["comment"] = {"body": decision.explanation, "public": False}
    if ticket.updated_at:
        changes["safe_update"] = True
        changes["updated_stamp"] = ticket.updated_at
    return {"ticket": changes}


def public_reply_update(text: str, replied_tag: str, updated_stamp: str | None) -> dict[str, Any]:
    """The body of the PUT that adds the after-hours public reply: one public comment and the tag
    that records it was sent, in one safe update (the tag is how a retry knows)."""
    changes: dict[str, Any] = {"comment": {"body": text, "public": True}, "additional_tags": [replied_tag]}
    if updated_stamp:
        changes["safe_update"] = True
        changes["updated_stamp"] = updated_stamp
    return {"ticket": changes}


def writes_custom_fields(body: dict[str, Any] | None) -> bool:
    return body is not None and "custom_fields" in body["ticket"]


def _stale_category_tags(
    decision_tags: tuple[str, ...], ticket_tags: tuple[str, ...], category_tags: tuple[str, ...]
) -> list[str]:
    if not any(t in category_tags for t in decision_tags):
        return []  # the decision records no category (e.g. no urgency): leave the tags alone
    return [t for t in ticket_tags if t in category_tags and t not in decision_tags]


def _raises_priority(new: str | None, current: str | None) -> bool:
    return new is not None and priority_rank(new) > priority_rank(current)


_Changes = Callable[[Any, Any], bool]


def _field_updates(decision: Decision, fields: ZendeskFields, current: dict[int, Any] | None) -> list[dict[str, Any]]:
    if decision.urgency == NONE:
        return []
    wanted: list[tuple[int, Any, _Changes]] = [
        (fields.urgency_field_id, decision.urgency, _is_higher_level),
        (fields.category_field_id, decision.category, _differs),
        (fields.after_hours_field_id, decision.after_hours, _differs),
    ]
    due = decision.response_due_iso()
    if due:
        value = due[:10] if fields.response_due_field_type == "date" else due
        wanted.append((fields.response_due_field_id, value, _is_earlier))
    return [
        {"id": field_id, "value": value}
        for field_id, value, changes in wanted
        if field_id and _needs_write(field_id, value, changes, current)
    ]


def _needs_write(field_id: int, value: Any, changes: _Changes, current: dict[int, Any] | None) -> bool:
    if current is None:
        return True
    if field_id not in current:
        # The ticket has no such field (a wrong or inactive id): writing it would "change" the
        # ticket, with a note, on every event. (The ids come from the [zendesk] policy section.)
        return False
    if _is_empty(current[field_id]):
        return True
    return changes(value, current[field_id])


def _is_empty(value: Any) -> bool:
    return value is None or value == ""


def _differs(new: Any, old: Any) -> bool:
    return new != old


def _is_higher_level(new: str, old: Any) -> bool:
    """The urgency field is never lowered; an unknown old value is replaced."""
    return old not in LEVELS or LEVELS.index(new) > LEVELS.index(old)


def _is_earlier(new: str, old: Any) -> bool:
    """A response due time only moves earlier. ISO dates and UTC times sort as text."""
    return not isinstance(old, str) or new < old
