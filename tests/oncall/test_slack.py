import json
from datetime import UTC, datetime

import pytest
import requests
import responses

from app.oncall.errors import NoticeRateLimited, NoticeRejected, NoticeUnavailable
from app.oncall.slack import SlackWebhook, acknowledged_text, at_risk_text, escape, paged_text, resolved_text

URL = "https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX"
TICKET_URL = "https://acme.zendesk.com/agent/tickets/35436"
DUE = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)


@pytest.fixture
def api():
    with responses.RequestsMock() as rsps:
        yield rsps


def test_a_message_is_one_json_text(api):
    api.post(URL, status=200, body="ok", content_type="text/plain")
    SlackWebhook(URL).post("hello")
    assert json.loads(api.calls[0].request.body) == {"text": "hello"}


@pytest.mark.parametrize(
    ("status", "code"),
    [(400, "invalid_payload"), (403, "action_prohibited"), (404, "no_service"), (410, "channel_is_archived")],
)
def test_refusals_are_permanent_and_name_the_code_not_the_url(api, status, code):
    api.post(URL, status=status, body=code, content_type="text/plain")
    with pytest.raises(NoticeRejected) as caught:
        SlackWebhook(URL).post("hello")
    assert str(caught.value) == f"slack: {status} {code}"
    assert "hooks.slack.com" not in str(caught.value)
    assert "XXXX" not in repr(SlackWebhook(URL))


def test_429_waits_for_retry_after(api):
    api.post(URL, status=429, headers={"Retry-After": "30"}, body="rate_limited")
    with pytest.raises(NoticeRateLimited) as caught:
        SlackWebhook(URL).post("hello")
    assert caught.value.retry_after == 30.0


@pytest.mark.parametrize("failure", [500, requests.ReadTimeout()])
def test_server_errors_and_timeouts_are_unavailable(api, failure):
    if isinstance(failure, int):
        api.post(URL, status=failure, body="rollup_error")
    else:
        api.post(URL, body=failure)
    with pytest.raises(NoticeUnavailable):
        SlackWebhook(URL).post("hello")


def test_an_error_body_that_is_not_a_code_is_left_out(api):
    api.post(URL, status=400, body="<html>something with the text we sent</html>")
    with pytest.raises(NoticeRejected) as caught:
        SlackWebhook(URL).post("hello")
    assert str(caught.value) == "slack: 400"


def test_customer_text_cannot_mention_or_link():
    assert escape("<!channel> & <https://x|y>") == "&lt;!channel&gt; &amp; &lt;https://x|y&gt;"
    text = paged_text(35436, "fraud_attack", "<!here> fraud\nattack", TICKET_URL, DUE, "escalator/acme/ticket/35436")
    assert text == (
        f":rotating_light: On-call paged for <{TICKET_URL}|ticket #35436> (fraud_attack, urgent after hours): "
        "&lt;!here&gt; fraud attack. First response due 2026-11-28T09:30:00Z. "
        "PagerDuty alert `escalator/acme/ticket/35436`."
    )


def test_the_other_messages():
    assert acknowledged_text(7, None) == (
        ":white_check_mark: An agent replied on ticket #7; the PagerDuty alert is acknowledged."
    )
    assert resolved_text(7, TICKET_URL) == (
        f":heavy_check_mark: Solved: <{TICKET_URL}|ticket #7>; the PagerDuty alert is resolved."
    )
    assert at_risk_text(7, "incident", "urgent", "API down", None, DUE, paged=False) == (
        ":warning: First response at risk: ticket #7 (urgent, incident) has no public agent reply, "
        "due 2026-11-28T09:30:00Z: API down."
    )
    assert at_risk_text(7, "incident", "urgent", "API down", None, DUE, paged=True).endswith(" On-call paged.")
