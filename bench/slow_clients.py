"""Signed webhooks while slow clients hold connections open, under the Procfile's web command.

`--slow N` connections send a request a byte every half second and never finish (half stall in
the headers, half in a declared 100 KB body); meanwhile signed webhooks are sent one at a time,
each on a new connection, with a 5 s timeout. Baseline: the same webhooks with no slow client.

    .venv/bin/python -m bench.slow_clients [--slow 100] [--probes 40] [--quick]
"""

from __future__ import annotations

import argparse
import socket
import tempfile
import time
from pathlib import Path

from bench.common import (
    add_redis_option,
    base_env,
    comment_event,
    percentile,
    redis_for_bench,
    signed_request,
    start_web,
    table,
)
from tests.slow_clients import SlowClients


def probe(port: int, ticket: int) -> float | None:
    """Seconds until a signed webhook was answered 202 on a new connection; None if it was not."""
    request = signed_request(comment_event(ticket, "URGENT: the API is down"), port).replace(
        b"HTTP/1.1\r\n", b"HTTP/1.1\r\nConnection: close\r\n", 1
    )
    started = time.monotonic()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(request)
            answer = sock.recv(64)
    except OSError:
        return None
    return time.monotonic() - started if answer.startswith(b"HTTP/1.1 202") else None


def run(redis_url: str, slow: int, probes: int) -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        web, port = start_web(base_env(redis_url), Path(tmp))
        try:
            for count in (0, slow):
                slow_clients = SlowClients(port, count)
                time.sleep(1)
                answered = [probe(port, 800_000 + count * 1000 + n) for n in range(probes)]
                still_open = len(slow_clients.sockets)
                slow_clients.close()
                times = [t for t in answered if t is not None]
                within = sum(1 for t in times if t < 1.0)
                rows.append(
                    (
                        count,
                        still_open,
                        f"{within} of {probes}",
                        f"{percentile(times, 0.5) * 1000:.1f}" if times else "-",
                        f"{max(times) * 1000:.1f}" if times else "-",
                    )
                )
        finally:
            web.stop()
    table(
        "Signed webhooks while slow clients hold connections",
        ["slow clients", "still connected at the end", "answered 202 within 1 s", "p50 ms", "max ms"],
        rows,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_redis_option(parser)
    parser.add_argument("--slow", type=int, default=100)
    parser.add_argument("--probes", type=int, default=40)
    parser.add_argument("--quick", action="store_true", help="a small run that only checks the benchmark works")
    args = parser.parse_args()
    if args.quick:
        args.slow, args.probes = 20, 5
    with redis_for_bench(args.redis_url) as redis_url:
        run(redis_url, args.slow, args.probes)


if __name__ == "__main__":
    main()
