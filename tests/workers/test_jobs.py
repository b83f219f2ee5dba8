"""workers.jobs: what the job does with each outcome, on a real Redis with RQ's registries."""

import logging
import time
from datetime import UTC, datetime

import pytest
import redis
import requests
from rq.exceptions import ShutDownImminentException
from rq.registry import ScheduledJobRegistry
from rq.timeouts import JobTimeoutException

from app import defaults, redis_keys
from app.infra.queueing import JOB_FUNCTION
from app.redis_keys import METRICS_JOB_RESULTS
from app.zendesk import AuthFailed, ZendeskClient
from tests.zendesk.factories import BASE_URL, event
from workers import jobs
from workers.rate_limit import TokenBucket
from workers.retry_policy import RetryPolicy

pytestmark = pytest.mark.redis

TICKET_URL = f"{BASE_URL}/api/v2/tickets/35436"
CREATED = event("ticket_created__urgent_outage")


def counts(job) -> dict:
    return {k: job.kwargs[k] for k in ("attempt", "outage_attempt")}


def scheduled(queue):
    """[(job, seconds from now until it runs)] for every job waiting in the scheduled registry."""
    registry = ScheduledJobRegistry(queue=queue)
    now = datetime.now(UTC)
    return [
        (queue.fetch_job(job_id), (registry.get_scheduled_time(job_id) - now).total_seconds())
        for job_id in registry.get_job_ids()
    ]


def test_a_job_returns_the_applier_status(applier, api, queue):
    api.put(TICKET_URL, json={"ticket": {}})
    assert jobs.run(applier, queue, CREATED.to_job()) == "updated"
    assert jobs.run(applier, queue, CREATED.to_job()) == "duplicate"
    assert scheduled(queue) == []


def test_429_reschedules_after_retry_after_with_the_same_event(applier, api, queue):
    api.put(TICKET_URL, status=429, headers={"Retry-After": "30"})

    assert jobs.run(applier, queue, CREATED.to_job()) == "rescheduled:rate_limited"

    [(job, delay)] = scheduled(queue)
    assert 28 <= delay <= 31 + 1
    assert job.id == f"{CREATED.job_id}-retry1"
    assert job.func_name == JOB_FUNCTION
    assert job.args == [CREATED.to_job()] and counts(job) == {"attempt": 1, "outage_attempt": 0}
    assert (
        time.time() + defaults.RETRY_GIVE_UP_SECONDS - 5
        < job.kwargs["deadline"]
        <= time.time() + defaults.RETRY_GIVE_UP_SECONDS
    )
    assert (job.timeout, job.failure_ttl) == (defaults.JOB_TIMEOUT_SECONDS, defaults.FAILURE_TTL_SECONDS)


@pytest.mark.parametrize("failure", [{"status": 503}, {"body": requests.ReadTimeout("slow")}])
def test_outages_reschedule_with_exponential_backoff(applier, api, queue, failure):
    api.put(TICKET_URL, **failure)
    assert jobs.run(applier, queue, CREATED.to_job(), attempt=7, outage_attempt=2) == "rescheduled:unavailable"
    [(job, delay)] = scheduled(queue)
    assert 2 - 1 <= delay <= 4  # 1 s * 2**2 (the outage attempt), jittered to 50-100 % (whole seconds in RQ)
    assert counts(job) == {"attempt": 8, "outage_attempt": 3}


def test_an_outage_of_hours_is_waited_out_at_the_capped_backoff(applier, api, queue):
    api.put(TICKET_URL, status=503)
    # The 500th outage in a row: still rescheduled, at most the cap (5 minutes) later.
    assert jobs.run(applier, queue, CREATED.to_job(), attempt=600, outage_attempt=500) == "rescheduled:unavailable"
    [(job, delay)] = scheduled(queue)
    assert defaults.RETRY_BACKOFF_CAP_SECONDS / 2 - 1 <= delay <= defaults.RETRY_BACKOFF_CAP_SECONDS
    assert counts(job) == {"attempt": 601, "outage_attempt": 501}


def test_an_outage_past_the_give_up_time_fails_the_job_with_the_reason(applier, api, queue, caplog):
    api.put(TICKET_URL, status=500)
    with pytest.raises(jobs.GaveUp, match=r"unavailable after 10 attempts: PUT /api/v2/tickets/35436: 500"):
        jobs.run(applier, queue, CREATED.to_job(), attempt=9, outage_attempt=4, deadline=time.time() + 0.5)
    assert scheduled(queue) == []
    assert "worker.job.gave_up ticket=35436" in caplog.text


def test_the_give_up_time_and_backoff_come_from_the_retry_policy(applier, api, queue):
    api.put(TICKET_URL, status=503)
    policy = RetryPolicy(backoff_base_seconds=4, backoff_cap_seconds=4, give_up_seconds=120)
    assert jobs.run(applier, queue, CREATED.to_job(), retry_policy=policy) == "rescheduled:unavailable"
    [(job, delay)] = scheduled(queue)
    assert 2 - 1 <= delay <= 4
    assert time.time() + 115 < job.kwargs["deadline"] <= time.time() + 120


def test_a_redis_error_inside_the_job_reschedules_it_as_an_outage(queue):
    error = redis.ConnectionError("Connection refused")
    assert jobs.run(Interrupted(error), queue, CREATED.to_job()) == "rescheduled:redis_unavailable"
    [(job, delay)] = scheduled(queue)
    assert counts(job) == {"attempt": 1, "outage_attempt": 1} and job.args == [CREATED.to_job()]
    assert -1 <= delay <= defaults.RETRY_BACKOFF_BASE_SECONDS  # whole seconds in RQ's registry


def test_throttling_does_not_spend_the_outage_budget(make_applier, known_integration_user, redis_db, api, queue):
    """Throttled four times, then one 503: still rescheduled, with the first outage's short backoff."""
    bucket = TokenBucket(redis_db, requests_per_minute=1, burst=1)
    assert bucket.take() == 0
    throttled = make_applier(zendesk=ZendeskClient(BASE_URL, oauth_token="t", throttle=bucket.acquire))
    args, kwargs = [CREATED.to_job()], {}
    for _ in range(4):
        assert jobs.run(throttled, queue, *args, **kwargs) == "rescheduled:throttled"
        job = queue.fetch_job(max(ScheduledJobRegistry(queue=queue).get_job_ids()))
        args, kwargs = job.args, job.kwargs
    assert counts(job) == {"attempt": 4, "outage_attempt": 0}

    api.put(TICKET_URL, status=503)
    assert jobs.run(make_applier(), queue, *args, **kwargs) == "rescheduled:unavailable"

    [(job, delay)] = [(j, d) for j, d in scheduled(queue) if j.id.endswith("-retry5")]
    assert counts(job) == {"attempt": 5, "outage_attempt": 1}
    assert -1 <= delay <= 1  # 1 s * 2**0, jittered to 50-100 % (whole seconds in RQ's registry)


class Interrupted:
    """An applier whose work is cut short by `error` (raised by RQ inside the job)."""

    dry_run = False

    def __init__(self, error: BaseException):
        self.error = error

    def apply(self, event):
        raise self.error


@pytest.mark.parametrize(
    "error, reason, outage_attempt",
    [
        (ShutDownImminentException("shut down imminent (signal: SIGALRM)", {}), "shutdown", 0),
        (JobTimeoutException("Task exceeded maximum timeout value (25 seconds)"), "timeout", 1),
    ],
)
def test_a_job_stopped_by_a_deploy_or_its_timeout_is_rescheduled_shortly(queue, error, reason, outage_attempt):
    assert jobs.run(Interrupted(error), queue, CREATED.to_job()) == f"rescheduled:{reason}"
    [(job, delay)] = scheduled(queue)
    assert job.args == [CREATED.to_job()]
    assert counts(job) == {"attempt": 1, "outage_attempt": outage_attempt}
    assert (
        defaults.INTERRUPTED_DELAY_SECONDS - 1
        <= delay
        <= defaults.INTERRUPTED_DELAY_SECONDS + defaults.RESCHEDULE_JITTER_SECONDS
    )


def test_timeouts_fail_too_once_past_the_give_up_time(queue):
    with pytest.raises(jobs.GaveUp, match="timeout after 7 attempts"):
        jobs.run(
            Interrupted(JobTimeoutException("Task exceeded maximum timeout value (25 seconds)")),
            queue,
            CREATED.to_job(),
            attempt=6,
            outage_attempt=4,
            deadline=time.time() + 1,
        )
    assert scheduled(queue) == []


def test_rate_limits_are_waited_out_however_often_until_the_deadline(applier, api, queue):
    api.put(TICKET_URL, status=429, headers={"Retry-After": "1"})
    # A storm can rate-limit one job hundreds of times: the count alone never fails it...
    assert (
        jobs.run(applier, queue, CREATED.to_job(), attempt=500, deadline=time.time() + 60) == "rescheduled:rate_limited"
    )
    [(job, _)] = scheduled(queue)
    assert counts(job) == {"attempt": 501, "outage_attempt": 0}
    # ...the deadline, a day after the first reschedule, does.
    with pytest.raises(jobs.GaveUp, match="rate_limited"):
        jobs.run(applier, queue, CREATED.to_job(), attempt=501, deadline=time.time() + 0.5)


def test_401_fails_at_once_with_a_clear_log_line(applier, api, queue, caplog):
    api.put(TICKET_URL, status=401, json={"error": "Couldn't authenticate you"})
    with pytest.raises(AuthFailed):
        jobs.run(applier, queue, CREATED.to_job())
    assert scheduled(queue) == []
    assert "worker.zendesk.auth_failed ticket=35436 status=401" in caplog.text
    assert "test-token" not in caplog.text


@pytest.mark.parametrize("status, result", [(404, "dropped:not_found"), (422, "dropped:unprocessable")])
def test_404_and_422_end_the_job_successfully(applier, api, queue, status, result):
    api.put(TICKET_URL, status=status)
    assert jobs.run(applier, queue, CREATED.to_job()) == result
    assert scheduled(queue) == []


def test_a_spent_request_budget_reschedules_instead_of_sleeping(
    make_applier, known_integration_user, redis_db, api, queue
):
    bucket = TokenBucket(redis_db, requests_per_minute=1, burst=1)
    assert bucket.take() == 0  # the one token this minute is gone
    applier = make_applier(zendesk=ZendeskClient(BASE_URL, oauth_token="t", throttle=bucket.acquire))

    assert jobs.run(applier, queue, CREATED.to_job()) == "rescheduled:throttled"

    [(_job, delay)] = scheduled(queue)
    assert 55 <= delay <= 62
    assert len(api.calls) == 0


def test_a_busy_ticket_reschedules_shortly(applier, redis_db, queue):
    applier.lock_wait_seconds = 0.1
    with redis_db.lock(redis_keys.ticket_lock(35436), timeout=5):
        assert jobs.run(applier, queue, CREATED.to_job()) == "rescheduled:busy"
    [(_job, delay)] = scheduled(queue)
    assert defaults.BUSY_DELAY_SECONDS - 1 <= delay <= defaults.BUSY_DELAY_SECONDS + defaults.RESCHEDULE_JITTER_SECONDS


def test_reschedule_logs_a_dotted_line_without_text(applier, api, queue, caplog):
    api.put(TICKET_URL, status=429, headers={"Retry-After": "5"})
    with caplog.at_level(logging.INFO, logger="escalator"):
        jobs.run(applier, queue, CREATED.to_job())
    assert (
        "worker.job.rescheduled ticket=35436" in caplog.text
        and "reason=rate_limited attempt=1 outage_attempt=0" in caplog.text
    )
    assert "URGENT" not in caplog.text


def test_results_and_failures_are_counted_for_metrics(applier, api, queue):

    api.put(TICKET_URL, json={"ticket": {}})
    jobs.run(applier, queue, CREATED.to_job())
    jobs.run(applier, queue, CREATED.to_job())
    comment = event("ticket_comment_added__end_user_urgent")
    api.put(f"{BASE_URL}/api/v2/tickets/{comment.ticket_id}", status=401)
    with pytest.raises(AuthFailed):
        jobs.run(applier, queue, comment.to_job())
    counts = {k.decode(): int(v) for k, v in queue.connection.hgetall(METRICS_JOB_RESULTS).items()}
    assert counts == {"updated": 1, "duplicate": 1, "failed": 1}


def test_dry_run_results_are_counted_apart(make_applier, queue):

    jobs.run(make_applier(dry_run=True), queue, CREATED.to_job())
    assert queue.connection.hgetall(METRICS_JOB_RESULTS) == {b"dry_run:updated": b"1"}
