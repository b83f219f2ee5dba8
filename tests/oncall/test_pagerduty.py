import json
from datetime import UTC, datetime

import pytest
import requests
import responses

from app.oncall.errors import NoticeRateLimited, NoticeRejected, NoticeUnavailable
from app.oncall.http import retry_after
from app.oncall.page_events import PageDetails, acknowledge_event, resolve_event, trigger_event
from app.oncall.pagerduty import DryRunPagerDuty, PagerDutyEvents
from app.policy import load_policy

URL = "https://events.pagerduty.com/v2/enqueue"
ROUTING_KEY = "R0123456789abcdefABCDEF012345678"
ZENDESK = "https://acme.zendesk.com"
SEVERITIES = load_policy().after_hours.page_severity
KEY = "escalator/acme.zendesk.com/ticket/35436"
ACCEPTED = {"status": "success", "message": "Event processed", "dedup_key": KEY}
INVALID = {
    "status": "invalid event",
    "message": "Event object is invalid",
    "errors": [f"Length of 'routing_key' is incorrect (should be 32 characters): {ROUTING_KEY}"],
}


@pytest.fixture
def api():
    with responses.RequestsMock() as rsps:
        yield rsps


@pytest.fixture
def calls():
    return []


@pytest.fixture
def client(calls):
    return PagerDutyEvents(ROUTING_KEY, URL, observe=lambda vendor, outcome: calls.append((vendor, outcome)))


def trigger() -> dict:
    return trigger_event(
        PageDetails(ticket_id=35436, category="incident", subject="URGENT: API down"), ZENDESK, SEVERITIES
    )


def sent(api) -> dict:
    return json.loads(api.calls[-1].request.body)


def test_trigger_sends_the_body_with_the_routing_key_and_returns_the_dedup_key(api, client, calls):
    api.post(URL, status=202, json=ACCEPTED)
    assert client.send(trigger()) == KEY
    assert sent(api) == {"routing_key": ROUTING_KEY, **trigger()}
    assert api.calls[0].request.headers["Content-Type"] == "application/json"
    assert calls == [("pagerduty", "202")]


@pytest.mark.parametrize("event", [acknowledge_event(ZENDESK, 35436), resolve_event(ZENDESK, 35436)])
def test_acknowledge_and_resolve_are_three_fields(api, client, event):
    api.post(URL, status=202, json=ACCEPTED)
    assert client.send(event) == KEY
    assert sent(api) == {"routing_key": ROUTING_KEY, "event_action": event["event_action"], "dedup_key": KEY}


def test_an_accepted_event_without_a_json_body_keeps_our_key(api, client):
    api.post(URL, status=202, body="")
    assert client.send(trigger()) == KEY


def test_400_is_permanent_and_the_message_never_shows_the_routing_key(api, client):
    api.post(URL, status=400, json=INVALID)
    with pytest.raises(NoticeRejected) as caught:
        client.send(trigger())
    message = str(caught.value)
    assert message.startswith("pagerduty: 400 invalid event - Event object is invalid - Length of 'routing_key'")
    assert ROUTING_KEY not in message and "<routing key>" in message
    assert caught.value.status == 400 and caught.value.vendor == "pagerduty"
    assert ROUTING_KEY not in repr(client)


def test_429_with_retry_after_is_rate_limited_for_that_long(api, client):
    api.post(URL, status=429, headers={"Retry-After": "7"}, json={})
    with pytest.raises(NoticeRateLimited) as caught:
        client.send(trigger())
    assert caught.value.retry_after == 7.0


def test_429_without_retry_after_waits_the_default(api, client):
    # PagerDuty documents no Retry-After for the Events API.
    api.post(URL, status=429, body="")
    with pytest.raises(NoticeRateLimited) as caught:
        client.send(trigger())
    assert caught.value.retry_after == 60.0


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_is_unavailable(api, client, status, calls):
    api.post(URL, status=status, json={"status": "Unrecognized object", "message": "x", "errors": ["JSON parse error"]})
    with pytest.raises(NoticeUnavailable) as caught:
        client.send(trigger())
    assert caught.value.status == status
    assert calls == [("pagerduty", str(status))]


@pytest.mark.parametrize(
    ("error", "outcome"), [(requests.ConnectTimeout(), "timeout"), (requests.ConnectionError(), "connection_error")]
)
def test_timeouts_and_connection_errors_are_unavailable(api, client, calls, error, outcome):
    api.post(URL, body=error)
    with pytest.raises(NoticeUnavailable, match="pagerduty"):
        client.send(trigger())
    assert calls == [("pagerduty", outcome)]


def test_a_redirect_is_not_followed(api, client):
    api.post(URL, status=301, headers={"Location": "https://elsewhere.example/"})
    with pytest.raises(NoticeRejected, match="redirect"):
        client.send(trigger())
    assert len(api.calls) == 1


def test_the_client_never_retries_by_itself(api, client):
    api.post(URL, status=503, json={})
    with pytest.raises(NoticeUnavailable):
        client.send(trigger())
    assert len(api.calls) == 1


def test_an_event_with_a_routing_key_is_refused_before_sending(client):
    with pytest.raises(ValueError, match="routing key"):
        client.send({"routing_key": "x", **trigger()})


def test_the_enqueue_url_is_used_as_given(api):
    stub = "http://127.0.0.1:9999/v2/enqueue"
    api.post(stub, status=202, json=ACCEPTED)
    assert PagerDutyEvents(ROUTING_KEY, stub).send(trigger()) == KEY


def test_retry_after_as_an_http_date():
    response = requests.Response()
    response.headers["Retry-After"] = "Sat, 28 Nov 2026 07:31:00 GMT"
    now = datetime(2026, 11, 28, 7, 30, 30, tzinfo=UTC)
    assert retry_after(response, now=lambda: now) == 30.0
    response.headers["Retry-After"] = "soon"
    assert retry_after(response) == 60.0


def test_a_dry_run_logs_the_page_without_the_customers_words(caplog):
    details = PageDetails(
        ticket_id=35436,
        category="fraud_attack",
        subject="Urgent - card 4111 stolen",
        urgency_words=("Urgent",),
        category_words=("stolen",),
    )
    with caplog.at_level("INFO", logger="escalator.oncall"):
        key = DryRunPagerDuty(URL).send(trigger_event(details, ZENDESK, SEVERITIES))

    assert key == KEY
    [line] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("oncall.dry_run.request")]
    assert f"action=trigger dedup_key={KEY} severity=critical category=fraud_attack" in line
    assert "4111" not in line and "stolen" not in line
