"""The strict OpenAPI check every recorded Zendesk request goes through (tests/openapi.py)."""

import pytest
import requests
import responses

from tests.openapi import RecordedRequests, operation_path, request_violations

UPDATE = "/api/v2/tickets/35436"


def test_every_request_responses_serves_is_recorded_and_checked(zendesk_requests_follow_the_openapi_file):
    recorded = zendesk_requests_follow_the_openapi_file
    with responses.RequestsMock() as api:
        api.put("https://acme.zendesk.com" + UPDATE, json={})
        api.post("https://events.example.com/v2/enqueue", json={})
        requests.put("https://acme.zendesk.com" + UPDATE, json={"ticket": {"additional_tags": ["x"]}}, timeout=5)
        requests.post("https://events.example.com/v2/enqueue", json={"anything": 1}, timeout=5)  # not Zendesk's
    assert recorded.violations() == [
        f"PUT {UPDATE}: ticket.additional_tags is not declared by /api/v2/tickets/{{ticket_id}}"
    ]
    recorded.requests.clear()  # this test's violation is on purpose: it must not fail it


@pytest.mark.parametrize(
    "method, path, template",
    [
        ("PUT", "/api/v2/tickets/35436", "/api/v2/tickets/{ticket_id}"),
        ("PUT", "/api/v2/tickets/35436.json", "/api/v2/tickets/{ticket_id}"),
        ("PUT", "/api/v2/tickets/update_many", "/api/v2/tickets/update_many"),
        ("DELETE", "/api/v2/tickets/1/tags", "/api/v2/tickets/{ticket_id}/tags"),
        ("PATCH", "/api/v2/tickets/1", None),
        ("GET", "/api/v2/no_such_thing", None),
    ],
)
def test_a_request_path_finds_its_operation(method, path, template):
    assert operation_path(method, path) == template


@pytest.mark.parametrize(
    "query, body, problems",
    [
        ({}, {"ticket": {"priority": "urgent", "tags": ["a"]}}, []),
        ({}, {"ticket": {"remove_tags": ["a"]}}, ["ticket.remove_tags is not declared"]),
        ({}, {"ticket": {"priority": "critical"}}, ["'critical' is not one of"]),
        ({}, {"ticket": {"updated_at": "2026-11-27T15:00:00Z"}}, ["read-only"]),
        ({}, {"tickets": []}, ["tickets is not declared"]),
        ({"async": "true"}, {"ticket": {}}, ["query parameter 'async' is not declared"]),
    ],
)
def test_update_ticket_bodies_and_queries(query, body, problems):
    found = request_violations("PUT", UPDATE, query, body)
    assert len(found) == len(problems)
    for problem, expected in zip(found, problems, strict=True):
        assert expected in problem


def test_reads_take_no_body_and_only_declared_parameters():
    assert (
        request_violations("GET", "/api/v2/tickets/1/comments", {"sort_order": "desc", "include": "users"}, None) == []
    )
    assert request_violations("GET", "/api/v2/tickets/1/comments", {"sort_order": "newest"}, None) != []
    assert request_violations("GET", "/api/v2/tickets/1", {}, {"x": 1}) == [
        "GET /api/v2/tickets/1: sends a body, and /api/v2/tickets/{ticket_id} declares none"
    ]
    assert request_violations("GET", "/api/v2/tickets/1/conversation_log", {"page[size]": "100"}, None) == []


def test_tags_endpoints_take_the_body_their_description_shows():
    safe = {"tags": ["a"], "safe_update": "true", "updated_stamp": "2019-09-12T21:45:16Z"}
    assert request_violations("PUT", "/api/v2/tickets/1/tags", {}, safe) == []
    assert request_violations("POST", "/api/v2/tickets/1/tags", {}, {"tags": ["a"]}) == []
    assert request_violations("DELETE", "/api/v2/tickets/1/tags", {"tags": "a,b"}, None) == []
    assert request_violations("PUT", "/api/v2/tickets/1/tags", {}, {"safe_update": True}) != []  # no tags
    assert request_violations("PUT", "/api/v2/tickets/1/tags", {}, {"ticket": {"tags": ["a"]}}) != []


def test_sla_policy_bodies_are_checked_against_the_object_the_file_describes():
    policy = {
        "title": "escalator: urgent",
        "filter": {"all": [{"field": "current_tags", "operator": "includes", "value": "urgency_urgent"}], "any": []},
        "policy_metrics": [
            {"priority": "urgent", "metric": "first_reply_time", "target": 120, "business_hours": False}
        ],
    }
    assert request_violations("POST", "/api/v2/slas/policies", {}, {"sla_policy": policy}) == []
    assert request_violations("PUT", "/api/v2/slas/policies/7", {}, {"sla_policy": policy}) == []
    assert request_violations("POST", "/api/v2/slas/policies", {}, {"sla_policy": {**policy, "colour": "red"}}) == [
        "POST /api/v2/slas/policies: sla_policy.colour is not declared by /api/v2/slas/policies"
    ]


def test_the_responses_check_covers_the_files_operations_and_the_stub_all(zendesk_requests_follow_the_openapi_file):
    """Webhooks, schedules and time zones are not in the OpenAPI file: their own references
    (tests/admin/documented_apis.py) check them. The worker never calls them, so the stub refuses them."""
    recorded = zendesk_requests_follow_the_openapi_file
    with responses.RequestsMock() as api:
        api.get("https://acme.zendesk.com/api/v2/time_zones", json={"time_zones": []})
        requests.get("https://acme.zendesk.com/api/v2/time_zones", timeout=5)
    assert recorded.requests and recorded.violations() == []
    assert request_violations("GET", "/api/v2/time_zones", {}, None) == [
        "GET /api/v2/time_zones: no such operation in Zendesk's OpenAPI file"
    ]


def test_a_body_the_webhooks_reference_does_not_document_is_caught_under_responses(
    zendesk_requests_follow_the_openapi_file,
):
    recorded = zendesk_requests_follow_the_openapi_file
    body = {"webhook": {"name": "n", "endpoint": "https://x.test", "http_method": "POST", "request_format": "json"}}
    with responses.RequestsMock() as api:
        api.post("https://acme.zendesk.com/api/v2/webhooks", json={})
        requests.post("https://acme.zendesk.com/api/v2/webhooks", json=body, timeout=5)
    assert [p for p in recorded.violations() if "'status' is a required property" in p]
    recorded.requests.clear()  # on purpose: it must not fail this test


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v2/tickets/1/escalations"),  # invented
        ("GET", "/api/v2/ticket/1"),  # misspelt
        ("PATCH", "/api/v2/webhooks/01H"),  # a documented path, with a method no reference has
    ],
)
def test_an_operation_no_reference_documents_fails_under_responses(
    zendesk_requests_follow_the_openapi_file, method, path
):
    recorded = zendesk_requests_follow_the_openapi_file
    with responses.RequestsMock() as api:
        api.add(method, "https://acme.zendesk.com" + path, json={})
        requests.request(method, "https://acme.zendesk.com" + path, timeout=5)
    assert recorded.violations() == [
        f"{method} {path}: not an operation of the Webhooks, Schedules, Time zones or SLA Policies references"
    ]
    recorded.requests.clear()  # on purpose: it must not fail this test


def test_without_other_references_an_operation_the_file_lacks_is_a_violation():
    recorded = RecordedRequests()
    recorded.add("GET", "/api/v2/time_zones", {}, None)
    assert recorded.violations() == ["GET /api/v2/time_zones: no such operation in Zendesk's OpenAPI file"]
