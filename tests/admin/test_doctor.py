"""`escalator zendesk doctor`: every check passes on a healthy install, and each one fails alone.

Zendesk is the fake account (`responses`); Redis is a real server, with a real RQ worker
registration and scheduler lock, a real queue and a real failed-job registry.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import pytest
import redis
import requests
from rq import Worker
from rq.registry import FailedJobRegistry
from rq.scheduler import RQScheduler

from app.admin import names
from app.admin.doctor import FAIL, OK, SKIP, WARN, Check, exit_status, render, run_doctor
from app.infra.queueing import URGENT, QueueNames, connect, make_queue
from app.infra.settings import Settings
from app.timestamps import utc_now
from tests.admin.conftest import SERVICE, TODAY, TOKEN, with_fields
from tests.admin.test_install import install

QUEUE = "doctor-test"
ROWS = [
    "service",
    "credentials",
    "webhook",
    "webhook active",
    "webhook endpoint",
    "webhook events",
    "signing secret",
    "field response_due",
    "field deadline",
    "field after_hours",
    "schedule",
    "SLA policies",
    "redis",
    "workers",
    "queue",
    "failed jobs",
    "scheduler",
    "persistence",
]


@dataclass
class Setup:
    fake: Any
    rsps: Any
    api: Any
    settings: Settings
    policy: Any
    redis: redis.Redis
    now: Any

    def run(self, url: str | None = SERVICE) -> list[Check]:
        return run_doctor(
            settings=self.settings,
            policy=self.policy,
            url=url,
            api=self.api,
            connect=connect,
            now=self.now,
            today=TODAY,
        )

    def row(self, name: str, url: str | None = SERVICE) -> Check:
        return next(check for check in self.run(url) if check.name == name)


def field_titled(fake, title: str) -> dict:
    [found] = [f for f in fake.fields.values() if f["title"] == title]
    return found


@pytest.fixture
def setup(fake, rsps, api, policy, echo, real_redis, redis_test_url) -> Setup:
    """A healthy install with every field the worker can write configured: install's response-due
    and deadline fields, and an after-hours checkbox the admin made."""
    install(api, policy, echo, extra_fields=("deadline",))
    [hook_id] = fake.webhooks
    due = field_titled(fake, names.FIELD_RESPONSE_DUE)
    deadline = field_titled(fake, names.FIELD_DEADLINE)
    after_hours = fake.add_field(title="After hours", type="checkbox")
    rsps.get(SERVICE + "/healthz", json={"status": "ok"})
    settings = Settings(
        redis_url=redis_test_url,
        queue_name=QUEUE,
        zendesk_subdomain="acme",
        zendesk_oauth_token=TOKEN,
        webhook_secrets=(fake.secrets[hook_id],),
    )
    queue = make_queue(real_redis, QUEUE)
    Worker([queue], connection=real_redis, name="doctor-test-worker").register_birth()
    RQScheduler(
        QueueNames(QUEUE).in_priority_order(), connection=real_redis, name="doctor-test-scheduler"
    ).acquire_locks()
    configured = with_fields(
        policy,
        response_due_field_id=due["id"],
        response_due_field_type="text",
        deadline_field_id=deadline["id"],
        after_hours_field_id=after_hours["id"],
    )
    return Setup(fake, rsps, api, settings, configured, real_redis, utc_now())


def test_a_healthy_install_passes_every_check(setup):
    checks = setup.run()

    assert [check.name for check in checks] == ROWS
    assert {check.name: check.status for check in checks if check.status != OK} in ({}, {"persistence": WARN})
    assert exit_status(checks) == 0
    secret = setup.settings.webhook_secrets[0]
    assert secret not in render(checks)


def test_without_url_the_service_address_comes_from_the_webhook(setup):
    checks = setup.run(url=None)
    assert checks[0] == Check("service", OK, f"{SERVICE}/healthz answers 200")
    assert next(c for c in checks if c.name == "webhook endpoint").detail.endswith("(give --url to compare)")


def only_hook(setup) -> dict:
    [hook] = setup.fake.webhooks.values()
    return hook


def failing_service(setup):
    setup.rsps.replace("GET", SERVICE + "/healthz", status=503)


def unreachable_service(setup):
    setup.rsps.replace("GET", SERVICE + "/healthz", body=requests.ConnectionError("refused"))


def wrong_password(setup):
    setup.fake.user = {"id": None, "name": "Anonymous user", "role": "end-user"}


def not_an_admin(setup):
    setup.fake.user = {"id": 7, "name": "Al Agent", "role": "agent"}


def bad_token(setup):
    setup.fake.interrupt["GET /api/v2/users/me"] = [(401, {}, {"error": "Couldn't authenticate you"})]


def no_webhook(setup):
    setup.fake.webhooks.clear()


def inactive_webhook(setup):
    only_hook(setup)["status"] = "inactive"


def webhook_elsewhere(setup):
    only_hook(setup)["endpoint"] = "https://old-host.test/webhooks/zendesk"


def missing_subscription(setup):
    only_hook(setup)["subscriptions"] = ["zen:event-type:ticket.created"]


def other_secret(setup):
    setup.settings = replace(setup.settings, webhook_secrets=("not-the-webhooks-secret",))


def no_secret(setup):
    setup.settings = replace(setup.settings, webhook_secrets=())


def field_deleted(setup):
    del setup.fake.fields[field_titled(setup.fake, names.FIELD_RESPONSE_DUE)["id"]]


def field_not_configured(setup):
    setup.policy = with_fields(setup.policy, response_due_field_id=0)


def field_of_other_type(setup):
    setup.policy = with_fields(setup.policy, response_due_field_type="date")


def field_inactive(setup):
    field_titled(setup.fake, names.FIELD_RESPONSE_DUE)["active"] = False


def deadline_field_deleted(setup):
    del setup.fake.fields[field_titled(setup.fake, names.FIELD_DEADLINE)["id"]]


def deadline_field_not_configured(setup):
    setup.policy = with_fields(setup.policy, deadline_field_id=0)


def deadline_field_inactive(setup):
    field_titled(setup.fake, names.FIELD_DEADLINE)["active"] = False


def deadline_field_not_a_date(setup):
    theirs = setup.fake.add_field(title="Customer deadline", type="text")
    setup.policy = with_fields(setup.policy, deadline_field_id=theirs["id"])


def after_hours_field_deleted(setup):
    del setup.fake.fields[field_titled(setup.fake, "After hours")["id"]]


def after_hours_field_inactive(setup):
    field_titled(setup.fake, "After hours")["active"] = False


def after_hours_field_not_a_checkbox(setup):
    field_titled(setup.fake, "After hours")["type"] = "text"


def schedule_deleted(setup):
    setup.fake.schedules.clear()


def schedule_hours_changed(setup):
    [schedule] = setup.fake.schedules.values()
    schedule["intervals"] = schedule["intervals"][1:]


def sla_deleted(setup):
    setup.fake.sla_policies.clear()


def no_redis_setting(setup):
    setup.settings = replace(setup.settings, redis_url=None)


def redis_unreachable(setup):
    setup.settings = replace(setup.settings, redis_url="redis://127.0.0.1:1/0")


def no_worker(setup):
    setup.redis.delete(*setup.redis.keys("rq:worker:*"))


def stuck_queue(setup):
    make_queue(setup.redis, QUEUE).enqueue("workers.jobs.apply_ticket_event", {"kind": "created"})
    setup.now = utc_now() + timedelta(minutes=10)


def failed_job(setup):
    queue = make_queue(setup.redis, QUEUE)
    job = queue.enqueue("workers.jobs.apply_ticket_event", {"kind": "created"})
    queue.remove(job)
    FailedJobRegistry(queue=queue).add(job, ttl=600, exc_string="Traceback: ZendeskUnavailable")


def no_scheduler(setup):
    setup.redis.delete(*[RQScheduler.get_locking_key(name) for name in QueueNames(QUEUE).in_priority_order()])


def a_queue_without_scheduler(setup):
    setup.redis.delete(RQScheduler.get_locking_key(QueueNames(QUEUE).of(URGENT)))


def stuck_scheduler(setup):
    """A scheduler holds the lock, but a retry due two minutes ago is still waiting."""
    make_queue(setup.redis, QUEUE).enqueue_at(
        setup.now - timedelta(minutes=2), "workers.jobs.apply_ticket_event", {"kind": "created"}
    )


@pytest.mark.parametrize(
    ("breaks", "row", "says", "fix"),
    [
        (failing_service, "service", "/healthz: 503", "heroku logs"),
        (unreachable_service, "service", "no answer (ConnectionError)", "heroku ps"),
        (wrong_password, "credentials", "anonymous user", "admin's"),
        (not_an_admin, "credentials", "not an admin's", "admin's"),
        (bad_token, "credentials", "did not accept the credentials (401)", "admin's"),
        (no_webhook, "webhook", "no webhook named", "escalator zendesk install"),
        (inactive_webhook, "webhook active", "inactive", "escalator zendesk install"),
        (webhook_elsewhere, "webhook endpoint", "old-host.test/webhooks/zendesk, not", f"--url {SERVICE}"),
        (missing_subscription, "webhook events", "not subscribed to zen:event-type:messaging", "install"),
        (other_secret, "signing secret", "is not one of ZENDESK_WEBHOOK_SECRET's", "ZENDESK_WEBHOOK_SECRET"),
        (no_secret, "signing secret", "is not set here", "ZENDESK_WEBHOOK_SECRET"),
        (field_deleted, "field response_due", "no such ticket field", "response_due_field_id"),
        (field_not_configured, "field response_due", "the worker does not write it", "add response_due_field_id"),
        (
            field_of_other_type,
            "field response_due",
            "response_due_field_type is 'date'",
            'response_due_field_type = "text"',
        ),
        (field_inactive, "field response_due", "is inactive", "activate it"),
        (deadline_field_deleted, "field deadline", "no such ticket field", "install --fields deadline"),
        (deadline_field_not_configured, "field deadline", "the worker does not write it", "add deadline_field_id"),
        (deadline_field_inactive, "field deadline", "is inactive", "activate it"),
        (
            deadline_field_not_a_date,
            "field deadline",
            "(text), but the worker writes the customer's deadline as YYYY-MM-DD there, which needs a date field",
            "set deadline_field_id to a date field's id (escalator zendesk install --fields deadline makes one)",
        ),
        (after_hours_field_deleted, "field after_hours", "no such ticket field", "after_hours_field_id to a checkbox"),
        (after_hours_field_inactive, "field after_hours", "is inactive", "activate it"),
        (
            after_hours_field_not_a_checkbox,
            "field after_hours",
            "(text), but the worker writes true or false there, which needs a checkbox field",
            "set after_hours_field_id to a checkbox field's id",
        ),
        (schedule_deleted, "schedule", "create schedule", "install"),
        (schedule_hours_changed, "schedule", "update the schedule's open hours", "install"),
        (sla_deleted, "SLA policies", "create SLA policy 'escalator: urgent'", "install"),
        (no_redis_setting, "redis", "REDIS_URL is not set here", "heroku run escalator zendesk doctor"),
        (redis_unreachable, "redis", "unreachable", "REDIS_URL"),
        (no_worker, "workers", "no live worker", "heroku ps:scale worker=1"),
        (stuck_queue, "queue", "1 waiting, the oldest for", "heroku ps:scale worker=2"),
        (failed_job, "failed jobs", "1 in the failed registry", "rq requeue"),
        (no_scheduler, "scheduler", "not running: no scheduler holds the queues' lock", "start a worker"),
        (a_queue_without_scheduler, "scheduler", f"no scheduler holds the lock of {QUEUE}-urgent", "start a worker"),
        (stuck_scheduler, "scheduler", "but a due retry has waited 1", "heroku ps:restart worker"),
    ],
    ids=lambda value: value.__name__ if callable(value) else None,
)
def test_each_check_fails_alone_with_a_fix(setup, breaks, row, says, fix):
    breaks(setup)

    checks = setup.run()

    failed = [check for check in checks if check.status == FAIL]
    assert [check.name for check in failed] == [row]
    assert says in failed[0].detail
    assert fix in failed[0].fix
    assert exit_status(checks) == 1
    dependent = [c.name for c in checks if c.status == SKIP]
    if row in ("credentials", "webhook", "redis"):
        assert dependent  # what needs it is skipped, not failed
    else:
        assert dependent == []


def test_trigger_mode_checks_the_triggers(setup, api, echo):
    install(api, setup.policy, echo, mode="trigger")
    setup.settings = replace(setup.settings, webhook_secrets=(setup.fake.secrets[next(iter(setup.fake.webhooks))],))
    assert setup.row("triggers").status == OK
    assert setup.row("webhook events").detail.startswith("connected to triggers")

    trigger = next(t for t in setup.fake.triggers.values() if t["title"] == names.TRIGGER_COMMENT)
    trigger["active"] = False

    check = setup.row("triggers")
    assert (check.status, check.detail) == (FAIL, f"update trigger '{names.TRIGGER_COMMENT}' (active)")


def test_an_account_without_the_status_trigger_fails_the_triggers_check(setup, api, echo):
    # An account installed before the status trigger existed: its pages would never be resolved.
    install(api, setup.policy, echo, mode="trigger")
    setup.settings = replace(setup.settings, webhook_secrets=(setup.fake.secrets[next(iter(setup.fake.webhooks))],))
    [solved] = [i for i, t in setup.fake.triggers.items() if t["title"] == names.TRIGGER_SOLVED]
    del setup.fake.triggers[solved]

    check = setup.row("triggers")
    assert (check.status, check.detail) == (FAIL, f"create trigger '{names.TRIGGER_SOLVED}'")
    assert "escalator zendesk install" in check.fix


@pytest.mark.parametrize("status", [403, 404])
def test_a_plan_without_sla_policies_is_a_warning_not_a_failure(setup, status):
    setup.fake.sla_status = status
    checks = setup.run()
    sla = next(c for c in checks if c.name == "SLA policies")
    assert sla.status == WARN
    assert f"not available on this account ({status})" in sla.detail
    assert exit_status(checks) == 0


def test_without_credentials_zendesk_rows_are_skipped(setup):
    setup.api = None
    checks = setup.run()
    assert next(c for c in checks if c.name == "credentials").status == FAIL
    assert {c.name for c in checks if c.status == SKIP} >= {"webhook", "signing secret", "fields", "schedule"}


def test_the_scheduler_row_names_the_running_scheduler(setup):
    scheduler = RQScheduler(QueueNames(QUEUE).in_priority_order(), connection=setup.redis, name="doctor-test-scheduler")
    scheduler.register_birth()
    row = setup.row("scheduler")
    assert row.status == OK
    assert row.detail.startswith(f"running (doctor-test-scheduler, pid {os.getpid()} on ")


def test_persistence_is_only_ever_a_warning():
    checks = [Check("redis", OK, "up"), Check("persistence", WARN, "off")]
    assert exit_status(checks) == 0


def test_render_aligns_columns():
    table = render([Check("service", OK, "answers 200"), Check("webhook endpoint", FAIL, "elsewhere", "run install")])
    lines = table.splitlines()
    assert lines[0].split() == ["CHECK", "RESULT", "DETAIL", "FIX"]
    assert [line.index(word) for line, word in zip(lines, ("RESULT", "OK", "FAIL"), strict=True)] == [18] * 3
    assert lines[2].endswith("elsewhere    run install")
