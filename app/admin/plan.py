"""The difference between the desired state and the account, as the requests that close it.

Pure: `plan_install(desired, account)` and `plan_uninstall(account)` return a `Plan`; nothing is
sent here. A second install with nothing changed plans no request at all, because every object
is compared key by key (normalised the way Zendesk may echo it) before anything is written.

Objects created in the same run are referred to by a placeholder (`new_id`) that the executor
replaces with the id from Zendesk's answer; a dry run prints the placeholder.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from app.admin import names
from app.admin.account import FIELD_TITLES, SLA_TITLES, TRIGGER_TITLES, Account, Record
from app.admin.desired import (
    FIELDS,
    SCHEDULE,
    SLA,
    TRIGGER_MODE,
    TRIGGER_SUBSCRIPTIONS,
    TRIGGERS,
    WEBHOOK,
    Desired,
    FieldSpec,
    ScheduleSpec,
    holiday_body,
)

WEBHOOKS_PATH = "/api/v2/webhooks"
TRIGGERS_PATH = "/api/v2/triggers"
FIELDS_PATH = "/api/v2/ticket_fields"
SCHEDULES_PATH = "/api/v2/business_hours/schedules"
SLAS_PATH = "/api/v2/slas/policies"


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: dict[str, Any] | None
    what: str  # for the admin: "create webhook 'escalator: urgency webhook'"
    group: str  # FIELDS, WEBHOOK, TRIGGERS, SCHEDULE or SLA: a failure skips the rest of its group
    creates: str | None = None  # the resource key of Zendesk's answer that holds the new id
    name: str = ""
    missing_ok: bool = False  # a DELETE whose object is already gone (404) has done its job


def new_id(resource: str, name: str) -> str:
    """Stands for the id of an object this run creates, until Zendesk has answered."""
    return f"<id of new {resource} '{name}'>"


@dataclass
class Plan:
    requests: list[Request] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # said plainly, not failures
    problems: list[str] = field(default_factory=list)  # what install cannot fix by itself: exit 1
    webhook_id: str | None = None  # existing id, or a `new_id` placeholder
    field_ids: dict[str, Any] = field(default_factory=dict)  # config key -> id or placeholder

    def in_group(self, group: str) -> list[Request]:
        return [r for r in self.requests if r.group == group]


def plan_install(desired: Desired, account: Account) -> Plan:
    plan = Plan()
    _plan_fields(desired, account, plan)
    replaced = _plan_webhook(desired, account, plan)
    _plan_triggers(desired, {} if replaced else account.triggers, plan)
    if desired.schedule is not None:
        _plan_schedule(desired.schedule, account, plan)
    if desired.sla_policies:
        _plan_sla(desired, account, plan)
    return plan


# --- comparison: the way Zendesk may echo a value back ------------------------------------------


def _text(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    return "" if value is None else str(value)


def _conditions(value: Any) -> Any:
    value = value or {}
    return {
        part: sorted((c.get("field"), c.get("operator"), _text(c.get("value"))) for c in value.get(part) or [])
        for part in ("all", "any")
    }


def _actions(value: Any) -> Any:
    normalised = []
    for action in value or []:
        item = action.get("value")
        if action.get("field") == "notification_webhook" and isinstance(item, list) and len(item) == 2:
            item = [str(item[0]), _json_text(item[1])]
        normalised.append((action.get("field"), _text(item)))
    return normalised


def _json_text(text: Any) -> str:
    """A JSON body string compared by meaning, not by spacing."""
    try:
        return json.dumps(json.loads(text), sort_keys=True)
    except (TypeError, ValueError):
        return str(text)


def _metrics(value: Any) -> Any:
    return sorted(
        (m.get("priority"), m.get("metric"), int(m.get("target") or 0), bool(m.get("business_hours")))
        for m in value or []
    )


def _same(value: Any) -> Any:
    return value


def _drifted(existing: Record, desired: dict[str, Any], compare: dict[str, Callable[[Any], Any]]) -> list[str]:
    """Keys whose value differs. A key Zendesk did not echo is not counted: it cannot be seen to
    drift, and counting it would make every run write."""
    return [key for key, norm in compare.items() if key in existing and norm(existing[key]) != norm(desired[key])]


def _one(records: list[Record], kind: str, name: str, plan: Plan, where: str) -> Record | None:
    """The one record with our name; two or more is a problem an admin must settle."""
    if len(records) > 1:
        ids = ", ".join(str(r.get("id")) for r in records)
        plan.problems.append(
            f"{len(records)} {kind}s are named '{name}' (ids {ids}): delete the extra ones in {where}."
        )
        return None
    return records[0] if records else None


# --- fields -----------------------------------------------------------------------------------

FIELD_COMPARE: dict[str, Callable[[Any], Any]] = {
    "description": _text,
    "agent_description": _text,
    "active": bool,
    "required": bool,
    "visible_in_portal": bool,
    "editable_in_portal": bool,
}


def _plan_fields(desired: Desired, account: Account, plan: Plan) -> None:
    for spec in desired.fields:
        found = account.fields.get(spec.title, [])
        existing = _one(found, "ticket field", spec.title, plan, "Admin Center > Objects and rules > Tickets > Fields")
        if found and existing is None:
            continue
        if existing is None:
            plan.requests.append(_create_field(spec))
            plan.field_ids[spec.config_key] = new_id("ticket_field", spec.title)
            continue
        if existing.get("type") != spec.type:
            plan.problems.append(
                f"Ticket field '{spec.title}' (id {existing['id']}) is a {existing.get('type')} field; escalator "
                f"writes {spec.type}. Zendesk cannot change a field's type: delete the field and run install again."
            )
            continue
        plan.field_ids[spec.config_key] = existing["id"]
        body = spec.body()
        drift = _drifted(existing, body, FIELD_COMPARE)
        if drift:
            plan.requests.append(
                Request(
                    "PUT",
                    f"{FIELDS_PATH}/{existing['id']}",
                    {"ticket_field": {key: body[key] for key in drift}},
                    f"update ticket field '{spec.title}' ({', '.join(drift)})",
                    FIELDS,
                )
            )
    for spec, field_id in desired.configured_fields:
        existing = account.fields_by_id.get(field_id)
        if existing is None:
            plan.problems.append(
                f"config/policy.toml [zendesk] {spec.config_key} = {field_id}: the account has no such ticket "
                "field. Set it to the id of an existing field, or to 0 to let install make one."
            )
        else:
            plan.notes.append(
                f"Ticket field {field_id} ('{existing.get('title')}') is configured as {spec.config_key}: kept as it is."
            )


def _create_field(spec: FieldSpec) -> Request:
    return Request(
        "POST",
        FIELDS_PATH,
        {"ticket_field": spec.body()},
        f"create ticket field '{spec.title}'",
        FIELDS,
        creates="ticket_field",
        name=spec.title,
    )


# --- webhook and triggers ---------------------------------------------------------------------

WEBHOOK_COMPARE: dict[str, Callable[[Any], Any]] = {
    "endpoint": _text,
    "status": _text,
    "http_method": _text,
    "request_format": _text,
    "description": _text,
    "subscriptions": lambda value: sorted(_text(value or [])),
}


def is_trigger_connected(webhook: Record) -> bool:
    return list(webhook.get("subscriptions") or []) == list(TRIGGER_SUBSCRIPTIONS)


def _plan_webhook(desired: Desired, account: Account, plan: Plan) -> bool:
    """Plan the webhook; True when the existing one is replaced (its triggers go with it)."""
    existing = _one(account.webhooks, "webhook", names.WEBHOOK, plan, "Admin Center > Apps and integrations > Webhooks")
    if account.webhooks and existing is None:
        return False
    if existing is None:
        _create_webhook(desired, plan)
        return False
    endpoint = desired.endpoint or existing.get("endpoint") or ""
    body = desired.webhook(endpoint)
    if is_trigger_connected(existing) != (desired.mode == TRIGGER_MODE):
        # Zendesk: "You can't change an existing webhook's connection method": delete, create again.
        for title in TRIGGER_TITLES:
            for trigger in account.triggers.get(title, []):
                plan.requests.append(_delete(TRIGGERS_PATH, trigger["id"], f"trigger '{title}'", WEBHOOK))
        plan.requests.append(_delete(WEBHOOKS_PATH, existing["id"], f"webhook '{names.WEBHOOK}'", WEBHOOK))
        _create_webhook(desired, plan, body)
        plan.notes.append(
            f"The webhook changes to {desired.mode} mode, which Zendesk allows only by making a new webhook: "
            "its signing secret changes, so set the new ZENDESK_WEBHOOK_SECRET printed below."
        )
        return True
    plan.webhook_id = str(existing["id"])
    drift = _drifted(existing, body, WEBHOOK_COMPARE)
    if drift:
        # PUT sends the whole webhook (the documented update); the signing secret is kept.
        plan.requests.append(
            Request(
                "PUT",
                f"{WEBHOOKS_PATH}/{existing['id']}",
                {"webhook": body},
                f"update webhook '{names.WEBHOOK}' ({', '.join(drift)})",
                WEBHOOK,
            )
        )
    return False


def _create_webhook(desired: Desired, plan: Plan, body: dict[str, Any] | None = None) -> None:
    plan.requests.append(
        Request(
            "POST",
            WEBHOOKS_PATH,
            {"webhook": body or desired.webhook()},
            f"create webhook '{names.WEBHOOK}' ({desired.mode} mode)",
            WEBHOOK,
            creates="webhook",
            name=names.WEBHOOK,
        )
    )
    plan.webhook_id = new_id("webhook", names.WEBHOOK)


TRIGGER_COMPARE: dict[str, Callable[[Any], Any]] = {
    "description": _text,
    "active": bool,
    "conditions": _conditions,
    "actions": _actions,
}


def _plan_triggers(desired: Desired, existing_triggers: dict[str, list[Record]], plan: Plan) -> None:
    if desired.mode != TRIGGER_MODE:  # events mode needs no trigger: remove ours
        for title in TRIGGER_TITLES:
            for trigger in existing_triggers.get(title, []):
                plan.requests.append(_delete(TRIGGERS_PATH, trigger["id"], f"trigger '{title}'", TRIGGERS))
        return
    if plan.webhook_id is None:  # the webhook is ambiguous (a problem is reported): leave triggers be
        return
    for body in desired.triggers(plan.webhook_id):
        title = body["title"]
        found = existing_triggers.get(title, [])
        existing = _one(found, "trigger", title, plan, "Admin Center > Objects and rules > Business rules > Triggers")
        if found and existing is None:
            continue
        if existing is None:
            plan.requests.append(
                Request(
                    "POST", TRIGGERS_PATH, {"trigger": body}, f"create trigger '{title}'", TRIGGERS, "trigger", title
                )
            )
            continue
        drift = _drifted(existing, body, TRIGGER_COMPARE)
        if drift:
            # Conditions and actions are replaced as a whole by an update: send them all.
            plan.requests.append(
                Request(
                    "PUT",
                    f"{TRIGGERS_PATH}/{existing['id']}",
                    {"trigger": body},
                    f"update trigger '{title}' ({', '.join(drift)})",
                    TRIGGERS,
                )
            )


# --- schedule ---------------------------------------------------------------------------------


def _intervals(value: Any) -> list[tuple[int, int]]:
    return sorted((int(i["start_time"]), int(i["end_time"])) for i in value or [])


def _plan_schedule(spec: ScheduleSpec, account: Account, plan: Plan) -> None:
    if spec.holidays_out_of_range:
        days = ", ".join(d.isoformat() for d in spec.holidays_out_of_range)
        plan.notes.append(f"Holidays {days} are not sent: Zendesk takes holidays from 2 years back to 2 years ahead.")
    if SCHEDULE in account.unavailable:
        plan.notes.append(
            f"{account.unavailable[SCHEDULE]}: no schedule made. The due times escalator writes still follow "
            "config/policy.toml [hours]; SLA business-hours targets use the account's default schedule."
        )
        return
    existing = _one(account.schedules, "schedule", spec.name, plan, "Admin Center > Objects and rules > Schedules")
    if account.schedules and existing is None:
        return
    header = {"schedule": {"name": spec.name, "time_zone": spec.time_zone}}
    workweek = {"workweek": {"intervals": spec.intervals_body()}}
    if existing is None:
        placeholder = new_id("schedule", spec.name)
        path = f"{SCHEDULES_PATH}/{placeholder}"
        plan.requests.append(
            Request(
                "POST",
                SCHEDULES_PATH,
                header,
                f"create schedule '{spec.name}' ({spec.time_zone})",
                SCHEDULE,
                "schedule",
                spec.name,
            )
        )
        # A new schedule starts with Zendesk's Mon-Fri 9-17: always set the week.
        plan.requests.append(Request("PUT", f"{path}/workweek", workweek, "set the schedule's open hours", SCHEDULE))
        for day in spec.holidays:
            plan.requests.append(_create_holiday(path, day))
        return
    path = f"{SCHEDULES_PATH}/{existing['id']}"
    if existing.get("time_zone") != spec.time_zone:
        plan.requests.append(
            Request("PUT", path, header, f"update schedule '{spec.name}' (time zone {spec.time_zone})", SCHEDULE)
        )
    if _intervals(existing.get("intervals")) != list(spec.intervals):
        plan.requests.append(Request("PUT", f"{path}/workweek", workweek, "update the schedule's open hours", SCHEDULE))
    _plan_holidays(path, spec.holidays, account.holidays, plan)


def _plan_holidays(schedule_path: str, wanted: tuple[date, ...], existing: list[Record], plan: Plan) -> None:
    """Our schedule holds exactly the configured holidays, one day each."""
    kept = set()
    for holiday in existing:
        day = holiday.get("start_date")
        if day == holiday.get("end_date") and day in {d.isoformat() for d in wanted} and day not in kept:
            kept.add(day)
            continue
        plan.requests.append(
            Request(
                "DELETE",
                f"{schedule_path}/holidays/{holiday['id']}",
                None,
                f"delete holiday '{holiday.get('name')}' ({day} to {holiday.get('end_date')}): not in config/policy.toml",
                SCHEDULE,
                missing_ok=True,
            )
        )
    for day in wanted:
        if day.isoformat() not in kept:
            plan.requests.append(_create_holiday(schedule_path, day))


def _create_holiday(schedule_path: str, day: date) -> Request:
    return Request(
        "POST", f"{schedule_path}/holidays", {"holiday": holiday_body(day)}, f"add holiday {day.isoformat()}", SCHEDULE
    )


# --- SLA policies -----------------------------------------------------------------------------

SLA_COMPARE: dict[str, Callable[[Any], Any]] = {
    "description": _text,
    "filter": _conditions,
    "policy_metrics": _metrics,
}


def _plan_sla(desired: Desired, account: Account, plan: Plan) -> None:
    if SLA in account.unavailable:
        plan.notes.append(
            f"{account.unavailable[SLA]}: no SLA policy made (they need Support Professional or Suite Growth "
            "and above). Agents still see each ticket's due time in the response-due field."
        )
        return
    for position, body in enumerate(desired.sla_policies, start=1):
        title = body["title"]
        found = account.sla_policies.get(title, [])
        existing = _one(found, "SLA policy", title, plan, "Admin Center > Objects and rules > Service level agreements")
        if found and existing is None:
            continue
        if existing is None:
            # First in Zendesk's match order, so a broader policy of the account does not win.
            plan.requests.append(
                Request(
                    "POST",
                    SLAS_PATH,
                    {"sla_policy": {**body, "position": position}},
                    f"create SLA policy '{title}'",
                    SLA,
                    "sla_policy",
                    title,
                )
            )
            continue
        drift = _drifted(existing, body, SLA_COMPARE)
        if drift:
            kept = {"position": existing["position"]} if "position" in existing else {}
            plan.requests.append(
                Request(
                    "PUT",
                    f"{SLAS_PATH}/{existing['id']}",
                    {"sla_policy": {**body, **kept}},
                    f"update SLA policy '{title}' ({', '.join(drift)})",
                    SLA,
                )
            )


# --- uninstall --------------------------------------------------------------------------------


def _delete(collection: str, object_id: Any, what: str, group: str) -> Request:
    return Request("DELETE", f"{collection}/{object_id}", None, f"delete {what}", group, missing_ok=True)


def plan_uninstall(account: Account, *, keep_fields: bool = False) -> Plan:
    """Remove everything install made, found by name: triggers first (they name the webhook),
    then SLA policies, the webhook, the fields and the schedule (with its holidays)."""
    plan = Plan()
    for title in TRIGGER_TITLES:
        for trigger in account.triggers.get(title, []):
            plan.requests.append(_delete(TRIGGERS_PATH, trigger["id"], f"trigger '{title}'", TRIGGERS))
    for title in SLA_TITLES:
        for policy in account.sla_policies.get(title, []):
            plan.requests.append(_delete(SLAS_PATH, policy["id"], f"SLA policy '{title}'", SLA))
    for hook in account.webhooks:
        plan.requests.append(_delete(WEBHOOKS_PATH, hook["id"], f"webhook '{names.WEBHOOK}'", WEBHOOK))
    for title in FIELD_TITLES:
        for ticket_field in account.fields.get(title, []):
            if not keep_fields:
                what = f"ticket field '{title}' (and its value on every ticket)"
                plan.requests.append(_delete(FIELDS_PATH, ticket_field["id"], what, FIELDS))
            elif ticket_field.get("active", True):
                plan.requests.append(
                    Request(
                        "PUT",
                        f"{FIELDS_PATH}/{ticket_field['id']}",
                        {"ticket_field": {"active": False}},
                        f"deactivate ticket field '{title}' (values kept)",
                        FIELDS,
                    )
                )
    for schedule in account.schedules:
        what = f"schedule '{names.SCHEDULE}' (and its holidays)"
        plan.requests.append(_delete(SCHEDULES_PATH, schedule["id"], what, SCHEDULE))
    return plan
