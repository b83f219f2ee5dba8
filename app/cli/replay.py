"""`escalator replay`: sign sample payloads as Zendesk does and POST them to a running service."""

from __future__ import annotations

import json
import os
import random
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import requests

from app import defaults
from app.infra.settings import LOCAL_DEV_SECRET, parse_secret_list
from app.webhooks.signing import signed_headers

SAMPLES_DIR = Path(__file__).resolve().parent.parent / "samples"


def sample_names() -> list[str]:
    return sorted(p.stem for p in SAMPLES_DIR.glob("*.json"))


def resolve_payload(name: str) -> Path:
    """A path as given, or the name of a shipped sample (with or without `.json`)."""
    path = Path(name)
    if path.is_file():
        return path
    sample = SAMPLES_DIR / (path.stem + ".json")
    if sample.is_file():
        return sample
    raise FileNotFoundError(f"no file {name!r} and no sample of that name (samples: {', '.join(sample_names())})")


def default_url() -> str:
    return f"http://127.0.0.1:{os.environ.get('PORT') or defaults.PORT}/webhooks/zendesk"


def default_secret() -> str:
    configured = parse_secret_list(os.environ.get("ZENDESK_WEBHOOK_SECRET"))
    return configured[0] if configured else LOCAL_DEV_SECRET


def replay_files(
    names: tuple[str, ...] | list[str],
    *,
    url: str | None = None,
    secret: str | None = None,
    fresh_id: bool = False,
    wait_seconds: float = 0,
    echo: Callable[[str], None] = print,
) -> int:
    """POST each payload; echo one line per payload; return 0 if all were accepted, else 1."""
    url = url or default_url()
    secret = secret or default_secret()
    failed = 0
    for name in names:
        try:
            body = _payload_bytes(resolve_payload(name), fresh_id)
            response = requests.post(url, data=body, headers=signed_headers(secret, body), timeout=10)
        except (OSError, ValueError, requests.RequestException) as error:
            echo(f"{name}: error {error}")
            failed += 1
            continue
        line = f"{name}: {response.status_code} {response.text.strip()}"
        if response.ok and wait_seconds:
            line += f" job: {json.dumps(_wait_for_job(url, _job_id(response), wait_seconds))}"
        echo(line)
        failed += not response.ok
    return 1 if failed else 0


def _payload_bytes(path: Path, fresh_id: bool) -> bytes:
    raw = path.read_bytes()
    if not fresh_id:
        return raw
    return json.dumps(with_fresh_ids(json.loads(raw))).encode()


def with_fresh_ids(body: dict) -> dict:
    """The same payload as a new event on a new ticket: neither the endpoint nor the worker has
    seen it, so it is decided and applied again."""
    ticket_id = str(random.randint(10**8, 10**9))
    comment_id = str(random.randint(10**12, 10**13))
    if "type" in body:  # Zendesk's event envelope
        body = {
            **body,
            "id": str(uuid.uuid4()),
            "subject": f"zen:ticket:{ticket_id}",
            "detail": {**body.get("detail", {}), "id": ticket_id},
        }
        comment = body.get("event", {}).get("comment")
        if comment:
            body["event"] = {**body["event"], "comment": {**comment, "id": comment_id}}
        message = body.get("event", {}).get("message")
        if message:  # a messaging event: its work is one message, so the message is new too
            body["event"] = {**body["event"], "message": {**message, "id": uuid.uuid4().hex[:24]}}
        return body
    body = {**body, "ticket_id": ticket_id}  # a trigger body
    if "comment_id" in body:
        body["comment_id"] = comment_id
    return body


def _job_id(response: requests.Response) -> str | None:
    try:
        return response.json().get("job_id")
    except ValueError:
        return None


def _wait_for_job(webhook_url: str, job_id: str | None, wait_seconds: float) -> dict:
    if not job_id:
        return {"status": "none", "message": "no job (the event was ignored)"}
    jobs_url = webhook_url.split("/webhooks/")[0] + f"/jobs/{job_id}"
    deadline = time.monotonic() + wait_seconds
    state: dict = {"status": "unknown", "message": f"no answer within {wait_seconds:g} s"}
    while time.monotonic() < deadline:
        response = requests.get(jobs_url, timeout=5)
        if response.status_code == 404 and "json" not in response.headers.get("Content-Type", ""):
            return {
                "status": "unknown",
                "message": "this service does not show job status "
                "(escalator serve does; elsewhere set ESCALATOR_EXPOSE_JOB_STATUS=true)",
            }
        state = response.json()
        if state.get("status") in ("finished", "failed", "stopped", "canceled"):
            break
        time.sleep(0.2)
    return state
