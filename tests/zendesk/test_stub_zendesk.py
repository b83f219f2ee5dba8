"""The stub Zendesk server that cross-process tests point the worker at."""

import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from app.zendesk import Conflict, RateLimited, Unprocessable, ZendeskClient, ZendeskUnavailable
from tests.stub_zendesk import INTEGRATION_USER_ID, StubZendesk


@pytest.fixture
def stub():
    with StubZendesk() as server:
        yield server


@pytest.fixture
def client(stub):
    return ZendeskClient(stub.url, oauth_token="t", timeout=(1, 0.5))


def test_serves_what_the_worker_reads(stub, client):
    stub.seed_ticket({"id": 7, "priority": "normal", "tags": ["vip"], "updated_at": "2026-11-30T16:00:00Z"})
    stub.seed_comment(7, {"id": 70, "body": "urgent please"}, {"id": 5, "role": "end-user"})
    assert client.integration_user_id() == INTEGRATION_USER_ID
    assert client.get_ticket(7)["tags"] == ["vip"]
    assert client.get_ticket(8)["priority"] is None  # unknown tickets exist, empty
    assert client.get_comment(7, 70)["author_is_staff"] is False


def test_put_replaces_the_tags_and_enforces_safe_update(stub, client):
    stub.seed_ticket({"id": 7, "tags": ["vip"], "updated_at": "2026-11-30T16:00:00Z"})
    body = {
        "ticket": {
            "priority": "urgent",
            "tags": ["vip", "urgency_urgent"],
            "custom_fields": [{"id": 101, "value": "urgent"}],
            "comment": {"body": "note", "public": False},
            "safe_update": True,
            "updated_stamp": "2026-11-30T16:00:00Z",
        }
    }
    answer = client.update_ticket(7, body)
    assert answer["ticket"]["tags"] == ["vip", "urgency_urgent"]
    with pytest.raises(Conflict):
        client.update_ticket(7, body)  # the stamp is stale now

    ticket = stub.ticket(7)
    assert (ticket["priority"], ticket["tags"]) == ("urgent", ["vip", "urgency_urgent"])
    assert ticket["custom_fields"] == [{"id": 101, "value": "urgent"}]
    assert ticket["updated_at"] > "2026-11-30T16:00:00Z"
    assert [(c["body"], c["public"], c["author_id"]) for c in ticket["comments"]] == [
        ("note", False, INTEGRATION_USER_ID)
    ]
    assert [(r["method"], r["path"], r["status"]) for r in stub.requests(method="PUT")] == [
        ("PUT", "/api/v2/tickets/7", 200),
        ("PUT", "/api/v2/tickets/7", 409),
    ]
    assert stub.requests(method="PUT")[0]["body"] == body
    assert stub.violations() == []


def test_a_single_ticket_put_ignores_update_manys_tag_keys_and_reports_them(stub, client):
    """What sank every escalation: Update Ticket does not take additional_tags/remove_tags."""
    stub.seed_ticket({"id": 7, "tags": ["vip", "old"]})
    client.update_ticket(7, {"ticket": {"priority": "high", "additional_tags": ["new"], "remove_tags": ["old"]}})
    assert stub.ticket(7)["tags"] == ["vip", "old"]
    assert stub.ticket(7)["priority"] == "high"
    assert stub.violations() == [
        "PUT /api/v2/tickets/7: ticket.additional_tags is not declared by /api/v2/tickets/{ticket_id}",
        "PUT /api/v2/tickets/7: ticket.remove_tags is not declared by /api/v2/tickets/{ticket_id}",
    ]


def test_safe_update_needs_a_stamp_to_protect(stub, client):
    stub.seed_ticket({"id": 7, "updated_at": "2026-11-30T16:00:00Z"})
    client.update_ticket(7, {"ticket": {"priority": "low", "safe_update": True}})  # no stamp: not safe
    assert stub.ticket(7)["priority"] == "low"


def test_the_tags_endpoints_add_set_and_remove_with_safe_updates(stub):
    stub.seed_ticket({"id": 7, "tags": ["vip"], "updated_at": "2026-11-30T16:00:00Z"})
    url = f"{stub.url}/api/v2/tickets/7/tags"
    added = requests.put(url, json={"tags": ["agent_flag"]}, timeout=5)
    assert (added.status_code, added.json()) == (200, {"tags": ["vip", "agent_flag"]})
    stale = {"tags": ["x"], "safe_update": "true", "updated_stamp": "2026-11-30T16:00:00Z"}
    assert requests.put(url, json=stale, timeout=5).status_code == 409
    fresh = {**stale, "updated_stamp": stub.ticket(7)["updated_at"]}
    assert requests.put(url, json=fresh, timeout=5).json() == {"tags": ["vip", "agent_flag", "x"]}
    assert requests.delete(url, params={"tags": "x,vip"}, timeout=5).json() == {"tags": ["agent_flag"]}
    replaced = requests.post(url, json={"tags": ["only"]}, timeout=5)
    assert (replaced.status_code, replaced.json()) == (201, {"tags": ["only"]})
    assert requests.get(url, timeout=5).json() == {"tags": ["only"]}
    assert stub.violations() == []
    requests.put(url, json={"tags": ["y"], "ticket": {}}, timeout=5)  # a shape the docs do not show
    assert len(stub.violations()) == 1


def test_a_date_field_refuses_a_time_with_a_422_naming_it(stub, client):
    stub.define_field(103, "date")
    stub.seed_ticket({"id": 7, "priority": "normal"})
    body = {"ticket": {"priority": "urgent", "custom_fields": [{"id": 103, "value": "2026-11-27T17:00:00Z"}]}}
    with pytest.raises(Unprocessable) as refused:
        client.update_ticket(7, body)
    assert refused.value.refused_field_ids == (103,)
    assert stub.ticket(7)["priority"] == "normal"  # nothing of a refused update is applied
    client.update_ticket(7, {"ticket": {"custom_fields": [{"id": 103, "value": "2026-11-27"}]}})
    assert stub.ticket(7)["custom_fields"] == [{"id": 103, "value": "2026-11-27"}]


def test_a_dropdown_value_is_a_tag_and_an_unknown_option_is_dropped_silently(stub, client):
    stub.define_field(101, "tagger", ["esc_p1", "esc_p2"])
    stub.seed_ticket({"id": 7, "tags": ["vip"]})
    client.update_ticket(7, {"ticket": {"custom_fields": [{"id": 101, "value": "esc_p2"}]}})
    assert stub.ticket(7)["tags"] == ["vip", "esc_p2"]
    client.update_ticket(7, {"ticket": {"custom_fields": [{"id": 101, "value": "urgent"}]}})  # not an option
    assert stub.ticket(7)["custom_fields"] == [{"id": 101, "value": "esc_p2"}]
    client.update_ticket(7, {"ticket": {"custom_fields": [{"id": 101, "value": "esc_p1"}]}})
    assert stub.ticket(7)["tags"] == ["vip", "esc_p1"]
    client.update_ticket(7, {"ticket": {"tags": ["vip"]}})  # its tag removed: the field is cleared
    assert stub.ticket(7)["custom_fields"] == [{"id": 101, "value": None}]


def test_thirty_updates_per_ticket_then_429_with_the_documented_header(stub, client):
    for _ in range(30):
        client.update_ticket(7, {"ticket": {"priority": "low"}})
    with pytest.raises(RateLimited) as limited:
        client.update_ticket(7, {"ticket": {"priority": "low"}})
    assert 590 <= limited.value.retry_after <= 601
    client.update_ticket(8, {"ticket": {"priority": "low"}})  # another ticket is not limited
    header = requests.put(f"{stub.url}/api/v2/tickets/9", json={"ticket": {}}, timeout=5).headers
    assert header["Zendesk-RateLimit-tickets-update"].startswith("total=30; remaining=29; resets=")


def test_the_conversation_log_holds_messaging_messages(stub, client):
    stub.seed_message(141, "6807603a38564290f5a086c2", "first")
    stub.seed_message(141, "6807603a38564290f5a086c3", "second: urgent")
    assert client.get_message_text(141, "6807603a38564290f5a086c3") == "second: urgent"
    [read] = stub.requests(method="GET")
    assert read["query"] == {"sort": "-created_at", "page[size]": "100"} and read["violations"] == []


def test_scripted_answers_are_used_up_in_order(stub, client):
    stub.script("/api/v2/tickets/7", status=429, retry_after=3, method="GET")
    stub.script("/api/v2/tickets/7", status=500, times=2)
    with pytest.raises(RateLimited) as raised:
        client.get_ticket(7)
    assert raised.value.retry_after == 3
    for _ in range(2):
        with pytest.raises(ZendeskUnavailable):
            client.get_ticket(7)
    assert client.get_ticket(7)["id"] == 7


def test_a_hang_outlasts_the_read_timeout_then_is_answered_normally(stub, client):
    stub.script("/api/v2/tickets/7", hang=1.0, method="PUT")
    with pytest.raises(ZendeskUnavailable, match="timed out"):
        client.update_ticket(7, {"ticket": {"priority": "high"}})
    time.sleep(0.8)
    assert stub.ticket(7)["priority"] == "high"  # as with a slow Zendesk: it may have happened


def test_a_hang_after_applies_the_update_and_answers_late(stub, client):
    stub.script("/api/v2/tickets/7", hang_after=1.0, method="PUT")
    started = time.monotonic()
    with pytest.raises(ZendeskUnavailable, match="timed out"):
        client.update_ticket(7, {"ticket": {"priority": "high"}})
    assert time.monotonic() - started < 1.0
    assert stub.ticket(7)["priority"] == "high"  # already done when the client gave up


def test_driven_over_http_as_a_separate_process():
    script = Path(__file__).resolve().parents[1] / "stub_zendesk.py"
    process = subprocess.Popen([sys.executable, str(script), "--port", "0"], stdout=subprocess.PIPE, text=True)
    try:
        url = process.stdout.readline().split("listening on ")[1].strip()
        assert requests.post(f"{url}/_stub/script", json={"path": "/api/v2/tickets/1", "status": 409}, timeout=5).ok
        assert requests.post(f"{url}/_stub/tickets", json={"ticket": {"id": 1, "priority": "low"}}, timeout=5).ok
        assert requests.post(f"{url}/_stub/fields", json={"id": 103, "type": "date"}, timeout=5).ok
        message = {"ticket_id": 1, "id": "6807603a38564290f5a086c2", "text": "hi"}
        assert requests.post(f"{url}/_stub/messages", json=message, timeout=5).ok
        assert requests.put(f"{url}/api/v2/tickets/1", json={"ticket": {}}, timeout=5).status_code == 409
        assert requests.get(f"{url}/api/v2/tickets/1", timeout=5).json()["ticket"]["priority"] == "low"
        recorded = requests.get(f"{url}/_stub/requests", timeout=5).json()["requests"]
        assert [(r["method"], r["path"], r["status"], r["violations"]) for r in recorded] == [
            ("PUT", "/api/v2/tickets/1", 409, []),
            ("GET", "/api/v2/tickets/1", 200, []),
        ]
        assert requests.post(f"{url}/_stub/reset", timeout=5).ok
        assert requests.get(f"{url}/_stub/requests", timeout=5).json()["requests"] == []
    finally:
        process.terminate()
        process.wait(timeout=5)
        process.stdout.close()
