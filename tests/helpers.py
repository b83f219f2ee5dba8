"""Plain helpers for tests (fixtures live in conftest.py)."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SAMPLES = REPO / "app" / "samples"
SECRET = "test-signing-secret"
REDIS_TEST_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/15")


def post_webhook(client, body, *, timestamp: str, secret: str = SECRET, headers: dict | None = None):
    """POST `body` (dict or bytes) to the webhook endpoint, signed as Zendesk signs it."""
    from app.webhooks.signing import signed_headers

    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    signed = signed_headers(secret, raw, timestamp)
    signed.update(headers or {})
    return client.post("/webhooks/zendesk", data=raw, headers=signed)


def load_json(path: Path) -> dict:
    return json.loads(path.read_text())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
