"""`escalator zendesk install` against a fake account that refuses what Zendesk's docs refuse."""

from __future__ import annotations

import json
from dataclasses import replace
from urllib.parse import unquote, urlsplit

import pytest

from app.admin import names
from app.admin.desired import EVENT_SUBSCRIPTIONS, SCHEDULE, SLA
from app.admin.execute import DRY_RUN_READS
from app.admin.install import InstallOptions, run_install, write_env_line
from app.webhooks.trigger_body import trigger_body
from tests.admin.conftest import SERVICE, TODAY, with_fields

ENDPOINT = SERVICE + "/webhooks/zendesk"
MON_FRI_8_TO_20 = [{"start_time": 1440 * d + 480, "end_time": 1440 * d + 1200} for d in range(1, 6)]


def _path_and_query(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{unquote(parts.query)}" if parts.query else "")


def install(api, policy, echo, **options) -> int:
    return run_install(api, policy, InstallOptions(url=options.pop("url", SERVICE), **options), echo=echo, today=TODAY)


def ours(records: dict, key: str, name: str) -> list[dict]:
    return [r for r in records.values() if r.get(key) == name]


def test_fresh_account_events_mode(fake, api, policy, echo):
    assert install(api, policy, echo) == 0

    [hook] = fake.webhooks.values()
    assert hook["name"] == names.WEBHOOK
    assert hook["endpoint"] == ENDPOINT
    assert hook["status"] == "active"
    assert sorted(hook["subscriptions"]) == sorted(EVENT_SUBSCRIPTIONS)
    assert "zen:event-type:messaging_ticket.message_added" in hook["subscriptions"]
    assert fake.triggers == {}
    [due] = fake.fields.values()
    assert (due["title"], due["type"], due["active"]) == (names.FIELD_RESPONSE_DUE, "text", True)
    [schedule] = fake.schedules.values()
    assert schedule["time_zone"] == "Eastern Time (US & Canada)"
    assert schedule["intervals"] == MON_FRI_8_TO_20
    holidays = sorted((h["start_date"], h["end_date"]) for h in fake.holidays[schedule["id"]].values())
    assert holidays == [("2026-12-25", "2026-12-25"), ("2027-01-01", "2027-01-01")]
    assert "2019-01-01" in echo.text  # said, not sent: outside Zendesk's two-year range

    urgent, sensitive = sorted(fake.sla_policies.values(), key=lambda p: p["position"])
    assert urgent["title"] == names.SLA_URGENT
    assert urgent["filter"]["all"] == [{"field": "current_tags", "operator": "includes", "value": "urgency_urgent"}]
    assert {(m["metric"], m["target"], m["business_hours"]) for m in urgent["policy_metrics"]} == {
        ("first_reply_time", 120, False),
        ("next_reply_time", 120, False),
    }
    assert {m["priority"] for m in urgent["policy_metrics"]} == {"low", "normal", "high", "urgent"}
    assert sensitive["filter"]["all"][0]["value"] == "urgency_time_sensitive"
    assert {(m["metric"], m["target"], m["business_hours"]) for m in sensitive["policy_metrics"]} == {
        ("first_reply_time", 240, True),
        ("next_reply_time", 240, True),
    }

    assert f"ZENDESK_WEBHOOK_SECRET={fake.secrets[hook['id']]}" in echo
    assert f"response_due_field_id = {due['id']}" in echo
    assert 'response_due_field_type = "text"' in echo


def test_fresh_account_trigger_mode(fake, api, policy, echo):
    assert install(api, policy, echo, mode="trigger") == 0

    [hook] = fake.webhooks.values()
    assert hook["subscriptions"] == ["conditional_ticket_events"]
    created = ours(fake.triggers, "title", names.TRIGGER_CREATED)[0]
    comment = ours(fake.triggers, "title", names.TRIGGER_COMMENT)[0]
    solved = ours(fake.triggers, "title", names.TRIGGER_SOLVED)[0]
    assert len(fake.triggers) == 3
    for trigger, event in ((created, "created"), (comment, "comment"), (solved, "status_changed")):
        [action] = trigger["actions"]
        assert action["field"] == "notification_webhook"
        assert action["value"][0] == hook["id"]
        assert json.loads(action["value"][1]) == trigger_body(event)
        assert trigger["active"] is True
    assert created["conditions"]["all"] == [{"field": "update_type", "operator": "is", "value": "Create"}]
    assert {"field": "current_via_id", "operator": "is_not", "value": "5"} in comment["conditions"]["all"]
    assert {"field": "comment_is_public", "operator": "is", "value": "true"} in comment["conditions"]["all"]
    assert {c["value"] for c in solved["conditions"]["any"]} == {"solved", "closed"}


@pytest.mark.parametrize("mode", ["events", "trigger"])
def test_second_run_with_nothing_changed_sends_no_write(fake, api, policy, echo, mode):
    assert install(api, policy, echo, mode=mode) == 0
    first = fake.write_count
    assert first > 0
    echo.clear()

    assert install(api, policy, echo, mode=mode) == 0

    assert fake.write_count == first, fake.writes[first:]
    assert "Nothing to change: the account already matches (no write sent)." in echo
    assert any(line.startswith("ZENDESK_WEBHOOK_SECRET=") for line in echo)


def test_drifted_webhook_url_is_one_update_and_keeps_the_secret(fake, api, policy, echo):
    install(api, policy, echo)
    [hook_id] = fake.webhooks
    secret = fake.secrets[hook_id]
    before = fake.write_count

    assert install(api, policy, echo, url="https://escalator.acme.test/") == 0

    assert len(fake.writes) - before == 1
    method, path, body = fake.writes[-1]
    assert (method, path) == ("PUT", f"/api/v2/webhooks/{hook_id}")
    assert body["webhook"]["endpoint"] == "https://escalator.acme.test/webhooks/zendesk"
    assert fake.secrets[hook_id] == secret
    assert f"ZENDESK_WEBHOOK_SECRET={secret}" in echo


def test_edits_made_in_admin_center_are_undone_one_request_each(fake, api, policy, echo):
    install(api, policy, echo, mode="trigger")
    [due] = fake.fields.values()
    due["active"] = False
    [schedule] = fake.schedules.values()
    schedule["intervals"] = schedule["intervals"][:2]
    trigger = ours(fake.triggers, "title", names.TRIGGER_COMMENT)[0]
    trigger["conditions"]["all"] = trigger["conditions"]["all"][:2]
    urgent = ours(fake.sla_policies, "title", names.SLA_URGENT)[0]
    urgent["policy_metrics"][0]["target"] = 30
    before = fake.write_count

    assert install(api, policy, echo, mode="trigger") == 0

    assert sorted((m, p) for m, p, _ in fake.writes[before:]) == sorted(
        [
            ("PUT", f"/api/v2/ticket_fields/{due['id']}"),
            ("PUT", f"/api/v2/business_hours/schedules/{schedule['id']}/workweek"),
            ("PUT", f"/api/v2/triggers/{trigger['id']}"),
            ("PUT", f"/api/v2/slas/policies/{urgent['id']}"),
        ]
    )
    assert fake.writes[before][2] == {"ticket_field": {"active": True}}  # only what drifted
    assert {m["target"] for m in fake.sla_policies[urgent["id"]]["policy_metrics"]} == {120}
    assert install(api, policy, echo, mode="trigger") == 0
    assert fake.write_count == before + 4


def test_holidays_follow_the_config(fake, api, policy, echo):
    install(api, policy, echo)
    [schedule_id] = fake.schedules
    before = fake.write_count
    changed = replace(policy, hours=replace(policy.hours, holidays=frozenset({TODAY.replace(month=12, day=31)})))

    assert install(api, changed, echo) == 0

    writes = [(m, p.rsplit("/", 1)[-1] if m == "DELETE" else p) for m, p, _ in fake.writes[before:]]
    assert sorted(m for m, _ in writes) == ["DELETE", "DELETE", "POST"]
    assert [h["start_date"] for h in fake.holidays[schedule_id].values()] == ["2026-12-31"]


@pytest.mark.parametrize("status", [403, 404])
def test_a_plan_without_sla_policies_is_said_plainly(fake, api, policy, echo, status):
    fake.sla_status = status

    assert install(api, policy, echo) == 0

    assert fake.sla_policies == {}
    assert not [w for w in fake.writes if "/slas/" in w[1]]
    assert any(f"SLA policies are not available on this account ({status})" in line for line in echo)
    assert fake.webhooks and fake.schedules  # the rest is installed


def test_a_plan_without_schedules_is_said_plainly(fake, api, policy, echo):
    fake.schedules_status = 403
    assert install(api, policy, echo) == 0
    assert any("schedules are not available on this account (403)" in line for line in echo)
    assert not [w for w in fake.writes if "business_hours" in w[1]]


def test_skip_leaves_schedule_and_sla_alone(fake, api, policy, echo):
    assert install(api, policy, echo, skip=frozenset({SCHEDULE, SLA})) == 0
    assert fake.schedules == {} and fake.sla_policies == {}


def test_dry_run_reads_the_account_prints_every_write_and_sends_none(fake, rsps, api, policy, echo):
    assert install(api, policy, echo, mode="trigger", dry_run=True) == 0

    assert fake.writes == []
    reads = [call.request.method for call in rsps.calls]
    assert reads and set(reads) == {"GET"}
    assert echo[0] == DRY_RUN_READS
    assert echo[-1] == f"Dry run: the account was read with {len(reads)} GET request(s); no write was sent."
    printed = [line for line in echo.text.splitlines() if line.startswith(("POST ", "PUT ", "DELETE "))]
    # 1 field, webhook, 3 triggers, schedule + its week + 2 holidays, 2 SLA policies
    assert len(printed) == 11
    assert "POST /api/v2/webhooks" in echo.text
    assert "<id of new webhook 'escalator: urgency webhook'>" in echo.text
    assert "Dry run: 11 write request(s) would be sent, listed below; none is sent." in echo


def test_dry_run_prints_every_read_it_sent(fake, rsps, api, policy, echo):
    assert install(api, policy, echo, dry_run=True) == 0

    printed = [line.strip() for line in echo if line.strip().startswith("read: ")]
    sent = [f"read: GET {_path_and_query(call.request.url)} (sent)" for call in rsps.calls]
    assert printed == sent
    assert "read: GET /api/v2/users/me (sent)" in printed
    assert "read: GET /api/v2/webhooks?filter[name_contains]=escalator&page[size]=100 (sent)" in printed
    assert echo.index("  read: GET /api/v2/users/me (sent)") < next(
        i for i, line in enumerate(echo) if line.startswith("Zendesk ")
    )


def test_a_real_install_does_not_print_its_reads(fake, api, policy, echo):
    assert install(api, policy, echo) == 0
    assert not [line for line in echo if "read: GET" in line]


def test_dry_run_after_a_drift_prints_only_the_update(fake, api, policy, echo):
    install(api, policy, echo)
    before = fake.write_count
    echo.clear()

    assert install(api, policy, echo, url="https://elsewhere.acme.test", dry_run=True) == 0

    assert fake.write_count == before
    assert [line.split("\n")[1] for line in echo if line.startswith("# ")] == [
        f"PUT /api/v2/webhooks/{next(iter(fake.webhooks))}"
    ]


def test_dry_run_without_credentials_plans_an_empty_account(rsps, policy, echo):
    assert install(None, policy, echo, dry_run=True) == 0

    assert len(rsps.calls) == 0
    assert "Dry run without Zendesk credentials: planning against an empty account; no request is sent." in echo
    # 1 field, webhook, schedule + its week + 2 holidays, 2 SLA policies: all of a fresh install
    assert "Dry run: 8 write request(s) would be sent, listed below; none is sent." in echo
    assert "POST /api/v2/webhooks" in echo.text
    assert "<Zendesk's name for America/New_York>" in echo.text
    assert echo[-1] == "Dry run: no request was sent to Zendesk."


def test_switching_mode_recreates_the_webhook(fake, api, policy, echo):
    install(api, policy, echo, mode="trigger")
    [old] = fake.webhooks

    assert install(api, policy, echo, mode="events") == 0

    [new] = fake.webhooks
    assert new != old
    assert fake.triggers == {}
    assert f"ZENDESK_WEBHOOK_SECRET={fake.secrets[new]}" in echo
    assert any("signing secret changes" in line for line in echo)


def test_fields_on_request_and_configured_fields_are_left_alone(fake, api, policy, echo):
    theirs = fake.add_field(title="Urgency (ours)", type="tagger")
    configured = with_fields(policy, urgency_field_id=theirs["id"])

    assert install(api, configured, echo, extra_fields=("urgency", "category")) == 0

    titles = sorted(f["title"] for f in fake.fields.values())
    assert titles == sorted(["Urgency (ours)", names.FIELD_RESPONSE_DUE, names.FIELD_CATEGORY])
    category = ours(fake.fields, "title", names.FIELD_CATEGORY)[0]
    assert f"category_field_id = {category['id']}" in echo
    assert not any(line.startswith("urgency_field_id") for line in echo)


def test_the_deadline_field_is_made_on_request_as_a_date_field(fake, api, policy, echo):
    assert install(api, policy, echo, extra_fields=("deadline",)) == 0

    [deadline] = ours(fake.fields, "title", names.FIELD_DEADLINE)
    assert (deadline["type"], deadline["active"], deadline["required"]) == ("date", True, False)
    assert f"deadline_field_id = {deadline['id']}" in echo
    writes = fake.write_count

    echo.clear()
    assert install(api, policy, echo, extra_fields=("deadline",)) == 0
    assert fake.write_count == writes  # found by title, nothing drifted
    assert f"deadline_field_id = {deadline['id']}" in echo


def test_a_deadline_field_of_another_type_is_a_problem_not_rewritten(fake, api, policy, echo):
    theirs = fake.add_field(title=names.FIELD_DEADLINE, type="text")

    assert install(api, policy, echo, extra_fields=("deadline",)) == 1

    assert "is a text field; escalator writes date" in echo.text
    assert not any(line.startswith("deadline_field_id") for line in echo)
    assert ours(fake.fields, "title", names.FIELD_DEADLINE) == [theirs]  # none made beside it
    assert not [w for w in fake.writes if w[1] == f"/api/v2/ticket_fields/{theirs['id']}"]


def test_problems_install_cannot_fix_exit_1_and_are_named(fake, api, policy, echo):
    fake.add_field(title=names.FIELD_RESPONSE_DUE, type="date")
    fake.add_webhook(name=names.WEBHOOK, endpoint=ENDPOINT, status="active", subscriptions=list(EVENT_SUBSCRIPTIONS))
    fake.add_webhook(name=names.WEBHOOK, endpoint=ENDPOINT, status="active", subscriptions=list(EVENT_SUBSCRIPTIONS))
    missing = with_fields(policy, category_field_id=424242)

    assert install(api, missing, echo) == 1

    text = echo.text
    assert "is a date field; escalator writes text" in text
    assert "2 webhooks are named 'escalator: urgency webhook'" in text
    assert "category_field_id = 424242: the account has no such ticket field" in text
    assert not any(line.startswith("response_due_field_id") for line in echo)  # not a field to configure
    assert not [w for w in fake.writes if w[1].startswith(("/api/v2/webhooks", "/api/v2/ticket_fields"))]


def test_a_refused_request_skips_what_depends_on_it_and_the_rest_goes_on(fake, api, policy, echo):
    refusal = {
        "error": "RecordInvalid",
        "description": "Record validation errors",
        "details": {"endpoint": [{"description": "Endpoint is not a valid URL", "error": "InvalidValue"}]},
    }
    fake.interrupt["POST /api/v2/webhooks"] = [(422, {}, refusal)]

    assert install(api, policy, echo, mode="trigger") == 1

    assert fake.webhooks == {} and fake.triggers == {}
    assert fake.fields and fake.schedules and fake.sla_policies
    failed = [line for line in echo if line.startswith("  FAILED")]
    assert failed == [
        "  FAILED: create webhook 'escalator: urgency webhook' (trigger mode) (POST /api/v2/webhooks): Zendesk "
        "refused the values (422): endpoint: Endpoint is not a valid URL."
    ]
    assert sum(line.startswith("  skipped: create trigger") for line in echo) == 3
    assert not any(line.startswith("ZENDESK_WEBHOOK_SECRET=") for line in echo)
    assert "ZENDESK_WEBHOOK_SECRET: none yet, the webhook was not made (see FAILED above)." in echo
    assert install(api, policy, echo, mode="trigger") == 0  # a second run resumes
    assert len(fake.triggers) == 3


def test_a_rate_limit_is_waited_out(fake, api, policy, echo, sleeps):
    fake.interrupt["POST /api/v2/webhooks"] = [(429, {"Retry-After": "7"}, {}), (429, {"Retry-After": "900"}, {})]

    assert install(api, policy, echo) == 0

    assert sleeps == [7, 60]  # Zendesk's Retry-After, capped at a minute
    assert len(fake.webhooks) == 1
    assert any("rate limit (429): waiting 7 s" in line for line in echo)


def test_a_rate_limit_that_does_not_end_is_explained(fake, api, policy, echo, sleeps):
    fake.interrupt["GET /api/v2/users/me"] = [(429, {"Retry-After": "1"}, {})] * 6
    from app.zendesk.errors import RateLimited

    with pytest.raises(RateLimited):
        install(api, policy, echo)
    assert len(sleeps) == 5


def test_write_env_sets_the_secret_in_the_file(fake, api, policy, echo, tmp_path):
    env = tmp_path / ".env"
    env.write_text("REDIS_URL=redis://x\nZENDESK_WEBHOOK_SECRET=old\nPORT=8000")

    assert install(api, policy, echo, write_env=env) == 0

    [hook_id] = fake.webhooks
    assert env.read_text() == f"REDIS_URL=redis://x\nZENDESK_WEBHOOK_SECRET={fake.secrets[hook_id]}\nPORT=8000"
    assert not any(fake.secrets[hook_id] in line for line in echo)


def test_write_env_line_appends_to_a_file_without_the_variable(tmp_path):
    env = tmp_path / "app.env"
    write_env_line(env, "ZENDESK_WEBHOOK_SECRET", "s1")
    env.write_text(env.read_text() + "OTHER=1")
    write_env_line(env, "ZENDESK_WEBHOOK_SECRET", "s2")
    assert env.read_text() == "ZENDESK_WEBHOOK_SECRET=s2\nOTHER=1"


def test_objects_past_the_first_page_are_found(fake, api, policy, echo):
    for number in range(150):
        fake.add_trigger(title=f"Customer trigger {number}", active=True, conditions={"all": [], "any": []}, actions=[])
        fake.add_field(title=f"Customer field {number}")
    install(api, policy, echo, mode="trigger")
    assert max(t["id"] for t in fake.triggers.values() if t["title"].startswith("escalator")) > max(
        t["id"] for t in fake.triggers.values() if t["title"].startswith("Customer")
    )
    before = fake.write_count

    assert install(api, policy, echo, mode="trigger") == 0

    assert fake.write_count == before
