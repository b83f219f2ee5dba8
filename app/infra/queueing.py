"""Redis connections and the RQ queues: shared by the web app, the worker and `escalator serve`.

Every job is enqueued by dotted name so the web process never imports worker code, with RQ's
JSON serializer so Redis holds no pickles and jobs take plain ids and strings.

There are three queues, drained in this order by every worker (strict priority: RQ's multi-queue
BLPOP takes from the first non-empty one): `<ESCALATOR_QUEUE>-urgent` (the new text may be
urgent), `<ESCALATOR_QUEUE>-soon` (it may be time-sensitive or a near miss, or the body carried no
text) and `<ESCALATOR_QUEUE>` itself (the rest). Dashes, not colons: RQ appends its own
`:intermediate` and registry suffixes to queue keys, and a dash keeps every name one shell word
for `rq info` and `rq requeue --queue`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from rq import Queue
from rq.serializers import JSONSerializer

from app import defaults

JOB_FUNCTION = "workers.jobs.apply_ticket_event"

URGENT, SOON, REST = "urgent", "soon", "rest"
LANES = (URGENT, SOON, REST)  # priority order


@dataclass(frozen=True)
class QueueNames:
    """The three queue names derived from one base name (ESCALATOR_QUEUE)."""

    base: str

    def of(self, lane: str) -> str:
        return self.base if lane == REST else f"{self.base}-{lane}"

    def in_priority_order(self) -> list[str]:
        return [self.of(lane) for lane in LANES]


def connect(url: str) -> redis.Redis:
    """A Redis client for `url` (the worker's); Heroku's `rediss://` uses a self-signed certificate."""
    options: dict[str, Any] = {"socket_connect_timeout": 2, "socket_timeout": 5, "health_check_interval": 30}
    if url.startswith("rediss://"):
        options["ssl_cert_reqs"] = None
    return redis.Redis.from_url(url, **options)


def connect_web(url: str) -> redis.Redis:
    """A Redis client for the web process: every command gives up within WEB_REDIS_TIMEOUT_SECONDS
    and is not retried, so a hung or unreachable Redis is answered 503 in seconds, not minutes
    (redis-py's default retries three times, each waiting the full timeout). Zendesk redelivers."""
    timeout = defaults.WEB_REDIS_TIMEOUT_SECONDS
    options: dict[str, Any] = {
        "socket_connect_timeout": timeout,
        "socket_timeout": timeout,
        "health_check_interval": 30,
        "retry": Retry(NoBackoff(), 0),
    }
    if url.startswith("rediss://"):
        options["ssl_cert_reqs"] = None
    return redis.Redis.from_url(url, **options)


def embedded_redis() -> redis.Redis:
    """An in-memory Redis for trying the service without a server (one process only)."""
    import fakeredis

    return fakeredis.FakeRedis(server=fakeredis.FakeServer())


def make_queue(connection: redis.Redis, name: str) -> Queue:
    return Queue(name, connection=connection, serializer=JSONSerializer)


def make_queues(connection: redis.Redis, base: str) -> list[Queue]:
    """The three queues, most urgent first: what a worker listens on, in that order."""
    return [make_queue(connection, name) for name in QueueNames(base).in_priority_order()]


def job_options() -> dict[str, int]:
    """Options every ticket job gets, on first enqueue and on every reschedule (as `Queue.enqueue`
    and `enqueue_in` name them; `enqueue_call` calls the job timeout `timeout`)."""
    return {
        "job_timeout": defaults.JOB_TIMEOUT_SECONDS,
        "result_ttl": defaults.RESULT_TTL_SECONDS,
        "failure_ttl": defaults.FAILURE_TTL_SECONDS,
    }
