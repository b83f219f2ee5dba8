"""Test helpers shared by tests/zendesk and tests/workers: policy config, decisions, events.

`FakeDecide` stands in for the policy engine (app.policy.decide) with a few obvious rules, so
the worker's tests do not depend on the engine's wording; tests through the real engine live in
tests/workers/test_with_policy_engine.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from app.policy.config import Tags
from app.policy.model import NONE, TIME_SENSITIVE, URGENT, Decision, TicketText
from app.webhooks.events import TicketEvent, parse_event

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "zendesk"
BASE_URL = "https://acme.zendesk.com"
INTEGRATION_USER_ID = 900001
URGENCY_FIELD, CATEGORY_FIELD, DUE_FIELD, AFTER_HOURS_FIELD = 101, 102, 103, 104
DEADLINE_FIELD = 105  # configured only where a test sets it: the default tickets do not have it
CATEGORY_NAMES = ("fraud_attack", "incident", "account_access", "workflow_update", "other")
CATEGORY_TAGS = tuple(f"category_{name}" for name in CATEGORY_NAMES)
NEW_YORK = ZoneInfo("America/New_York")


@dataclass(frozen=True)
class ZendeskConfig:
    """The shape of `policy.zendesk` the worker reads."""

    urgency_field_id: int = URGENCY_FIELD
    category_field_id: int = CATEGORY_FIELD
    response_due_field_id: int = DUE_FIELD
    response_due_field_type: str = "text"
    after_hours_field_id: int = AFTER_HOURS_FIELD
    urgency_values: dict[str, str] = field(default_factory=dict)
    category_values: dict[str, str] = field(default_factory=dict)
    deadline_field_id: int = 0


# The tag names of config/policy.toml [tags]: the real `Tags`, whose methods the planner uses.
TAGS = Tags(
    urgent="urgency_urgent",
    time_sensitive="urgency_time_sensitive",
    near_miss="urgency_near_miss",
    category_prefix="category_",
    after_hours="after_hours",
    on_call_paged="on_call_paged",
    next_business_day="next_business_day",
    public_reply_sent="next_business_day_replied",
    short_notice="short_notice",
    deadline_missing="deadline_missing",
    info_missing="info_missing",
    missing_item_prefix="missing_",
    info_requested="info_requested",
    sla_at_risk="sla_at_risk",
)


@dataclass(frozen=True)
class FakeHours:
    time_zone: ZoneInfo = NEW_YORK


@dataclass(frozen=True)
class FakeCategories:
    names: tuple[str, ...] = CATEGORY_NAMES  # tie order, then the fallback, as config/policy.toml


@dataclass(frozen=True)
class FakePolicy:
    """The parts of app.policy.Policy the worker reads itself."""

    zendesk: ZendeskConfig = field(default_factory=ZendeskConfig)
    tags: Tags = TAGS
    categories: FakeCategories = field(default_factory=FakeCategories)
    hours: FakeHours = field(default_factory=FakeHours)


NO_FIELDS = ZendeskConfig(0, 0, 0, "text", 0)


def decision(
    urgency: str = URGENT,
    category: str = "incident",
    *,
    after_hours: bool = False,
    priority: str | None = "urgent",
    tags: tuple[str, ...] | None = None,
    due: datetime | None = datetime(2026, 11, 27, 17, 0, tzinfo=UTC),
    explanation: str = "Escalated to urgent: the subject says URGENT.",
) -> Decision:
    if tags is None:
        tags = (f"urgency_{urgency}", f"category_{category}") if urgency != NONE else ()
    return Decision(
        urgency=urgency,
        near_miss=False,
        category=category,
        after_hours=after_hours,
        on_call=False,
        priority=priority,
        tags=tags,
        response_due_at=due,
        explanation=explanation,
    )


class FakeDecide:
    """`decide(text, policy)`: "urgent" -> urgent, "time sensitive" -> time_sensitive, else none.

    Category: the ticket's known one, else "incident". Due: received + 2 h / + 4 h. Every call's
    TicketText is kept in `calls`.
    """

    def __init__(self):
        self.calls: list[TicketText] = []

    def __call__(self, text: TicketText, policy) -> Decision:
        self.calls.append(text)
        words = (text.subject + " " + text.body if text.event == "created" else text.body).lower()
        category = text.known_category or "incident"
        if "urgent" in words:
            return decision(
                URGENT,
                category,
                priority="urgent",
                due=text.received_at + timedelta(hours=2),
                explanation=f"Escalated to urgent ({category}).",
            )
        if "time sensitive" in words:
            return decision(
                TIME_SENSITIVE,
                category,
                priority="high",
                due=text.received_at + timedelta(hours=4),
                explanation=f"Marked time sensitive ({category}).",
            )
        return decision(NONE, category, priority=None, due=None, explanation="No urgency found.")


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def event(name: str) -> TicketEvent:
    """The TicketEvent the webhook endpoint makes from a fixture body."""
    return parse_event(fixture(name))


def api_ticket(ticket_id: int = 35436, **changes) -> dict:
    """A `GET /api/v2/tickets/{id}` ticket object."""
    ticket = {
        "id": ticket_id,
        "url": f"{BASE_URL}/api/v2/tickets/{ticket_id}.json",
        "subject": "URGENT: API returning 503",
        "description": "Since 9:40 all calls fail.",
        "priority": "normal",
        "status": "open",
        "type": "incident",
        "tags": ["enterprise"],
        "custom_fields": [
            {"id": URGENCY_FIELD, "value": None},
            {"id": CATEGORY_FIELD, "value": None},
            {"id": DUE_FIELD, "value": None},
            {"id": AFTER_HOURS_FIELD, "value": False},
        ],
        "requester_id": 20978392,
        "created_at": "2026-11-27T15:00:00Z",
        "updated_at": "2026-11-30T16:00:01Z",
    }
    ticket.update(changes)
    return ticket
