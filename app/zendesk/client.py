"""A small Zendesk Support API client: one `requests.Session`, typed errors, no secrets in logs.

Only the calls the worker needs (the `ZendeskApi` protocol). Every response status maps to one
exception in `errors.py` so the worker can decide between retrying, rescheduling, dropping and
failing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import requests

from app import __version__, defaults
from app.infra.logs import log_event
from app.infra.settings import Settings
from app.ticket_event import Comment
from app.zendesk.errors import (
    AuthFailed,
    Conflict,
    NotFound,
    RateLimited,
    Unprocessable,
    ZendeskError,
    ZendeskUnavailable,
)

log = logging.getLogger("escalator.zendesk")

USER_AGENT = f"escalator/{__version__} (+https://github.com/escalator)"
COMMENTS_PER_PAGE = 100  # Zendesk's maximum
CONVERSATION_LOG_PAGE_SIZE = 100  # Zendesk's maximum
# How the conversation log names a messaging message: the webhook's `message.id` after this prefix
# (inferred from the id formats; docs/worker.md, "Messaging").
MESSAGE_REFERENCE_PREFIX = "zen:sunco:conversation_message:"


class ZendeskClient:
    def __init__(
        self,
        base_url: str,
        *,
        oauth_token: str | None = None,
        email: str | None = None,
        api_token: str | None = None,
        throttle: Callable[[], None] | None = None,
        timeout: tuple[float, float] = (
            defaults.ZENDESK_CONNECT_TIMEOUT_SECONDS,
            defaults.ZENDESK_READ_TIMEOUT_SECONDS,
        ),
    ):
        """`throttle` is called before every request; it may wait briefly or raise."""
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.throttle = throttle
        self.session = requests.Session()
        self.session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})
        if oauth_token:
            self.session.headers["Authorization"] = f"Bearer {oauth_token}"
        elif email and api_token:
            self.session.auth = (f"{email}/token", api_token)
        else:
            raise ValueError("ZendeskClient needs an OAuth token or an email and API token")

    @classmethod
    def from_settings(cls, settings: Settings, throttle: Callable[[], None] | None = None) -> ZendeskClient:
        if not settings.zendesk_url:
            raise ValueError("ZendeskClient needs ZENDESK_SUBDOMAIN or ZENDESK_BASE_URL")
        return cls(
            settings.zendesk_url,
            oauth_token=settings.zendesk_oauth_token,
            email=settings.zendesk_email,
            api_token=settings.zendesk_api_token,
            throttle=throttle,
        )

    def __repr__(self) -> str:
        return f"ZendeskClient({self.base_url!r})"

    dry_run = False

    def get_ticket(self, ticket_id: int) -> dict[str, Any]:
        ticket: dict[str, Any] = self._request("GET", f"/api/v2/tickets/{ticket_id}")["ticket"]
        return ticket

    def get_comment(self, ticket_id: int, comment_id: int) -> Comment | None:
        """The comment, with whether its author is staff, or None when the ticket has no such comment.

        One read, newest first, with the authors sideloaded (`include=users`). A trigger names
        the ticket's latest comment, so it is on that page unless 100 more came in before the job
        ran; then it is None too, and the event is dropped.
        """
        page = self._request(
            "GET",
            f"/api/v2/tickets/{ticket_id}/comments",
            params={"sort_order": "desc", "include": "users", "per_page": COMMENTS_PER_PAGE},
        )
        return _comment_in(page, comment_id)

    def get_recent_comments(self, ticket_id: int) -> list[Comment]:
        """The ticket's newest comments (one page, up to 100), newest first, each with whether
        its author is staff: what the SLA watchdog looks through for a public agent reply."""
        page = self._request(
            "GET",
            f"/api/v2/tickets/{ticket_id}/comments",
            params={"sort_order": "desc", "include": "users", "per_page": COMMENTS_PER_PAGE},
        )
        found = [_comment_in(page, c["id"]) for c in page.get("comments") or [] if isinstance(c.get("id"), int)]
        return [c for c in found if c is not None]

    def add_tags(self, ticket_id: int, tags: list[str], updated_stamp: str | None) -> dict[str, Any]:
        """`PUT /api/v2/tickets/{id}/tags` (Add Tags): adds `tags`, keeps the others, writes no
        comment. With `updated_stamp`, a safe update: 409 when the ticket changed since."""
        body: dict[str, Any] = {"tags": tags}
        if updated_stamp:
            body.update(safe_update=True, updated_stamp=updated_stamp)
        return self._request("PUT", f"/api/v2/tickets/{ticket_id}/tags", json=body)

    def get_message_text(self, ticket_id: int, message_id: str) -> str | None:
        """The text of a messaging message from the ticket's conversation log (newest first, one
        page); "" for a message without text (an image, a file); None when it is not on the page."""
        page = self._request(
            "GET",
            f"/api/v2/tickets/{ticket_id}/conversation_log",
            params={"sort": "-created_at", "page[size]": CONVERSATION_LOG_PAGE_SIZE},
        )
        for record in page.get("events") or []:
            if record.get("reference") == MESSAGE_REFERENCE_PREFIX + message_id:
                content = record.get("content") or {}
                text = content.get("text") if content.get("type") == "text" else None
                return text if isinstance(text, str) else ""
        return None

    def integration_user_id(self) -> int:
        """The id of the user our credentials act as (the integration user)."""
        return int(self._request("GET", "/api/v2/users/me")["user"]["id"])

    def update_ticket(self, ticket_id: int, body: dict[str, Any]) -> dict[str, Any]:
        return self._request("PUT", f"/api/v2/tickets/{ticket_id}", json=body)

    def request(
        self, method: str, path: str, *, params: dict[str, Any] | None = None, json: Any = None
    ) -> dict[str, Any]:
        """Any other call, with the same auth, timeouts and typed errors (the admin commands use it)."""
        return self._request(method, path, params=params, json=json)

    def _request(
        self, method: str, path: str, *, params: dict[str, Any] | None = None, json: Any = None
    ) -> dict[str, Any]:
        if self.throttle:
            self.throttle()
        what = f"{method} {path}"
        started = time.monotonic()
        try:
            response = self.session.request(
                method, self.base_url + path, params=params, json=json, timeout=self.timeout
            )
        except requests.Timeout as e:
            raise ZendeskUnavailable(f"{what}: timed out ({type(e).__name__})") from None
        except requests.ConnectionError as e:
            raise ZendeskUnavailable(f"{what}: connection failed ({type(e).__name__})") from None
        log_event(
            log,
            "zendesk.request",
            level=logging.DEBUG,
            method=method,
            path=path,
            status=response.status_code,
            ms=round((time.monotonic() - started) * 1000),
        )
        try:
            _raise_for_status(response, what)
        except ZendeskError as error:
            error.body = _json_or_none(response)
            raise
        if not response.content:  # 204 No Content (deletes, webhook updates)
            return {}
        try:
            answer: dict[str, Any] = response.json()
        except ValueError:
            raise ZendeskUnavailable(f"{what}: {response.status_code} with a body that is not JSON") from None
        return answer


def _raise_for_status(response: requests.Response, what: str) -> None:
    status = response.status_code
    if status < 400:
        return
    message = f"{what}: {status} {_error_code(response)}".rstrip()
    if status == 429:
        raise RateLimited(message, retry_after=_retry_after(response))
    if status in (401, 403):
        raise AuthFailed(message, status)
    if status == 404:
        raise NotFound(message, status)
    if status == 409:
        raise Conflict(message, status)
    if status == 422:
        raise Unprocessable(message, status, _refused_field_ids(response))
    if status >= 500:
        raise ZendeskUnavailable(message, status)
    raise ZendeskError(message, status)


def _error_code(response: requests.Response) -> str:
    """Zendesk's short error code ("RecordInvalid"); never the details, which may quote text."""
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return ""
    return error[:60] if isinstance(error, str) else ""


def _refused_field_ids(response: requests.Response) -> tuple[int, ...]:
    """The custom field ids a 422's `details` names. Zendesk documents no shape; the ones seen
    are `{"details": {"base": [{"ticket_field_id": 103, ...}], "status": [{...}]}}`, so every
    key's items are read, and only their ids (descriptions may quote the value we sent)."""
    try:
        details = response.json().get("details")
    except (ValueError, AttributeError):
        return ()
    found: list[int] = []
    for items in details.values() if isinstance(details, dict) else ():
        for item in items if isinstance(items, list) else ():
            field_id = item.get("ticket_field_id") if isinstance(item, dict) else None
            if isinstance(field_id, int) and not isinstance(field_id, bool) and field_id not in found:
                found.append(field_id)
    return tuple(found)


def _retry_after(response: requests.Response) -> float:
    try:
        return max(0.0, float(response.headers.get("Retry-After", "")))
    except ValueError:
        return defaults.ZENDESK_RATE_LIMIT_FALLBACK_SECONDS


def _comment_in(page: dict[str, Any], comment_id: int) -> Comment | None:
    for comment in page.get("comments") or []:
        if comment.get("id") == comment_id:
            users = {u.get("id"): u for u in page.get("users") or []}
            role = (users.get(comment.get("author_id")) or {}).get("role")
            return {
                "id": comment_id,
                "body": comment.get("body") or "",
                "html_body": comment.get("html_body") or "",
                "is_public": bool(comment.get("public")),
                "author_id": comment.get("author_id"),
                # An author the sideload did not return is treated as staff: never escalate on
                # text we cannot attribute to a customer.
                "author_is_staff": role != "end-user",
                "created_at": comment.get("created_at"),
            }
    return None


def _json_or_none(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
