"""`escalator zendesk doctor` as an admin runs it, against the Procfile's real web and worker
processes on a real Redis: it sees the service, the worker and its scheduler, and sees them go."""

from __future__ import annotations

import subprocess

import pytest

from tests.helpers import free_port
from tests.processes import BIN, REPO, Process, process_env, procfile_command

pytestmark = [pytest.mark.redis, pytest.mark.e2e]

QUEUE = "doctor-e2e"


def doctor(env: dict[str, str], url: str) -> tuple[int, dict[str, str]]:
    run = subprocess.run(
        [str(BIN / "escalator"), "zendesk", "doctor", "--url", url],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    rows = {}
    for line in run.stdout.splitlines()[1:]:
        name, _, rest = line.partition("  ")
        rows[name.strip()] = rest.split()[0]
    return run.returncode, rows


def test_doctor_sees_the_processes_and_their_absence(real_redis, redis_test_url, tmp_path):
    port = free_port()
    env = process_env(
        REDIS_URL=redis_test_url, ESCALATOR_QUEUE=QUEUE, ZENDESK_WEBHOOK_SECRET="e2e-secret", PORT=str(port)
    )
    url = f"http://127.0.0.1:{port}"
    web = Process(procfile_command("web"), env, tmp_path / "web.log")
    worker = Process(procfile_command("worker"), env, tmp_path / "worker.log")
    try:
        web.wait_for_url(url + "/healthz")
        worker.wait_for_output("Listening on")
        # the scheduler thread holds the lock
        worker.wait_for_event("scheduler.locks", lambda line: QUEUE in line["holds"].split(","))

        status, rows = doctor(env, url)

        assert status == 1  # no Zendesk account in this test: the credentials row fails
        assert rows["credentials"] == "FAIL"
        assert {name: rows[name] for name in ("service", "redis", "workers", "queue", "failed jobs", "scheduler")} == {
            "service": "OK",
            "redis": "OK",
            "workers": "OK",
            "queue": "OK",
            "failed jobs": "OK",
            "scheduler": "OK",
        }
        assert rows["persistence"] in ("OK", "WARN")

        worker.stop()
        web.stop()

        status, rows = doctor(env, url)
        assert (rows["service"], rows["workers"], rows["scheduler"]) == ("FAIL", "FAIL", "FAIL")
    finally:
        worker.stop()
        web.stop()
