"""`escalator zendesk doctor`: is everything connected? One table, one row per check, a fix for
every failure. Read-only: GETs to Zendesk and the service, reads from Redis.

Exit status 1 when any row is FAIL. WARN rows (Redis persistence; schedules or SLA policies the
account's plan does not offer) are said plainly and never change the exit status.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import redis
import requests

from app import defaults
from app.admin.account import Account, read_account, whoami, zendesk_time_zone
from app.admin.desired import (
    DEADLINE,
    EVENT_SUBSCRIPTIONS,
    EVENTS_MODE,
    FIELD_SPECS,
    RESPONSE_DUE,
    SCHEDULE,
    SLA,
    TRIGGER_MODE,
    TRIGGERS,
    WEBHOOK_PATH,
    build_desired,
    configured_field_id,
    webhook_endpoint,
)
from app.admin.plan import is_trigger_connected, plan_install
from app.admin.zendesk_api import AdminError, AdminZendesk, explain
from app.infra.liveness import (
    failed_count,
    live_workers,
    oldest_wait_seconds,
    overdue_seconds,
    persistence,
    scheduler_state,
)
from app.infra.queueing import make_queues
from app.infra.settings import Settings
from app.policy import Policy
from app.zendesk.errors import ZendeskError

OK, FAIL, WARN, SKIP = "OK", "FAIL", "WARN", "SKIP"
INSTALL = "run: escalator zendesk install --url https://<your service>"
WEBHOOK_CHECKS = ("webhook", "webhook active", "webhook endpoint", "webhook events", "signing secret")


@dataclass(frozen=True)
class Check:
    name: str
    status: str
    detail: str
    fix: str = ""


def run_doctor(
    *,
    settings: Settings,
    policy: Policy,
    url: str | None,
    api: AdminZendesk | None,
    connect: Callable[[str], redis.Redis],
    http_get: Callable[..., requests.Response] = requests.get,
    now: datetime,
    today: date,
) -> list[Check]:
    zendesk_rows, webhook = _zendesk_checks(api, settings, policy, url, today)
    service_url = url or _base_of(webhook)
    return [_service_check(service_url, http_get), *zendesk_rows, *_queue_checks(settings, connect, now)]


def exit_status(checks: list[Check]) -> int:
    return 1 if any(check.status == FAIL for check in checks) else 0


def render(checks: list[Check]) -> str:
    """An aligned table: CHECK, RESULT, DETAIL, FIX."""
    rows = [("CHECK", "RESULT", "DETAIL", "FIX")] + [(c.name, c.status, c.detail, c.fix) for c in checks]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = []
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True)]
        lines.append("  ".join([*cells, row[3]]).rstrip())
    return "\n".join(lines)


# --- the service ------------------------------------------------------------------------------


def _base_of(webhook: dict[str, Any] | None) -> str | None:
    endpoint = str((webhook or {}).get("endpoint") or "")
    return endpoint.removesuffix(WEBHOOK_PATH) if endpoint.endswith(WEBHOOK_PATH) else None


def _service_check(url: str | None, http_get: Callable[..., requests.Response]) -> Check:
    if not url:
        return Check("service", SKIP, "no --url given and no webhook to take it from")
    target = url.rstrip("/") + "/healthz"
    try:
        response = http_get(target, timeout=defaults.DOCTOR_HTTP_TIMEOUT_SECONDS)
    except requests.RequestException as error:
        return Check(
            "service", FAIL, f"{target}: no answer ({type(error).__name__})", "is the web process running? heroku ps"
        )
    if response.status_code != 200:
        return Check("service", FAIL, f"{target}: {response.status_code}", "heroku logs --tail --ps web")
    return Check("service", OK, f"{target} answers 200")


# --- Zendesk ----------------------------------------------------------------------------------


def _zendesk_checks(
    api: AdminZendesk | None, settings: Settings, policy: Policy, url: str | None, today: date
) -> tuple[list[Check], dict[str, Any] | None]:
    if api is None:
        fix = "set ZENDESK_SUBDOMAIN and ZENDESK_OAUTH_TOKEN (or ZENDESK_EMAIL and ZENDESK_API_TOKEN)"
        return [Check("credentials", FAIL, "no Zendesk credentials configured", fix), *_skipped()], None
    try:
        user = whoami(api)
    except AdminError as error:
        return [Check("credentials", FAIL, str(error), "use an admin's OAuth or API token"), *_skipped()], None
    except ZendeskError as error:
        detail = explain(error, "GET /api/v2/users/me")
        return [Check("credentials", FAIL, detail, "use an admin's OAuth or API token"), *_skipped()], None
    rows = [Check("credentials", OK, f"{api.base_url} as {user.get('name') or user.get('id')} (admin)")]
    try:
        account = read_account(api)
        hook_rows, webhook = _webhook_checks(api, account, settings, url)
        rows += hook_rows
        rows += _field_checks(account, policy)
        rows += _plan_checks(api, account, policy, webhook, today)
    except (ZendeskError, AdminError) as error:
        detail = explain(error, "reading the account") if isinstance(error, ZendeskError) else str(error)
        rows.append(Check("zendesk account", FAIL, detail, "run doctor again; if it persists, check the token"))
        return rows, None
    return rows, webhook


def _skipped() -> list[Check]:
    names = (*WEBHOOK_CHECKS, "fields", "schedule", "SLA policies")
    return [Check(name, SKIP, "not checked: no working Zendesk credentials") for name in names]


def _webhook_checks(
    api: AdminZendesk, account: Account, settings: Settings, url: str | None
) -> tuple[list[Check], dict[str, Any] | None]:
    if len(account.webhooks) != 1:
        if not account.webhooks:
            row = Check("webhook", FAIL, "no webhook named 'escalator: urgency webhook'", INSTALL)
        else:
            ids = ", ".join(str(h.get("id")) for h in account.webhooks)
            row = Check(
                "webhook", FAIL, f"{len(account.webhooks)} webhooks have escalator's name ({ids})", "delete the extras"
            )
        return [row, *[Check(n, SKIP, "no single webhook to check") for n in WEBHOOK_CHECKS[1:]]], None
    hook = account.webhooks[0]
    rows = [Check("webhook", OK, f"id {hook.get('id')}")]
    active = hook.get("status") == "active"
    rows.append(Check("webhook active", OK if active else FAIL, str(hook.get("status")), "" if active else INSTALL))
    endpoint = str(hook.get("endpoint"))
    if url is None:
        rows.append(Check("webhook endpoint", OK, f"{endpoint} (give --url to compare)"))
    elif endpoint == webhook_endpoint(url):
        rows.append(Check("webhook endpoint", OK, endpoint))
    else:
        expected = webhook_endpoint(url)
        rows.append(
            Check(
                "webhook endpoint", FAIL, f"{endpoint}, not {expected}", f"run: escalator zendesk install --url {url}"
            )
        )
    rows.append(_events_check(hook))
    rows.append(_secret_check(api, hook, settings))
    return rows, hook


def _events_check(hook: dict[str, Any]) -> Check:
    if is_trigger_connected(hook):
        return Check("webhook events", OK, "connected to triggers (trigger mode; the triggers row checks them)")
    missing = sorted(set(EVENT_SUBSCRIPTIONS) - set(hook.get("subscriptions") or []))
    if missing:
        return Check("webhook events", FAIL, f"not subscribed to {', '.join(missing)}", INSTALL)
    return Check("webhook events", OK, f"subscribed to the {len(EVENT_SUBSCRIPTIONS)} events escalator handles")


def _secret_check(api: AdminZendesk, hook: dict[str, Any], settings: Settings) -> Check:
    fix = "set ZENDESK_WEBHOOK_SECRET to the webhook's secret (escalator zendesk install prints it)"
    if not settings.webhook_secrets:
        return Check("signing secret", FAIL, "ZENDESK_WEBHOOK_SECRET is not set here", fix)
    path = f"/api/v2/webhooks/{hook.get('id')}/signing_secret"
    try:
        secret = str(api.get(path)["signing_secret"]["secret"])
    except ZendeskError as error:
        return Check("signing secret", FAIL, explain(error, f"GET {path}"), "use an admin's token")
    except (KeyError, TypeError):
        return Check("signing secret", FAIL, f"GET {path}: no signing_secret.secret in the answer", fix)
    matches = [hmac.compare_digest(secret.encode(), mine.encode()) for mine in settings.webhook_secrets]
    if not any(matches):
        return Check("signing secret", FAIL, "the webhook's secret is not one of ZENDESK_WEBHOOK_SECRET's", fix)
    if len(matches) > 1:
        return Check("signing secret", OK, "matches one of the configured secrets (a rotation in progress)")
    return Check("signing secret", OK, "matches ZENDESK_WEBHOOK_SECRET")


# A field install does not make, checked when config/policy.toml names it.
AFTER_HOURS = "after_hours"
AFTER_HOURS_KEY = "after_hours_field_id"
# The Zendesk field type the worker's value needs (docs/worker.md, "Field values"); the urgency and
# category fields may be text or dropdown, and the response-due field's is configured.
NEEDED_TYPES = {DEADLINE: "date", AFTER_HOURS: "checkbox"}
WRITTEN = {DEADLINE: "the customer's deadline as YYYY-MM-DD", AFTER_HOURS: "true or false"}
FIELDS_ADMIN = "Admin Center > Objects and rules > Tickets > Fields"


def _field_checks(account: Account, policy: Policy) -> list[Check]:
    """One row per field the worker would write: the configured ones (exists, active, of the type
    the worker's value needs), and install's own fields found by title but not configured."""
    rows = []
    for spec in FIELD_SPECS.values():
        field_id = configured_field_id(policy, spec)
        if field_id:
            rows.append(_configured_field(spec.kind, spec.config_key, field_id, account, policy))
            continue
        titled = account.fields.get(spec.title, [])
        if titled:
            ids = ", ".join(str(f.get("id")) for f in titled)
            fix = f"add {spec.config_key} = {titled[0].get('id')} to config/policy.toml [zendesk]"
            detail = f"'{spec.title}' exists (id {ids}) but {spec.config_key} is 0: the worker does not write it"
            rows.append(Check(f"field {spec.kind}", FAIL, detail, fix))
        elif spec.kind == RESPONSE_DUE:
            rows.append(
                Check(f"field {spec.kind}", FAIL, "no response-due field: due times are not shown to agents", INSTALL)
            )
    if policy.zendesk.after_hours_field_id:
        rows.append(
            _configured_field(AFTER_HOURS, AFTER_HOURS_KEY, policy.zendesk.after_hours_field_id, account, policy)
        )
    return rows


def _configured_field(kind: str, config_key: str, field_id: int, account: Account, policy: Policy) -> Check:
    name = f"field {kind}"
    found = account.fields_by_id.get(field_id)
    if found is not None:
        return _field_state(name, kind, config_key, found, policy)
    if kind == AFTER_HOURS:
        fix = f"set {config_key} to a checkbox field's id ({FIELDS_ADMIN}), or to 0"
    else:
        make = "escalator zendesk install" + ("" if kind == RESPONSE_DUE else f" --fields {kind}")
        fix = f"set {config_key} to an existing field's id, or to 0 and run {make}"
    return Check(name, FAIL, f"{config_key} = {field_id}: no such ticket field", fix)


def _field_state(name: str, kind: str, config_key: str, found: dict[str, Any], policy: Policy) -> Check:
    label = f"id {found.get('id')} '{found.get('title')}' ({found.get('type')})"
    if not found.get("active", True):
        return Check(name, FAIL, f"{label} is inactive", f"activate it in {FIELDS_ADMIN}")
    if kind == RESPONSE_DUE:
        expected = policy.zendesk.response_due_field_type
        if found.get("type") != expected:
            fix = f'set response_due_field_type = "{found.get("type")}" if the worker should write that form'
            return Check(name, FAIL, f"{label}, but response_due_field_type is {expected!r}", fix)
    elif kind in NEEDED_TYPES and found.get("type") != NEEDED_TYPES[kind]:
        needed = NEEDED_TYPES[kind]
        made_by = " (escalator zendesk install --fields deadline makes one)" if kind == DEADLINE else ""
        detail = f"{label}, but the worker writes {WRITTEN[kind]} there, which needs a {needed} field"
        return Check(name, FAIL, detail, f"set {config_key} to a {needed} field's id{made_by}")
    return Check(name, OK, label)


def _plan_checks(
    api: AdminZendesk, account: Account, policy: Policy, webhook: dict[str, Any] | None, today: date
) -> list[Check]:
    """Triggers, schedule and SLA policies: present and as install would leave them."""
    mode = TRIGGER_MODE if webhook is not None and is_trigger_connected(webhook) else EVENTS_MODE
    time_zone = "" if SCHEDULE in account.unavailable else zendesk_time_zone(api, str(policy.hours.time_zone.key))
    desired = build_desired(policy, endpoint="", mode=mode, time_zone=time_zone, today=today)
    plan = plan_install(desired, account)
    rows = []
    if mode == TRIGGER_MODE:
        rows.append(_group_check("triggers", plan.in_group(TRIGGERS), "all three present, as install made them"))
    for group, name in ((SCHEDULE, "schedule"), (SLA, "SLA policies")):
        if group in account.unavailable:
            rows.append(Check(name, WARN, f"{account.unavailable[group]}: install skips it; the due field still works"))
        else:
            rows.append(_group_check(name, plan.in_group(group), "present and matching config/policy.toml"))
    return rows


def _group_check(name: str, pending: list, ok_detail: str) -> Check:
    if not pending:
        return Check(name, OK, ok_detail)
    return Check(name, FAIL, "; ".join(request.what for request in pending), INSTALL)


# --- Redis and the queue ----------------------------------------------------------------------


def _queue_checks(settings: Settings, connect: Callable[[str], redis.Redis], now: datetime) -> list[Check]:
    names = ("workers", "queue", "failed jobs", "scheduler", "persistence")
    if not settings.redis_url:
        fix = "run doctor where the service's settings are set (Heroku: heroku run escalator zendesk doctor)"
        return [Check("redis", FAIL, "REDIS_URL is not set here", fix), *[Check(n, SKIP, "no Redis") for n in names]]
    connection = connect(settings.redis_url)
    try:
        connection.ping()
        queues = make_queues(connection, settings.queue_name)  # a worker listens on all three
        rows = [Check("redis", OK, settings.describe()["redis"])]
        rows.append(_workers_check(queues[-1]))
        rows.append(_queue_depth_check(queues, now))
        rows.append(_failed_check(queues))
        rows.append(_scheduler_check(queues, now))
        rows.append(_persistence_check(connection))
    except redis.RedisError as error:
        fix = "check REDIS_URL, and that the Redis add-on is up (heroku redis:info)"
        return [
            Check("redis", FAIL, f"unreachable ({type(error).__name__})", fix),
            *[Check(n, SKIP, "no Redis") for n in names],
        ]
    finally:
        connection.close()
    return rows


def _workers_check(queue: Any) -> Check:
    workers = live_workers(queue)
    if not workers:
        return Check("workers", FAIL, f"no live worker on queue {queue.name}", "start one: heroku ps:scale worker=1")
    return Check("workers", OK, f"{len(workers)} alive")


def _queue_depth_check(queues: list[Any], now: datetime) -> Check:
    waiting = sum(queue.count for queue in queues)
    waits = [wait for queue in queues if (wait := oldest_wait_seconds(queue, now)) is not None]
    oldest = max(waits) if waits else None
    detail = f"{waiting} waiting" + (f", the oldest for {oldest:.0f} s" if oldest is not None else "")
    if oldest is not None and oldest > defaults.DOCTOR_QUEUE_MAX_WAIT_SECONDS:
        return Check(
            "queue", FAIL, detail, "workers are stuck or too few: heroku logs --ps worker; heroku ps:scale worker=2"
        )
    return Check("queue", OK, detail)


def _failed_check(queues: list[Any]) -> Check:
    failed = sum(failed_count(queue) for queue in queues)
    if failed:
        names = " ".join(queue.name for queue in queues)
        fix = (
            "see why: rq info --url $REDIS_URL -S json; once fixed: "
            f"for q in {names}; do rq requeue --url $REDIS_URL --queue $q -S json --all; done"
        )
        return Check("failed jobs", FAIL, f"{failed} in the failed registry", fix)
    return Check("failed jobs", OK, "none")


def _scheduler_check(queues: list[Any], now: datetime) -> Check:
    """Every queue's due jobs need a scheduler (one worker's usually holds all the locks)."""
    states = {queue.name: scheduler_state(queue.connection, queue.name, now) for queue in queues}
    waits = [seconds for queue in queues if (seconds := overdue_seconds(queue, now)) is not None]
    overdue = max(waits) if waits else None
    orphaned = [name for name, state in states.items() if state.holder is None]
    if orphaned:
        fix = "every escalator worker runs one: start a worker (heroku ps:scale worker=1); retries wait for it"
        waiting = f"; a due retry has waited {overdue:.0f} s" if overdue is not None else ""
        what = "the queues'" if len(orphaned) == len(queues) else f"the lock of {', '.join(orphaned)}"
        return Check("scheduler", FAIL, f"not running: no scheduler holds {what} lock{waiting}", fix)
    described = "; ".join(sorted({state.describe() for state in states.values()}))
    if overdue is not None and overdue > defaults.DOCTOR_SCHEDULED_MAX_OVERDUE_SECONDS:
        fix = "the scheduler is stuck: heroku logs --ps worker (scheduler.*); heroku ps:restart worker"
        return Check("scheduler", FAIL, f"{described}, but a due retry has waited {overdue:.0f} s", fix)
    return Check("scheduler", OK, described)


def _persistence_check(connection: redis.Redis) -> Check:
    found = persistence(connection)
    return Check("persistence", OK if found.safe else WARN, found.detail)
