"""Turn one accepted event into exactly one durable job, in one Redis round trip.

One Lua script (atomic: no other client runs in between) checks the "seen" marker, writes the job
hash RQ's own enqueue would write, pushes the job id onto its queue and counts the outcome for
/metrics. The job hash is built by RQ itself (`Queue.create_job` + `Job.to_dict`), so the worker
reads it as its own; tests/webhooks/test_intake.py compares it with what `enqueue_call` writes.

The seen marker is written last: a Redis script is not rolled back when a command in it fails, so
writing the job first means a failure can leave a job without a marker (a redelivery then
rewrites the same job id, which the worker's done marks make harmless) but never a marker
without its job (which would turn the redelivery into a lost event).
"""

from __future__ import annotations

from dataclasses import dataclass

import redis
from rq import Queue
from rq.job import JobStatus
from rq.utils import now

from app import redis_keys
from app.infra.queueing import JOB_FUNCTION, job_options
from app.ticket_event import TicketEvent

# KEYS: seen marker, job hash, queue list, RQ's set of queues, the webhook-outcome counters.
# ARGV: job id, seen TTL (s), then the job hash as field, value, field, value, ...
ENQUEUE_ONCE = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HINCRBY', KEYS[5], 'duplicate', 1)
  return 0
end
redis.call('HSET', KEYS[2], unpack(ARGV, 3))
redis.call('SADD', KEYS[4], KEYS[3])
redis.call('RPUSH', KEYS[3], ARGV[1])
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
redis.call('HINCRBY', KEYS[5], 'accepted', 1)
return 1
"""


@dataclass(frozen=True)
class Enqueued:
    job_id: str
    duplicate: bool


def seen_key(event: TicketEvent) -> str:
    # Keyed like the job, so "seen" and "enqueued" can never disagree about which event is which.
    return redis_keys.webhook_seen(event.job_id)


def job_hash(queue: Queue, event: TicketEvent) -> dict:
    """The job's hash fields exactly as `queue.enqueue_call` would store them (no I/O)."""
    options = job_options()
    job = queue.create_job(
        JOB_FUNCTION,
        args=(event.to_job(),),
        job_id=event.job_id,
        status=JobStatus.QUEUED,
        description=f"apply_ticket_event ticket={event.ticket_id} kind={event.kind}",
        # create_job names the job timeout `timeout`; enqueue and enqueue_in, `job_timeout`.
        timeout=options["job_timeout"],
        result_ttl=options["result_ttl"],
        failure_ttl=options["failure_ttl"],
    )
    job.enqueued_at = now()  # the one field RQ's enqueue adds to what create_job set
    return job.to_dict()


class Intake:
    """Enqueues events through the one-round-trip script; one per connection."""

    def __init__(self, connection: redis.Redis):
        self._script = connection.register_script(ENQUEUE_ONCE)

    def enqueue_once(self, queue: Queue, event: TicketEvent, seen_ttl_seconds: int) -> Enqueued:
        """Enqueue `event` on `queue` unless an earlier delivery of it was enqueued. Raises redis errors."""
        fields = job_hash(queue, event)
        flat: list = [event.job_id, seen_ttl_seconds]
        for name, value in fields.items():
            flat += (name, value)
        keys = [seen_key(event), queue.job_class.key_for(event.job_id), queue.key, queue.redis_queues_keys]
        keys.append(redis_keys.METRICS_WEBHOOK_OUTCOMES)
        created = self._script(keys=keys, args=flat)
        return Enqueued(job_id=event.job_id, duplicate=not created)
