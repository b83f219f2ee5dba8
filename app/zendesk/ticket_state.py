"""The ticket as the worker last saw it: from an event's snapshot, from the API, or after our PUT."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from app.ticket_event import TicketSnapshot


@dataclass(frozen=True)
class TicketState:
    """What an update is planned against and compared with.

    `custom_fields` is None when the source did not include them (webhook snapshots do not):
    then every configured field counts as differing.
    """

    ticket_id: int
    priority: str | None
    tags: tuple[str, ...]
    updated_at: str | None
    custom_fields: dict[int, Any] | None = None
    subject: str = ""
    description: str = ""
    created_at: str | None = None

    @classmethod
    def from_api(cls, ticket: dict[str, Any]) -> TicketState:
        """From `GET /api/v2/tickets/{id}`'s `ticket` object (or a PUT's answer)."""
        return cls(
            ticket_id=int(ticket["id"]),
            priority=ticket.get("priority") or None,
            tags=tuple(ticket.get("tags") or ()),
            updated_at=ticket.get("updated_at"),
            custom_fields={int(f["id"]): f.get("value") for f in ticket.get("custom_fields") or ()},
            subject=ticket.get("subject") or "",
            description=ticket.get("description") or "",
            created_at=ticket.get("created_at"),
        )

    @classmethod
    def from_snapshot(cls, ticket_id: int, snapshot: TicketSnapshot) -> TicketState:
        """From an event webhook's ticket snapshot."""
        return cls(
            ticket_id=ticket_id,
            priority=snapshot.get("priority") or None,
            tags=tuple(snapshot.get("tags") or ()),
            updated_at=snapshot.get("updated_at"),
            subject=snapshot.get("subject") or "",
            description=snapshot.get("description") or "",
            created_at=snapshot.get("created_at"),
        )

    def known_category(self, tag_prefix: str, names: tuple[str, ...]) -> str | None:
        """The category the ticket's `<tag_prefix><name>` tags record, for the policy's category
        `names` only (an agent's `category_billing` is not one). Should a ticket hold several,
        the first in `names` (the policy's tie order) wins."""
        return next((name for name in names if tag_prefix + name in self.tags), None)

    def after_update(self, body: dict[str, Any], answer: dict[str, Any]) -> TicketState:
        """The ticket after our PUT of `body`: Zendesk's answer when it has the ticket (new tags,
        new updated_at); else (a dry run) the tags the body set, and no stamp."""
        if answer.get("ticket"):
            return TicketState.from_api(answer["ticket"])
        return replace(self, tags=tuple(body["ticket"].get("tags", self.tags)), updated_at=None)
