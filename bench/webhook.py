"""Webhook intake latency: signed POST -> verified, parsed, deduplicated, enqueued -> 202.

Two setups, one run:
- in-process: the Flask app through its test client on an in-memory Redis (our code alone);
- gunicorn + Redis: the Procfile's web command on loopback against a real Redis server (what
  Zendesk sees), sequential and with 8 concurrent senders; then the memory of each web process.

Every request carries a new event id, so each one really enqueues a job.

    .venv/bin/python bench/webhook.py [--requests 2000] [--redis-url redis://127.0.0.1:6379/14]
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import socket
import statistics
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import fakeredis
import redis
import requests

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("ESCALATOR_LOG_LEVEL", "WARNING")  # one log line per request would dominate

from app.infra.settings import Settings  # noqa: E402
from app.web.factory import create_app  # noqa: E402
from app.webhooks.signing import signed_headers  # noqa: E402

SECRET = "bench-secret"
SAMPLE = json.loads((REPO / "app" / "samples" / "ticket_comment_added__end_user_time_sensitive.json").read_text())


def body() -> bytes:
    return json.dumps({**SAMPLE, "id": str(uuid.uuid4())}).encode()


def summary(label: str, latencies: list[float], elapsed: float) -> None:
    ms = sorted(x * 1000 for x in latencies)
    pick = lambda q: ms[min(len(ms) - 1, int(q * len(ms)))]  # noqa: E731
    print(
        f"{label:<34} {len(ms):>6} req  {len(ms) / elapsed:>8.0f} req/s  "
        f"p50 {statistics.median(ms):6.2f} ms  p95 {pick(0.95):6.2f} ms  p99 {pick(0.99):6.2f} ms  "
        f"max {ms[-1]:6.2f} ms"
    )


def in_process(count: int) -> None:
    app = create_app(
        Settings(webhook_secrets=(SECRET,), redis_url="redis://unused"),
        redis_connection=fakeredis.FakeRedis(server=fakeredis.FakeServer()),
    )
    client = app.test_client()
    latencies = []
    started = time.perf_counter()
    for _ in range(count):
        raw = body()
        t = time.perf_counter()
        response = client.post("/webhooks/zendesk", data=raw, headers=signed_headers(SECRET, raw))
        latencies.append(time.perf_counter() - t)
        assert response.status_code == 202, response.get_data(as_text=True)
    summary("in-process (Flask, fakeredis)", latencies, time.perf_counter() - started)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(session: requests.Session, url: str) -> float:
    raw = body()
    t = time.perf_counter()
    response = session.post(url, data=raw, headers=signed_headers(SECRET, raw), timeout=10)
    elapsed = time.perf_counter() - t
    assert response.status_code == 202, response.text
    return elapsed


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def under_gunicorn(count: int, redis_url: str) -> None:
    connection = redis.Redis.from_url(redis_url)
    connection.flushdb()
    port = free_port()
    command = next(
        line.split(":", 1)[1] for line in (REPO / "Procfile").read_text().splitlines() if line.startswith("web:")
    )
    env = {
        **os.environ,
        "PORT": str(port),
        "REDIS_URL": redis_url,
        "ZENDESK_WEBHOOK_SECRET": SECRET,
        "WEB_CONCURRENCY": "2",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    server = subprocess.Popen(
        shlex.split(command), cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}/webhooks/zendesk"
    try:
        for _ in range(100):
            try:
                requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except requests.RequestException:
                time.sleep(0.1)
        session = requests.Session()
        for _ in range(20):  # warm up
            post(session, url)
        started = time.perf_counter()
        latencies = [post(session, url) for _ in range(count)]
        summary("gunicorn + Redis, 1 sender", latencies, time.perf_counter() - started)

        sessions = [requests.Session() for _ in range(8)]
        started = time.perf_counter()
        with ThreadPoolExecutor(8) as pool:
            latencies = list(pool.map(lambda i: post(sessions[i % 8], url), range(count)))
        summary("gunicorn + Redis, 8 senders", latencies, time.perf_counter() - started)
        jobs = connection.llen("rq:queue:escalator")
        print(f"jobs enqueued: {jobs} (expected {2 * count + 20})")
        workers = children(server.pid)
        print(
            "memory (RSS): master {:.1f} MiB, workers {}".format(
                rss_mib(server.pid), ", ".join(f"{rss_mib(p):.1f} MiB" for p in workers)
            )
        )
    finally:
        server.terminate()
        server.wait(10)
        connection.flushdb()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    args = parser.parse_args()
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} cores")
    in_process(args.requests)
    under_gunicorn(args.requests, args.redis_url)


if __name__ == "__main__":
    main()
