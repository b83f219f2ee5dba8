"""Zendesk: the API client (or its dry-run stand-in) and the mapping decision -> ticket update."""

from __future__ import annotations

from app.zendesk.client import ZendeskClient
from app.zendesk.dry_run import DryRunZendesk
from app.zendesk.errors import (
    AuthFailed,
    Conflict,
    NotFound,
    RateLimited,
    Unprocessable,
    ZendeskError,
    ZendeskUnavailable,
)
from app.zendesk.ticket_update import (
    TicketState,
    build_ticket_update,
    public_reply_update,
    writes_custom_fields,
)


def make_zendesk(settings, throttle=None) -> ZendeskClient | DryRunZendesk:
    """The real client when an account is configured, else the dry-run stand-in."""
    if settings.dry_run:
        return DryRunZendesk()
    return ZendeskClient.from_settings(settings, throttle=throttle)


__all__ = [
    "AuthFailed",
    "Conflict",
    "DryRunZendesk",
    "NotFound",
    "RateLimited",
    "TicketState",
    "Unprocessable",
    "ZendeskClient",
    "ZendeskError",
    "ZendeskUnavailable",
    "build_ticket_update",
    "make_zendesk",
    "public_reply_update",
    "writes_custom_fields",
]
