"""The worker process: its collaborators, built once, and `escalator worker` (the Procfile's worker).

`WorkerContext` holds what every job uses: settings, the policy, the Zendesk client (or its
dry-run stand-in) behind the shared rate limiter, the applier made of them, the retry policy, and
the Redis client they share. `run_worker` builds it before RQ forks its work horses, which inherit
it; a job run by a plain `rq worker` builds it on first use from the environment. Tests install
their own with `install`.

The `rq` command would ignore the TLS options Heroku's self-signed `rediss://` needs, so the
connection is built by `app.infra.queueing.connect`. HerokuWorker turns the dyno's SIGTERM into a
clean stop of the running job, inside the 30 s shutdown window.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import redis
from rq.serializers import JSONSerializer
from rq.worker import HerokuWorker

from app.infra.logs import configure_logging, log_event
from app.infra.metrics import record_vendor_call
from app.infra.queueing import URGENT, QueueNames, connect, make_queue, make_queues
from app.infra.sentry import init_sentry
from app.infra.settings import MISSING_REDIS, Settings, SettingsError
from app.oncall import make_pager, make_slack
from app.policy import Policy, load_policy
from app.zendesk import ZendeskApi, ZendeskClient, make_zendesk
from workers.apply import TicketEventApplier
from workers.oncall import OnCall
from workers.paging import Paging
from workers.rate_limit import TokenBucket
from workers.retry_policy import RetryPolicy
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


def run_worker(settings: Settings, *, burst: bool = False) -> bool:
    configure_logging(settings.log_format)
    init_sentry(settings, "worker")
    if not settings.redis_url:
        raise SettingsError([MISSING_REDIS])
    log_event(log, "worker.started", **settings.describe())
    if settings.dry_run:
        log.warning(
            "worker.dry-run no Zendesk account configured (ZENDESK_SUBDOMAIN or ZENDESK_BASE_URL, and "
            "ZENDESK_OAUTH_TOKEN or ZENDESK_EMAIL + ZENDESK_API_TOKEN): updates are logged, not sent"
        )
    if not settings.paging_enabled:
        log.warning(
            "worker.paging-off PAGERDUTY_ROUTING_KEY is not set: on-call is not paged; notes say "
            '"page required, paging not configured"'
        )
    connection = connect(settings.redis_url)
    install(WorkerContext.build(settings, connect(settings.redis_url)))  # the jobs' own client
    # Strict priority: each dequeue takes from the first non-empty queue (docs/worker.md says what
    # a multi-queue worker gives up: RQ's intermediate-queue recovery of a crash right after BLPOP).
    worker = HerokuWorker(
        make_queues(connection, settings.queue_name), connection=connection, serializer=JSONSerializer
    )
    return bool(worker.work(with_scheduler=True, burst=burst, logging_level="INFO"))
