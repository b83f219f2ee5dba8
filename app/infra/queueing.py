"""Redis connections and the RQ queue: shared by the web app, the worker and `escalator serve`.

Every job is enqueued by dotted name so the web process never imports worker code, with RQ's
JSON serializer so Redis holds no pickles and jobs take plain ids and strings.
"""

from __future__ import annotations

from typing import Any

import redis
from rq import Queue
from rq.serializers import JSONSerializer

from app import defaults

JOB_FUNCTION = "workers.jobs.apply_ticket_event"


def connect(url: str) -> redis.Redis:
    """A Redis client for `url`; Heroku's `rediss://` uses a self-signed certificate."""
    options: dict[str, Any] = {"socket_connect_timeout": 2, "socket_timeout": 5, "health_check_interval": 30}
    if url.startswith("rediss://"):
        options["ssl_cert_reqs"] = None
    return redis.Redis.from_url(url, **options)


def embedded_redis() -> redis.Redis:
    """An in-memory Redis for trying the service without a server (one process only)."""
    import fakeredis

    return fakeredis.FakeRedis(server=fakeredis.FakeServer())


def make_queue(connection: redis.Redis, name: str) -> Queue:
    return Queue(name, connection=connection, serializer=JSONSerializer)


def job_options() -> dict[str, int]:
    """Options every ticket job gets, on first enqueue and on every reschedule (as `Queue.enqueue`
    and `enqueue_in` name them; `enqueue_call` calls the job timeout `timeout`)."""
    return {
        "job_timeout": defaults.JOB_TIMEOUT_SECONDS,
        "result_ttl": defaults.RESULT_TTL_SECONDS,
        "failure_ttl": defaults.FAILURE_TTL_SECONDS,
    }
