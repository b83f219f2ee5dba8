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

import zlib
from dataclasses import dataclass, fields

import redis
from rq import Queue
from rq.job import JobStatus
from rq.utils import now, utcformat

from app import redis_keys
from app.infra.batching import ScriptBatcher
from app.infra.queueing import JOB_FUNCTION, job_options
from app.ticket_event import TicketEvent

# KEYS: seen marker, job hash, queue list, RQ's set of queues, the webhook-outcome counters.
# ARGV: job id, seen TTL (s), created_at = enqueued_at, data, description.
# The hash fields every ticket job on a queue shares are written into the script itself (one
# script per queue), so a call carries only what differs: a quarter of the bytes and of the time.
ENQUEUE_ONCE = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HINCRBY', KEYS[5], 'duplicate', 1)
  return 0
end
redis.call('HSET', KEYS[2], 'created_at', ARGV[3], 'enqueued_at', ARGV[3], 'data', ARGV[4],
           'description', ARGV[5], {shared_fields})
redis.call('SADD', KEYS[4], KEYS[3])
redis.call('RPUSH', KEYS[3], ARGV[1])
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
redis.call('HINCRBY', KEYS[5], 'accepted', 1)
return 1
"""
VARYING_FIELDS = ("created_at", "enqueued_at", "data", "description")


@dataclass(frozen=True)
class Enqueued:
    job_id: str
    duplicate: bool


def seen_key(event: TicketEvent) -> str:
    # Keyed like the job, so "seen" and "enqueued" can never disagree about which event is which.
    return redis_keys.webhook_seen(event.job_id)


def job_hash(queue: Queue, event: TicketEvent) -> dict:
    """The job's hash fields exactly as `queue.enqueue_call` would store them, built by RQ (no I/O)."""
    options = job_options()
    job = queue.create_job(
        JOB_FUNCTION,
        args=(event.to_job(),),
        job_id=event.job_id,
        status=JobStatus.QUEUED,
        description=description(event),
        # create_job names the job timeout `timeout`; enqueue and enqueue_in, `job_timeout`.
        timeout=options["job_timeout"],
        result_ttl=options["result_ttl"],
        failure_ttl=options["failure_ttl"],
    )
    job.enqueued_at = now()  # the one field RQ's enqueue adds to what create_job set
    return job.to_dict()


def description(event: TicketEvent) -> str:
    # Ids only: RQ logs the description, and Sentry's RQ integration reports it.
    return f"apply_ticket_event ticket={event.ticket_id} kind={event.kind}"


def enqueue_script(shared_fields: dict[bytes, bytes]) -> str:
    """The script for one queue: its shared fields written in as Lua strings (decimal escapes,
    so any byte is safe)."""
    literal = lambda raw: '"' + "".join(f"\\{byte}" for byte in raw) + '"'  # noqa: E731
    pairs = ", ".join(f"{literal(name)}, {literal(value)}" for name, value in shared_fields.items())
    return ENQUEUE_ONCE.replace("{shared_fields}", pairs)


def job_payload(event: TicketEvent) -> dict:
    """`event.to_job()` without its deep copy (the nested dicts are only serialized here)."""
    return {field.name: getattr(event, field.name) for field in fields(event)}


class Intake:
    """Enqueues events, one Redis round trip each; one per connection.

    RQ builds the hash of one prototype job per queue (`job_hash`); its fields that every ticket
    job shares go into that queue's script, and each event adds the payload, the description and
    the timestamp, encoded as RQ encodes them. tests/webhooks/test_intake.py compares the result
    with what `enqueue_call` writes, so an RQ upgrade that adds or changes a field fails a test
    instead of writing jobs RQ would not read.
    """

    def __init__(self, connection: redis.Redis):
        self.connection = connection
        self._scripts: dict[str, tuple[str, str]] = {}  # queue name -> (sha1, Lua source)
        self._batcher = ScriptBatcher(connection)

    def enqueue_once(self, queue: Queue, event: TicketEvent, seen_ttl_seconds: int) -> Enqueued:
        """Enqueue `event` on `queue` unless an earlier delivery of it was enqueued. Raises redis errors."""
        script = self._scripts.get(queue.name) or self._script_for(queue, event)
        data = zlib.compress(queue.serializer.dumps((JOB_FUNCTION, None, (job_payload(event),), {})))
        keys = [seen_key(event), queue.job_class.key_for(event.job_id), queue.key, queue.redis_queues_keys]
        keys.append(redis_keys.METRICS_WEBHOOK_OUTCOMES)
        args: list[bytes | str | int] = [event.job_id, seen_ttl_seconds, utcformat(now()), data, description(event)]
        created = self._batcher.run(*script, keys, args)
        return Enqueued(job_id=event.job_id, duplicate=not created)

    def _script_for(self, queue: Queue, prototype: TicketEvent) -> tuple[str, str]:
        encode = self.connection.get_encoder().encode  # the bytes redis-py would send for each value
        shared = {encode(k): encode(v) for k, v in job_hash(queue, prototype).items() if k not in VARYING_FIELDS}
        source = enqueue_script(shared)
        script = self._scripts[queue.name] = (self.connection.register_script(source).sha, source)
        return script
