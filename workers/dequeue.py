"""Taking a job off the queues without a moment in which a crash loses it, with several queues.

RQ moves a job atomically from its queue into `rq:queue:<name>:intermediate` (`BLMOVE`) only when
a worker listens on a single queue; with several it uses one `BLPOP` over all of them, and a job
whose worker dies (or whose answer is lost with the connection) between that `BLPOP` and the
started registry is in no list and no registry: lost, though the webhook was acknowledged.

`SafeDequeueQueue.dequeue_any` keeps the move for any number of queues, in priority order:
a non-blocking `LMOVE` from each queue into its intermediate list, first queue first; when all
are empty it blocks on the first (most urgent) queue for at most DEQUEUE_POLL_SECONDS, then
looks at all of them again. So an urgent job starts at once, and a job on a later queue waits at
most that long for an idle worker. A job left in an intermediate list (its worker died) goes back
to the front of its queue by the reaper (workers/reaper.py); `EscalatorWorker` removes the
intermediate entry when the job starts, whatever the number of queues.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from typing import Any

from redis import Redis
from rq import Queue
from rq.exceptions import DequeueTimeout, NoSuchJobError
from rq.job import Job

from app import defaults


class SafeDequeueQueue(Queue):
    @classmethod
    def dequeue_any(
        cls,
        queues: Iterable[Queue],
        timeout: int | None,
        connection: Redis,
        job_class: type[Job] | None = None,
        serializer: Any = None,
        death_penalty_class: Any = None,
    ) -> tuple[Job, Queue] | None:
        ordered = list(queues)
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            for queue in ordered:
                job_id = connection.lmove(queue.key, queue.intermediate_queue_key, "LEFT", "RIGHT")
                if job_id is not None:
                    found = _fetch(queue, job_id, job_class, serializer)
                    if found is not None:
                        return found
            if deadline is None:
                return None
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise DequeueTimeout(timeout, [q.key for q in ordered])
            first = ordered[0]
            wait = math.ceil(min(remaining, defaults.DEQUEUE_POLL_SECONDS))  # whole seconds, never 0 (for ever)
            job_id = connection.blmove(first.key, first.intermediate_queue_key, wait, "LEFT", "RIGHT")
            if job_id is not None:
                found = _fetch(first, job_id, job_class, serializer)
                if found is not None:
                    return found


def _fetch(queue: Queue, job_id: Any, job_class: type[Job] | None, serializer: Any) -> tuple[Job, Queue] | None:
    job_id = job_id.decode() if isinstance(job_id, bytes) else str(job_id)
    try:
        job = (job_class or Job).fetch(job_id, connection=queue.connection, serializer=serializer)
    except NoSuchJobError:  # deleted meanwhile (RQ skips these too)
        queue.connection.lrem(queue.intermediate_queue_key, 1, job_id)
        return None
    return job, queue
