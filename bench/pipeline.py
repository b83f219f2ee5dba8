"""The whole service, from webhook to Zendesk PUT: the Procfile's web and worker against a stub Zendesk.

Five measurements, each against its own baseline or as a ratio, so a busy machine shows as noise,
not as a regression:

- latency: webhook sent -> successful PUT received by the stub, p50/p95/p99, idle (one event at
  a time) and under a steady 50 events/s (the Zendesk budget raised for the run);
- drain: a backlog of events against a stub that enforces a per-minute limit, with the budget set
  below it: the share of the budget used, and 429s (none expected);
- calls: Zendesk calls per kind of event (escalation 1, no-op 0, duplicate 0, own echo 0);
- memory: resident memory of the web and worker processes every 1,000 events;
- priority: one urgent ticket sent behind a backlog of time-sensitive ones, at the default
  budget: seconds from its webhook to its PUT.

    .venv/bin/python -m bench.pipeline [--only latency,drain,calls,memory,priority] [--quick]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import urllib.request
from pathlib import Path

import redis

from bench.common import (
    TimedStub,
    add_redis_option,
    base_env,
    blast,
    children,
    comment_event,
    percentile,
    redis_for_bench,
    rss_mib,
    signed_request,
    start_web,
    start_worker,
    table,
)
from tests.stub_zendesk import INTEGRATION_USER_ID

ESCALATION = "URGENT: the API has been down since 9:00"
TIME_SENSITIVE = "It is time sensitive: please change the threshold before Friday."
NOT_URGENT = "Not urgent, just a question about invoices."


class Service:
    """web + worker (as the Procfile starts them) + a stub Zendesk, on one Redis database."""

    def __init__(self, redis_url: str, log_dir: Path, budget: int | None, stub_limit: int | None = None):
        self.redis = redis.Redis.from_url(redis_url)
        self.redis.flushdb()
        self.stub = TimedStub(limit_per_minute=stub_limit).start()
        overrides = {"ZENDESK_BASE_URL": self.stub.url, "ZENDESK_OAUTH_TOKEN": "bench-token", "WEB_CONCURRENCY": "2"}
        if budget:
            overrides["ZENDESK_REQUESTS_PER_MINUTE"] = str(budget)
        self.env = base_env(redis_url, **overrides)
        self.log_dir = log_dir
        self.web, self.port = start_web(self.env, log_dir)
        self.worker = start_worker(self.env, log_dir)
        self.extra_workers: list = []
        # The integration user's id is read once a day; read it now so no measurement pays for it.
        self.redis.set("escalator:zendesk:integration_user_id", INTEGRATION_USER_ID)

    def send(self, body: dict) -> float:
        """POST one signed event; the time it was sent."""
        request = signed_request(body, self.port)
        sent = time.time()
        _, _, statuses = blast(self.port, [request], 1)
        assert statuses == {202: 1}, statuses
        return sent

    def wait_for_puts(self, count: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while len(self.stub.put_times()) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(self.stub.put_times())} of {count} PUTs:\n{self.worker.output()[-2000:]}")
            time.sleep(0.05)

    def add_worker(self) -> None:
        """One more `worker:` process (as `heroku ps:scale worker=2` would start)."""
        self.extra_workers.append(start_worker(self.env, self.log_dir, name=f"worker{len(self.extra_workers) + 2}"))

    def stop(self) -> None:
        for worker in self.extra_workers:
            worker.stop()
        self.worker.stop()
        self.web.stop()
        self.stub.stop()
        self.redis.flushdb()


def latency(redis_url: str, log_dir: Path, idle_events: int, rate: float, seconds: float) -> None:
    rows = []
    service = Service(redis_url, log_dir, budget=2500)
    try:
        idle = []
        for number in range(idle_events):
            ticket = 100_000 + number
            sent = service.send(comment_event(ticket, ESCALATION))
            service.wait_for_puts(number + 1, 30)
            idle.append(service.stub.put_times(ticket)[0] - sent)
        rows.append(("idle (one at a time)", 1, len(idle), *_ms(idle)))
        for workers in (1, 2):
            if workers == 2:
                service.add_worker()
            sent_rate, loaded = _under_load(service, rate, seconds, first_ticket=200_000 * workers)
            rows.append((f"{sent_rate:.0f} events/s (half escalations)", workers, len(loaded), *_ms(loaded)))
    finally:
        service.stop()
    table(
        "Webhook to Zendesk PUT (ms): stub Zendesk, budget 2,500/min",
        ["load", "worker processes", "escalations measured", "p50", "p95", "p99"],
        rows,
    )


def _under_load(service: Service, rate: float, seconds: float, first_ticket: int) -> tuple[float, list[float]]:
    """`rate` events a second for `seconds`, every other one an escalation (one PUT; the budget
    allows 2,500 a minute), the rest no-ops (no call), paced by the clock; the escalations' latencies."""
    sent_at: dict[int, float] = {}
    total = int(rate * seconds)
    puts_before = len(service.stub.put_times())
    started = time.time()
    for number in range(total):
        time.sleep(max(0.0, started + number / rate - time.time()))
        ticket = first_ticket + number
        text = ESCALATION if number % 2 == 0 else NOT_URGENT
        sent_at[ticket] = service.send(comment_event(ticket, text))
    sent_rate = total / (time.time() - started)
    escalations = [t for t in sent_at if (t - first_ticket) % 2 == 0]
    service.wait_for_puts(puts_before + len(escalations), 180)
    return sent_rate, [service.stub.put_times(t)[0] - sent_at[t] for t in escalations]


def _ms(values: list[float]) -> list[str]:
    return [f"{percentile(values, q) * 1000:.0f}" for q in (0.5, 0.95, 0.99)]


def drain(redis_url: str, log_dir: Path, events: int, budget: int, stub_limit: int) -> None:
    service = Service(redis_url, log_dir, budget=budget, stub_limit=stub_limit)
    try:
        service.worker.stop()  # the backlog builds up with no worker, as after an outage
        requests = [signed_request(comment_event(300_000 + n, ESCALATION), service.port) for n in range(events)]
        _, _, statuses = blast(service.port, requests, 8)
        assert statuses == {202: events}, statuses
        service.worker = start_worker(service.env, log_dir, name="worker-after-outage")
        started = time.time()
        service.wait_for_puts(events, events / budget * 60 * 1.5 + 60)
        finished = time.time()
        puts = service.stub.put_times()
        throttled = sum(1 for _, method, _, status in service.stub.arrivals if status == 429)
    finally:
        service.stop()
    per_minute = (len(puts) - 1) / (puts[-1] - puts[0]) * 60
    table(
        f"Drain of a {events:,}-event backlog: budget {budget}/min, stub limit {stub_limit} per 60 s",
        ["events", "PUTs", "drain time s", "PUTs/min (first to last)", "share of budget", "429s"],
        [
            (
                events,
                len(puts),
                f"{finished - started:.0f}",
                f"{per_minute:.0f}",
                f"{per_minute / budget:.0%}",
                throttled,
            )
        ],
    )


def calls(redis_url: str, log_dir: Path) -> None:
    service = Service(redis_url, log_dir, budget=600)
    kinds = {
        "escalation": comment_event(400_001, ESCALATION),
        "no-op (not urgent)": comment_event(400_002, NOT_URGENT),
        "own echo (our note)": comment_event(400_003, "Urgency: urgent", author_id=INTEGRATION_USER_ID, is_staff=True),
    }
    rows = []
    try:
        for kind, body in kinds.items():
            before = len(service.stub.requests())
            job_id = json.loads(_post(service, body))["job_id"]
            _wait_finished(service, job_id)
            rows.append((kind, len(service.stub.requests()) - before, _result(service, job_id)))
        before = len(service.stub.requests())
        answer = json.loads(_post(service, kinds["escalation"]))  # a redelivery of the escalation
        time.sleep(1)
        rows.append(("duplicate (redelivery)", len(service.stub.requests()) - before, answer["status"]))
    finally:
        service.stop()
    table("Zendesk calls per event", ["event", "Zendesk calls", "result"], rows)


def _post(service: Service, body: dict) -> str:
    from app.webhooks.signing import signed_headers
    from bench.common import SECRET

    raw = json.dumps(body).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{service.port}/webhooks/zendesk", data=raw, headers=signed_headers(SECRET, raw)
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read().decode()


def _wait_finished(service: Service, job_id: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while service.redis.hget(f"rq:job:{job_id}", "status") not in (b"finished", b"failed"):
        if time.monotonic() > deadline:
            raise TimeoutError(job_id)
        time.sleep(0.05)


def _result(service: Service, job_id: str) -> str:
    from rq.job import Job
    from rq.serializers import JSONSerializer

    return str(Job.fetch(job_id, connection=service.redis, serializer=JSONSerializer).return_value())


def memory(redis_url: str, log_dir: Path, batches: int, batch: int = 1000) -> None:
    service = Service(redis_url, log_dir, budget=2500)
    rows = []
    try:
        for number in range(1, batches + 1):
            bodies = [
                comment_event(500_000 + number * batch + n, ESCALATION if n % 10 == 0 else NOT_URGENT)
                for n in range(batch)
            ]
            _, _, statuses = blast(service.port, [signed_request(b, service.port) for b in bodies], 8)
            assert statuses == {202: batch}, statuses
            _wait_drained(service)
            web = [service.web.pid, *children(service.web.pid)]
            rows.append(
                (f"{number * batch:,}", f"{sum(rss_mib(p) for p in web):.1f}", f"{rss_mib(service.worker.pid):.1f}")
            )
    finally:
        service.stop()
    growth = lambda column: float(rows[-1][column]) / float(rows[1 if len(rows) > 1 else 0][column]) - 1  # noqa: E731
    rows.append((f"growth from {min(2, batches) * batch:,}", f"{growth(1):+.1%}", f"{growth(2):+.1%}"))
    table(
        "Resident memory (MiB): web = gunicorn master + 2 workers, worker = the RQ worker's main process",
        ["events", "web", "worker"],
        rows,
    )


def _wait_drained(service: Service, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    queues = [f"rq:queue:{q}" for q in ("escalator-urgent", "escalator-soon", "escalator")]
    while (
        sum(service.redis.llen(q) for q in queues)
        or service.redis.zcard("rq:wip:escalator-urgent")
        or (service.redis.zcard("rq:wip:escalator-soon") or service.redis.zcard("rq:wip:escalator"))
    ):
        if time.monotonic() > deadline:
            raise TimeoutError("queue not drained")
        time.sleep(0.2)


def priority(redis_url: str, log_dir: Path, backlog: int) -> None:
    service = Service(redis_url, log_dir, budget=None)  # the default budget
    try:
        requests = [signed_request(comment_event(600_000 + n, TIME_SENSITIVE), service.port) for n in range(backlog)]
        _, _, statuses = blast(service.port, requests, 8)
        assert statuses == {202: backlog}, statuses
        time.sleep(2)  # the worker is busy with the backlog
        sent = service.send(comment_event(700_000, ESCALATION))
        deadline = time.monotonic() + 60
        while not service.stub.put_times(700_000) and time.monotonic() < deadline:
            time.sleep(0.02)
        arrived = service.stub.put_times(700_000)
        done_before = len([t for t in service.stub.put_times() if t < (arrived[0] if arrived else time.time())])
    finally:
        service.stop()
    seconds = arrived[0] - sent if arrived else float("inf")
    table(
        f"An urgent ticket behind {backlog} time-sensitive ones, default budget (80/min)",
        ["backlog", "time-sensitive PUTs before it", "webhook to PUT (s)", "target"],
        [(backlog, done_before, f"{seconds:.1f}", "< 5 s")],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_redis_option(parser)
    parser.add_argument("--only", default="latency,drain,calls,memory,priority")
    parser.add_argument("--quick", action="store_true", help="a small run that only checks the benchmarks work")
    args = parser.parse_args()
    only = set(args.only.split(","))
    quick = args.quick
    with tempfile.TemporaryDirectory() as tmp, redis_for_bench(args.redis_url) as redis_url:
        log_dir = Path(tmp)
        if "latency" in only:
            latency(redis_url, log_dir, 3 if quick else 50, 50, 0.5 if quick else 20)
        if "drain" in only:
            drain(redis_url, log_dir, 30 if quick else 2000, 600, 700)
        if "calls" in only:
            calls(redis_url, log_dir)
        if "memory" in only:
            memory(redis_url, log_dir, 2 if quick else 10, 30 if quick else 1000)
        if "priority" in only:
            priority(redis_url, log_dir, 10 if quick else 300)


if __name__ == "__main__":
    main()
