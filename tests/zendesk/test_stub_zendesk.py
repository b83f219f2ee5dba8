"""The stub Zendesk server that cross-process tests point the worker at."""

import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from app.zendesk import Conflict, RateLimited, ZendeskClient, ZendeskUnavailable
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


def test_put_applies_the_update_and_enforces_safe_update(stub, client):
    stub.seed_ticket({"id": 7, "tags": ["vip"], "updated_at": "2026-11-30T16:00:00Z"})
    body = {
        "ticket": {
            "priority": "urgent",
            "additional_tags": ["urgency_urgent"],
            "custom_fields": [{"id": 101, "value": "urgent"}],
            "comment": {"body": "note", "public": False},
            "safe_update": True,
            "updated_stamp": "2026-11-30T16:00:00Z",
        }
    }
    client.update_ticket(7, body)
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


def test_driven_over_http_as_a_separate_process():
    script = Path(__file__).resolve().parents[1] / "stub_zendesk.py"
    process = subprocess.Popen([sys.executable, str(script), "--port", "0"], stdout=subprocess.PIPE, text=True)
    try:
        url = process.stdout.readline().split("listening on ")[1].strip()
        assert requests.post(f"{url}/_stub/script", json={"path": "/api/v2/tickets/1", "status": 409}, timeout=5).ok
        assert requests.post(f"{url}/_stub/tickets", json={"ticket": {"id": 1, "priority": "low"}}, timeout=5).ok
        assert requests.put(f"{url}/api/v2/tickets/1", json={"ticket": {}}, timeout=5).status_code == 409
        assert requests.get(f"{url}/api/v2/tickets/1", timeout=5).json()["ticket"]["priority"] == "low"
        recorded = requests.get(f"{url}/_stub/requests", timeout=5).json()["requests"]
        assert [(r["method"], r["path"], r["status"]) for r in recorded] == [
            ("PUT", "/api/v2/tickets/1", 409),
            ("GET", "/api/v2/tickets/1", 200),
        ]
        assert requests.post(f"{url}/_stub/reset", timeout=5).ok
        assert requests.get(f"{url}/_stub/requests", timeout=5).json()["requests"] == []
    finally:
        process.terminate()
        process.wait(timeout=5)
        process.stdout.close()
