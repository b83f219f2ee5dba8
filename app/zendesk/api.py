"""What the worker asks of Zendesk: the protocol the real client and the dry-run stand-in share."""

from __future__ import annotations

from typing import Any, Protocol

from app.ticket_event import Comment


class ZendeskApi(Protocol):
    # True for the dry-run stand-in: nothing is written, so nothing may be recorded as done.
    dry_run: bool

    def get_ticket(self, ticket_id: int) -> dict[str, Any]:
        """`GET /api/v2/tickets/{id}`'s ticket object."""
        ...

    def get_comment(self, ticket_id: int, comment_id: int) -> Comment | None:
        """One comment with whether its author is staff; None when the ticket has no such comment."""
        ...

    def get_recent_comments(self, ticket_id: int) -> list[Comment]:
        """The ticket's newest comments (up to 100), newest first."""
        ...

    def add_tags(self, ticket_id: int, tags: list[str], updated_stamp: str | None) -> dict[str, Any]:
        """`PUT /api/v2/tickets/{id}/tags` (Add Tags), a safe update with `updated_stamp`."""
        ...

    def get_message_text(self, ticket_id: int, message_id: str) -> str | None:
        """A messaging message's text from the conversation log; None when it is not found."""
        ...

    def integration_user_id(self) -> int | None:
        """The user our credentials act as; None when there is no account (dry run)."""
        ...

    def update_ticket(self, ticket_id: int, body: dict[str, Any]) -> dict[str, Any]:
        """`PUT /api/v2/tickets/{id}`; Zendesk's answer (`{}` in a dry run)."""
        ...
