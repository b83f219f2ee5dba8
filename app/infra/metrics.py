"""Prometheus metrics, served at GET /metrics.

Counts live in Redis, not in process memory: there are several web processes (gunicorn workers,
dynos) and RQ runs each job in a short-lived work horse, so only shared counters add up. Job
states come from RQ's registries. Everything is read at scrape time.
"""

from __future__ import annotations

import contextlib

import redis
from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from rq import Queue
from rq.registry import FailedJobRegistry, FinishedJobRegistry, ScheduledJobRegistry, StartedJobRegistry

from app.redis_keys import METRICS_JOB_RESULTS, METRICS_WEBHOOK_OUTCOMES


def record_webhook_outcome(connection: redis.Redis, outcome: str) -> None:
    """Count one answered webhook; best effort, a metric never fails a request."""
    with contextlib.suppress(redis.RedisError):
        connection.hincrby(METRICS_WEBHOOK_OUTCOMES, outcome, 1)


def record_job_result(connection: redis.Redis, status: str) -> None:
    """Count one finished job by its result ("updated", "noop", "rescheduled:...", "failed")."""
    connection.hincrby(METRICS_JOB_RESULTS, status, 1)


class QueueCollector:
    """Reads the queue's registries and the job-result counts when Prometheus scrapes."""

    def __init__(self, queue: Queue):
        self.queue = queue

    def collect(self):
        up = GaugeMetricFamily("escalator_redis_up", "1 when Redis answered this scrape")
        try:
            states = self._job_states()
            results = _counts(self.queue.connection, METRICS_JOB_RESULTS)
            outcomes = _counts(self.queue.connection, METRICS_WEBHOOK_OUTCOMES)
        except redis.RedisError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        jobs = GaugeMetricFamily("escalator_jobs", "Ticket jobs by state", labels=["state"])
        for state, count in states.items():
            jobs.add_metric([state], count)
        yield jobs
        yield _counter(
            "escalator_webhooks",
            "Zendesk webhook requests by outcome (accepted, duplicate, ignored, invalid-signature, ...)",
            "outcome",
            outcomes,
        )
        yield _counter("escalator_worker_jobs", "Finished ticket jobs by result", "result", results)

    def _job_states(self) -> dict[str, int]:
        queue = self.queue
        return {
            "queued": queue.count,
            "scheduled": ScheduledJobRegistry(queue=queue).count,
            "started": StartedJobRegistry(queue=queue).count,
            "finished": FinishedJobRegistry(queue=queue).count,
            "failed": FailedJobRegistry(queue=queue).count,
        }


def _counts(connection: redis.Redis, key: str) -> dict[bytes, bytes]:
    counts: dict[bytes, bytes] = connection.hgetall(key)  # type: ignore[assignment]  # sync client
    return counts


def _counter(name: str, documentation: str, label: str, counts: dict[bytes, bytes]) -> CounterMetricFamily:
    family = CounterMetricFamily(name, documentation, labels=[label])
    for key, count in sorted(counts.items()):
        family.add_metric([key.decode()], int(count))
    return family


def queue_registry(queue: Queue) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(QueueCollector(queue))
    return registry
