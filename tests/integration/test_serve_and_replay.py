"""The Quickstart, really run: `escalator serve` on embedded defaults, every sample replayed."""
from __future__ import annotations

import json
import subprocess

import pytest
import requests

from app.replay import sample_names
from tests.helpers import free_port
from tests.processes import BIN, Process, process_env


@pytest.fixture(scope="module")
def serve(tmp_path_factory):
    port = free_port()
    process = Process([str(BIN / "escalator"), "serve", "--port", str(port)], process_env(PORT=str(port)),
                      tmp_path_factory.mktemp("serve") / "serve.log")
    base = f"http://127.0.0.1:{port}"
    try:
        process.wait_for_url(base + "/healthz")
        yield base, process
    finally:
        process.stop()


def replay(base: str, sample: str) -> tuple[int, dict]:
    result = subprocess.run([str(BIN / "escalator"), "replay", sample, "--url", base + "/webhooks/zendesk",
                             "--wait", "10"], capture_output=True, text=True, timeout=60)
    name, _, rest = result.stdout.strip().partition(": ")
    status, _, answer = rest.partition(" ")
    assert name == sample, result.stdout + result.stderr
    return int(status), json.loads(answer)


@pytest.mark.parametrize("sample", sample_names())
def test_every_sample_is_accepted_and_processed(serve, sample):
    base, process = serve
    status, answer = replay(base, sample)

    assert status == 202
    if "ignored" in answer:
        assert sample.endswith("__unhandled")
        return
    assert answer["status"] == "finished", process.output()[-3000:]
    assert isinstance(answer["result"], str) and answer["result"]


def test_urgent_sample_is_decided_and_logged_as_a_dry_run(serve):
    base, process = serve
    status, answer = replay(base, "ticket_created__urgent_incident")
    assert status == 202
    process.wait_for_output("PUT /api/v2/tickets/7001")


def test_serve_uses_the_embedded_redis(serve):
    base, _ = serve
    assert requests.get(base + "/readyz", timeout=5).json()["redis"] == "ok"
