"""Zendesk webhook bodies -> one `TicketEvent`, the value a job carries.

Two shapes arrive. Event-subscribed webhooks use Zendesk's envelope (`type`, `id`, `time`,
`subject`, `detail`, `event`; ids are strings, priority upper case). Trigger-connected webhooks
use the body template this project defines (see `trigger_body.py`): ids and times only, and the
status for a status change.
Messaging events (`messaging_ticket.message_added`) use the envelope with a `detail` that holds
only the ticket id, and the message and its author's type in `event`.

Each handler is a small pure function; `EVENT_HANDLERS` maps a Zendesk event type to it, so the
list of supported events cannot drift from the code. A type that is absent is acknowledged and
ignored by the endpoint.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from app.ticket_event import (
    COMMENT,
    CREATED,
    EVENT_SOURCE,
    MESSAGE,
    STATUS_CHANGED,
    TRIGGER_SOURCE,
    Comment,
    Message,
    TicketEvent,
    TicketSnapshot,
)
from app.timestamps import parse_time
from app.webhooks.trigger_body import TRIGGER_EVENTS

ENVELOPE_TYPE_PREFIX = "zen:event-type:"
# Zendesk's documented `actor.type` values of a messaging event; anything else is "unknown".
MESSAGE_AUTHOR_TYPES = ("end_user", "agent", "trigger", "system")
# Messaging ids are Sunshine Conversations ids (24 hex digits); kept to this shape, as they go
# into Redis keys and log lines.
_MESSAGE_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")
# Zendesk's ticket statuses (the Tickets API's `status`).
TICKET_STATUSES = ("new", "open", "pending", "hold", "solved", "closed")
# The status-change trigger fires only when the status became solved or closed (desired.py). Should
# `{{ticket.status}}` render anything but a status above (a translated or custom status name), the
# trigger still says the ticket was solved or closed, and both end its page alike.
TRIGGER_STATUS_FALLBACK = "solved"


class InvalidEvent(ValueError):
    """The body is JSON but lacks what we need; `missing` names the fields."""

    def __init__(self, missing: list[str], problem: str = "missing required fields"):
        super().__init__(f"{problem}: {', '.join(missing)}")
        self.missing = missing
        self.problem = problem


def parse_event(body: Any) -> TicketEvent | None:
    """The event in a decoded webhook body; None for an event type we do not handle.

    Raises InvalidEvent naming the missing fields when the body is not usable.
    """
    if not isinstance(body, dict):
        raise InvalidEvent(["(a JSON object)"], "body must be a JSON object")
    if "type" in body:
        handler = EVENT_HANDLERS.get(body["type"]) if isinstance(body["type"], str) else None
        if handler is None:
            return None
        return handler(body)
    if "ticket_id" in body or "event" in body:
        return _from_trigger_body(body)
    raise InvalidEvent(["type (event webhooks) or ticket_id and event (trigger webhooks)"])


def event_type_of(body: Any) -> str:
    if isinstance(body, dict):
        return str(body.get("type") or body.get("event") or "unknown")
    return "unknown"


def _require(body: dict[str, Any], paths: Sequence[str]) -> None:
    missing = [p for p in paths if _dig(body, p) in (None, "") or isinstance(_dig(body, p), (dict, list))]
    if missing:
        raise InvalidEvent(missing)


def _dig(body: dict[str, Any], path: str) -> Any:
    value: Any = body
    for key in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _as_id(value: Any, name: str) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise InvalidEvent([name], "not a numeric id") from None
    if number <= 0:
        raise InvalidEvent([name], "not a numeric id")
    return number


def _as_time(value: Any, name: str) -> str:
    """An ISO 8601 time with a zone, kept as sent."""
    text = str(value).strip()
    try:
        parse_time(text)
    except ValueError:
        raise InvalidEvent([name], "not an ISO 8601 time with a zone") from None
    return text


def _optional_time(value: Any, name: str) -> str | None:
    return None if value in (None, "") else _as_time(value, name)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _optional_id(value: Any) -> int | None:
    try:
        return int(str(value).strip()) if value not in (None, "") else None
    except ValueError:
        return None


def _ticket_snapshot(detail: dict[str, Any]) -> TicketSnapshot:
    tags = detail.get("tags")
    return {
        "subject": _text(detail.get("subject")),
        "description": _text(detail.get("description")),
        "priority": _text(detail.get("priority")).lower() or None,
        "status": _text(detail.get("status")).lower() or None,
        "tags": [t for t in tags if isinstance(t, str)] if isinstance(tags, list) else [],
        "created_at": _optional_time(detail.get("created_at"), "detail.created_at"),
        "updated_at": _optional_time(detail.get("updated_at"), "detail.updated_at"),
    }


def _envelope_comment(raw: dict[str, Any]) -> Comment:
    author = raw.get("author") or {}
    return {
        "id": _as_id(raw.get("id"), "event.comment.id"),
        "body": _text(raw.get("body")),
        "html_body": _text(raw.get("html_body")),
        "is_public": raw.get("is_public") is True,
        "author_id": _as_id(author.get("id"), "event.comment.author.id"),
        # Anything but an explicit false is treated as staff: the policy reads end users only.
        "author_is_staff": author.get("is_staff") is not False,
        "created_at": None,
    }


def _envelope(body: dict[str, Any], kind: str, extra: Sequence[str] = ()) -> TicketEvent:
    _require(body, ["id", "time", "detail.id", *extra])
    detail = body["detail"]
    comment = _envelope_comment(body["event"]["comment"]) if kind == COMMENT else None
    return TicketEvent(
        event_id=str(body["id"]),
        kind=kind,
        source=EVENT_SOURCE,
        ticket_id=_as_id(detail.get("id"), "detail.id"),
        occurred_at=_as_time(body["time"], "time"),
        actor_id=_optional_id(detail.get("actor_id")),
        ticket=_ticket_snapshot(detail),
        comment=comment,
        comment_id=comment["id"] if comment else None,
    )


def _ticket_created(body: dict[str, Any]) -> TicketEvent:
    return _envelope(body, CREATED)


def _ticket_comment_added(body: dict[str, Any]) -> TicketEvent:
    return _envelope(body, COMMENT, ["event.comment.id", "event.comment.author.id"])


def _ticket_status_changed(body: dict[str, Any]) -> TicketEvent:
    return _envelope(body, STATUS_CHANGED)


def _messaging_message_added(body: dict[str, Any]) -> TicketEvent:
    """A message in a messaging conversation. `detail` has only the ticket id; the text is in
    `event.message.body` (read through the API when absent), the author's kind in `actor.type`."""
    _require(body, ["id", "time", "detail.id", "event.message.id"])
    event = body["event"]
    message_id = str(event["message"]["id"]).strip()
    if not _MESSAGE_ID.fullmatch(message_id):
        raise InvalidEvent(["event.message.id"], "not a message id")
    return TicketEvent(
        event_id=str(body["id"]),
        kind=MESSAGE,
        source=EVENT_SOURCE,
        ticket_id=_as_id(body["detail"]["id"], "detail.id"),
        occurred_at=_as_time(body["time"], "time"),
        message=_message(event),
    )


def _message(event: dict[str, Any]) -> Message:
    actor = event.get("actor")
    actor = actor if isinstance(actor, dict) else {}
    author_type = str(actor.get("type"))
    if author_type not in MESSAGE_AUTHOR_TYPES:
        author_type = "unknown"
    if str(actor.get("id") or "").startswith("zd:"):
        author_type = "system"  # Zendesk's own bots (zd:answerBot), whatever the type says
    text = event["message"].get("body")
    return {
        "id": str(event["message"]["id"]).strip(),
        "body": text if isinstance(text, str) else None,
        "author_type": author_type,
    }


EVENT_HANDLERS: dict[str, Callable[[dict[str, Any]], TicketEvent]] = {
    ENVELOPE_TYPE_PREFIX + "ticket.created": _ticket_created,
    ENVELOPE_TYPE_PREFIX + "ticket.comment_added": _ticket_comment_added,
    ENVELOPE_TYPE_PREFIX + "ticket.status_changed": _ticket_status_changed,
    ENVELOPE_TYPE_PREFIX + "messaging_ticket.message_added": _messaging_message_added,
}


def _from_trigger_body(body: dict[str, Any]) -> TicketEvent:
    _require(body, ["ticket_id", "event"])
    kind = str(body["event"])
    if kind not in TRIGGER_EVENTS:
        raise InvalidEvent(["event"], f"event must be one of {', '.join(TRIGGER_EVENTS)}")
    ticket_id = _as_id(body["ticket_id"], "ticket_id")
    actor_id = _optional_id(body.get("current_user_id"))
    if kind == COMMENT:
        _require(body, ["comment_id", "updated_at"])
        comment_id = _as_id(body["comment_id"], "comment_id")
        return TicketEvent(
            event_id=f"trigger-{ticket_id}-{comment_id}",
            kind=COMMENT,
            source=TRIGGER_SOURCE,
            ticket_id=ticket_id,
            occurred_at=_as_time(body["updated_at"], "updated_at"),
            actor_id=actor_id,
            comment_id=comment_id,
        )
    if kind == STATUS_CHANGED:
        return _trigger_status_changed(body, ticket_id, actor_id)
    _require(body, ["created_at"])
    return TicketEvent(
        event_id=f"trigger-{ticket_id}-created",
        kind=CREATED,
        source=TRIGGER_SOURCE,
        ticket_id=ticket_id,
        occurred_at=_as_time(body["created_at"], "created_at"),
        actor_id=actor_id,
    )


def _trigger_status_changed(body: dict[str, Any], ticket_id: int, actor_id: int | None) -> TicketEvent:
    """A ticket solved or closed, as the status-change trigger reports it. The event carries a
    snapshot with only the status and times (no text: the worker needs only the status). One
    event per update: a ticket solved, reopened and solved again is two events."""
    _require(body, ["updated_at"])
    updated_at = _as_time(body["updated_at"], "updated_at")
    status = _text(body.get("status")).strip().lower()
    if status not in TICKET_STATUSES:
        status = TRIGGER_STATUS_FALLBACK
    return TicketEvent(
        event_id=f"trigger-{ticket_id}-status-{int(parse_time(updated_at).timestamp())}",
        kind=STATUS_CHANGED,
        source=TRIGGER_SOURCE,
        ticket_id=ticket_id,
        occurred_at=updated_at,
        actor_id=actor_id,
        ticket={
            "subject": "",
            "description": "",
            "priority": None,
            "status": status,
            "tags": [],
            "created_at": _optional_time(body.get("created_at"), "created_at"),
            "updated_at": updated_at,
        },
    )
