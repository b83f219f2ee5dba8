"""Intake throughput against the bare endpoint, under the Procfile's own gunicorn settings.

The webhook endpoint (signed POST -> verified, parsed, pre-screened, deduplicated and enqueued in
one Redis round trip -> 202) and a bare Flask app answering 202 (bench/bare_app.py) are served by
the same command side by side and loaded in alternating bursts, so both figures of a round see
the same machine; every request is a new signed event. Also the single-sender latency of the real
endpoint, against the bare one's.

    .venv/bin/python -m bench.intake [--rounds 10] [--requests 3000] [--connections 16] [--quick]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import redis

from bench.common import (
    add_redis_option,
    base_env,
    blast,
    children,
    comment_event,
    cpu_seconds,
    median,
    percentile,
    redis_for_bench,
    redis_server_pid,
    signed_request,
    start_web,
    table,
)

BARE = "bench.bare_app:create_app()"
TEXTS = ["It is time sensitive, please.", "URGENT: the API is down", "Thanks, just a question."]


def requests_for(port: int, count: int, start: int) -> list[bytes]:
    return [signed_request(comment_event(start + i, TEXTS[i % 3]), port) for i in range(count)]


def run(redis_url: str, rounds: int, count: int, connections: int) -> dict:
    """Both servers run side by side; each round sends a burst to one, then to the other (in
    alternating order), so the two figures of a round see the same machine."""
    connection = redis.Redis.from_url(redis_url)
    connection.flushdb()
    env = base_env(redis_url)  # the Procfile's settings: WEB_CONCURRENCY as the environment has it
    rows, ratios, cost_ratios, single = [], [], [], {}
    with tempfile.TemporaryDirectory() as tmp:
        log_dir = Path(tmp)
        bare, bare_port = start_web(env, log_dir, BARE, name="bare")
        web, web_port = start_web(env, log_dir)
        ports = {"bare": bare_port, "webhook": web_port}
        try:
            next_ticket = 10_000
            for port in ports.values():  # warm up
                blast(port, requests_for(port, 300, next_ticket), connections)
                next_ticket += 300
            servers = {"bare": bare.pid, "webhook": web.pid}
            redis_pid = redis_server_pid(redis_url)
            for number in range(1, rounds + 1):
                rates, cost = {}, {}
                for name in sorted(ports, reverse=number % 2 == 0):
                    requests = requests_for(ports[name], count, next_ticket)  # signed just before sending
                    next_ticket += count
                    pids = [servers[name], *children(servers[name]), *([redis_pid] if redis_pid else [])]
                    cpu_before = cpu_seconds(pids)
                    rates[name], _, statuses = blast(ports[name], requests, connections)
                    cost[name] = (cpu_seconds(pids) - cpu_before) / count
                    assert statuses == {202: count}, (name, statuses)
                ratios.append(rates["webhook"] / rates["bare"])
                cost_ratios.append(cost["bare"] / cost["webhook"])
                rows.append(
                    (
                        number,
                        f"{rates['bare']:,.0f}",
                        f"{rates['webhook']:,.0f}",
                        f"{ratios[-1]:.2f}",
                        f"{cost['bare'] * 1e6:.0f}",
                        f"{cost['webhook'] * 1e6:.0f}",
                        f"{cost_ratios[-1]:.2f}",
                    )
                )
            for name, port in ports.items():
                _, single[name], _ = blast(port, requests_for(port, max(500, count // 2), next_ticket), 1)
                next_ticket += max(500, count // 2)
        finally:
            web.stop()
            bare.stop()
    queued = sum(connection.llen(f"rq:queue:{q}") for q in ("escalator-urgent", "escalator-soon", "escalator"))
    assert queued == 300 + rounds * count + max(500, count // 2), queued  # every webhook request enqueued a job
    connection.flushdb()
    rows.append(("median", "", "", f"**{median(ratios):.2f}**", "", "", f"**{median(cost_ratios):.2f}**"))
    table(
        f"Intake: webhook endpoint / bare endpoint, {connections} connections, {count:,} signed events per burst",
        [
            "round",
            "bare req/s",
            "webhook req/s",
            "throughput ratio",
            "bare CPU µs/req",
            "webhook CPU µs/req",
            "cost ratio (bare/webhook)",
        ],
        rows,
    )
    table(
        "Intake: one sender (sequential requests), latency",
        ["endpoint", "requests", "p50 ms", "p95 ms", "p99 ms"],
        [
            (name, len(lat), *(f"{percentile(lat, q) * 1000:.2f}" for q in (0.5, 0.95, 0.99)))
            for name, lat in single.items()
        ],
    )
    return {
        "ratio": median(ratios),
        "cost_ratio": median(cost_ratios),
        "single_p99_ms": percentile(single["webhook"], 0.99) * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_redis_option(parser)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--connections", type=int, default=64, help="enough to keep both servers busy")
    parser.add_argument("--quick", action="store_true", help="a small run that only checks the benchmark works")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.requests = 2, 200
    with redis_for_bench(args.redis_url) as redis_url:
        run(redis_url, args.rounds, args.requests, args.connections)


if __name__ == "__main__":
    main()
