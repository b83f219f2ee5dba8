"""Intake throughput against the bare endpoint, under the Procfile's own gunicorn settings.

The webhook endpoint (signed POST -> verified, parsed, pre-screened, deduplicated and enqueued in
one Redis round trip -> 202) and a bare Flask app answering 202 (bench/bare_app.py) are served by
the same command, alternately, several rounds, so both see the same machine; every request is a
new signed event. Also the single-sender latency of the real endpoint, against the bare one's.

    .venv/bin/python bench/intake.py [--rounds 3] [--requests 6000] [--quick]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import redis

from bench.common import (
    DEFAULT_REDIS_URL,
    base_env,
    blast,
    comment_event,
    median,
    percentile,
    signed_request,
    start_web,
    table,
)

BARE = "bench.bare_app:create_app()"
TEXTS = ["It is time sensitive, please.", "URGENT: the API is down", "Thanks, just a question."]


def requests_for(port: int, count: int) -> list[bytes]:
    return [signed_request(comment_event(10_000 + i, TEXTS[i % 3]), port) for i in range(count)]


def measure(app_target: str | None, env: dict, log_dir: Path, count: int, connections: int) -> tuple[float, list, dict]:
    web, port = start_web(env, log_dir, app_target, name="bare" if app_target else "web")
    try:
        blast(port, requests_for(port, 200), connections)  # warm up
        return blast(port, requests_for(port, count), connections)
    finally:
        web.stop()


def run(redis_url: str, rounds: int, count: int, connections: int) -> dict:
    connection = redis.Redis.from_url(redis_url)
    env = base_env(redis_url, WEB_CONCURRENCY="2")
    rows, ratios, single = [], [], {}
    with tempfile.TemporaryDirectory() as tmp:
        log_dir = Path(tmp)
        for number in range(1, rounds + 1):
            connection.flushdb()
            bare_rate, _, bare_status = measure(BARE, env, log_dir, count, connections)
            app_rate, _, app_status = measure(None, env, log_dir, count, connections)
            assert set(app_status) == {202} and set(bare_status) == {202}, (app_status, bare_status)
            queued = sum(connection.llen(f"rq:queue:{q}") for q in ("escalator-urgent", "escalator-soon", "escalator"))
            assert queued == count + 200, queued  # every request really enqueued a job
            ratios.append(app_rate / bare_rate)
            rows.append((number, f"{bare_rate:,.0f}", f"{app_rate:,.0f}", f"{app_rate / bare_rate:.2f}"))
        connection.flushdb()
        for name, target in (("bare", BARE), ("webhook", None)):
            _, latencies, _ = measure(target, env, log_dir, max(500, count // 6), 1)
            single[name] = latencies
    connection.flushdb()
    rows.append(("median", "", "", f"**{median(ratios):.2f}**"))
    table(
        f"Intake: webhook endpoint / bare endpoint, {connections} connections, {count:,} signed events per run",
        ["round", "bare req/s", "webhook req/s", "ratio"],
        rows,
    )
    table(
        "Intake: one sender (sequential requests), latency",
        ["endpoint", "p50 ms", "p95 ms", "p99 ms"],
        [(name, *(f"{percentile(lat, q) * 1000:.2f}" for q in (0.5, 0.95, 0.99))) for name, lat in single.items()],
    )
    return {"ratio": median(ratios), "single_p99_ms": percentile(single["webhook"], 0.99) * 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL, help="a Redis database this run may empty")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=6000)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--quick", action="store_true", help="a small run that only checks the benchmark works")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.requests = 1, 300
    run(args.redis_url, args.rounds, args.requests, args.connections)


if __name__ == "__main__":
    main()
