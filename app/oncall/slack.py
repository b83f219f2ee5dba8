"""Slack incoming webhook: a second notice beside the page, never the only one.

`POST <webhook URL>` with `{"text": ...}`; Slack answers 200 `ok`. Errors are plain-text codes
(`invalid_payload`, `no_service`, `channel_is_archived`, ...); 429 comes with Retry-After in
seconds. The URL is the credential, so it is never logged or put in an error message.
"""

from __future__ import annotations

import re
from datetime import datetime

import requests

from app.oncall.http import DEFAULT_TIMEOUT, Observe, Timeout, new_session, post_json
from app.oncall.page_events import safe_text
from app.timestamps import format_utc

VENDOR = "slack"
SUBJECT_MAX_CHARS = 200
_ERROR_CODE = re.compile(r"[a-z_]{1,60}")


class SlackWebhook:
    dry_run = False

    def __init__(
        self,
        webhook_url: str,
        *,
        timeout: Timeout = DEFAULT_TIMEOUT,
        observe: Observe | None = None,
        session: requests.Session | None = None,
    ):
        if not webhook_url:
            raise ValueError("SlackWebhook needs a webhook URL")
        self._url = webhook_url
        self.timeout = timeout
        self.observe = observe
        self.session = session or new_session()

    def __repr__(self) -> str:
        return "SlackWebhook(<webhook URL>)"

    def post(self, text: str) -> None:
        post_json(
            self.session,
            VENDOR,
            self._url,
            {"text": text},
            timeout=self.timeout,
            describe_error=_error_code,
            observe=self.observe,
        )


def _error_code(response: requests.Response) -> str:
    code = response.text.strip()
    return code if _ERROR_CODE.fullmatch(code) else ""


# --- messages (pure) ---------------------------------------------------------------------------


def escape(text: str) -> str:
    """Slack's three control characters, so customer text cannot format, link or mention."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def ticket_reference(ticket_id: int, agent_url: str | None) -> str:
    return f"<{agent_url}|ticket #{ticket_id}>" if agent_url else f"ticket #{ticket_id}"


def paged_text(
    ticket_id: int, category: str, subject: str, agent_url: str | None, due: datetime | None, dedup_key: str
) -> str:
    due_text = f" First response due {format_utc(due)}." if due else ""
    return (
        f":rotating_light: On-call paged for {ticket_reference(ticket_id, agent_url)} "
        f"({escape(category)}, urgent after hours): {escape(safe_text(subject, SUBJECT_MAX_CHARS))}."
        f"{due_text} PagerDuty alert `{escape(dedup_key)}`."
    )


def acknowledged_text(ticket_id: int, agent_url: str | None) -> str:
    return (
        f":white_check_mark: An agent replied on {ticket_reference(ticket_id, agent_url)}; "
        "the PagerDuty alert is acknowledged."
    )


def resolved_text(ticket_id: int, agent_url: str | None) -> str:
    return f":heavy_check_mark: Solved: {ticket_reference(ticket_id, agent_url)}; the PagerDuty alert is resolved."


def at_risk_text(
    ticket_id: int, category: str, urgency: str, subject: str, agent_url: str | None, due: datetime, paged: bool
) -> str:
    action = " On-call paged." if paged else ""
    return (
        f":warning: First response at risk: {ticket_reference(ticket_id, agent_url)} "
        f"({escape(urgency)}, {escape(category)}) has no public agent reply, due {format_utc(due)}: "
        f"{escape(safe_text(subject, SUBJECT_MAX_CHARS))}.{action}"
    )
