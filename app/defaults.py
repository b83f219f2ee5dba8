"""Every default in one place: ports, limits, timeouts, TTLs and retry budgets.

Settings (`app.infra.settings`) may override some of these from the environment; the rest are
fixed facts of the design. Where one number follows from another, the relation is written here in
code, not restated in a comment.
"""

from __future__ import annotations

# --- web ---------------------------------------------------------------------------------------
PORT = 8000
# gunicorn (config/gunicorn.conf.py says why): processes per dyno (Heroku sets WEB_CONCURRENCY)
# and the connections each holds at once.
WEB_CONCURRENCY = 2
WEB_CONCURRENCY_MAX = 64
WORKER_CONNECTIONS = 1000
WORKER_CONNECTIONS_MAX = 100_000
LOG_LEVEL = "INFO"
QUEUE_NAME = "escalator"
SIGNATURE_TOLERANCE_SECONDS = 300
MAX_BODY_BYTES = 256 * 1024  # Zendesk's own limit for trigger webhook payloads
# What the endpoint asks Zendesk to wait before redelivering a webhook it answered 503 (Redis
# down): Zendesk redelivers a 503 only when Retry-After is under 60 s.
WEBHOOK_RETRY_AFTER_SECONDS = 30
EVENT_SEEN_TTL_SECONDS = 7 * 24 * 3600
# Every Redis command of the web process gives up after this long (no retry), so even a hung
# Redis is answered 503 + Retry-After well inside Zendesk's 10 s webhook timeout.
WEB_REDIS_TIMEOUT_SECONDS = 1.0
# A client gets this long to send a request body (gunicorn bounds only the headers, with its
# keepalive); then 408. Zendesk sends a whole webhook at once.
BODY_READ_DEADLINE_SECONDS = 5.0
# Webhook outcomes counted in a web process reach Redis (and /metrics) at most this late.
METRICS_FLUSH_INTERVAL_SECONDS = 1.0

# --- jobs --------------------------------------------------------------------------------------
JOB_TIMEOUT_SECONDS = 25  # inside Heroku's 30 s SIGTERM-to-SIGKILL window
RESULT_TTL_SECONDS = 24 * 3600
# A failed job stays in the failed registry (for `rq requeue`) for a month, not RQ's default year.
FAILURE_TTL_SECONDS = 30 * 24 * 3600

# --- worker ------------------------------------------------------------------------------------
# A ticket's lock outlives the longest job that may hold it, so a killed job's lock expires soon
# after, and never while a living job still works on the ticket.
TICKET_LOCK_TIMEOUT_SECONDS = JOB_TIMEOUT_SECONDS + 5
TICKET_LOCK_WAIT_SECONDS = 5  # then the job is rescheduled instead of holding a worker
MAX_CONFLICT_RETRIES = 3  # 409s met in one job before it is rescheduled
INTEGRATION_USER_TTL_SECONDS = 24 * 3600  # how long our own user id (GET /users/me) is cached

# Every retryable failure only delays a job, until this long after its first reschedule; then it
# fails into the failed registry (ESCALATOR_RETRY_GIVE_UP_SECONDS). Outages (Zendesk 5xx and
# timeouts, conflicts that do not settle, Redis errors inside a job) are waited out with capped
# exponential backoff: BASE * 2**n seconds, at most CAP, each jittered to 50-100 %, so the first
# retry comes within 1 s, the first three within 7 s, then every 5 minutes at most.
RETRY_GIVE_UP_SECONDS = 24 * 3600
RETRY_BACKOFF_BASE_SECONDS = 1
RETRY_BACKOFF_CAP_SECONDS = 300
RESCHEDULE_JITTER_SECONDS = 1.0
BUSY_DELAY_SECONDS = 2.0
INTERRUPTED_DELAY_SECONDS = 5.0  # after a deploy's shutdown or a job timeout: the next worker picks it up

# --- Zendesk API -------------------------------------------------------------------------------
ZENDESK_REQUESTS_PER_MINUTE = 80  # shared by all workers, under the 100/min Update Ticket limit
ZENDESK_CONNECT_TIMEOUT_SECONDS = 3.05  # just over a multiple of 3 s, the TCP retransmission window
ZENDESK_READ_TIMEOUT_SECONDS = 10.0
# How long to wait after a 429 that carries no usable Retry-After header.
ZENDESK_RATE_LIMIT_FALLBACK_SECONDS = 60.0
# Zendesk allows 30 updates of one ticket per user per 10 minutes. We keep 5 of them spare: for
# other writes made with the same user (an admin's script, the installer) and for the edges of a
# window whose clock is not ours. The window slides, so no 10 minutes ever hold more than 25.
ZENDESK_TICKET_UPDATES_PER_WINDOW = 30
TICKET_WRITES_PER_WINDOW = ZENDESK_TICKET_UPDATES_PER_WINDOW - 5
TICKET_WRITES_WINDOW_SECONDS = 600
TOKEN_WAIT_MAX_SECONDS = 1.0  # a job sleeps this long at most for a token; longer waits reschedule it
TOKEN_WAIT_MAX_SLEEPS = 3

# --- on-call: PagerDuty Events API v2 and Slack incoming webhooks ----------------------------------
PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue"
PAGERDUTY_ROUTING_KEY_LENGTH = 32  # "the 32 character Integration Key" (Events API v2 docs)
PAGERDUTY_DEDUP_KEY_MAX_CHARS = 255  # documented maximum
PAGERDUTY_SUMMARY_MAX_CHARS = 1024  # documented maximum; longer summaries are cut here, not by PagerDuty
PAGE_SUBJECT_MAX_CHARS = 200  # the ticket subject's share of the summary: a title, not the ticket
PAGE_SOURCE_FALLBACK = "escalator"  # payload.source when no Zendesk URL is configured (dry run)
NOTICE_CONNECT_TIMEOUT_SECONDS = 3.05
NOTICE_READ_TIMEOUT_SECONDS = 5.0  # a page is sent inside a ticket job (25 s); PagerDuty answers fast
# After a 429 without a usable Retry-After: PagerDuty documents none and advises "a backoff of a
# few minutes"; Slack sends one.
NOTICE_RATE_LIMIT_FALLBACK_SECONDS = 60.0
# A Slack message (a copy of a page, worth little hours late) is given up after this many outage
# tries; pages and Zendesk writes wait an outage out (workers/retry_policy.py).
SLACK_MAX_OUTAGE_ATTEMPTS = 5
# How long a ticket's page state is kept after its last change: longer than any incident lasts,
# so a redelivery or a late comment never pages twice.
PAGE_STATE_TTL_SECONDS = 30 * 24 * 3600

# --- SLA watchdog ------------------------------------------------------------------------------
SLA_WATCHDOG_LEAD_MINUTES = 15  # the check runs this long before the first response is due; 0 = off
# How long a ticket's armed-check record outlives its due time (then Redis forgets it by itself).
SLA_CHECK_RECORD_TTL_SECONDS = 7 * 24 * 3600

# --- self-healing: the worker's heartbeat, the reaper, the scheduler ---------------------------
# A busy worker renews its heartbeat this often (RQ's job_monitoring_interval; RQ's default is 30).
WORKER_HEARTBEAT_SECONDS = 10
# A worker without a heartbeat for this long is dead, and its job runs again (workers/reaper.py):
# three missed heartbeats, and more than the longest job of `escalator serve`'s in-process
# worker, which sends none while a job runs.
WORKER_DEAD_AFTER_SECONDS = max(3 * WORKER_HEARTBEAT_SECONDS, JOB_TIMEOUT_SECONDS + 10)
REAPER_INTERVAL_SECONDS = 5
# An idle worker blocks on its most urgent queue this long at a time, then looks at the others
# (workers/dequeue.py): the longest a job on a later queue waits for an idle worker.
DEQUEUE_POLL_SECONDS = 1
REAPER_LOCK_SECONDS = 30  # a reaper killed while holding the lock blocks the next for this long
# A job cut off this often (worker or work horse killed, Redis lost) fails instead of running again.
MAX_INTERRUPTED_RUNS = 5
SCHEDULER_INTERVAL_SECONDS = 1
# A dead scheduler's locks expire this long after its last tick; a standby takes over then.
SCHEDULER_LOCK_SECONDS = 15
SCHEDULER_REDIS_RETRY_MAX_SECONDS = 5  # the scheduler's backoff while Redis does not answer
WORKER_REDIS_RETRY_MAX_SECONDS = 5  # the worker's, between reconnects and restarts of its loop

# --- admin commands (escalator zendesk install / doctor / uninstall) -----------------------------
ADMIN_PAGE_SIZE = 100  # Zendesk's cursor pages hold at most 100 records
# An interactive command waits out a 429 (Zendesk's Retry-After, at most this long each time) ...
ADMIN_RATE_LIMIT_MAX_WAIT_SECONDS = 60.0
ADMIN_RATE_LIMIT_MAX_WAITS = 5  # ... this many times in a row, then gives up and says so
DOCTOR_HTTP_TIMEOUT_SECONDS = 5.0  # GET <url>/healthz
# Doctor fails the queue check when the oldest waiting job has waited longer than this: workers
# that keep up take seconds, and rate-limit delays wait in the scheduled registry, not the queue.
DOCTOR_QUEUE_MAX_WAIT_SECONDS = 300
# ...and the scheduler check when a due retry has not been moved to its queue for this long.
DOCTOR_SCHEDULED_MAX_OVERDUE_SECONDS = 60

# --- escalator backtest ------------------------------------------------------------------------
BACKTEST_OUT_DIR = "report"
# Zendesk's limit on its incremental export endpoints (30 with the High Volume API add-on).
BACKTEST_EXPORT_REQUESTS_PER_MINUTE = 10
# The share of ZENDESK_REQUESTS_PER_MINUTE the backtest may use; the live worker keeps the rest.
BACKTEST_MAX_SHARE = 0.25
BACKTEST_MAX_RATE_LIMIT_WAITS = 10  # 429s in a row on one request, then the run stops (resumable)
BACKTEST_MAX_OUTAGE_TRIES = 5  # tries of one request against a failing Zendesk, then the run stops
BACKTEST_BACKOFF_BASE_SECONDS = 2.0  # between those tries: 2, 4, 8, 16 s
BACKTEST_BACKOFF_CAP_SECONDS = 300.0
# Zendesk leaves the last minute out of every incremental export and refuses a later start_time.
INCREMENTAL_EXPORT_LAG_SECONDS = 60
SHOW_MANY_USERS_MAX_IDS = 100  # GET /api/v2/users/show_many takes up to 100 ids
