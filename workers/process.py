"""The worker process: its collaborators, built once, and `escalator worker` (the Procfile's worker).

`WorkerContext` holds what every job uses: settings, the policy, the Zendesk client (or its
dry-run stand-in) behind the shared rate limiter, the applier made of them, the retry policy, and
the Redis client they share. `run_worker` builds it before RQ forks its work horses, which inherit
it; a job run by a plain `rq worker` builds it on first use from the environment. Tests install
their own with `install`.

The `rq` command would ignore the TLS options Heroku's self-signed `rediss://` needs, so the
connection is built by `app.infra.queueing.connect`. HerokuWorker turns the dyno's SIGTERM into a
clean stop of the running job, inside the 30 s shutdown window.

What keeps an accepted event moving without a person (docs/reliability.md):

- `EscalatorWorker` re-runs a job whose work horse died (workers.reruns), renews its heartbeat
  every WORKER_HEARTBEAT_SECONDS, runs the reaper as its registry maintenance, and takes jobs
  off its queues through their intermediate lists, however many queues it has (workers.dequeue);
- the scheduler is a supervised thread of the process (workers.scheduler), not RQ's forked child;
- a worker loop that RQ ends on a Redis error (a hung Redis, a long outage) is started again
  after a short wait, instead of the process exiting into the host's crash-restart backoff.
"""

from __future__ import annotations

import logging
import signal
import time
from dataclasses import dataclass
from types import FrameType
from typing import Any

import redis
from rq.job import Job
from rq.serializers import JSONSerializer
from rq.utils import now as rq_now
from rq.worker import HerokuWorker

from app import defaults
from app.infra.liveness import log_persistence
from app.infra.logs import configure_logging, log_event
from app.infra.metrics import record_vendor_call
from app.infra.queueing import URGENT, QueueNames, connect, make_queue
from app.infra.sentry import init_sentry
from app.infra.settings import MISSING_REDIS, Settings, SettingsError
from app.oncall import make_pager, make_slack
from app.policy import Policy, load_policy
from app.zendesk import ZendeskApi, ZendeskClient, make_zendesk
from workers.apply import TicketEventApplier
from workers.dequeue import SafeDequeueQueue
from workers.job_log import LogsJobs
from workers.oncall import OnCall
from workers.paging import Paging
from workers.rate_limit import TokenBucket
from workers.reaper import reap
from workers.reruns import allow_rerun, rerun_interrupted
from workers.retry_policy import RetryPolicy
from workers.scheduler import Scheduler
from workers.sla_watchdog import CHECK_FUNCTION, SlaWatchdog

log = logging.getLogger("escalator.worker")


@dataclass(frozen=True)
class WorkerContext:
    settings: Settings
    policy: Policy
    zendesk: ZendeskApi
    applier: TicketEventApplier
    paging: Paging
    watchdog: SlaWatchdog
    retry_policy: RetryPolicy
    connection: redis.Redis

    @classmethod
    def build(cls, settings: Settings, connection: redis.Redis) -> WorkerContext:
        policy = load_policy(settings.policy_path)
        bucket = TokenBucket(connection, settings.zendesk_requests_per_minute)
        zendesk = make_zendesk(settings, throttle=bucket.acquire)
        if isinstance(zendesk, ZendeskClient):
            # Count every Zendesk response by status for /metrics (a requests hook: the client is unchanged).
            zendesk.session.hooks["response"].append(
                lambda response, *args, **kwargs: record_vendor_call(connection, "zendesk", response.status_code)
            )
        # Pages and SLA checks are few and urgent by nature: they go to the first queue workers drain.
        queue = make_queue(connection, QueueNames(settings.queue_name).of(URGENT))
        pager, slack = make_pager(settings), make_slack(settings)
        for client in (pager, slack):
            if client is not None and hasattr(client, "observe"):  # the dry-run pager sends nothing
                client.observe = lambda vendor, outcome: record_vendor_call(connection, vendor, outcome)
        paging = Paging(
            connection,
            queue,
            zendesk_url=settings.zendesk_url,
            pager=pager,
            slack=slack,
            severities=policy.after_hours.page_severity,
        )
        watchdog = SlaWatchdog(queue, settings.sla_watchdog_lead_minutes, CHECK_FUNCTION)
        oncall = OnCall(connection, paging, watchdog, dry_run=settings.dry_run)
        applier = TicketEventApplier(
            zendesk, connection, policy, done_ttl_seconds=settings.event_seen_ttl_seconds, oncall=oncall
        )
        return cls(
            settings=settings,
            policy=policy,
            zendesk=zendesk,
            applier=applier,
            paging=paging,
            watchdog=watchdog,
            retry_policy=RetryPolicy.from_settings(settings),
            connection=connection,
        )


_context: WorkerContext | None = None


def install(context: WorkerContext | None) -> None:
    """Make `context` the one this process's jobs use (None: build it again on next use)."""
    global _context
    _context = context


def context(connection: redis.Redis) -> WorkerContext:
    """This process's context; built from the environment on first use (a plain `rq worker`)."""
    if _context is None:
        install(WorkerContext.build(Settings.from_env(), connection))
    assert _context is not None
    return _context


class EscalatorWorker(LogsJobs, HerokuWorker):
    """RQ's HerokuWorker, made to finish what it took on (see the module docstring), with a log
    line per job (workers.job_log)."""

    # RQ's wait between reconnects while Redis is down doubles up to this (RQ's own cap is 60 s).
    max_connection_wait_time = float(defaults.WORKER_REDIS_RETRY_MAX_SECONDS)

    def __init__(self, queues: list[str], **kwargs: Any):
        kwargs.setdefault("serializer", JSONSerializer)
        kwargs.setdefault("queue_class", SafeDequeueQueue)
        kwargs.setdefault("job_monitoring_interval", defaults.WORKER_HEARTBEAT_SECONDS)
        kwargs.setdefault("exception_handlers", [rerun_interrupted])
        super().__init__(queues, **kwargs)
        self.stop_requested = False

    def request_stop(self, signum: int, frame: FrameType | None) -> None:
        self.stop_requested = True  # SIGTERM/SIGINT: `run_worker` ends instead of starting again
        super().request_stop(signum, frame)

    def prepare_job_execution(self, job: Job, remove_from_intermediate_queue: bool = False) -> None:
        # RQ removes the job from its intermediate list only for a single-queue worker; ours took
        # it through that list whatever the number of queues (workers.dequeue).
        super().prepare_job_execution(job, remove_from_intermediate_queue=True)

    def handle_work_horse_killed(self, job: Job, retpid: int, ret_val: int, rusage: Any) -> None:
        super().handle_work_horse_killed(job, retpid, ret_val, rusage)
        allow_rerun(job, "work_horse_killed")  # RQ's handle_job_failure, next, then re-enqueues it

    def clean_registries(self) -> None:
        """RQ's maintenance, done by the reaper (re-runs instead of failing, and a short lock)."""
        for queue in self.queues:
            reap(queue)
        self.last_cleaned_at = rq_now()  # type: ignore[assignment]  # RQ declares it None at first


def run_worker(settings: Settings, *, burst: bool = False) -> bool:
    configure_logging(settings.log_format, settings.log_level)
    init_sentry(settings, "worker")
    if not settings.redis_url:
        raise SettingsError([MISSING_REDIS])
    log_event(log, "worker.started", **settings.describe())
    if settings.dry_run:
        log_event(
            log,
            "worker.dry-run",
            level=logging.WARNING,
            detail="no Zendesk account configured (ZENDESK_SUBDOMAIN or ZENDESK_BASE_URL, and "
            "ZENDESK_OAUTH_TOKEN or ZENDESK_EMAIL + ZENDESK_API_TOKEN): updates are logged, not sent",
        )
    if not settings.paging_enabled:
        log_event(
            log,
            "worker.paging-off",
            level=logging.WARNING,
            detail='PAGERDUTY_ROUTING_KEY is not set: on-call is not paged; notes say "page required, '
            'paging not configured"',
        )
    log_persistence(settings.redis_url, log)
    install(WorkerContext.build(settings, connect(settings.redis_url)))
    scheduler = Scheduler(connect(settings.redis_url), QueueNames(settings.queue_name).in_priority_order()).start()
    try:
        return _work_until_stopped(settings, burst=burst)
    finally:
        scheduler.stop()


def _work_until_stopped(settings: Settings, *, burst: bool) -> bool:
    """RQ's work loop, started again whenever it ends for any reason but a stop request (RQ quits
    its loop on a Redis timeout or an error it did not expect)."""
    assert settings.redis_url
    signals = _StopSignals()
    worked = False
    wait = 1.0
    while True:
        signals.listen()
        connection = connect(settings.redis_url)
        worker: EscalatorWorker | None = None
        try:
            # RQ talks to Redis in its constructor, start-up and teardown, outside its own loop.
            # Strict priority, most urgent queue first (docs/worker.md); taken through each queue's
            # intermediate list (workers.dequeue).
            worker = EscalatorWorker(QueueNames(settings.queue_name).in_priority_order(), connection=connection)
            worked = worker.work(burst=burst, logging_level="INFO") or worked
        except redis.RedisError as error:
            log_event(log, "worker.redis_error", level=logging.ERROR, error=type(error).__name__)
        finally:
            connection.close()
        signals.listen()
        stopped = worker is not None and worker.stop_requested
        if stopped or burst or signals.wait(wait):
            return worked
        log_event(
            log,
            "worker.restarted",
            level=logging.ERROR,
            detail="RQ's work loop ended without a stop request (see above); started again",
        )
        wait = min(wait * 2, defaults.WORKER_REDIS_RETRY_MAX_SECONDS)


class _StopSignals:
    """SIGTERM and SIGINT while RQ's loop is not running (it installs its own handlers while it is)."""

    def __init__(self) -> None:
        self.received = False

    def listen(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._receive)

    def _receive(self, signum: int, frame: FrameType | None) -> None:
        self.received = True

    def wait(self, seconds: float) -> bool:
        """Sleep up to `seconds`; True as soon as a stop signal has come."""
        deadline = time.monotonic() + seconds
        while not self.received and time.monotonic() < deadline:
            time.sleep(0.1)
        return self.received
