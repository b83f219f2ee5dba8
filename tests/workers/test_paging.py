"""workers.paging and the notice job on a real Redis, PagerDuty, Slack and Zendesk mocked with
`responses`: exact bodies, one page per ticket, retries that never lose a page, ack and resolve."""

import json

import pytest
import redis
import requests
from rq.registry import FailedJobRegistry, ScheduledJobRegistry

from app import defaults, redis_keys
from app.oncall.page_events import trigger_event
from app.policy import load_policy
from app.zendesk import ZendeskClient
from tests.workers.conftest import SETTINGS
from tests.workers.oncall_helpers import (
    ACCEPTED,
    KEY,
    PD_URL,
    ROUTING_KEY,
    SEVERITIES,
    SLACK_URL,
    TICKET,
    fraud,
    jobs_of,
    make_paging,
    pd_bodies,
    run_scheduled_now,
    slack_bodies,
    work,
)
from tests.zendesk.factories import BASE_URL
from workers import process
from workers.apply import TicketEventApplier
from workers.paging import (
    ACKNOWLEDGED,
    ALREADY_PAGED,
    CANCELLED,
    NOT_CONFIGURED,
    OPEN,
    PAGED,
    PENDING,
    REFUSED,
    RESOLVED,
    RETRYING,
    PageResult,
)
from workers.retry_policy import RetryPolicy
from workers.sla_watchdog import CHECK_FUNCTION, SlaWatchdog

pytestmark = pytest.mark.redis

NOTE_PUT = f"{BASE_URL}/api/v2/tickets/{TICKET}"


@pytest.fixture
def install(redis_db, queue):
    """install(paging): the worker process's context, so RQ runs the notice jobs with `paging`."""

    def make(paging):
        zendesk = ZendeskClient(BASE_URL, oauth_token="test-token")
        policy = load_policy()
        process.install(
            process.WorkerContext(
                settings=SETTINGS,
                policy=policy,
                zendesk=zendesk,
                applier=TicketEventApplier(zendesk, redis_db, policy),
                paging=paging,
                watchdog=SlaWatchdog(queue, 15, CHECK_FUNCTION),
                retry_policy=RetryPolicy(),
                connection=redis_db,
            )
        )
        return paging

    yield make
    process.install(None)


def test_a_page_is_sent_at_once_with_the_routing_key_and_recorded(api, redis_db, queue):
    api.post(PD_URL, status=202, json=ACCEPTED)
    paging = make_paging(redis_db, queue)

    result = paging.page(fraud())

    assert result == PageResult(PAGED, KEY)
    assert result.note_line() == f"On-call paged (PagerDuty incident {KEY})."
    assert pd_bodies(api) == [{"routing_key": ROUTING_KEY, **trigger_event(fraud(), BASE_URL, SEVERITIES)}]
    assert paging.state(TICKET).state == OPEN
    assert redis_db.ttl(redis_keys.page(TICKET)) > 29 * 24 * 3600
    assert jobs_of(queue) == []  # nothing to retry, no Slack configured


def test_a_live_page_is_never_sent_again(api, redis_db, queue):
    api.post(PD_URL, status=202, json=ACCEPTED)
    paging = make_paging(redis_db, queue)
    paging.page(fraud())

    again = paging.page(fraud(subject="a later urgent comment"))

    assert again == PageResult(ALREADY_PAGED, KEY)
    assert "no second page" in again.note_line()
    assert len(pd_bodies(api)) == 1


def test_no_routing_key_means_no_page_and_a_note_that_says_so(api, redis_db, queue):
    result = make_paging(redis_db, queue, pager=False).page(fraud())
    assert result == PageResult(NOT_CONFIGURED)
    assert result.note_line().startswith("On-call page required, paging not configured")
    assert len(api.calls) == 0 and jobs_of(queue) == []


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ({"status": 503, "json": {}}, "PagerDuty answered 503"),
        ({"body": requests.ReadTimeout()}, "PagerDuty timed out (ReadTimeout)"),
        ({"status": 429, "json": {}, "headers": {"Retry-After": "30"}}, "PagerDuty answered 429"),
    ],
)
def test_a_page_pagerduty_did_not_take_is_queued_and_the_note_says_so(api, redis_db, queue, answer, reason):
    api.post(PD_URL, **answer)
    paging = make_paging(redis_db, queue)

    result = paging.page(fraud())

    assert (result.status, result.dedup_key, result.reason) == (RETRYING, KEY, reason)
    assert "being retried, and a second note will say when it went out" in result.note_line()
    state = paging.state(TICKET)
    assert (state.state, state.note_owed) == (PENDING, True)
    [job] = jobs_of(queue)
    assert job.func_name == "workers.oncall_jobs.deliver_notice"
    assert job.args == [
        {
            "vendor": "pagerduty",
            "ticket_id": TICKET,
            "event": trigger_event(fraud(), BASE_URL, SEVERITIES),
            "slack_text": None,
        }
    ]
    assert ROUTING_KEY not in json.dumps(job.args)  # the secret never sits in Redis
    delay = ScheduledJobRegistry(queue=queue).get_expiration_time(job) - job.created_at
    # 429: its Retry-After; an outage: the retry policy's first wait (whole seconds in RQ's registry)
    expected = 30 if "429" in reason else defaults.RETRY_BACKOFF_BASE_SECONDS
    assert expected - 1 <= delay.total_seconds() <= expected + 0.5
    # Another event on the ticket meanwhile: no second attempt, no second job.
    assert paging.page(fraud()).status == RETRYING
    assert len(pd_bodies(api)) == 1 and len(jobs_of(queue)) == 1


def test_the_retried_page_goes_out_and_adds_the_second_note(api, redis_db, queue, install):
    api.post(PD_URL, status=503, json={})
    paging = install(make_paging(redis_db, queue))
    paging.page(fraud())
    api.replace("POST", PD_URL, status=202, json=ACCEPTED)
    api.put(NOTE_PUT, json={"ticket": {"id": TICKET}})

    run_scheduled_now(queue)
    work(queue)

    assert [b["event_action"] for b in pd_bodies(api)] == ["trigger", "trigger"]
    assert pd_bodies(api)[1] == pd_bodies(api)[0]
    [put] = [c for c in api.calls if c.request.method == "PUT"]
    assert json.loads(put.request.body) == {
        "ticket": {
            "comment": {
                "body": f"On-call paged (PagerDuty incident {KEY}), after retrying: PagerDuty took the page now.",
                "public": False,
            }
        }
    }
    state = paging.state(TICKET)
    assert (state.state, state.note_owed) == (OPEN, False)


def test_a_redis_error_after_pagerduty_took_the_retried_page_is_retried_not_failed(
    api, redis_db, queue, install, monkeypatch
):
    """PagerDuty took the trigger, then Redis failed before the page was recorded open: the notice
    job is rescheduled (not failed with the page left pending, which an acknowledge would then
    'cancel' while PagerDuty's alert stayed open), and its retry records the page."""
    api.post(PD_URL, status=503, json={})
    paging = install(make_paging(redis_db, queue))
    paging.page(fraud())
    api.replace("POST", PD_URL, status=202, json=ACCEPTED)
    api.put(NOTE_PUT, json={"ticket": {"id": TICKET}})
    real_transaction = paging._transaction
    failures = iter([redis.ConnectionError("Redis went away")])

    def flaky_transaction():
        error = next(failures, None)
        if error is not None:
            raise error
        return real_transaction()

    monkeypatch.setattr(paging, "_transaction", flaky_transaction)

    run_scheduled_now(queue)
    work(queue)
    assert FailedJobRegistry(queue=queue).count == 0
    assert paging.state(TICKET).state == PENDING
    [retry] = jobs_of(queue)
    assert retry.id.endswith("-retry1")

    run_scheduled_now(queue)
    work(queue)
    assert [b["event_action"] for b in pd_bodies(api)] == ["trigger", "trigger", "trigger"]
    assert len({b["dedup_key"] for b in pd_bodies(api)}) == 1  # one alert in PagerDuty
    assert paging.state(TICKET).state == OPEN
    assert FailedJobRegistry(queue=queue).count == 0


def test_pagerduty_outages_are_waited_out_not_given_up(api, redis_db, queue, install):
    api.post(PD_URL, status=503, json={})
    paging = install(make_paging(redis_db, queue))
    paging.page(fraud())
    for _ in range(8):  # more than the ordinary five outage tries
        run_scheduled_now(queue)
        work(queue)
    assert len(pd_bodies(api)) == 9
    assert FailedJobRegistry(queue=queue).count == 0
    [retry] = jobs_of(queue)
    assert retry.id.endswith("-retry8") and retry.kwargs["outage_attempt"] == 8
    assert paging.state(TICKET).state == PENDING


def test_a_refused_page_fails_visibly_and_goes_out_once_requeued(api, redis_db, queue, install, caplog):
    invalid = {"status": "invalid event", "message": "Event object is invalid", "errors": ["Invalid routing key"]}
    api.post(PD_URL, status=400, json=invalid)
    paging = install(make_paging(redis_db, queue))

    result = paging.page(fraud())
    assert result.status == REFUSED
    assert "check PAGERDUTY_ROUTING_KEY" in result.note_line()
    assert "oncall.page.deferred" in caplog.text and ROUTING_KEY not in caplog.text
    work(queue)
    failed = FailedJobRegistry(queue=queue)
    [job_id] = failed.get_job_ids()

    api.replace("POST", PD_URL, status=202, json=ACCEPTED)
    api.put(NOTE_PUT, json={"ticket": {"id": TICKET}})
    failed.requeue(job_id)
    work(queue)
    assert paging.state(TICKET).state == OPEN
    assert len([c for c in api.calls if c.request.method == "PUT"]) == 1


def test_agent_reply_acknowledges_and_solving_resolves(api, redis_db, queue):
    api.post(PD_URL, status=202, json=ACCEPTED)
    paging = make_paging(redis_db, queue)
    paging.page(fraud())

    assert paging.acknowledge(TICKET) == ACKNOWLEDGED
    assert paging.acknowledge(TICKET) is None  # a second reply: nothing more to say
    assert paging.resolve(TICKET) == RESOLVED
    assert paging.resolve(TICKET) is None  # a redelivered status change
    assert pd_bodies(api)[1:] == [
        {"routing_key": ROUTING_KEY, "event_action": "acknowledge", "dedup_key": KEY},
        {"routing_key": ROUTING_KEY, "event_action": "resolve", "dedup_key": KEY},
    ]
    assert paging.state(TICKET).state == RESOLVED


def test_solving_an_unacknowledged_page_resolves_it(api, redis_db, queue):
    api.post(PD_URL, status=202, json=ACCEPTED)
    paging = make_paging(redis_db, queue)
    paging.page(fraud())
    assert paging.resolve(TICKET) == RESOLVED
    assert [b["event_action"] for b in pd_bodies(api)] == ["trigger", "resolve"]


def test_tickets_without_a_page_send_nothing(api, redis_db, queue):
    paging = make_paging(redis_db, queue)
    assert paging.acknowledge(TICKET) is None
    assert paging.resolve(TICKET) is None
    assert len(api.calls) == 0


def test_a_reopened_ticket_pages_again_under_the_same_key(api, redis_db, queue):
    api.post(PD_URL, status=202, json=ACCEPTED)
    paging = make_paging(redis_db, queue)
    paging.page(fraud())
    paging.resolve(TICKET)
    assert paging.page(fraud()).status == PAGED
    assert [(b["event_action"], b["dedup_key"]) for b in pd_bodies(api)] == [
        ("trigger", KEY),
        ("resolve", KEY),
        ("trigger", KEY),
    ]


def test_a_reply_before_the_retried_page_went_out_cancels_it(api, redis_db, queue, install):
    api.post(PD_URL, status=503, json={})
    paging = install(make_paging(redis_db, queue))
    paging.page(fraud())

    assert paging.acknowledge(TICKET) == CANCELLED
    run_scheduled_now(queue)
    work(queue)

    assert len(pd_bodies(api)) == 1  # only the first, failed attempt
    [job] = [j for j in queue.finished_job_registry.get_job_ids()]
    assert queue.fetch_job(job).return_value() == "page:skipped:cancelled"
    assert paging.state(TICKET).state == CANCELLED


def test_an_acknowledge_pagerduty_did_not_take_is_retried(api, redis_db, queue, install):
    api.post(PD_URL, status=202, json=ACCEPTED)
    paging = install(make_paging(redis_db, queue))
    paging.page(fraud())
    api.replace("POST", PD_URL, status=502, json={})
    assert paging.acknowledge(TICKET) == ACKNOWLEDGED
    api.replace("POST", PD_URL, status=202, json=ACCEPTED)
    run_scheduled_now(queue)
    work(queue)
    assert [b["event_action"] for b in pd_bodies(api)] == ["trigger", "acknowledge", "acknowledge"]


def test_slack_gets_a_copy_of_each_page_event_through_its_own_job(api, redis_db, queue, install):
    api.post(PD_URL, status=202, json=ACCEPTED)
    api.post(SLACK_URL, body="ok")
    paging = install(make_paging(redis_db, queue, slack=True))
    paging.page(fraud())
    paging.acknowledge(TICKET)
    paging.resolve(TICKET)
    assert slack_bodies(api) == []  # never inline: Slack cannot hold up a page

    work(queue)

    texts = [b["text"] for b in slack_bodies(api)]
    assert texts == [
        f":rotating_light: On-call paged for <{BASE_URL}/agent/tickets/{TICKET}|ticket #{TICKET}> "
        f"(fraud_attack, urgent after hours): Urgent - fraud attack. PagerDuty alert `{KEY}`.",
        f":white_check_mark: An agent replied on <{BASE_URL}/agent/tickets/{TICKET}|ticket #{TICKET}>; "
        "the PagerDuty alert is acknowledged.",
        f":heavy_check_mark: Solved: <{BASE_URL}/agent/tickets/{TICKET}|ticket #{TICKET}>; "
        "the PagerDuty alert is resolved.",
    ]


def test_a_slack_outage_neither_delays_the_page_nor_lasts_for_ever(api, redis_db, queue, install):
    api.post(PD_URL, status=202, json=ACCEPTED)
    api.post(SLACK_URL, status=500, body="rollup_error")
    paging = install(make_paging(redis_db, queue, slack=True))
    assert paging.page(fraud()).status == PAGED
    for _ in range(6):
        work(queue)
        run_scheduled_now(queue)
    assert len(slack_bodies(api)) == 5
    [failed] = FailedJobRegistry(queue=queue).get_job_ids()
    assert "GaveUp" in queue.fetch_job(failed).latest_result().exc_string
    assert paging.state(TICKET).state == OPEN


def test_a_dead_slack_webhook_fails_its_job_at_once(api, redis_db, queue, install):
    api.post(PD_URL, status=202, json=ACCEPTED)
    api.post(SLACK_URL, status=404, body="no_service")
    paging = install(make_paging(redis_db, queue, slack=True))
    paging.page(fraud())
    work(queue)
    assert len(slack_bodies(api)) == 1
    [failed] = FailedJobRegistry(queue=queue).get_job_ids()
    assert "slack: 404 no_service" in queue.fetch_job(failed).latest_result().exc_string


@pytest.fixture
def enqueue_fails(monkeypatch, queue):
    """Every enqueue on `queue` raises, as when Redis drops the connection between two steps."""

    def fail(*args, **kwargs):
        raise redis.ConnectionError("connection lost")

    def failing() -> None:
        monkeypatch.setattr(queue, "enqueue", fail)
        monkeypatch.setattr(queue, "enqueue_in", fail)

    return failing


def test_a_page_whose_retry_job_could_not_be_queued_is_not_left_pending(api, redis_db, queue, enqueue_fails):
    api.post(PD_URL, status=503, json={})
    paging = make_paging(redis_db, queue)
    enqueue_fails()

    with pytest.raises(redis.ConnectionError):
        paging.page(fraud())

    # Not pending without a job: the ticket job's retry pages again instead of answering "retrying".
    assert paging.state(TICKET) is None
    assert jobs_of(queue) == []
    api.replace("POST", PD_URL, status=202, json=ACCEPTED)
    assert paging.page(fraud()).status == PAGED
    assert len(pd_bodies(api)) == 2


def test_an_acknowledge_whose_retry_could_not_be_queued_is_tried_again(api, redis_db, queue, enqueue_fails):
    api.post(PD_URL, status=202, json=ACCEPTED)
    paging = make_paging(redis_db, queue)
    paging.page(fraud())
    api.replace("POST", PD_URL, status=502, json={})
    enqueue_fails()

    with pytest.raises(redis.ConnectionError):
        paging.acknowledge(TICKET)

    assert paging.state(TICKET).state == OPEN  # not acknowledged: PagerDuty was not told
    api.replace("POST", PD_URL, status=202, json=ACCEPTED)
    assert paging.acknowledge(TICKET) == ACKNOWLEDGED  # the ticket job's retry
    assert [b["event_action"] for b in pd_bodies(api)] == ["trigger", "acknowledge", "acknowledge"]


def test_a_resolve_interrupted_before_it_was_sent_is_sent_by_the_retry(api, redis_db, queue):
    api.post(PD_URL, status=202, json=ACCEPTED)
    paging = make_paging(redis_db, queue)
    paging.page(fraud())
    api.replace("POST", PD_URL, body=RuntimeError("worker killed mid-request"))

    with pytest.raises(RuntimeError):
        paging.resolve(TICKET)

    assert paging.state(TICKET).state == OPEN
    api.replace("POST", PD_URL, status=202, json=ACCEPTED)
    assert paging.resolve(TICKET) == RESOLVED
    assert [b["event_action"] for b in pd_bodies(api)][-1] == "resolve"


def test_a_stale_acknowledge_never_silences_the_page_of_the_reopened_ticket(api, redis_db, queue, install):
    api.post(PD_URL, status=202, json=ACCEPTED)
    paging = install(make_paging(redis_db, queue))
    paging.page(fraud())
    api.replace("POST", PD_URL, status=502, json={})
    assert paging.acknowledge(TICKET) == ACKNOWLEDGED  # queued: PagerDuty did not take it
    api.replace("POST", PD_URL, status=202, json=ACCEPTED)
    assert paging.resolve(TICKET) == RESOLVED
    assert paging.page(fraud(subject="reopened")).status == PAGED  # a new alert under the same key

    run_scheduled_now(queue)
    work(queue)

    assert [b["event_action"] for b in pd_bodies(api)] == ["trigger", "acknowledge", "resolve", "trigger"]
    [job_id] = queue.finished_job_registry.get_job_ids()
    assert queue.fetch_job(job_id).return_value() == "page:skipped:open"
    assert paging.state(TICKET).state == OPEN


def test_a_queued_resolve_still_goes_out_while_the_page_is_resolved(api, redis_db, queue, install):
    api.post(PD_URL, status=202, json=ACCEPTED)
    paging = install(make_paging(redis_db, queue))
    paging.page(fraud())
    api.replace("POST", PD_URL, status=503, json={})
    assert paging.resolve(TICKET) == RESOLVED
    api.replace("POST", PD_URL, status=202, json=ACCEPTED)

    run_scheduled_now(queue)
    work(queue)

    assert [b["event_action"] for b in pd_bodies(api)] == ["trigger", "resolve", "resolve"]
    [job_id] = queue.finished_job_registry.get_job_ids()
    assert queue.fetch_job(job_id).return_value() == "page:resolve"


def test_a_page_whose_trigger_job_failed_for_good_is_sent_by_the_next_page(api, redis_db, queue, install):
    invalid = {"status": "invalid event", "message": "Event object is invalid", "errors": ["Invalid routing key"]}
    api.post(PD_URL, status=400, json=invalid)
    paging = install(make_paging(redis_db, queue))
    assert paging.page(fraud()).status == REFUSED
    work(queue)  # the refused trigger fails into the failed registry, not requeued
    assert FailedJobRegistry(queue=queue).count == 1

    # The key is fixed; the next urgent event on the ticket pages, not "still being retried".
    api.replace("POST", PD_URL, status=202, json=ACCEPTED)
    assert paging.page(fraud()) == PageResult(PAGED, KEY)
    assert paging.state(TICKET).state == OPEN
    assert [b["event_action"] for b in pd_bodies(api)] == ["trigger", "trigger", "trigger"]


def test_a_rescheduled_trigger_still_counts_as_pending(api, redis_db, queue, install):
    api.post(PD_URL, status=503, json={})
    paging = install(make_paging(redis_db, queue))
    paging.page(fraud())
    run_scheduled_now(queue)
    work(queue)  # the first retry fails too: rescheduled as -retry1

    [retry] = jobs_of(queue)
    assert paging.state(TICKET).job == retry.id and retry.id.endswith("-retry1")
    assert paging.page(fraud()).status == RETRYING
    assert len(pd_bodies(api)) == 2

    retry.delete()  # lost
    assert paging.page(fraud()).status == RETRYING  # tried again at once, and queued again
    assert len(pd_bodies(api)) == 3 and len(jobs_of(queue)) == 1
