"""The documented-shape check that stands in for the OpenAPI file where Zendesk publishes none:
install's bodies pass it, and what the references do not document fails it."""

from __future__ import annotations

from datetime import date

import pytest

from app.admin.desired import EVENTS_MODE, TRIGGER_MODE, build_desired, holiday_body, sla_policies
from tests.admin.conftest import TODAY
from tests.admin.documented_apis import documented_violations


@pytest.mark.parametrize("mode", [EVENTS_MODE, TRIGGER_MODE])
def test_install_bodies_follow_the_references(policy, mode):
    desired = build_desired(
        policy, endpoint="https://x.test/webhooks/zendesk", mode=mode, time_zone="London", today=TODAY
    )
    assert desired.schedule is not None
    checks = [
        ("POST", "/api/v2/webhooks", {"webhook": desired.webhook()}),
        ("PUT", "/api/v2/webhooks/01HXYZ", {"webhook": desired.webhook()}),
        ("POST", "/api/v2/business_hours/schedules", {"schedule": {"name": "n", "time_zone": "London"}}),
        (
            "PUT",
            "/api/v2/business_hours/schedules/7/workweek",
            {"workweek": {"intervals": desired.schedule.intervals_body()}},
        ),
        ("POST", "/api/v2/business_hours/schedules/7/holidays", {"holiday": holiday_body(date(2026, 12, 25))}),
        *[("POST", "/api/v2/slas/policies", {"sla_policy": {**body, "position": 1}}) for body in sla_policies(policy)],
    ]
    for method, path, body in checks:
        assert documented_violations(method, path, {}, body) == [], (method, path)
    assert (
        documented_violations(
            "GET", "/api/v2/webhooks", {"filter[name_contains]": "escalator", "page[size]": "100"}, None
        )
        == []
    )


@pytest.mark.parametrize(
    ("method", "path", "query", "body", "problem"),
    [
        (
            "POST",
            "/api/v2/webhooks",
            {},
            {"webhook": {"name": "n", "endpoint": "https://x", "http_method": "POST", "request_format": "json"}},
            "'status' is a required property",
        ),
        (
            "POST",
            "/api/v2/webhooks",
            {},
            {
                "webhook": {
                    "name": "n",
                    "endpoint": "https://x",
                    "http_method": "POST",
                    "request_format": "json",
                    "status": "active",
                    "signing_secret": {},
                }
            },
            "Additional properties",
        ),
        (
            "PUT",
            "/api/v2/business_hours/schedules/7",
            {},
            {"schedule": {"name": "n", "time_zone": "London", "intervals": []}},
            "Additional properties",
        ),
        (
            "PUT",
            "/api/v2/business_hours/schedules/7/workweek",
            {},
            {"workweek": {"intervals": [{"start_time": "480", "end_time": 600}]}},
            "is not of type 'integer'",
        ),
        (
            "POST",
            "/api/v2/business_hours/schedules/7/holidays",
            {},
            {"holiday": {"name": "x", "start_date": "25/12/2026", "end_date": "2026-12-25"}},
            "does not match",
        ),
        ("GET", "/api/v2/webhooks", {"filter[name]": "x"}, None, "query parameter 'filter[name]' is not documented"),
        ("DELETE", "/api/v2/webhooks/01H", {}, {"webhook": {}}, "sends a body"),
        ("POST", "/api/v2/slas/policies", {}, {"sla_policy": {"title": "t", "filter": {}, "id": 5}}, "read-only"),
        ("PATCH", "/api/v2/webhooks/01H", {}, {"webhook": {}}, "not an operation"),
    ],
)
def test_what_the_references_do_not_document_fails(method, path, query, body, problem):
    problems = documented_violations(method, path, query, body)
    assert any(problem in p for p in problems), problems
