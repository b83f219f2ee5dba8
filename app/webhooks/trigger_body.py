"""The JSON body our Zendesk triggers send: the one place it is defined.

Ids, timestamps and the ticket's status only. Zendesk does not JSON-escape placeholder values, so
free text (subject, comment) in a trigger body could break the JSON; the worker reads text through
the API instead. `{{ticket.status}}` is safe to send: it renders a status name, never customer
text. `{{ticket.latest_comment.id}}` (with a dot) is the placeholder that renders; the
`_with_timestamp` forms give ISO 8601 times where the plain ones give only a day.
"""

from __future__ import annotations

from app.ticket_event import COMMENT, CREATED, STATUS_CHANGED

TRIGGER_EVENTS = (CREATED, COMMENT, STATUS_CHANGED)


def trigger_body(event: str) -> dict[str, str]:
    """The body template for the trigger that reports `event` ("created", "comment" or
    "status_changed")."""
    if event not in TRIGGER_EVENTS:
        raise ValueError(f"event must be one of {TRIGGER_EVENTS}")
    body = {
        "event": event,
        "ticket_id": "{{ticket.id}}",
        "created_at": "{{ticket.created_at_with_timestamp}}",
        "updated_at": "{{ticket.updated_at_with_timestamp}}",
        "current_user_id": "{{current_user.id}}",
    }
    if event == COMMENT:
        body["comment_id"] = "{{ticket.latest_comment.id}}"
    if event == STATUS_CHANGED:
        body["status"] = "{{ticket.status}}"
    return body
