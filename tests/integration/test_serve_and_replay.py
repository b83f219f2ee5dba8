"""The Quickstart, really run: `escalator serve` on embedded defaults, every sample replayed."""

from __future__ import annotations

import json
import subprocess

import pytest
import requests

from app.cli.replay import sample_names
from tests.helpers import free_port
from tests.processes import BIN, Process, process_env


@pytest.fixture(scope="module")
def serve(tmp_path_factory):
    port = free_port()
    process = Process(
        [str(BIN / "escalator"), "serve", "--port", str(port)],
        process_env(PORT=str(port)),
        tmp_path_factory.mktemp("serve") / "serve.log",
    )
    base = f"http://127.0.0.1:{port}"
    try:
        process.wait_for_url(base + "/healthz")
        yield base, process
    finally:
        process.stop()


def replay(base: str, sample: str, *options: str) -> tuple[int, dict, dict]:
    """(HTTP status, the endpoint's answer, the job's state) for one replayed sample."""
    result = subprocess.run(
        [str(BIN / "escalator"), "replay", sample, "--url", base + "/webhooks/zendesk", "--wait", "10", *options],
        capture_output=True,
        text=True,
        timeout=60,
    )
    name, _, rest = result.stdout.strip().partition(": ")
    status, _, answers = rest.partition(" ")
    answer, _, job = answers.partition(" job: ")
    assert name == sample, result.stdout + result.stderr
    return int(status), json.loads(answer), json.loads(job)


@pytest.mark.parametrize("sample", sample_names())
def test_every_sample_is_accepted_and_processed(serve, sample):
    base, process = serve
    status, answer, job = replay(base, sample)

    assert status == 202
    if "ignored" in answer:
        assert sample.endswith("__unhandled") and job["status"] == "none"
        return
    assert answer["status"] == "accepted"
    assert job["status"] == "finished", process.output()[-3000:]
    assert isinstance(job["result"], str) and job["result"]


def test_urgent_sample_is_decided_and_logged_as_a_dry_run(serve):
    base, process = serve
    status, answer, job = replay(base, "ticket_created__urgent_incident", "--fresh-id")
    assert status == 202 and answer["status"] == "accepted"
    assert job["result"] == "updated"
    process.wait_for_output("zendesk.dry_run.internal_note")


def test_replaying_twice_is_a_duplicate_unless_fresh(serve):
    base, _ = serve
    replay(base, "ticket_comment_added__end_user_time_sensitive")
    _, again, _ = replay(base, "ticket_comment_added__end_user_time_sensitive")
    assert again["status"] == "duplicate"
    _, fresh, job = replay(base, "ticket_comment_added__end_user_time_sensitive", "--fresh-id")
    assert fresh["status"] == "accepted" and job["result"] == "updated"


def test_serve_uses_the_embedded_redis(serve):
    base, _ = serve
    assert requests.get(base + "/readyz", timeout=5).json()["redis"] == "ok"
