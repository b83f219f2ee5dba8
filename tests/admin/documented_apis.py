"""Requests to the Zendesk APIs the OpenAPI file does not describe, as their own references do.

    from tests.admin.documented_apis import documented_violations
    documented_violations("POST", "/api/v2/webhooks", {}, body)   # [] or what is wrong

The same signature as a check of an OpenAPI operation, so a suite-wide request check can fall
back to it for these paths. Sources:

- Webhooks: https://developer.zendesk.com/api-reference/webhooks/webhooks-api/webhooks/ ("JSON
  format": name, endpoint, http_method, request_format and status are mandatory; id, created_*
  and updated_* are read-only; admins cannot set signing_secret or external_source). List
  parameters: `filter[name_contains]`, `filter[status]`, `page[size]`, `page[after]`,
  `page[before]`, `sort`.
- Schedules: https://developer.zendesk.com/api-reference/ticketing/ticket-management/schedules/
  (a schedule takes name and time_zone, both mandatory; intervals only through Update Intervals
  for a Schedule, `{"workweek": {"intervals": [...]}}`; holidays take name, start_date and end_date;
  List Holidays takes `start_date` and `end_date`).
- Time zones: `GET /api/v2/time_zones` (https://developer.zendesk.com/api-reference/introduction/data-types,
  "Time zones"; no body, no parameter used).
- SLA policies are in the OpenAPI file, which declares no request body for Create and Update; the
  body is `{"sla_policy": SLAPolicyObject}` (the SLA Policies reference's examples).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft4Validator, ValidationError

from tests.openapi import validate_component

WEBHOOK = {
    "type": "object",
    "required": ["name", "endpoint", "http_method", "request_format", "status"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "description": {"type": "string"},
        "status": {"enum": ["active", "inactive"]},
        "endpoint": {"type": "string", "minLength": 1},
        "http_method": {"enum": ["GET", "POST", "PUT", "PATCH", "DELETE"]},
        "request_format": {"enum": ["json", "xml", "form_encoded"]},
        "subscriptions": {"type": "array", "items": {"type": "string"}},
        "authentication": {"type": "object"},
        "custom_headers": {"type": "object", "additionalProperties": {"type": "string"}},
    },
}
SCHEDULE = {
    "type": "object",
    "required": ["name", "time_zone"],
    "additionalProperties": False,
    "properties": {"name": {"type": "string", "minLength": 1}, "time_zone": {"type": "string", "minLength": 1}},
}
INTERVAL = {
    "type": "object",
    "required": ["start_time", "end_time"],
    "additionalProperties": False,
    "properties": {
        "start_time": {"type": "integer", "minimum": 0, "maximum": 10080},
        "end_time": {"type": "integer", "minimum": 0, "maximum": 10080},
    },
}
HOLIDAY = {
    "type": "object",
    "required": ["name", "start_date", "end_date"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "start_date": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
        "end_date": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
    },
}


def _wrapped(key: str, schema: dict) -> dict:
    return {"type": "object", "required": [key], "additionalProperties": False, "properties": {key: schema}}


@dataclass(frozen=True)
class Operation:
    body: dict | None = None  # None: the request has no body
    query: frozenset[str] = field(default_factory=frozenset)
    sla_policy: bool = False  # the body is {"sla_policy": SLAPolicyObject} (schema from the OpenAPI file)


SCHEDULES = "/api/v2/business_hours/schedules"
OPERATIONS: dict[tuple[str, str], Operation] = {
    ("GET", "/api/v2/webhooks"): Operation(
        query=frozenset(
            {"filter[name_contains]", "filter[status]", "page[size]", "page[after]", "page[before]", "sort"}
        )
    ),
    ("POST", "/api/v2/webhooks"): Operation(_wrapped("webhook", WEBHOOK)),
    ("GET", "/api/v2/webhooks/{webhook_id}"): Operation(),
    ("PUT", "/api/v2/webhooks/{webhook_id}"): Operation(_wrapped("webhook", WEBHOOK)),
    ("DELETE", "/api/v2/webhooks/{webhook_id}"): Operation(),
    ("GET", "/api/v2/webhooks/{webhook_id}/signing_secret"): Operation(),
    ("GET", "/api/v2/time_zones"): Operation(),
    ("GET", SCHEDULES): Operation(),
    ("POST", SCHEDULES): Operation(_wrapped("schedule", SCHEDULE)),
    ("PUT", SCHEDULES + "/{schedule_id}"): Operation(_wrapped("schedule", SCHEDULE)),
    ("DELETE", SCHEDULES + "/{schedule_id}"): Operation(),
    ("PUT", SCHEDULES + "/{schedule_id}/workweek"): Operation(
        _wrapped("workweek", _wrapped("intervals", {"type": "array", "items": INTERVAL}))
    ),
    ("GET", SCHEDULES + "/{schedule_id}/holidays"): Operation(query=frozenset({"start_date", "end_date"})),
    ("POST", SCHEDULES + "/{schedule_id}/holidays"): Operation(_wrapped("holiday", HOLIDAY)),
    ("DELETE", SCHEDULES + "/{schedule_id}/holidays/{holiday_id}"): Operation(),
    ("POST", "/api/v2/slas/policies"): Operation(sla_policy=True),
    ("PUT", "/api/v2/slas/policies/{sla_policy_id}"): Operation(sla_policy=True),
}


def documented_operation(method: str, path: str) -> str | None:
    """The path template of a documented operation this request is, or None."""
    for known_method, template in OPERATIONS:
        pattern = "^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$"
        if known_method == method.upper() and re.match(pattern, path.removesuffix(".json")):
            return template
    return None


def documented_violations(method: str, path: str, query: dict[str, Any], body: Any) -> list[str]:
    """What in this request the API's own reference does not document; [] when it all is."""
    where = f"{method} {path}"
    template = documented_operation(method, path)
    if template is None:
        return [f"{where}: not an operation of the Webhooks, Schedules, Time zones or SLA Policies references"]
    operation = OPERATIONS[(method.upper(), template)]
    problems = [f"{where}: query parameter {name!r} is not documented" for name in query if name not in operation.query]
    if operation.sla_policy:
        if not isinstance(body, dict) or set(body) != {"sla_policy"}:
            return [*problems, f"{where}: the body must be {{'sla_policy': {{...}}}}"]
        try:
            validate_component("SLAPolicyObject", body["sla_policy"])
        except ValidationError as error:
            problems.append(f"{where}: {error.message}")
    elif operation.body is None:
        if body not in (None, b"", ""):
            problems.append(f"{where}: sends a body, and the reference documents none")
    else:
        problems += [
            f"{where}: {e.message} at {e.json_path}" for e in Draft4Validator(operation.body).iter_errors(body)
        ]
    return problems
