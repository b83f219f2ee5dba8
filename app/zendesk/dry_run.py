"""A stand-in for `ZendeskClient` when no Zendesk account is configured (settings.dry_run).

Writes are logged instead of sent: the exact method, path and JSON body. Reads return None, so
the worker goes on with what the event carried (or skips the event when it carried only ids).
"""

from __future__ import annotations

import json
import logging

log = logging.getLogger("escalator.zendesk.dry_run")


class DryRunZendesk:
    def __repr__(self) -> str:
        return "DryRunZendesk()"

    def get_ticket(self, ticket_id: int) -> None:
        self._would_send("GET", f"/api/v2/tickets/{ticket_id}")
        return None

    def get_comment_with_author(self, ticket_id: int, comment_id: int) -> None:
        self._would_send("GET", f"/api/v2/tickets/{ticket_id}/comments?sort_order=desc&include=users")
        return None

    def me(self) -> None:
        return None

    def update_ticket(self, ticket_id: int, body: dict) -> dict:
        # The body holds the internal note, which quotes customer words. Logging it at INFO is
        # the point of a dry run (an admin reads what the service would do); with a real
        # account configured this class is not used and nothing logs bodies.
        self._would_send("PUT", f"/api/v2/tickets/{ticket_id}", body)
        comment = body.get("ticket", {}).get("comment")
        if comment:
            kind = "public reply" if comment.get("public") else "internal note"
            log.info(
                "zendesk.dry_run.%s ticket=%s:\n%s",
                kind.replace(" ", "_"),
                ticket_id,
                "\n".join("    " + line for line in comment.get("body", "").splitlines()),
            )
        return {}

    def _would_send(self, method: str, path: str, body: dict | None = None) -> None:
        if body is None:
            log.info("zendesk.dry_run.request %s %s", method, path)
        else:
            log.info("zendesk.dry_run.request %s %s body=%s", method, path, json.dumps(body, sort_keys=True))
