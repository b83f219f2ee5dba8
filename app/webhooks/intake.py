"""Turn one accepted event into exactly one durable job.

The "seen" marker and the job are written in one MULTI/EXEC transaction, watched for a racing
redelivery: either both are in Redis or neither is, so a failed enqueue never makes the
redelivery look like a duplicate (an RQ job id alone does not prevent a second run).
"""

from __future__ import annotations

from dataclasses import dataclass

import redis
from rq import Queue

from app import redis_keys
from app.infra.queueing import JOB_FUNCTION, job_options
from app.ticket_event import TicketEvent


@dataclass(frozen=True)
class Enqueued:
    job_id: str
    duplicate: bool


def seen_key(event: TicketEvent) -> str:
    # Keyed like the job, so "seen" and "enqueued" can never disagree about which event is which.
    return redis_keys.webhook_seen(event.job_id)


def enqueue_once(queue: Queue, event: TicketEvent, seen_ttl_seconds: int) -> Enqueued:
    """Enqueue `event` unless an earlier delivery of it was enqueued. Raises redis errors."""
    key = seen_key(event)
    options = job_options()
    with queue.connection.pipeline() as pipe:
        while True:
            try:
                pipe.watch(key)
                if pipe.exists(key):
                    pipe.unwatch()
                    return Enqueued(job_id=event.job_id, duplicate=True)
                pipe.multi()
                pipe.set(key, event.job_id, ex=seen_ttl_seconds)
                queue.enqueue_call(
                    JOB_FUNCTION,
                    args=(event.to_job(),),
                    job_id=event.job_id,
                    pipeline=pipe,
                    description=f"apply_ticket_event ticket={event.ticket_id} kind={event.kind}",
                    # enqueue_call names the job timeout `timeout`; enqueue and enqueue_in, `job_timeout`.
                    timeout=options["job_timeout"],
                    result_ttl=options["result_ttl"],
                    failure_ttl=options["failure_ttl"],
                )
                pipe.execute()
                return Enqueued(job_id=event.job_id, duplicate=False)
            except redis.WatchError:
                continue
