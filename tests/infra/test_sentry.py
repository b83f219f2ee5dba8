"""app.infra.sentry: what leaves the process when SENTRY_DSN is set."""

from __future__ import annotations

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


# Run in a child process: sentry-sdk's integrations patch Flask and RQ for the whole interpreter.
VIEW_ERROR = """
import json, os
import fakeredis, sentry_sdk
from app.infra import sentry
from app.infra.settings import Settings
from app.web.factory import create_app

sent = []

class Capture(sentry_sdk.transport.Transport):
    def capture_envelope(self, envelope):
        sent.append(envelope.serialize().decode("utf-8", "replace"))

original_init = sentry_sdk.init
sentry_sdk.init = lambda **options: original_init(transport=Capture(), **options)
settings = Settings(webhook_secrets=("s",), redis_url="redis://unused", sentry_dsn="https://key@o1.ingest.sentry.io/2")
app = create_app(settings, redis_connection=fakeredis.FakeRedis())

@app.post("/boom")
def boom():
    raise ValueError(os.environ["CUSTOMER_TEXT"])

status = app.test_client().post("/boom", json={"subject": os.environ["CUSTOMER_TEXT"]}).status_code
sentry_sdk.flush()
print(json.dumps({"status": status, "sent": sent}))
"""


def test_an_error_in_a_view_reaches_sentry_without_the_body():
    import json
    import os
    import subprocess
    import sys

    from tests.helpers import REPO

    child = subprocess.run(
        [sys.executable, "-c", VIEW_ERROR],
        cwd=REPO,
        env={**os.environ, "CUSTOMER_TEXT": CUSTOMER_TEXT},  # not in argv, which Sentry reports
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert child.returncode == 0, child.stderr[-2000:]
    result = json.loads(child.stdout.splitlines()[-1])
    assert result["status"] == 500
    assert result["sent"] and "ValueError" in result["sent"][0]
    assert not any(CUSTOMER_TEXT in envelope for envelope in result["sent"])


def test_nothing_starts_without_a_dsn():
    assert sentry.init_sentry(Settings(), "web") is False
