"""A small PagerDuty Events API v2 client: `POST <enqueue URL>` with `requests`, typed errors.

Why not PagerDuty's own `pagerduty` package (7.x): it sleeps inside the call (429 retried without
limit, 5xx for minutes), which would hold a worker and outlive Heroku's 30 s shutdown window; it
accepts only an https base URL, so a loopback stub cannot stand in for it; and it runs on httpx2,
which `responses` cannot mock (docs/oncall.md, "Why a small client"). What it would save is one
POST of a JSON body.

Responses (Events API v2 overview): 202 accepted; 400 the event is invalid (an unknown routing
key also answers 400), not retried; 429 and 5xx "retry after some time"; PagerDuty documents no
Retry-After on the Events API, so an absent one means our default wait.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Protocol

import requests

from app import defaults
from app.infra.logs import log_event
from app.oncall.errors import NoticeRejected
from app.oncall.http import DEFAULT_TIMEOUT, Observe, Timeout, new_session, post_json

VENDOR = "pagerduty"
ERROR_TEXT_MAX_CHARS = 300

log = logging.getLogger("escalator.oncall")


class Pager(Protocol):
    """What the worker asks of PagerDuty: the real client and the dry-run stand-in."""

    dry_run: bool

    def send(self, event: dict[str, Any]) -> str:
        """Send one event (without `routing_key`); the alert's dedup key."""
        ...


class PagerDutyEvents:
    dry_run = False

    def __init__(
        self,
        routing_key: str,
        events_url: str = defaults.PAGERDUTY_EVENTS_URL,
        *,
        timeout: Timeout = DEFAULT_TIMEOUT,
        observe: Observe | None = None,
        session: requests.Session | None = None,
    ):
        if not routing_key:
            raise ValueError("PagerDutyEvents needs a routing key")
        self._routing_key = routing_key
        self.events_url = events_url
        self.timeout = timeout
        self.observe = observe
        self.session = session or new_session()

    def __repr__(self) -> str:
        return f"PagerDutyEvents({self.events_url!r})"

    def send(self, event: dict[str, Any]) -> str:
        """Send one event (a body from `page_events`, without `routing_key`); the alert's dedup key."""
        if "routing_key" in event:
            raise ValueError("events are built without a routing key; the client adds it")
        response = post_json(
            self.session,
            VENDOR,
            self.events_url,
            {"routing_key": self._routing_key, **event},
            timeout=self.timeout,
            describe_error=self._describe_error,
            observe=self.observe,
        )
        try:
            answer = response.json()
        except ValueError:
            answer = None
        key = answer.get("dedup_key") if isinstance(answer, dict) else None
        if isinstance(key, str) and key:
            return key
        if event.get("dedup_key"):
            return str(event["dedup_key"])
        raise NoticeRejected(f"{VENDOR}: {response.status_code} without the dedup_key of a new alert", VENDOR)

    def _describe_error(self, response: requests.Response) -> str:
        """PagerDuty's `status: message (errors)`, short, with the routing key blanked should an
        error quote it."""
        try:
            body = response.json()
        except ValueError:
            return ""
        if not isinstance(body, dict):
            return ""
        parts = [str(body.get(k)) for k in ("status", "message") if isinstance(body.get(k), str)]
        errors = body.get("errors")
        if isinstance(errors, list):
            parts.append("; ".join(str(e) for e in errors[:5]))
        text = re.sub(r"\s+", " ", " - ".join(p for p in parts if p)).replace(self._routing_key, "<routing key>")
        # Escaped for the log line it will end up in.
        printable = "".join(ch for ch in text if ch.isprintable())
        return printable.encode("ascii", "backslashreplace").decode("ascii")[:ERROR_TEXT_MAX_CHARS]


class DryRunPagerDuty:
    """Stands in for PagerDuty when no Zendesk account is configured (a dry run): pages of sample
    tickets are logged, never sent. The log line names the event (action, dedup key, severity,
    category), never its summary or details, which hold the customer's words; nor the routing key."""

    dry_run = True

    def __init__(self, events_url: str = defaults.PAGERDUTY_EVENTS_URL):
        self.events_url = events_url

    def __repr__(self) -> str:
        return f"DryRunPagerDuty({self.events_url!r})"

    def send(self, event: dict[str, Any]) -> str:
        payload = event.get("payload") or {}
        log_event(
            log,
            "oncall.dry_run.request",
            method="POST",
            url=self.events_url,
            action=event.get("event_action"),
            dedup_key=event.get("dedup_key"),
            severity=payload.get("severity"),
            category=payload.get("class"),
        )
        return str(event.get("dedup_key") or "")
