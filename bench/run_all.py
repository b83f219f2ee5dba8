"""Every benchmark, one command; each prints a Markdown table (docs/performance.md keeps them).

    .venv/bin/python -m bench.run_all [--quick] [--redis-url URL]

Needs the `redis-server` program: each benchmark starts a private one (or uses the database
named by --redis-url, and empties it). Takes about 15 minutes
(the 2,000-event drain alone runs for over three, at 600 Zendesk calls a minute).
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from bench.common import REPO, add_redis_option, machine

BENCHMARKS = ("bench.classify", "bench.intake", "bench.slow_clients", "bench.pipeline")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_redis_option(parser)
    parser.add_argument("--quick", action="store_true", help="small runs that only check every benchmark works")
    args = parser.parse_args()
    print(f"Machine: {machine()}\n", flush=True)
    failed = []
    for module in BENCHMARKS:
        argv = [sys.executable, "-m", module]
        if args.redis_url and module != "bench.classify":
            argv += ["--redis-url", args.redis_url]
        if args.quick:
            argv.append("--quick")
        print(f"## {module}\n", flush=True)
        if subprocess.run(argv, cwd=REPO).returncode != 0:
            failed.append(module)
    if failed:
        sys.exit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
