"""Every Redis key escalator writes (RQ's own keys are RQ's). One prefix, so an operator can list them."""

from __future__ import annotations

PREFIX = "escalator:"

# Intake: an event id seen by the webhook endpoint, written with its job (app.webhooks.intake).
WEBHOOK_SEEN = PREFIX + "webhook-seen:{job_id}"

# Worker: a ticket creation or comment applied (workers.apply), and the lock held while applying.
DONE = PREFIX + "done:{work_id}"
TICKET_LOCK = PREFIX + "lock:ticket:{ticket_id}"
INTEGRATION_USER_ID = PREFIX + "zendesk:integration_user_id"

# The SLA watchdog: the check a ticket is watched by (workers.sla_watchdog), a hash of job_id,
# due and since; gone once an agent replied in public.
SLA_CHECK = PREFIX + "sla-check:ticket:{ticket_id}"

# On-call: a ticket's page (workers.paging), a hash of state, dedup_key and note_owed.
PAGE = PREFIX + "page:ticket:{ticket_id}"

# The token bucket in front of every Zendesk request (workers.rate_limit).
ZENDESK_TOKENS = PREFIX + "zendesk:tokens"
# The times of recent writes to one ticket, a sorted set (workers.ticket_budget).
TICKET_WRITES = PREFIX + "zendesk:ticket-writes:{ticket_id}"

# Counters read by GET /metrics (app.infra.metrics).
METRICS_JOB_RESULTS = PREFIX + "metrics:job-results"
METRICS_WEBHOOK_OUTCOMES = PREFIX + "metrics:webhook-outcomes"
METRICS_VENDOR_CALLS = PREFIX + "metrics:vendor-calls"  # field "<vendor>:<status>"
METRICS_WEBHOOK_TO_PUT = PREFIX + "metrics:webhook-to-put-seconds"  # fields "le:<bound>", "sum"


def webhook_seen(job_id: str) -> str:
    return WEBHOOK_SEEN.format(job_id=job_id)


def done(work_id: str) -> str:
    return DONE.format(work_id=work_id)


def ticket_lock(ticket_id: int) -> str:
    return TICKET_LOCK.format(ticket_id=ticket_id)


def ticket_writes(ticket_id: int) -> str:
    return TICKET_WRITES.format(ticket_id=ticket_id)


def sla_check(ticket_id: int) -> str:
    return SLA_CHECK.format(ticket_id=ticket_id)


def page(ticket_id: int) -> str:
    return PAGE.format(ticket_id=ticket_id)
