"""PagerDuty Events API v2 bodies for one ticket's page: trigger, acknowledge, resolve. Pure code.

One ticket has one `dedup_key` for its whole life, so a redelivered webhook, a retried job, a later
urgent comment and the SLA watchdog all land on the same PagerDuty alert, and the acknowledge and
resolve find it. The bodies carry no `routing_key`: the client adds it when it sends, so the key
(a secret) never sits in a queued job.

What PagerDuty documents and this module holds to (docs/oncall.md has the sources):
- `dedup_key` at most 255 characters; `payload.summary` at most 1024 (cut here, never by PagerDuty);
- `payload.source` and `payload.severity` (`critical`, `error`, `warning`, `info`) are required;
- acknowledge and resolve are `routing_key`, `dedup_key` and `event_action` only.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from app import defaults
from app.policy.config import PAGE_SEVERITIES, PageSeverity
from app.timestamps import format_utc

TRIGGER = "trigger"
ACKNOWLEDGE = "acknowledge"
RESOLVE = "resolve"

CLIENT_NAME = "escalator"
ELLIPSIS = "\u2026"
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class PageDetails:
    """What a page says about its ticket; built from the policy's decision by the worker."""

    ticket_id: int
    category: str
    subject: str
    urgency: str = "urgent"
    after_hours: bool = True
    urgency_words: tuple[str, ...] = ()
    category_words: tuple[str, ...] = ()
    response_due_at: datetime | None = None
    event_time: datetime | None = None  # when the urgent text arrived: the alert's timestamp
    missing_information: tuple[str, ...] = ()
    reason: str = "urgent after hours"  # or "first response at risk" (the SLA watchdog)
    extra: Mapping[str, Any] = field(default_factory=dict)


def dedup_key(zendesk_url: str | None, ticket_id: int) -> str:
    """`escalator/<zendesk host>/ticket/<id>`: stable for the ticket, distinct per Zendesk account
    (one PagerDuty service may serve several), never over PagerDuty's 255 characters."""
    key = f"{CLIENT_NAME}/{_host(zendesk_url)}/ticket/{ticket_id}"
    if len(key) <= defaults.PAGERDUTY_DEDUP_KEY_MAX_CHARS:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    tail = f"/ticket/{ticket_id}/{digest}"
    return key[: defaults.PAGERDUTY_DEDUP_KEY_MAX_CHARS - len(tail)] + tail


def agent_ticket_url(zendesk_url: str | None, ticket_id: int) -> str | None:
    """The ticket in Zendesk's agent workspace: `https://<subdomain>.zendesk.com/agent/tickets/<id>`."""
    if not zendesk_url:
        return None
    return f"{zendesk_url.rstrip('/')}/agent/tickets/{ticket_id}"


def severity_for(category: str, severities: PageSeverity) -> str:
    """The policy's severity for the category ([after_hours.page_severity])."""
    severity = severities.of(category)
    if severity not in PAGE_SEVERITIES:
        raise ValueError(f"severity {severity!r} for {category!r} is not one of {', '.join(PAGE_SEVERITIES)}")
    return severity


def summary(details: PageDetails) -> str:
    """`Ticket #35436 (fraud_attack, urgent after hours): Urgent - fraud attack`, within 1024 chars."""
    head = f"Ticket #{details.ticket_id} ({details.category}, {details.reason})"
    subject = safe_text(details.subject, defaults.PAGE_SUBJECT_MAX_CHARS)
    text = f"{head}: {subject}" if subject else head
    return cut(text, defaults.PAGERDUTY_SUMMARY_MAX_CHARS)


def trigger_event(details: PageDetails, zendesk_url: str | None, severities: PageSeverity) -> dict[str, Any]:
    """The trigger body (without `routing_key`) for `details`' ticket."""
    payload: dict[str, Any] = {
        "summary": summary(details),
        "source": _host(zendesk_url),
        "severity": severity_for(details.category, severities),
        "component": "zendesk",
        "group": "support",
        "class": details.category,
        "custom_details": custom_details(details, zendesk_url),
    }
    if details.event_time is not None:
        payload["timestamp"] = format_utc(details.event_time)
    event: dict[str, Any] = {
        "event_action": TRIGGER,
        "dedup_key": dedup_key(zendesk_url, details.ticket_id),
        "payload": payload,
        "client": CLIENT_NAME,
    }
    url = agent_ticket_url(zendesk_url, details.ticket_id)
    if url:
        event["links"] = [{"href": url, "text": f"Zendesk ticket #{details.ticket_id}"}]
    return event


def acknowledge_event(zendesk_url: str | None, ticket_id: int) -> dict[str, Any]:
    return {"event_action": ACKNOWLEDGE, "dedup_key": dedup_key(zendesk_url, ticket_id)}


def resolve_event(zendesk_url: str | None, ticket_id: int) -> dict[str, Any]:
    return {"event_action": RESOLVE, "dedup_key": dedup_key(zendesk_url, ticket_id)}


def custom_details(details: PageDetails, zendesk_url: str | None) -> dict[str, Any]:
    found: dict[str, Any] = {
        "ticket_id": details.ticket_id,
        "ticket_url": agent_ticket_url(zendesk_url, details.ticket_id),
        "category": details.category,
        "urgency": details.urgency,
        "after_hours": details.after_hours,
        "urgency_words": [safe_text(w, 80) for w in details.urgency_words],
        "category_words": [safe_text(w, 80) for w in details.category_words],
        "response_due_at": format_utc(details.response_due_at) if details.response_due_at else None,
    }
    if details.missing_information:
        found["missing_information"] = list(details.missing_information)
    found.update(details.extra)
    return found


def safe_text(text: str, limit: int) -> str:
    """Customer text fit for a one-line title: control and format characters (zero-width,
    bidirectional overrides) removed, whitespace runs made one space, cut to `limit` characters."""
    kept = "".join(" " if ch.isspace() else ch for ch in text if unicodedata.category(ch)[0] != "C" or ch.isspace())
    return cut(_WHITESPACE.sub(" ", kept).strip(), limit)


def cut(text: str, limit: int) -> str:
    """`text` in at most `limit` characters; a cut one ends with an ellipsis, at a word end when
    one is near. Cuts fall between code points, never inside one."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    space = head.rfind(" ")
    if space >= limit * 3 // 4:
        head = head[:space]
    return head.rstrip() + ELLIPSIS


def _host(zendesk_url: str | None) -> str:
    return urlsplit(zendesk_url).netloc if zendesk_url else defaults.PAGE_SOURCE_FALLBACK
