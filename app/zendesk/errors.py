"""What can go wrong talking to Zendesk, one exception per thing the worker does differently."""

from __future__ import annotations

from typing import Any


class ZendeskError(Exception):
    """A Zendesk request failed. Messages name the method, path and status, never the body.

    `body` is Zendesk's parsed error answer (or None), for the admin commands that explain a refusal
    to the person who sent it (a 422 names the field); it is never logged.
    """

    body: Any = None

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class RateLimited(ZendeskError):
    """429: wait `retry_after` seconds (Zendesk's Retry-After) before the next try."""

    def __init__(self, message: str, retry_after: float, status: int = 429):
        super().__init__(message, status)
        self.retry_after = retry_after


class Conflict(ZendeskError):
    """409: safe update refused, the ticket changed since the `updated_stamp` we sent."""


class NotFound(ZendeskError):
    """404: the ticket (or comment) is gone, e.g. deleted or merged."""


class Unprocessable(ZendeskError):
    """422: Zendesk refused the update itself (closed ticket, invalid field value, ...).

    `refused_field_ids`: the custom fields the answer's `details` names (`ticket_field_id`), if any.
    """

    def __init__(self, message: str, status: int = 422, refused_field_ids: tuple[int, ...] = ()):
        super().__init__(message, status)
        self.refused_field_ids = refused_field_ids


class AuthFailed(ZendeskError):
    """401/403: the credentials are wrong or lack a scope; retrying cannot help."""


class ZendeskUnavailable(ZendeskError):
    """5xx, a timeout or a connection error: worth retrying later."""


class DryRunRead(ZendeskError):
    """A dry run has no Zendesk to read from; the work that needed the read is skipped."""
