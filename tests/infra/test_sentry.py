"""app.infra.sentry: what leaves the process when SENTRY_DSN is set."""

from __future__ import annotations

import sentry_sdk

from app.infra import sentry
from app.infra.settings import Settings

CUSTOMER_TEXT = "CUSTOMER-TEXT-7731 our API is down"


def test_the_scrubber_removes_customer_text_and_secrets():
    event = {
        "request": {
            "data": {"subject": CUSTOMER_TEXT},
            "query_string": "a=b",
            "cookies": {"session": "x"},
            "headers": {
                "Content-Type": "application/json",
                "X-Zendesk-Webhook-Signature": "c2lnbmF0dXJl",
                "Authorization": "Bearer metrics-token",
            },
        },
        "exception": {
            "values": [
                {
                    "type": "ValueError",
                    "value": f"bad text {CUSTOMER_TEXT}",
                    "stacktrace": {"frames": [{"function": "decide", "vars": {"text": CUSTOMER_TEXT}}]},
                }
            ]
        },
        "extra": {"rq-job": {"description": CUSTOMER_TEXT, "args": [CUSTOMER_TEXT], "job_id": "zendesk-1"}},
        "breadcrumbs": {"values": [{"category": "http", "data": {"body": CUSTOMER_TEXT}}]},
    }
    scrubbed = sentry.scrub(event)
    assert CUSTOMER_TEXT not in repr(scrubbed)
    assert "c2lnbmF0dXJl" not in repr(scrubbed) and "metrics-token" not in repr(scrubbed)
    assert scrubbed["request"]["headers"]["Content-Type"] == "application/json"
    assert scrubbed["exception"]["values"][0]["type"] == "ValueError"
    assert scrubbed["extra"]["rq-job"]["job_id"] == "zendesk-1"


def test_an_error_in_a_view_reaches_sentry_without_the_body(settings, fake_redis, now, monkeypatch):
    from dataclasses import replace

    from app.web.factory import create_app

    sent = []

    class Capture(sentry_sdk.transport.Transport):
        def capture_envelope(self, envelope):
            sent.append(envelope.serialize().decode("utf-8", "replace"))

    monkeypatch.setattr(sentry, "_initialized", False)
    original_init = sentry_sdk.init
    monkeypatch.setattr(sentry_sdk, "init", lambda **options: original_init(transport=Capture(), **options))
    app = create_app(replace(settings, sentry_dsn="https://key@o1.ingest.sentry.io/2"), redis_connection=fake_redis)

    @app.post("/boom")
    def boom():
        raise ValueError(CUSTOMER_TEXT)

    try:
        response = app.test_client().post("/boom", json={"subject": CUSTOMER_TEXT})
        sentry_sdk.flush()
    finally:
        sentry_sdk.get_client().close()
        monkeypatch.setattr(sentry, "_initialized", False)
    assert response.status_code == 500
    assert sent and "ValueError" in sent[0]
    assert not any(CUSTOMER_TEXT in envelope for envelope in sent)


def test_nothing_starts_without_a_dsn():
    assert sentry.init_sentry(Settings(), "web") is False
