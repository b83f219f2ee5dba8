"""The Zendesk client as the admin commands use it: pages read to the end, 429s waited out,
refusals explained in plain words.

It wraps `app.zendesk.client.ZendeskClient` (same auth, session, timeouts and typed errors) rather
than being a second client. An admin command is interactive, so it may sleep through a rate limit.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from app import defaults
from app.zendesk.client import ZendeskClient
from app.zendesk.errors import AuthFailed, NotFound, RateLimited, Unprocessable, ZendeskError, ZendeskUnavailable


class AdminError(Exception):
    """A failure already explained for the admin: print the message, exit non-zero."""


class AdminZendesk:
    def __init__(
        self,
        client: ZendeskClient,
        *,
        echo: Callable[[str], None] = print,
        sleep: Callable[[float], None] = time.sleep,
        max_wait_seconds: float = defaults.ADMIN_RATE_LIMIT_MAX_WAIT_SECONDS,
        max_waits: int = defaults.ADMIN_RATE_LIMIT_MAX_WAITS,
        read_only: bool = False,
    ):
        """`read_only` (dry runs) refuses every request but a GET, before it is sent, and prints
        each GET as it sends it: a dry run shows what it read as well as what it would write."""
        self.client = client
        self.echo = echo
        self.sleep = sleep
        self.max_wait_seconds = max_wait_seconds
        self.max_waits = max_waits
        self.read_only = read_only
        self.sent: Counter[str] = Counter()  # requests sent, by method (429s included)

    @property
    def base_url(self) -> str:
        return self.client.base_url

    def read_only_view(self) -> AdminZendesk:
        """This client as a dry run uses it: writes refused unsent, every read printed."""
        if self.read_only:
            return self
        return AdminZendesk(
            self.client,
            echo=self.echo,
            sleep=self.sleep,
            max_wait_seconds=self.max_wait_seconds,
            max_waits=self.max_waits,
            read_only=True,
        )

    def call(self, method: str, path: str, *, params: dict[str, Any] | None = None, json: Any = None) -> dict[str, Any]:
        """One request; a 429 is waited out (Retry-After, capped) up to `max_waits` times."""
        if self.read_only and method.upper() != "GET":
            raise AdminError(f"dry run: {method} {path} is a write, and a dry run writes nothing (not sent)")
        waits = 0
        while True:
            self.sent[method.upper()] += 1
            if self.read_only:
                self.echo(f"  {describe_read(path, params)}")
            try:
                return self.client.request(method, path, params=params, json=json)
            except RateLimited as limited:
                if waits >= self.max_waits:
                    raise
                waits += 1
                seconds = min(limited.retry_after, self.max_wait_seconds)
                self.echo(f"  Zendesk rate limit (429): waiting {seconds:g} s as it asks, then trying again")
                self.sleep(seconds)

    def get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.call("GET", path, params=params)

    def list_all(
        self, path: str, key: str, *, cursor: bool = True, params: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """Every record of a list endpoint: cursor pages (`page[size]`, `page[after]`) where
        Zendesk offers them, else the offset `next_page` links some older endpoints return."""
        first = dict(params or {})
        if cursor:
            first["page[size]"] = defaults.ADMIN_PAGE_SIZE
        query = first
        records: list[dict[str, Any]] = []
        while True:
            page = self.get(path, query or None)
            records.extend(page.get(key) or [])
            meta = page.get("meta") or {}
            if meta.get("has_more") and meta.get("after_cursor"):
                query = {**first, "page[after]": meta["after_cursor"]}
            elif page.get("next_page"):
                query = dict(parse_qsl(urlsplit(str(page["next_page"])).query))
            else:
                return records


def describe_read(path: str, params: dict[str, Any] | None) -> str:
    """A GET as a dry run prints it: `read: GET /api/v2/webhooks?filter[name_contains]=escalator`."""
    query = "?" + urlencode(params, safe="[]") if params else ""
    return f"read: GET {path}{query} (sent)"


def explain(error: ZendeskError, what: str, subdomain_hint: str = "") -> str:
    """A refusal in plain words, with what to do about it."""
    status = error.status
    detail = "; ".join(error_details(error.body))
    tail = f" Zendesk said: {detail}" if detail else ""
    if isinstance(error, RateLimited):
        return (
            f"{what}: Zendesk is still rate limiting (429) after waiting several times. Wait a minute and "
            "run the command again: it finds what it already made and carries on."
        )
    if isinstance(error, AuthFailed) and status == 401:
        return (
            f"{what}: Zendesk did not accept the credentials (401). Check ZENDESK_OAUTH_TOKEN, or "
            f"ZENDESK_EMAIL and ZENDESK_API_TOKEN (API tokens must be enabled in Admin Center).{tail}"
        )
    if isinstance(error, AuthFailed):
        return (
            f"{what}: Zendesk refused (403): this token is not an admin's, or the account's plan does not "
            f"include this feature. Use an admin's OAuth or API token.{tail}"
        )
    if isinstance(error, NotFound):
        hint = subdomain_hint or "it was deleted meanwhile: run the command again"
        return f"{what}: not found (404); {hint}.{tail}"
    if isinstance(error, Unprocessable):
        fields = detail or "Zendesk named no field"
        return f"{what}: Zendesk refused the values (422): {fields}."
    if isinstance(error, ZendeskUnavailable):
        return (
            f"{what}: Zendesk did not answer properly ({error}). Run the command again later: it finds "
            "what it already made and carries on."
        )
    return f"{what}: Zendesk answered {status}.{tail}"


def error_details(body: Any) -> list[str]:
    """Every problem a Zendesk error body names, as `field: message`, over the shapes Zendesk uses:
    `{"error", "description", "details": {field: [{description}]}}`, `{"error": {"title",
    "message"}}` and the newer `{"errors": [{"title", "detail", "source": {"pointer"}}]}`."""
    if not isinstance(body, dict):
        return []
    found: list[str] = []
    details = body.get("details")
    if isinstance(details, dict):
        for name, problems in details.items():
            for problem in problems if isinstance(problems, list) else [problems]:
                text = problem.get("description") or problem.get("error") if isinstance(problem, dict) else problem
                found.append(f"{name}: {text}")
    for item in body.get("errors") or []:
        if isinstance(item, dict):
            where = (item.get("source") or {}).get("pointer") or item.get("code") or ""
            text = item.get("detail") or item.get("title") or ""
            found.append(f"{where}: {text}" if where else str(text))
    error = body.get("error")
    if isinstance(error, dict):
        found.append(str(error.get("message") or error.get("title") or ""))
    elif not found and (body.get("description") or error):
        found.append(str(body.get("description") or error))
    return [text for text in found if text]
