"""Every benchmark, one command; each prints a Markdown table (docs/performance.md keeps them).

    .venv/bin/python -m bench.run_all [--redis-url redis://127.0.0.1:6379/14] [--quick]

Needs a Redis server; the database named by --redis-url is emptied. Takes about 15 minutes
(the 2,000-event drain alone runs for over three, at 600 Zendesk calls a minute).
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from bench.common import DEFAULT_REDIS_URL, REPO, machine

BENCHMARKS = ("bench.classify", "bench.intake", "bench.pipeline")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL, help="a Redis database the run may empty")
    parser.add_argument("--quick", action="store_true", help="small runs that only check every benchmark works")
    args = parser.parse_args()
    print(f"Machine: {machine()}\n", flush=True)
    failed = []
    for module in BENCHMARKS:
        argv = [sys.executable, "-m", module]
        if module != "bench.classify":
            argv += ["--redis-url", args.redis_url] + (["--quick"] if args.quick else [])
        elif args.quick:
            argv.append("--quick")
        print(f"## {module}\n", flush=True)
        if subprocess.run(argv, cwd=REPO).returncode != 0:
            failed.append(module)
    if failed:
        sys.exit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
