"""An in-memory Zendesk account behind `responses`, as strict as Zendesk's documentation.

Every write is checked before it changes anything, and refused the way Zendesk refuses:

- triggers and ticket fields: against the OpenAPI file (`tests/openapi.py`), with no key the
  schema does not declare; a trigger condition on `status` with an operator and a value the
  file's trigger definitions (TriggerDefinitionResponseExample) list; SLA policies against `SLAPolicyObject` (the file declares no request
  body for Create SLA Policy, so its object schema stands in), plus the policy-metric values the
  SLA Policies reference lists.
- webhooks, schedules, time zones (not in the OpenAPI file): every request, parameters and body,
  against the shapes their references document (`documented_apis.py`); a violation answers 400
  and is recorded in `violations`. On top, what those references say in prose: event
  subscriptions need POST and json; `["conditional_ticket_events"]` alone connects to triggers;
  "You can't change an existing webhook's connection method" (creating-and-monitoring-webhooks);
  a time_zone is a name from GET /api/v2/time_zones; an interval can't span calendar days;
  holidays lie within two years of today. A new schedule starts with Mon-Fri 09:00-17:00, as the
  documented Create Schedule response shows.

Requests to any other path answer 404 InvalidEndpoint and are recorded in `unexpected`.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jsonschema
import responses

from tests.admin.documented_apis import documented_operation, documented_violations
from tests.openapi import load_spec, undeclared_properties, validate_request
from tests.zendesk.factories import BASE_URL

ADMIN = {"id": 900001, "name": "Ann Admin", "role": "admin", "email": "ann@acme.test"}
TIME_ZONES = [
    {"name": "Pacific Time (US & Canada)", "iana_name": "America/Los_Angeles", "offset": -480},
    {"name": "Eastern Time (US & Canada)", "iana_name": "America/New_York", "offset": -300},
    {"name": "London", "iana_name": "Europe/London", "offset": 0},
]
DEFAULT_INTERVALS = [{"start_time": 1440 * d + 540, "end_time": 1440 * d + 1020} for d in range(1, 6)]
WEBHOOK_KEYS = {
    "name",
    "description",
    "status",
    "endpoint",
    "http_method",
    "request_format",
    "subscriptions",
    "authentication",
    "custom_headers",
}
WEBHOOK_MANDATORY = ("name", "endpoint", "http_method", "request_format", "status")
SLA_PRIORITIES = {"low", "normal", "high", "urgent"}
SLA_METRICS = {
    "agent_work_time",
    "first_reply_time",
    "next_reply_time",
    "pausable_update_time",
    "periodic_update_time",
    "requester_wait_time",
    "total_resolution_time",
}


class Refused(Exception):
    def __init__(self, status: int, body: dict[str, Any]):
        super().__init__(status)
        self.status = status
        self.body = body


def invalid(field_name: str, message: str) -> Refused:
    return Refused(
        422,
        {
            "error": "RecordInvalid",
            "description": "Record validation errors",
            "details": {field_name: [{"description": message, "error": "InvalidValue"}]},
        },
    )


@dataclass
class FakeZendesk:
    today: date
    user: dict[str, Any] = field(default_factory=lambda: dict(ADMIN))
    sla_status: int | None = None  # 403 or 404: the account's plan has no SLA policies
    schedules_status: int | None = None
    webhooks: dict[str, dict] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    triggers: dict[int, dict] = field(default_factory=dict)
    fields: dict[int, dict] = field(default_factory=dict)
    schedules: dict[int, dict] = field(default_factory=dict)
    holidays: dict[int, dict[int, dict]] = field(default_factory=dict)
    sla_policies: dict[int, dict] = field(default_factory=dict)
    writes: list[tuple[str, str, Any]] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    # "METHOD /path" -> answers given (in order) before the account handles that request
    interrupt: dict[str, list[tuple[int, dict[str, str], Any]]] = field(default_factory=dict)
    _ids: Any = field(default_factory=lambda: itertools.count(5001))

    # --- wiring ------------------------------------------------------------------------------

    def register(self, rsps: responses.RequestsMock) -> FakeZendesk:
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            rsps.add_callback(method, re.compile(re.escape(BASE_URL) + r"/.*"), callback=self._handle)
        return self

    def _handle(self, request):
        url = urlsplit(request.url)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        body = json.loads(request.body) if request.body else None
        queued = self.interrupt.get(f"{request.method} {url.path}")
        if queued:
            status, headers, answer = queued.pop(0)
            return status, {"Content-Type": "application/json", **headers}, json.dumps(answer)
        if request.method != "GET":
            self.writes.append((request.method, url.path, body))
        if documented_operation(request.method, url.path):
            problems = documented_violations(request.method, url.path, query, body)
            if problems:
                self.violations.extend(problems)
                answer = {"errors": [{"code": "InvalidInput", "title": problem} for problem in problems]}
                return 400, {"Content-Type": "application/json"}, json.dumps(answer)
        try:
            status, answer = self._route(request.method, url.path, query, body)
        except Refused as refused:
            return refused.status, {"Content-Type": "application/json"}, json.dumps(refused.body)
        if status == 204:
            return 204, {}, ""
        return status, {"Content-Type": "application/json"}, json.dumps(answer)

    def _route(self, method: str, path: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
        for pattern, handler in self._routes():
            match = re.fullmatch(pattern, path)
            if match and handler[0] == method:
                return handler[1](*match.groups(), query=query, body=body)
        self.unexpected.append(f"{method} {path}")
        raise Refused(404, {"error": "InvalidEndpoint", "description": "Not found"})

    def _routes(self):
        sched = r"/api/v2/business_hours/schedules"
        return [
            (r"/api/v2/users/me", ("GET", self._me)),
            (r"/api/v2/time_zones", ("GET", lambda **_: (200, {"time_zones": TIME_ZONES, "next_page": None}))),
            (r"/api/v2/webhooks", ("GET", self._list_webhooks)),
            (r"/api/v2/webhooks", ("POST", self._create_webhook)),
            (r"/api/v2/webhooks/([^/]+)", ("GET", self._show_webhook)),
            (r"/api/v2/webhooks/([^/]+)", ("PUT", self._update_webhook)),
            (r"/api/v2/webhooks/([^/]+)", ("DELETE", self._delete_webhook)),
            (r"/api/v2/webhooks/([^/]+)/signing_secret", ("GET", self._secret)),
            (r"/api/v2/triggers", ("GET", lambda query, body: self._cursor_list("triggers", self.triggers, query))),
            (r"/api/v2/triggers", ("POST", self._create_trigger)),
            (r"/api/v2/triggers/(\d+)", ("PUT", self._update_trigger)),
            (r"/api/v2/triggers/(\d+)", ("DELETE", lambda i, **_: self._delete(self.triggers, int(i)))),
            (
                r"/api/v2/ticket_fields",
                ("GET", lambda query, body: self._cursor_list("ticket_fields", self.fields, query)),
            ),
            (r"/api/v2/ticket_fields", ("POST", self._create_field)),
            (r"/api/v2/ticket_fields/(\d+)", ("PUT", self._update_field)),
            (r"/api/v2/ticket_fields/(\d+)", ("DELETE", lambda i, **_: self._delete(self.fields, int(i)))),
            (sched, ("GET", self._list_schedules)),
            (sched, ("POST", self._create_schedule)),
            (sched + r"/(\d+)", ("PUT", self._update_schedule)),
            (sched + r"/(\d+)", ("DELETE", self._delete_schedule)),
            (sched + r"/(\d+)/workweek", ("PUT", self._update_workweek)),
            (sched + r"/(\d+)/holidays", ("GET", self._list_holidays)),
            (sched + r"/(\d+)/holidays", ("POST", self._create_holiday)),
            (sched + r"/(\d+)/holidays/(\d+)", ("DELETE", self._delete_holiday)),
            (r"/api/v2/slas/policies", ("GET", self._list_slas)),
            (r"/api/v2/slas/policies", ("POST", self._create_sla)),
            (r"/api/v2/slas/policies/(\d+)", ("PUT", self._update_sla)),
            (r"/api/v2/slas/policies/(\d+)", ("DELETE", self._delete_sla)),
        ]

    def next_id(self) -> int:
        return next(self._ids)

    @property
    def write_count(self) -> int:
        return len(self.writes)

    # --- users, lists ------------------------------------------------------------------------

    def _me(self, query, body):
        return 200, {"user": self.user}

    def _cursor_list(self, key: str, records: dict, query: dict[str, str]):
        size = int(query.get("page[size]", 100))
        assert size <= 100, "Zendesk pages hold at most 100 records"
        ordered = sorted(records.values(), key=lambda r: int(r["id"]))
        after = int(query.get("page[after]", 0))
        page = [r for r in ordered if int(r["id"]) > after][:size]
        has_more = bool(page) and int(page[-1]["id"]) < int(ordered[-1]["id"])
        meta = {"has_more": has_more, "after_cursor": str(page[-1]["id"]) if page else None, "before_cursor": None}
        return 200, {key: page, "meta": meta, "links": {"next": None, "prev": None}}

    # --- webhooks (Webhooks API reference) -------------------------------------------------------

    def _check_webhook(self, body: Any) -> dict:
        hook = body["webhook"]  # its shape is checked against the reference before any handler
        subscriptions = hook.get("subscriptions") or []
        if "conditional_ticket_events" in subscriptions:
            if subscriptions != ["conditional_ticket_events"]:
                raise invalid("subscriptions", "conditional_ticket_events must be the only subscription")
        elif not all(s.startswith("zen:event-type:") for s in subscriptions):
            raise invalid("subscriptions", f"unknown subscriptions {subscriptions}")
        elif hook["http_method"] != "POST" or hook["request_format"] != "json":
            raise invalid("http_method", "event subscriptions need POST and json")
        return hook

    def add_webhook(self, **values) -> dict:
        webhook_id = f"01HWEBHOOK{self.next_id()}"
        hook = {"id": webhook_id, "created_by": "900001", **values}
        self.webhooks[webhook_id] = hook
        self.secrets[webhook_id] = f"secret-of-{webhook_id}"
        return hook

    def _list_webhooks(self, query, body):
        contains = query.get("filter[name_contains]", "")
        matching = {k: v for k, v in self.webhooks.items() if contains in v["name"]}
        ordered = sorted(matching.values(), key=lambda h: h["id"])
        return 200, {"webhooks": ordered, "meta": {"has_more": False, "after_cursor": None}, "links": {}}

    def _create_webhook(self, query, body):
        hook = self._check_webhook(body)
        return 201, {"webhook": self.add_webhook(**hook)}

    def _find_webhook(self, webhook_id: str) -> dict:
        if webhook_id not in self.webhooks:
            raise Refused(404, {"errors": [{"code": "WebhookNotFound", "title": "Webhook not found"}]})
        return self.webhooks[webhook_id]

    def _show_webhook(self, webhook_id, query, body):
        return 200, {"webhook": self._find_webhook(webhook_id)}

    def _update_webhook(self, webhook_id, query, body):
        existing = self._find_webhook(webhook_id)
        hook = self._check_webhook(body)
        was_trigger = existing.get("subscriptions") == ["conditional_ticket_events"]
        if was_trigger != (hook.get("subscriptions") == ["conditional_ticket_events"]):
            raise Refused(400, {"errors": [{"code": "InvalidInput", "title": "can't change the connection method"}]})
        self.webhooks[webhook_id] = {"id": webhook_id, "created_by": existing["created_by"], **hook}
        return 204, None

    def _delete_webhook(self, webhook_id, query, body):
        self._find_webhook(webhook_id)
        assert not any(
            a["field"] == "notification_webhook" and a["value"][0] == webhook_id
            for t in self.triggers.values()
            for a in t["actions"]
        ), "delete the triggers that use a webhook before the webhook"
        del self.webhooks[webhook_id]
        return 204, None

    def _secret(self, webhook_id, query, body):
        self._find_webhook(webhook_id)
        return 200, {"signing_secret": {"algorithm": "SHA256", "secret": self.secrets[webhook_id]}}

    # --- triggers (OpenAPI) ------------------------------------------------------------------

    def _check_trigger(self, method: str, path: str, body: Any) -> dict:
        try:
            validate_request(method, path, body)
        except jsonschema.ValidationError as error:
            raise invalid("trigger", error.message) from None
        assert undeclared_properties(method, path, body) == []
        trigger = body["trigger"]
        for key in ("title", "actions"):
            if not trigger.get(key):
                raise invalid(key, f"{key} is required")
        for action in trigger["actions"]:
            if action["field"] == "notification_webhook":
                webhook_id, template = action["value"]
                hook = self.webhooks.get(webhook_id)
                if hook is None or hook.get("subscriptions") != ["conditional_ticket_events"]:
                    raise invalid("actions", f"webhook {webhook_id} is not connected to triggers")
                json.loads(template)
        conditions = trigger.get("conditions") or {}
        for condition in [*(conditions.get("all") or []), *(conditions.get("any") or [])]:
            if condition.get("field") == "status":
                operators, values = _status_condition_definition()
                if condition.get("operator") not in operators or condition.get("value") not in values:
                    raise invalid("conditions", f"status {condition.get('operator')} {condition.get('value')!r}")
        return trigger

    def add_trigger(self, **values) -> dict:
        trigger_id = self.next_id()
        trigger = {
            "id": trigger_id,
            "url": f"{BASE_URL}/api/v2/triggers/{trigger_id}",
            "position": trigger_id,
            **values,
        }
        self.triggers[trigger_id] = trigger
        return trigger

    def _create_trigger(self, query, body):
        trigger = self._check_trigger("POST", "/api/v2/triggers", body)
        return 201, {"trigger": self.add_trigger(**trigger)}

    def _update_trigger(self, trigger_id, query, body):
        existing = self._existing(self.triggers, int(trigger_id))
        trigger = self._check_trigger("PUT", "/api/v2/triggers/{trigger_id}", body)
        existing.update(trigger)
        return 200, {"trigger": existing}

    # --- ticket fields (OpenAPI) -------------------------------------------------------------

    def add_field(self, **values) -> dict:
        field_id = self.next_id()
        record = {
            "id": field_id,
            "url": f"{BASE_URL}/api/v2/ticket_fields/{field_id}",
            "type": "text",
            "description": "",
            "agent_description": "",
            "active": True,
            "required": False,
            "visible_in_portal": False,
            "editable_in_portal": False,
            "removable": True,
            **values,
        }
        self.fields[field_id] = record
        return record

    def _create_field(self, query, body):
        try:
            validate_request("POST", "/api/v2/ticket_fields", body)
        except jsonschema.ValidationError as error:
            raise invalid("ticket_field", error.message) from None
        assert undeclared_properties("POST", "/api/v2/ticket_fields", body) == []
        return 201, {"ticket_field": self.add_field(**body["ticket_field"])}

    def _update_field(self, field_id, query, body):
        existing = self._existing(self.fields, int(field_id))
        validate_request("PUT", "/api/v2/ticket_fields/{ticket_field_id}", body)
        assert undeclared_properties("PUT", "/api/v2/ticket_fields/{ticket_field_id}", body) == []
        existing.update(body["ticket_field"])
        return 200, {"ticket_field": existing}

    # --- schedules (Schedules API reference) -------------------------------------------------

    def _schedules_available(self) -> None:
        if self.schedules_status:
            raise Refused(self.schedules_status, {"error": {"title": "Forbidden", "message": "You do not have access"}})

    def _check_schedule(self, body: Any) -> dict:
        schedule = body["schedule"]
        if schedule["time_zone"] not in {zone["name"] for zone in TIME_ZONES}:
            raise invalid("time_zone", f"{schedule['time_zone']} is not a time zone name from /api/v2/time_zones")
        return schedule

    def add_schedule(self, **values) -> dict:
        schedule_id = self.next_id()
        schedule = {"id": schedule_id, "intervals": [dict(i) for i in DEFAULT_INTERVALS], **values}
        self.schedules[schedule_id] = schedule
        self.holidays[schedule_id] = {}
        return schedule

    def _list_schedules(self, query, body):
        self._schedules_available()
        return 200, {"schedules": list(self.schedules.values())}

    def _create_schedule(self, query, body):
        self._schedules_available()
        return 201, {"schedule": self.add_schedule(**self._check_schedule(body))}

    def _update_schedule(self, schedule_id, query, body):
        existing = self._existing(self.schedules, int(schedule_id))
        existing.update(self._check_schedule(body))
        return 200, {"schedule": existing}

    def _delete_schedule(self, schedule_id, query, body):
        self._delete(self.schedules, int(schedule_id))
        del self.holidays[int(schedule_id)]
        return 204, None

    def _update_workweek(self, schedule_id, query, body):
        existing = self._existing(self.schedules, int(schedule_id))
        intervals = body["workweek"]["intervals"]
        for interval in intervals:
            start, end = interval["start_time"], interval["end_time"]
            if not start < end or start // 1440 != (end - 1) // 1440:
                raise invalid("intervals", f"{interval} spans calendar days or leaves the week")
        existing["intervals"] = intervals
        return 200, {"workweek": {"intervals": intervals}}

    def _list_holidays(self, schedule_id, query, body):
        self._existing(self.schedules, int(schedule_id))
        return 200, {"holidays": list(self.holidays[int(schedule_id)].values())}

    def add_holiday(self, schedule_id: int, **values) -> dict:
        holiday = {"id": self.next_id(), **values}
        self.holidays[schedule_id][holiday["id"]] = holiday
        return holiday

    def _create_holiday(self, schedule_id, query, body):
        self._existing(self.schedules, int(schedule_id))
        holiday = body["holiday"]
        start, end = date.fromisoformat(holiday["start_date"]), date.fromisoformat(holiday["end_date"])
        if start > end:
            raise invalid("end_date", "must not be before start_date")
        if start < self.today.replace(year=self.today.year - 2) or end > self.today.replace(year=self.today.year + 2):
            raise invalid("start_date", "holidays must be within two years of today")
        return 201, {"holiday": self.add_holiday(int(schedule_id), **holiday)}

    def _delete_holiday(self, schedule_id, holiday_id, query, body):
        self._existing(self.schedules, int(schedule_id))
        self._delete(self.holidays[int(schedule_id)], int(holiday_id))
        return 204, None

    # --- SLA policies (OpenAPI object + SLA Policies reference) ------------------------------

    def _slas_available(self) -> None:
        if self.sla_status == 403:
            raise Refused(
                403,
                {
                    "error": {
                        "title": "Forbidden",
                        "message": "You do not have access to this page. Please contact the account owner.",
                    }
                },
            )
        if self.sla_status == 404:
            raise Refused(404, {"error": "InvalidEndpoint", "description": "Not found"})

    def _check_sla(self, body: Any) -> dict:
        policy = body["sla_policy"]  # checked against SLAPolicyObject before any handler
        for key in ("title", "filter"):
            if not policy.get(key):
                raise invalid(key, f"{key} is required")
        rows = set()
        for metric in policy.get("policy_metrics", []):
            if metric["priority"] not in SLA_PRIORITIES or metric["metric"] not in SLA_METRICS:
                raise invalid("policy_metrics", f"unknown priority or metric in {metric}")
            if set(metric) != {"priority", "metric", "target", "business_hours"}:
                raise invalid("policy_metrics", f"unexpected keys in {metric}")
            rows.add((metric["priority"], metric["metric"]))
        assert len(rows) == len(policy.get("policy_metrics", [])), "one row per priority and metric"
        return policy

    def add_sla(self, **values) -> dict:
        sla_id = self.next_id()
        policy = {
            "id": sla_id,
            "url": f"{BASE_URL}/api/v2/slas/policies/{sla_id}",
            "position": len(self.sla_policies) + 1,
        }
        policy.update(values)
        self.sla_policies[sla_id] = policy
        return policy

    def _list_slas(self, query, body):
        self._slas_available()
        ordered = sorted(self.sla_policies.values(), key=lambda p: p["position"])
        return 200, {"sla_policies": ordered, "count": len(ordered), "next_page": None, "previous_page": None}

    def _create_sla(self, query, body):
        self._slas_available()
        return 201, {"sla_policy": self.add_sla(**self._check_sla(body))}

    def _update_sla(self, sla_id, query, body):
        self._slas_available()
        existing = self._existing(self.sla_policies, int(sla_id))
        policy = self._check_sla(body)
        self.sla_policies[int(sla_id)] = {
            "id": existing["id"],
            "url": existing["url"],
            "position": existing["position"],
            **policy,
        }
        return 200, {"sla_policy": self.sla_policies[int(sla_id)]}

    def _delete_sla(self, sla_id, query, body):
        self._slas_available()
        return self._delete(self.sla_policies, int(sla_id))

    # --- shared ------------------------------------------------------------------------------

    def _existing(self, records: dict, record_id: int) -> dict:
        if record_id not in records:
            raise Refused(404, {"error": "RecordNotFound", "description": "Not found"})
        return records[record_id]

    def _delete(self, records: dict, record_id: int):
        self._existing(records, record_id)
        del records[record_id]
        return 204, None


def _status_condition_definition() -> tuple[set[str], set[str]]:
    """The operators and values a trigger condition on `status` takes (GET /api/v2/triggers/definitions)."""
    example = load_spec()["components"]["examples"]["TriggerDefinitionResponseExample"]["value"]
    [status] = [d for d in example["definitions"]["conditions_all"] if d["subject"] == "status"]
    return {o["value"] for o in status["operators"]}, {v["value"] for v in status["values"]}
