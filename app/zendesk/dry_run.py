"""The `ZendeskApi` for when no Zendesk account is configured (settings.dry_run).

Writes are logged instead of sent: the method and path, and with `show_text` (`escalator serve`,
or ESCALATOR_DRY_RUN_SHOW_TEXT) the exact JSON body and the note, which quote customer words;
without it only what the body sets (its keys, and a note's length), so a deployed worker left
without an account keeps customer text out of its logs. Reads are logged too, then refused with
`DryRunRead`: there is nothing to read, so the worker skips work that needs one (trigger webhooks
carry only ids).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from app.infra.logs import log_event
from app.ticket_event import Comment
from app.zendesk.errors import DryRunRead

log = logging.getLogger("escalator.zendesk.dry_run")


class DryRunZendesk:
    dry_run = True

    def __init__(self, *, show_text: bool = False):
        self.show_text = show_text

    def __repr__(self) -> str:
        return f"DryRunZendesk(show_text={self.show_text})"

    def get_ticket(self, ticket_id: int) -> dict[str, Any]:
        return self._cannot_read("GET", f"/api/v2/tickets/{ticket_id}")

    def get_comment(self, ticket_id: int, comment_id: int) -> Comment | None:
        return self._cannot_read("GET", f"/api/v2/tickets/{ticket_id}/comments?sort_order=desc&include=users")

    def get_recent_comments(self, ticket_id: int) -> list[Comment]:
        return self._cannot_read("GET", f"/api/v2/tickets/{ticket_id}/comments?sort_order=desc&include=users")

    def add_tags(self, ticket_id: int, tags: list[str], updated_stamp: str | None) -> dict[str, Any]:
        body: dict[str, Any] = {"tags": tags}
        if updated_stamp:
            body.update(safe_update=True, updated_stamp=updated_stamp)
        self._would_send("PUT", f"/api/v2/tickets/{ticket_id}/tags", body)
        return {}

    def get_message_text(self, ticket_id: int, message_id: str) -> str | None:
        return self._cannot_read("GET", f"/api/v2/tickets/{ticket_id}/conversation_log?sort=-created_at")

    def integration_user_id(self) -> int | None:
        return None

    def update_ticket(self, ticket_id: int, body: dict[str, Any]) -> dict[str, Any]:
        self._would_send("PUT", f"/api/v2/tickets/{ticket_id}", body)
        comment = body.get("ticket", {}).get("comment")
        if comment:
            kind = "public_reply" if comment.get("public") else "internal_note"
            text = comment.get("body", "")
            if self.show_text:
                log_event(log, f"zendesk.dry_run.{kind}", ticket=ticket_id, body=text)
            else:
                log_event(log, f"zendesk.dry_run.{kind}", ticket=ticket_id, chars=len(text))
        return {}

    def _cannot_read(self, method: str, path: str) -> Any:
        self._would_send(method, path)
        raise DryRunRead(f"{method} {path}: a dry run has no Zendesk to read from")

    def _would_send(self, method: str, path: str, body: dict[str, Any] | None = None) -> None:
        if body is None:
            log_event(log, "zendesk.dry_run.request", method=method, path=path)
        elif self.show_text:
            log_event(log, "zendesk.dry_run.request", method=method, path=path, body=json.dumps(body, sort_keys=True))
        else:
            log_event(log, "zendesk.dry_run.request", method=method, path=path, sets=",".join(_set_keys(body)))


def _set_keys(body: dict[str, Any]) -> list[str]:
    """What a body sets, without its values: `ticket.priority`, `ticket.comment`, `tags`."""
    return sorted(
        f"{key}.{inner}" if isinstance(value, dict) else key
        for key, value in body.items()
        for inner in (value if isinstance(value, dict) else [None])
    )
