"""Prometheus metrics, served at GET /metrics.

Webhook outcomes are counted per web process. Job states (queued, scheduled, started, failed) and
the worker's job results are read from Redis at scrape time, so they cover every worker process,
including RQ's short-lived work horses that could not keep counters of their own.
"""
from __future__ import annotations

import redis
from prometheus_client import CollectorRegistry, Counter
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from rq import Queue
from rq.registry import FailedJobRegistry, FinishedJobRegistry, ScheduledJobRegistry, StartedJobRegistry

from app.queueing import KEY_PREFIX

JOB_RESULTS_KEY = KEY_PREFIX + "metrics:job-results"

WEBHOOKS = Counter(
    "escalator_webhooks_total",
    "Zendesk webhook requests by outcome (accepted, duplicate, ignored, invalid-signature, ...)",
    ["outcome"],
)


def record_job_result(connection: redis.Redis, status: str) -> None:
    """Count one finished job by its result ("updated", "noop", "rescheduled:...", "failed")."""
    connection.hincrby(JOB_RESULTS_KEY, status, 1)


class QueueCollector:
    """Reads the queue's registries and the job-result counts when Prometheus scrapes."""

    def __init__(self, queue: Queue):
        self.queue = queue

    def collect(self):
        up = GaugeMetricFamily("escalator_redis_up", "1 when Redis answered this scrape")
        try:
            states = self._job_states()
            results = self.queue.connection.hgetall(JOB_RESULTS_KEY)
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
        counted = CounterMetricFamily("escalator_worker_jobs", "Finished ticket jobs by result",
                                      labels=["result"])
        for result, count in sorted(results.items()):
            counted.add_metric([result.decode()], int(count))
        yield counted

    def _job_states(self) -> dict[str, int]:
        queue = self.queue
        return {
            "queued": queue.count,
            "scheduled": ScheduledJobRegistry(queue=queue).count,
            "started": StartedJobRegistry(queue=queue).count,
            "finished": FinishedJobRegistry(queue=queue).count,
            "failed": FailedJobRegistry(queue=queue).count,
        }


def queue_registry(queue: Queue) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(QueueCollector(queue))
    return registry
