"""Heroku Redis: `rediss://` with a self-signed certificate, for the web app and the worker."""

from __future__ import annotations

import shutil
import subprocess
import time

import pytest
import redis
import requests
from rq.job import Job
from rq.serializers import JSONSerializer

from app.infra.queueing import connect
from app.webhooks.signing import signed_headers
from tests.helpers import SAMPLES, free_port
from tests.processes import Process, process_env, procfile_command, redis_server_binary

pytestmark = pytest.mark.redis


@pytest.fixture(scope="module")
def tls_redis_url(tmp_path_factory):
    if not shutil.which("openssl"):
        pytest.fail("openssl is needed to make the test certificate")
    folder = tmp_path_factory.mktemp("tls")
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-keyout",
            str(folder / "key.pem"),
            "-out",
            str(folder / "cert.pem"),
        ],
        check=True,
        capture_output=True,
    )
    port = free_port()
    server = Process(
        [
            redis_server_binary(),
            "--port",
            "0",
            "--tls-port",
            str(port),
            "--tls-cert-file",
            str(folder / "cert.pem"),
            "--tls-key-file",
            str(folder / "key.pem"),
            "--tls-ca-cert-file",
            str(folder / "cert.pem"),
            "--tls-auth-clients",
            "no",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        env={},
        log_path=folder / "redis.log",
    )
    try:
        server.wait_for_output("Ready to accept connections")
        yield f"rediss://127.0.0.1:{port}/0"
    finally:
        server.stop()


def test_self_signed_certificate_is_accepted_where_a_plain_client_refuses_it(tls_redis_url):
    with pytest.raises(redis.ConnectionError):
        redis.Redis.from_url(tls_redis_url, socket_connect_timeout=2).ping()
    assert connect(tls_redis_url).ping()


def test_web_and_worker_processes_work_over_tls(tls_redis_url, tmp_path):
    port = free_port()
    env = process_env(PORT=str(port), REDIS_URL=tls_redis_url, ZENDESK_WEBHOOK_SECRET="tls-secret")
    web = Process(procfile_command("web"), env, tmp_path / "web.log")
    worker = Process(procfile_command("worker"), env, tmp_path / "worker.log")
    try:
        web.wait_for_url(f"http://127.0.0.1:{port}/readyz")
        assert requests.get(f"http://127.0.0.1:{port}/readyz", timeout=5).json()["redis"] == "ok"
        raw = (SAMPLES / "ticket_created__urgent_incident.json").read_bytes()
        answer = requests.post(
            f"http://127.0.0.1:{port}/webhooks/zendesk", data=raw, headers=signed_headers("tls-secret", raw), timeout=10
        ).json()
        job = Job.fetch(answer["job_id"], connection=connect(tls_redis_url), serializer=JSONSerializer)
        deadline = time.monotonic() + 30
        while job.get_status() != "finished" and time.monotonic() < deadline:
            time.sleep(0.1)
        assert job.get_status() == "finished", worker.output()[-2000:]
        assert job.return_value() == "updated"  # dry run: no Zendesk credentials
        puts = [e for e in worker.events("zendesk.dry_run.request") if e["method"] == "PUT"]
        assert [e["path"] for e in puts] == ["/api/v2/tickets/7001"], worker.output()[-2000:]
    finally:
        worker.stop()
        web.stop()
