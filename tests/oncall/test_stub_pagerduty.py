"""The stub PagerDuty is as strict as the Events API documentation; these tests hold it to that."""

import subprocess
import sys
from pathlib import Path

import pytest
import requests

from app.oncall.errors import NoticeRateLimited, NoticeRejected, NoticeUnavailable
from app.oncall.page_events import PageDetails, acknowledge_event, resolve_event, trigger_event
from app.oncall.pagerduty import PagerDutyEvents
from app.oncall.slack import SlackWebhook
from app.policy import load_policy
from tests.stub_pagerduty import StubPagerDuty, validate_event

ROUTING_KEY = "e93facc04764012d7bfb002500d5d1a6"
ZENDESK = "https://acme.zendesk.com"
SEVERITIES = load_policy().after_hours.page_severity
KEY = "escalator/acme.zendesk.com/ticket/7"


@pytest.fixture
def stub():
    with StubPagerDuty() as running:
        yield running


@pytest.fixture
def pager(stub):
    return PagerDutyEvents(ROUTING_KEY, stub.events_url, timeout=(1, 0.5))


def trigger(**changes) -> dict:
    return trigger_event(
        PageDetails(ticket_id=7, category="incident", subject="URGENT: API down", **changes), ZENDESK, SEVERITIES
    )


def test_every_body_the_service_builds_is_valid():
    for event in (trigger(), acknowledge_event(ZENDESK, 7), resolve_event(ZENDESK, 7)):
        assert validate_event({"routing_key": ROUTING_KEY, **event}) == []


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"routing_key": "short"}, "Length of 'routing_key' is incorrect"),
        ({"event_action": "page"}, "'event_action' must be one of"),
        ({"dedup_key": "k" * 256}, "'dedup_key' must be a string of 1 to 255"),
        ({"payload": {"summary": "x", "source": "y"}}, "'payload.severity' must be one of"),
        ({"payload": {"source": "y", "severity": "info"}}, "'payload.summary' is required"),
        ({"payload": {"summary": "x" * 1025, "source": "y", "severity": "info"}}, "longer than 1024"),
        ({"payload": {"summary": "x", "source": "y", "severity": "info", "timestamp": "today"}}, "ISO 8601"),
        ({"payload": {"summary": "x", "source": "y", "severity": "info", "priority": "P1"}}, "payload.priority"),
        ({"links": [{"text": "no href"}]}, "'links[].href' is required"),
        ({"images": [{"src": "http://x/y.png"}]}, "HTTPS"),
        ({"incident_key": "v1 name"}, "Unknown field 'incident_key'"),
    ],
)
def test_what_pagerduty_refuses_is_refused(change, error):
    body = {"routing_key": ROUTING_KEY, **trigger(), **change}
    assert any(error in e for e in validate_event(body)), validate_event(body)


def test_acknowledge_needs_a_dedup_key_and_no_payload():
    assert validate_event({"routing_key": ROUTING_KEY, "event_action": "acknowledge"}) == [
        "'dedup_key' is required for acknowledge"
    ]
    assert validate_event({"routing_key": ROUTING_KEY, **resolve_event(ZENDESK, 7), "payload": {}}) == [
        "'payload' is only used for trigger events"
    ]


def test_an_invalid_event_gets_pagerdutys_400(stub, pager):
    with pytest.raises(NoticeRejected, match=r"400 invalid event - Event object is invalid - 'payload\.summary'"):
        pager.send(trigger() | {"payload": {"source": "x", "severity": "info"}})
    [event] = stub.events()
    assert event["status"] == 400 and stub.alerts() == {}


def test_unknown_routing_keys_are_refused_when_the_stub_knows_its_keys():
    with StubPagerDuty(routing_keys={ROUTING_KEY}) as stub:
        with pytest.raises(NoticeRejected, match="Invalid routing key"):
            PagerDutyEvents("0" * 32, stub.events_url).send(trigger())
        assert PagerDutyEvents(ROUTING_KEY, stub.events_url).send(trigger()) == KEY


def test_alert_lifecycle_as_documented(stub, pager):
    assert pager.send(trigger()) == KEY
    assert pager.send(trigger()) == KEY  # joins the open alert
    assert stub.alerts()[KEY] == {
        "status": "triggered",
        "summary": trigger()["payload"]["summary"],
        "events": ["trigger", "trigger"],
    }
    pager.send(acknowledge_event(ZENDESK, 7))
    assert stub.alerts()[KEY]["status"] == "acknowledged"
    pager.send(resolve_event(ZENDESK, 7))
    assert stub.alerts()[KEY]["status"] == "resolved"
    pager.send(resolve_event(ZENDESK, 7))  # no open alert: dropped, still 202
    assert stub.alerts()[KEY]["events"] == ["trigger", "trigger", "acknowledge", "resolve"]
    pager.send(trigger())  # after a resolve, a new alert
    assert stub.alerts()[KEY]["events"] == ["trigger"]
    assert [e["status"] for e in stub.events()] == [202] * 6


def test_acknowledge_from_another_routing_key_is_dropped(stub, pager):
    pager.send(trigger())
    PagerDutyEvents("f" * 32, stub.events_url).send(acknowledge_event(ZENDESK, 7))
    assert stub.alerts()[KEY]["status"] == "triggered"


def test_scripted_answers(stub, pager):
    stub.script(status=429, retry_after=3)
    stub.script(status=500)
    with pytest.raises(NoticeRateLimited) as caught:
        pager.send(trigger())
    assert caught.value.retry_after == 3.0
    with pytest.raises(NoticeUnavailable):
        pager.send(trigger())
    assert pager.send(trigger()) == KEY
    assert [e["status"] for e in stub.events()] == [429, 500, 202]
    assert stub.alerts()[KEY]["events"] == ["trigger"]


def test_a_hang_outlasts_the_read_timeout(stub, pager):
    stub.script(hang=1.0)
    with pytest.raises(NoticeUnavailable, match="timed out"):
        pager.send(trigger())


def test_slack_webhook(stub):
    slack = SlackWebhook(stub.slack_url)
    slack.post("paged")
    stub.script(status=429, retry_after=2, target="slack")
    with pytest.raises(NoticeRateLimited):
        slack.post("again")
    with pytest.raises(NoticeRejected, match="no_text"):
        slack.post("  ")
    assert stub.slack_messages() == ["paged"]
    assert requests.post(stub.url + "/services/T1/B1/x", data="text", timeout=5).text == "invalid_payload"


def test_driven_over_http_as_a_separate_process():
    script = Path(__file__).resolve().parents[1] / "stub_pagerduty.py"
    process = subprocess.Popen([sys.executable, str(script), "--port", "0"], stdout=subprocess.PIPE, text=True)
    try:
        url = process.stdout.readline().split("listening on ")[1].strip()
        assert requests.post(f"{url}/_stub/script", json={"status": 503}, timeout=5).ok
        pager = PagerDutyEvents(ROUTING_KEY, url + "/v2/enqueue")
        with pytest.raises(NoticeUnavailable):
            pager.send(trigger())
        assert pager.send(trigger()) == KEY
        events = requests.get(f"{url}/_stub/events", timeout=5).json()["events"]
        assert [e["status"] for e in events] == [503, 202]
        assert events[1]["body"]["routing_key"] == ROUTING_KEY
        assert requests.get(f"{url}/_stub/alerts", timeout=5).json()["alerts"][KEY]["status"] == "triggered"
        assert requests.post(f"{url}/_stub/reset", timeout=5).ok
        assert requests.get(f"{url}/_stub/events", timeout=5).json()["events"] == []
    finally:
        process.terminate()
        process.wait(timeout=5)
        process.stdout.close()
