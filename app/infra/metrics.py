"""Prometheus metrics, served at GET /metrics.

Counts live in Redis, not in process memory: there are several web processes (gunicorn workers,
dynos) and RQ runs each job in a short-lived work horse, so only shared counters add up (and
prometheus_client's multiprocess mode stops at one host, and leaves files behind for every work
horse: docs/performance.md). Job states come from RQ's registries. Everything is read at scrape
time, in one round trip, and without RQ's registry cleanup: a cleanup on every scrape could race
a worker's own and requeue an abandoned job twice.

What writes them, and how it stays off the webhook's hot path:
- accepted and duplicate webhooks: counted inside the enqueue script (app.webhooks.intake);
- every other webhook answer: counted in the process (`OutcomeCounter`) and written in batches
  by a background thread, at most FLUSH_INTERVAL_SECONDS late, and once more when the process
  exits (`flush_all`: atexit, and gunicorn's `worker_exit` hook), so a deploy or a Ctrl-C on
  `escalator serve` loses none (a process SIGKILLed loses its last interval's);
- the worker: finished jobs by result, webhook-to-PUT latency (a histogram kept as one Redis hash
  of bucket counts) and vendor calls by status, each in the round trip that records the result.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
import weakref
from collections import Counter
from collections.abc import Iterable

import redis
from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from rq import Queue
from rq.registry import FailedJobRegistry, FinishedJobRegistry, ScheduledJobRegistry, StartedJobRegistry

from app import defaults
from app.infra.logs import log_event
from app.redis_keys import (
    METRICS_JOB_RESULTS,
    METRICS_VENDOR_CALLS,
    METRICS_WEBHOOK_OUTCOMES,
    METRICS_WEBHOOK_TO_PUT,
)

log = logging.getLogger("escalator.metrics")

# Upper bounds (seconds) of the webhook-to-PUT histogram: an idle service takes tens of
# milliseconds; a backlog behind the Zendesk budget, minutes; a long outage, hours.
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0)


class OutcomeCounter:
    """Webhook outcomes counted in this process and added to Redis in batches, off the request path.

    A background thread (started on first use in each process, so it survives gunicorn's fork)
    writes the counts every `interval` seconds in one pipeline. Counts that cannot be written
    (Redis down) are kept and written with the next batch, so refusals during an outage show up.
    """

    def __init__(self, connection: redis.Redis, interval: float | None = None):
        self.connection = connection
        self.interval = defaults.METRICS_FLUSH_INTERVAL_SECONDS if interval is None else interval
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._flusher_pid: int | None = None
        _counters.add(self)

    def add(self, outcome: str) -> None:
        with self._lock:
            self._counts[outcome] += 1
            if self._flusher_pid != os.getpid():
                self._flusher_pid = os.getpid()
                threading.Thread(target=self._flush_forever, name="metrics-flush", daemon=True).start()

    def flush(self) -> None:
        with self._lock:
            counts, self._counts = self._counts, Counter()
        if not counts:
            return
        try:
            with self.connection.pipeline(transaction=False) as pipe:
                for outcome, count in counts.items():
                    pipe.hincrby(METRICS_WEBHOOK_OUTCOMES, outcome, count)
                pipe.execute()
        except redis.RedisError:
            with self._lock:
                self._counts.update(counts)

    def _flush_forever(self) -> None:
        while True:
            time.sleep(self.interval)
            try:
                self.flush()
            except Exception:  # the thread must outlive any surprise; the counts are kept
                log_event(log, "metrics.flush-failed", level=logging.ERROR, exc_info=True)


_counters: weakref.WeakSet[OutcomeCounter] = weakref.WeakSet()


def flush_all() -> None:
    """Write what every `OutcomeCounter` of this process still holds: the periodic thread is a
    daemon and dies with the process, so its last interval's counts would be lost."""
    for counter in list(_counters):
        try:
            counter.flush()
        except Exception:  # at exit, one counter's surprise must not stop the others
            log_event(log, "metrics.flush-failed", level=logging.ERROR, exc_info=True)


# A clean exit of any process (a gunicorn worker, `escalator serve` after Ctrl-C). Registered at
# import, in gunicorn's master before it forks, so every worker inherits it.
atexit.register(flush_all)


def record_job_result(connection: redis.Redis, status: str, webhook_to_put_seconds: float | None = None) -> None:
    """Count one finished job by its result ("updated", "noop", "rescheduled:...", "failed"), and
    when it wrote to Zendesk, how long after its webhook was accepted; one round trip."""
    with connection.pipeline(transaction=False) as pipe:
        pipe.hincrby(METRICS_JOB_RESULTS, status, 1)
        if webhook_to_put_seconds is not None:
            pipe.hincrby(METRICS_WEBHOOK_TO_PUT, latency_bucket(webhook_to_put_seconds), 1)
            pipe.hincrbyfloat(METRICS_WEBHOOK_TO_PUT, "sum", webhook_to_put_seconds)
        pipe.execute()


def record_vendor_call(connection: redis.Redis, vendor: str, status: int | str) -> None:
    """Count one HTTP call to a vendor (zendesk, pagerduty) by its status code; best effort."""
    try:
        connection.hincrby(METRICS_VENDOR_CALLS, f"{vendor}:{status}", 1)
    except redis.RedisError:
        log_event(log, "metrics.vendor-call-not-counted", level=logging.WARNING, vendor=vendor, status=status)


def latency_bucket(seconds: float) -> str:
    """The histogram field a latency is counted in: the smallest bound it does not exceed."""
    for bound in LATENCY_BUCKETS:
        if seconds <= bound:
            return f"le:{bound}"
    return "le:+Inf"


class QueueCollector:
    """Reads the queues' registries and the counters when Prometheus scrapes."""

    def __init__(self, queues: list[Queue]):
        self.queues = queues

    def collect(self) -> Iterable:
        up = GaugeMetricFamily("escalator_redis_up", "1 when Redis answered this scrape")
        try:
            states, depths, counters = self._read()
        except redis.RedisError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        jobs = GaugeMetricFamily("escalator_jobs", "Ticket jobs by state (all queues)", labels=["state"])
        for state, count in states.items():
            jobs.add_metric([state], count)
        yield jobs
        queued = GaugeMetricFamily("escalator_queue_length", "Jobs waiting, per queue", labels=["queue"])
        for name, count in depths.items():
            queued.add_metric([name], count)
        yield queued
        outcomes, results, vendor_calls, latency = counters
        yield _counter(
            "escalator_webhooks",
            "Zendesk webhook requests by outcome (accepted, duplicate, ignored, invalid-signature, ...)",
            ["outcome"],
            {(k.decode(),): int(v) for k, v in outcomes.items()},
        )
        yield _counter(
            "escalator_worker_jobs",
            "Finished ticket jobs by result",
            ["result"],
            {(k.decode(),): int(v) for k, v in results.items()},
        )
        yield _counter(
            "escalator_vendor_calls",
            "HTTP calls to vendors (zendesk, pagerduty) by status code",
            ["vendor", "status"],
            {tuple(k.decode().split(":", 1)): int(v) for k, v in vendor_calls.items()},
        )
        yield _latency_histogram(latency)

    def _read(self) -> tuple[dict[str, int], dict[str, int], list[dict[bytes, bytes]]]:
        registries = (
            ("scheduled", ScheduledJobRegistry),
            ("started", StartedJobRegistry),
            ("finished", FinishedJobRegistry),
            ("failed", FailedJobRegistry),
        )
        connection = self.queues[0].connection
        with connection.pipeline(transaction=False) as pipe:
            for queue in self.queues:
                pipe.llen(queue.key)
                for _, registry in registries:
                    # ZCARD, not `.count`: that runs RQ's cleanup, which must not race the worker's.
                    pipe.zcard(registry(queue=queue).key)
            for key in (METRICS_WEBHOOK_OUTCOMES, METRICS_JOB_RESULTS, METRICS_VENDOR_CALLS, METRICS_WEBHOOK_TO_PUT):
                pipe.hgetall(key)
            answers = pipe.execute()
        states = dict.fromkeys(["queued", *(state for state, _ in registries)], 0)
        depths: dict[str, int] = {}
        per_queue = 1 + len(registries)
        for index, queue in enumerate(self.queues):
            counts = answers[index * per_queue : (index + 1) * per_queue]
            depths[queue.name] = counts[0]
            for state, count in zip(states, counts, strict=True):
                states[state] += count
        return states, depths, answers[len(self.queues) * per_queue :]


def _counter(
    name: str, documentation: str, labels: list[str], counts: dict[tuple[str, ...], int]
) -> CounterMetricFamily:
    family = CounterMetricFamily(name, documentation, labels=labels)
    for label_values, count in sorted(counts.items()):
        family.add_metric(list(label_values), count)
    return family


def _latency_histogram(fields: dict[bytes, bytes]) -> HistogramMetricFamily:
    counts = {k.decode(): v for k, v in fields.items()}
    buckets: list[tuple[str, float]] = []
    total = 0
    for bound in LATENCY_BUCKETS:
        total += int(counts.get(f"le:{bound}", 0))
        buckets.append((str(bound), total))
    total += int(counts.get("le:+Inf", 0))
    buckets.append(("+Inf", total))
    return HistogramMetricFamily(
        "escalator_webhook_to_put_seconds",
        "Seconds from accepting a webhook to the Zendesk update it caused",
        buckets=buckets,
        sum_value=float(counts.get("sum", 0)),
    )


def queue_registry(queues: list[Queue]) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(QueueCollector(queues))
    return registry
