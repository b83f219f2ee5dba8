"""The desired state is pure: built from config/policy.toml, checked against Zendesk's documents."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, time

import pytest

from app.admin import names
from app.admin.desired import (
    EVENT_SUBSCRIPTIONS,
    EVENTS_MODE,
    TRIGGER_MODE,
    BadServiceUrl,
    build_desired,
    comment_trigger,
    created_trigger,
    service_url,
    sla_policies,
    solved_trigger,
    workweek_intervals,
)
from app.webhooks.events import EVENT_HANDLERS
from app.webhooks.trigger_body import TRIGGER_EVENTS, trigger_body
from tests.admin.conftest import TODAY, with_fields
from tests.openapi import load_spec, undeclared_properties, validate_component, validate_request


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://acme-escalator.herokuapp.com", "https://acme-escalator.herokuapp.com"),
        ("https://acme.test/", "https://acme.test"),
        ("https://acme.test:8443/escalator/webhooks/zendesk", "https://acme.test:8443/escalator"),
        ("http://localhost:8000", "http://localhost:8000"),
        ("http://127.0.0.1", "http://127.0.0.1"),
    ],
)
def test_service_url_accepts_https_and_local_http(given, expected):
    assert service_url(given) == expected


@pytest.mark.parametrize(
    "given",
    [
        "http://acme.test",
        "http://localhost.acme.test",
        "ftp://acme.test",
        "acme.test",
        "https://",
        "https://acme.test/?x=1",
        "https://user:pw@acme.test",
        "https://acme.test:port",
    ],
)
def test_service_url_refuses_the_rest(given):
    with pytest.raises(BadServiceUrl):
        service_url(given)


def test_intervals_are_minutes_since_sunday_as_the_schedules_reference_counts_them(policy):
    # The reference's own examples: Monday 9 a.m. is 1980, Friday 5 p.m. is 8220.
    nine_to_five = replace(policy.hours, open=time(9), close=time(17))
    assert workweek_intervals(nine_to_five) == ((1980, 2460), (3420, 3900), (4860, 5340), (6300, 6780), (7740, 8220))
    weekend = replace(policy.hours, days=frozenset({5, 6}), open=time(10), close=time(14, 30))  # sat, sun
    assert workweek_intervals(weekend) == ((600, 870), (6 * 1440 + 600, 6 * 1440 + 870))


def test_sla_targets_come_from_the_policy_not_from_this_code(policy):
    urgent, sensitive = sla_policies(policy)
    assert {m["target"] for m in urgent["policy_metrics"]} == {policy.targets.urgent_elapsed_minutes}
    assert {m["target"] for m in sensitive["policy_metrics"]} == {240}

    stricter = replace(
        policy, targets=replace(policy.targets, urgent_elapsed_minutes=60, time_sensitive_business_hours=4.51)
    )
    urgent, sensitive = sla_policies(stricter)
    assert {m["target"] for m in urgent["policy_metrics"]} == {60}
    assert {m["target"] for m in sensitive["policy_metrics"]} == {271}  # rounded up, never earlier
    assert {m["business_hours"] for m in sensitive["policy_metrics"]} == {True}
    assert len(urgent["policy_metrics"]) == 8  # 4 priorities x first and next reply


def test_sla_bodies_are_valid_sla_policy_objects(policy):
    for body in sla_policies(policy):
        validate_component("SLAPolicyObject", {**body, "position": 1})


def test_trigger_bodies_are_valid_requests_with_the_shared_template():
    for trigger, event in (
        (created_trigger("01HWEBHOOK"), "created"),
        (comment_trigger("01HWEBHOOK"), "comment"),
        (solved_trigger("01HWEBHOOK"), "status_changed"),
    ):
        for method, path in (("POST", "/api/v2/triggers"), ("PUT", "/api/v2/triggers/{trigger_id}")):
            validate_request(method, path, {"trigger": trigger})
            assert undeclared_properties(method, path, {"trigger": trigger}) == []
        assert json.loads(trigger["actions"][0]["value"][1]) == trigger_body(event)


def test_the_status_trigger_fires_on_a_change_to_the_statuses_that_end_a_page():
    conditions = solved_trigger("01HWEBHOOK")["conditions"]
    # "value" is the "Changed to" operator of `status` (the trigger definitions in the OpenAPI file).
    assert conditions["any"] == [
        {"field": "status", "operator": "value", "value": "solved"},
        {"field": "status", "operator": "value", "value": "closed"},
    ]
    assert conditions["all"] == [{"field": "update_type", "operator": "is", "value": "Change"}]


def test_status_trigger_uses_only_documented_status_operators_and_values():
    example = load_spec()["components"]["examples"]["TriggerDefinitionResponseExample"]["value"]
    definitions = example["definitions"]["conditions_all"]
    status = next(d for d in definitions if d["subject"] == "status")
    operators = {o["value"]: o["title"] for o in status["operators"]}
    values = {v["value"] for v in status["values"]}
    for condition in solved_trigger("01HWEBHOOK")["conditions"]["any"]:
        assert operators[condition["operator"]] == "Changed to"
        assert condition["value"] in values


def test_trigger_mode_has_a_trigger_for_each_trigger_body_kind(policy):
    desired = build_desired(policy, endpoint="https://x/webhooks/zendesk", mode="trigger", time_zone="", today=TODAY)
    sent = [json.loads(t["actions"][0]["value"][1])["event"] for t in desired.triggers("01HWEBHOOK")]
    assert sent == list(TRIGGER_EVENTS)


def test_every_handled_event_type_is_subscribed():
    assert set(EVENT_HANDLERS) <= set(EVENT_SUBSCRIPTIONS)
    assert "zen:event-type:messaging_ticket.message_added" in EVENT_SUBSCRIPTIONS


def test_field_bodies_are_valid_requests(policy):
    desired = build_desired(
        policy,
        endpoint="https://x/webhooks/zendesk",
        mode=EVENTS_MODE,
        extra_fields=("urgency", "category"),
        time_zone="Eastern Time (US & Canada)",
        today=TODAY,
    )
    assert [spec.title for spec in desired.fields] == [
        names.FIELD_RESPONSE_DUE,
        names.FIELD_URGENCY,
        names.FIELD_CATEGORY,
    ]
    for spec in desired.fields:
        validate_request("POST", "/api/v2/ticket_fields", {"ticket_field": spec.body()})
        assert undeclared_properties("POST", "/api/v2/ticket_fields", {"ticket_field": spec.body()}) == []


def test_a_field_named_by_id_in_the_policy_is_read_not_made(policy):
    configured = with_fields(policy, response_due_field_id=77, category_field_id=88)
    desired = build_desired(configured, endpoint="", mode=TRIGGER_MODE, time_zone="London", today=TODAY)
    assert desired.fields == ()
    assert [(spec.kind, field_id) for spec, field_id in desired.configured_fields] == [
        ("response_due", 77),
        ("category", 88),
    ]


def test_holidays_outside_zendesks_two_year_range_are_set_aside(policy):
    far = replace(
        policy,
        hours=replace(policy.hours, holidays=frozenset({date(2024, 11, 26), date(2024, 11, 27), date(2028, 11, 28)})),
    )
    desired = build_desired(far, endpoint="", mode=EVENTS_MODE, time_zone="London", today=TODAY)
    assert desired.schedule is not None
    assert desired.schedule.holidays == (date(2024, 11, 27),)
    assert desired.schedule.holidays_out_of_range == (date(2024, 11, 26), date(2028, 11, 28))
