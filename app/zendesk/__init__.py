"""Zendesk: the API client (or its dry-run stand-in) and the planning of ticket updates."""

from __future__ import annotations

from collections.abc import Callable

from app.infra.settings import Settings
from app.zendesk.api import ZendeskApi
from app.zendesk.client import ZendeskClient
from app.zendesk.dry_run import DryRunZendesk
from app.zendesk.errors import (
    AuthFailed,
    Conflict,
    DryRunRead,
    NotFound,
    RateLimited,
    Unprocessable,
    ZendeskError,
    ZendeskUnavailable,
)
from app.zendesk.planner import Plan, changes_nothing_on_any_ticket, plan_public_reply, plan_update
from app.zendesk.ticket_state import TicketState


def make_zendesk(settings: Settings, throttle: Callable[[], None] | None = None) -> ZendeskApi:
    """The real client when an account is configured, else the dry-run stand-in."""
    if settings.dry_run:
        return DryRunZendesk(show_text=settings.dry_run_show_text)
    return ZendeskClient.from_settings(settings, throttle=throttle)


__all__ = [
    "AuthFailed",
    "Conflict",
    "DryRunRead",
    "DryRunZendesk",
    "NotFound",
    "Plan",
    "RateLimited",
    "TicketState",
    "Unprocessable",
    "ZendeskApi",
    "ZendeskClient",
    "ZendeskError",
    "ZendeskUnavailable",
    "changes_nothing_on_any_ticket",
    "make_zendesk",
    "plan_public_reply",
    "plan_update",
]
