"""What a Zendesk account should hold for escalator, built from the policy and the install options.

Pure: no HTTP, no Redis. Every number comes from config/policy.toml (hours, holidays, targets,
tags); every name from `names.py`. The request bodies follow Zendesk's documentation: the OpenAPI
file for triggers, ticket fields and SLA policies, the separate Webhooks and Schedules API
references for the rest (docs/admin.md lists which and why).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from app.admin import names
from app.policy import Policy
from app.policy.config import Hours
from app.ticket_event import CLOSED_STATUSES, COMMENT, CREATED, STATUS_CHANGED
from app.webhooks.trigger_body import trigger_body

EVENTS_MODE = "events"
TRIGGER_MODE = "trigger"
MODES = (EVENTS_MODE, TRIGGER_MODE)

WEBHOOK_PATH = "/webhooks/zendesk"

# Events mode: the ticket events the endpoint handles, and messaging's comment event (Zendesk
# sends messaging comments as this type, not as ticket.comment_added).
EVENT_SUBSCRIPTIONS = (
    "zen:event-type:ticket.created",
    "zen:event-type:ticket.comment_added",
    "zen:event-type:ticket.status_changed",
    "zen:event-type:messaging_ticket.message_added",
)
# Trigger mode: the one value that connects a webhook to triggers instead of events.
TRIGGER_SUBSCRIPTIONS = ("conditional_ticket_events",)

# Zendesk's via id of changes made through the API ("Web service"): our own updates.
VIA_API = "5"
# The statuses that end a ticket's page (workers/oncall.py): the status trigger fires on a change
# to either. Zendesk closes tickets by automation, and triggers do not run on closed tickets, so the
# change to closed may never fire it; the change to solved before it does.

MINUTES_PER_DAY = 24 * 60
SLA_PRIORITIES = ("low", "normal", "high", "urgent")  # an SLA target applies per ticket priority
SLA_REPLY_METRICS = ("first_reply_time", "next_reply_time")

# Zendesk accepts holidays from two years back to two years ahead (Schedules API, Create Holiday).
HOLIDAY_YEARS = 2

# Groups of objects, in the order install writes them; --skip takes the optional ones.
FIELDS, WEBHOOK, TRIGGERS, SCHEDULE, SLA = "fields", "webhook", "triggers", "schedule", "sla"
SKIPPABLE = (SCHEDULE, SLA)


class BadServiceUrl(ValueError):
    """--url is not a URL Zendesk may deliver to (https://, or http:// on this machine)."""


def service_url(text: str) -> str:
    """The service's base URL, checked: `https://host[:port][/prefix]`, or `http://` for localhost
    and 127.0.0.1 (trying it locally). A trailing /webhooks/zendesk is accepted and dropped."""
    parsed = urlsplit(text.strip())
    try:
        host, _port = parsed.hostname, parsed.port
    except ValueError:
        raise BadServiceUrl(f"--url {text!r}: the port is not a number") from None
    local = parsed.scheme == "http" and host in ("localhost", "127.0.0.1")
    if not host or not (parsed.scheme == "https" or local):
        raise BadServiceUrl(
            f"--url must be https://<public host> (http:// only for localhost or 127.0.0.1), not {text!r}"
        )
    if parsed.query or parsed.fragment or parsed.username or parsed.password:
        raise BadServiceUrl(f"--url must be the service's address only (no user, query or #fragment): {text!r}")
    path = parsed.path.rstrip("/").removesuffix(WEBHOOK_PATH)
    return urlunsplit((parsed.scheme, parsed.netloc, path, "", ""))


def webhook_endpoint(base_url: str) -> str:
    return base_url + WEBHOOK_PATH


@dataclass(frozen=True)
class FieldSpec:
    """A custom ticket field escalator writes, and the config key that holds its id."""

    kind: str
    title: str
    config_key: str
    description: str
    type: str = "text"  # Zendesk's field type: what the worker writes there needs this one

    def body(self) -> dict[str, Any]:
        """The `ticket_field` object to create (and the values an update restores)."""
        return {
            "type": self.type,
            "title": self.title,
            "description": self.description,
            "agent_description": names.MANAGED,
            "active": True,
            "required": False,
            "visible_in_portal": False,
            "editable_in_portal": False,
        }


RESPONSE_DUE, URGENCY, CATEGORY, DEADLINE = "response_due", "urgency", "category", "deadline"
FIELD_SPECS = {
    RESPONSE_DUE: FieldSpec(
        RESPONSE_DUE,
        names.FIELD_RESPONSE_DUE,
        "response_due_field_id",
        "When the first response is due under the urgency policy (UTC), written by escalator.",
    ),
    URGENCY: FieldSpec(
        URGENCY, names.FIELD_URGENCY, "urgency_field_id", "urgent or time_sensitive, written by escalator."
    ),
    CATEGORY: FieldSpec(
        CATEGORY,
        names.FIELD_CATEGORY,
        "category_field_id",
        "The urgency policy's category (incident, fraud_attack, ...), written by escalator.",
    ),
    # A date field: the worker writes the customer's deadline as YYYY-MM-DD (docs/worker.md).
    DEADLINE: FieldSpec(
        DEADLINE,
        names.FIELD_DEADLINE,
        "deadline_field_id",
        "The deadline the customer gave for a time-sensitive request (the day in the policy's time zone), "
        "written by escalator.",
        type="date",
    ),
}
EXTRA_FIELDS = (URGENCY, CATEGORY, DEADLINE)  # made only when asked (--fields); the response-due field always


def configured_field_id(policy: Policy, spec: FieldSpec) -> int:
    """The id config/policy.toml [zendesk] gives this field; 0 when it names none."""
    value: int = getattr(policy.zendesk, spec.config_key)
    return value


@dataclass(frozen=True)
class ScheduleSpec:
    name: str
    iana_time_zone: str
    time_zone: str  # Zendesk's (Rails) name for it, e.g. "Eastern Time (US & Canada)"
    intervals: tuple[tuple[int, int], ...]
    holidays: tuple[date, ...]  # the configured holidays Zendesk accepts (see HOLIDAY_YEARS)
    holidays_out_of_range: tuple[date, ...] = ()

    def intervals_body(self) -> list[dict[str, int]]:
        return [{"start_time": start, "end_time": end} for start, end in self.intervals]


def holiday_name(day: date) -> str:
    return f"{names.PREFIX}: closed {day.isoformat()}"


def holiday_body(day: date) -> dict[str, str]:
    return {"name": holiday_name(day), "start_date": day.isoformat(), "end_date": day.isoformat()}


@dataclass(frozen=True)
class Desired:
    """Everything install makes the account hold; `plan.plan_install` diffs it against the account."""

    endpoint: str  # "" when unknown (doctor without --url keeps whatever the webhook points at)
    mode: str
    fields: tuple[FieldSpec, ...]  # found and kept by title
    configured_fields: tuple[tuple[FieldSpec, int], ...]  # named by id in config/policy.toml: only read
    schedule: ScheduleSpec | None
    sla_policies: tuple[dict[str, Any], ...]
    skip: frozenset[str] = field(default_factory=frozenset)

    def webhook(self, endpoint: str | None = None) -> dict[str, Any]:
        """The `webhook` object (Webhooks API: name, endpoint, http_method and request_format,
        status mandatory; event subscriptions need POST and json)."""
        return {
            "name": names.WEBHOOK,
            "description": names.MANAGED,
            "status": "active",
            "endpoint": endpoint or self.endpoint,
            "http_method": "POST",
            "request_format": "json",
            "subscriptions": list(EVENT_SUBSCRIPTIONS if self.mode == EVENTS_MODE else TRIGGER_SUBSCRIPTIONS),
        }

    def triggers(self, webhook_id: str) -> tuple[dict[str, Any], ...]:
        """The three `trigger` objects of trigger mode, or none in events mode."""
        if self.mode != TRIGGER_MODE:
            return ()
        return (created_trigger(webhook_id), comment_trigger(webhook_id), solved_trigger(webhook_id))


def _notify(webhook_id: str, event: str) -> list[dict[str, Any]]:
    # The action's value is [webhook id, body as a string] (Webhooks API, "notification_webhook").
    return [{"field": "notification_webhook", "value": [webhook_id, json.dumps(trigger_body(event))]}]


def created_trigger(webhook_id: str) -> dict[str, Any]:
    return {
        "title": names.TRIGGER_CREATED,
        "description": "Sends every new ticket to escalator. " + names.MANAGED,
        "active": True,
        "conditions": {"all": [{"field": "update_type", "operator": "is", "value": "Create"}], "any": []},
        "actions": _notify(webhook_id, CREATED),
    }


def comment_trigger(webhook_id: str) -> dict[str, Any]:
    # Public comments only (our internal notes are private), and not through the API (via 5):
    # our own public replies must not come back. See docs/admin.md for what that also excludes.
    return {
        "title": names.TRIGGER_COMMENT,
        "description": "Sends public comments that did not come through the API to escalator. " + names.MANAGED,
        "active": True,
        "conditions": {
            "all": [
                {"field": "update_type", "operator": "is", "value": "Change"},
                {"field": "comment_is_public", "operator": "is", "value": "true"},
                {"field": "current_via_id", "operator": "is_not", "value": VIA_API},
            ],
            "any": [],
        },
        "actions": _notify(webhook_id, COMMENT),
    }


def solved_trigger(webhook_id: str) -> dict[str, Any]:
    # Any update that sets the status to solved or closed, through the API too: another
    # integration solving a ticket ends its page as an agent would. "value" is the conditions
    # reference's "Changed to" operator of `status`.
    return {
        "title": names.TRIGGER_SOLVED,
        "description": "Sends tickets whose status changed to solved or closed to escalator, which ends "
        "their on-call page. " + names.MANAGED,
        "active": True,
        "conditions": {
            "all": [{"field": "update_type", "operator": "is", "value": "Change"}],
            "any": [{"field": "status", "operator": "value", "value": status} for status in CLOSED_STATUSES],
        },
        "actions": _notify(webhook_id, STATUS_CHANGED),
    }


def workweek_intervals(hours: Hours) -> tuple[tuple[int, int], ...]:
    """Open hours as Zendesk intervals: minutes since Sunday 00:00 in the schedule's time zone."""
    opening = hours.open.hour * 60 + hours.open.minute
    closing = hours.close.hour * 60 + hours.close.minute
    days_since_sunday = sorted((day + 1) % 7 for day in hours.days)  # policy days: 0 = Monday
    return tuple((day * MINUTES_PER_DAY + opening, day * MINUTES_PER_DAY + closing) for day in days_since_sunday)


def _years_from(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def schedule_spec(policy: Policy, time_zone: str, today: date) -> ScheduleSpec:
    earliest, latest = _years_from(today, -HOLIDAY_YEARS), _years_from(today, HOLIDAY_YEARS)
    holidays = sorted(policy.hours.holidays)
    return ScheduleSpec(
        name=names.SCHEDULE,
        iana_time_zone=str(policy.hours.time_zone.key),
        time_zone=time_zone,
        intervals=workweek_intervals(policy.hours),
        holidays=tuple(d for d in holidays if earliest <= d <= latest),
        holidays_out_of_range=tuple(d for d in holidays if not earliest <= d <= latest),
    )


def sla_policy(title: str, tag: str, target_minutes: int, business_hours: bool, promise: str) -> dict[str, Any]:
    """An `sla_policy` for tickets with `tag`: first and next reply within the target, whatever
    the ticket's priority (Zendesk picks targets by priority, so each priority gets a row)."""
    return {
        "title": title,
        "description": f"Tickets tagged {tag}: first and next reply within {promise}. {names.MANAGED}",
        "filter": {"all": [{"field": "current_tags", "operator": "includes", "value": tag}], "any": []},
        "policy_metrics": [
            {"priority": priority, "metric": metric, "target": target_minutes, "business_hours": business_hours}
            for metric in SLA_REPLY_METRICS
            for priority in SLA_PRIORITIES
        ],
    }


def sla_policies(policy: Policy) -> tuple[dict[str, Any], ...]:
    urgent = policy.targets.urgent_elapsed_minutes
    # The policy rounds due times up to the minute, never earlier than the target; so does this.
    business = math.ceil(policy.targets.time_sensitive_business_hours * 60)
    return (
        sla_policy(names.SLA_URGENT, policy.tags.urgent, urgent, False, f"{urgent} calendar minutes"),
        sla_policy(
            names.SLA_TIME_SENSITIVE, policy.tags.time_sensitive, business, True, f"{business} business minutes"
        ),
    )


def build_desired(
    policy: Policy,
    *,
    endpoint: str,
    mode: str,
    extra_fields: tuple[str, ...] = (),
    time_zone: str,
    today: date,
    skip: frozenset[str] = frozenset(),
) -> Desired:
    """The desired state. A field the policy names by id is the admin's and is only read; the
    others install finds (or makes) by title: the response-due field always, urgency and category
    when `extra_fields` asks for them."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    wanted = (RESPONSE_DUE, *(kind for kind in EXTRA_FIELDS if kind in extra_fields))
    by_title, by_id = [], []
    for kind in wanted:
        spec = FIELD_SPECS[kind]
        field_id = configured_field_id(policy, spec)
        if field_id:
            by_id.append((spec, field_id))
        else:
            by_title.append(spec)
    for kind in EXTRA_FIELDS:  # configured without --fields: still checked, never written
        spec = FIELD_SPECS[kind]
        if kind not in wanted and configured_field_id(policy, spec):
            by_id.append((spec, configured_field_id(policy, spec)))
    return Desired(
        endpoint=endpoint,
        mode=mode,
        fields=tuple(by_title),
        configured_fields=tuple(by_id),
        schedule=None if SCHEDULE in skip else schedule_spec(policy, time_zone, today),
        sla_policies=() if SLA in skip else sla_policies(policy),
        skip=skip,
    )
