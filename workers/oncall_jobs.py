"""RQ job entry points of on-call, enqueued by dotted name (like `workers.jobs.apply_ticket_event`):

- `deliver_notice(notice)`: a PagerDuty event or Slack message (workers/notices.py);
- `check_first_response(ticket_id, due, since)`: the SLA watchdog's check (workers/sla_watchdog.py).

Both take the worker process's context (workers.process) and carry their retry counts as keyword
arguments, as the ticket job does (workers/retries.py).
"""

from __future__ import annotations

from typing import Any

from rq import get_current_job
from rq.job import Job

from app.infra.queueing import make_queue
from workers import notices, process
from workers.retries import Budget
from workers.sla_watchdog import FirstResponseCheck, run_check


def deliver_notice(
    notice: dict[str, Any], attempt: int = 0, outage_attempt: int = 0, deadline: float | None = None
) -> str:
    job = _current_job()
    context = process.context(job.connection)
    queue = make_queue(context.connection, job.origin)  # the context's client: short timeouts
    budget = Budget(attempt, outage_attempt, deadline, context.retry_policy)
    return notices.run(context.paging, context.zendesk, queue, job.id, notice, budget)


def check_first_response(
    ticket_id: int, due: str, since: str, attempt: int = 0, outage_attempt: int = 0, deadline: float | None = None
) -> str:
    job = _current_job()
    context = process.context(job.connection)
    check = FirstResponseCheck(context.watchdog, context.paging, context.zendesk, context.policy)
    queue = make_queue(context.connection, job.origin)
    budget = Budget(attempt, outage_attempt, deadline, context.retry_policy)
    return run_check(check, queue, job.id, ticket_id, due, since, budget)


def _current_job() -> Job:
    job = get_current_job()
    if job is None:
        raise RuntimeError("on-call jobs run as RQ jobs")
    return job
