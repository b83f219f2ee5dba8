"""The SLA watchdog's check (workers/sla_watchdog.py, FirstResponseCheck) with Zendesk, PagerDuty
and Slack mocked by `responses`, on a real Redis; and the whole way through RQ's scheduler and
worker, restarted in between."""

import json
from datetime import UTC, datetime

import pytest
from responses import matchers
from rq.registry import ScheduledJobRegistry
from rq.scheduler import RQScheduler
from rq.serializers import JSONSerializer

from app import redis_keys
from app.oncall.page_events import PageDetails, trigger_event
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
    make_paging,
    pd_bodies,
    run_scheduled_now,
    slack_bodies,
    work,
)
from tests.zendesk.factories import BASE_URL, INTEGRATION_USER_ID
from workers import process
from workers.apply import TicketEventApplier
from workers.retry_policy import RetryPolicy
from workers.sla_watchdog import (
    ARMED,
    CHECK_FUNCTION,
    CHECKED,
    KEPT,
    FirstResponseCheck,
    SlaWatchdog,
    check_job_id,
)

pytestmark = pytest.mark.redis

TICKET_URL = f"{BASE_URL}/api/v2/tickets/{TICKET}"
TAGS_URL = f"{TICKET_URL}/tags"
COMMENTS_URL = f"{TICKET_URL}/comments"
STAMP = "2026-11-28T07:31:00Z"
# After hours: the fraud ticket of POLICY.md's examples (Sat 02:30 ET), due 2 h later; checked 15 min before.
SINCE = datetime(2026, 11, 28, 7, 30, tzinfo=UTC)
DUE = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)
# Business hours: Friday 10:00 ET, due 12:00 ET.
DAY_SINCE = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
DAY_DUE = datetime(2026, 11, 27, 17, 0, tzinfo=UTC)
AGENT = 9100
REQUESTER = 9001


def ticket(tags=("urgency_urgent", "category_fraud_attack", "after_hours", "on_call_paged"), status="open") -> dict:
    return {
        "id": TICKET,
        "subject": "Urgent - fraud attack",
        "status": status,
        "priority": "urgent",
        "tags": list(tags),
        "updated_at": STAMP,
    }


def comment(comment_id: int, author: int, created_at: str, public: bool = True) -> dict:
    return {
        "id": comment_id,
        "type": "Comment",
        "author_id": author,
        "body": "x",
        "html_body": "",
        "public": public,
        "created_at": created_at,
    }


def comments_page(*comments: dict) -> dict:
    roles = {AGENT: "agent", REQUESTER: "end-user", INTEGRATION_USER_ID: "admin"}
    authors = {c["author_id"] for c in comments}
    return {"comments": list(comments), "users": [{"id": a, "name": "x", "role": roles[a]} for a in authors]}


@pytest.fixture
def paging(redis_db, queue):
    redis_db.set(redis_keys.INTEGRATION_USER_ID, INTEGRATION_USER_ID)
    return make_paging(redis_db, queue, slack=True)


def watchdog(queue, now=SINCE) -> SlaWatchdog:
    return SlaWatchdog(queue, 15, CHECK_FUNCTION, clock=lambda: now)


def check(queue, paging) -> FirstResponseCheck:
    return FirstResponseCheck(watchdog(queue), paging, ZendeskClient(BASE_URL, oauth_token="test-token"), load_policy())


def mock_reads(api, the_ticket: dict, *comments: dict) -> None:
    api.get(TICKET_URL, json={"ticket": the_ticket})
    api.get(
        COMMENTS_URL,
        match=[matchers.query_param_matcher({"sort_order": "desc", "include": "users", "per_page": "100"})],
        json=comments_page(*comments),
    )


def tag_bodies(api) -> list[dict]:
    return [json.loads(c.request.body) for c in api.calls if c.request.url == TAGS_URL]


def test_no_reply_after_hours_pages_on_call_and_tags_the_ticket(api, redis_db, queue, paging):
    watchdog(queue).arm(TICKET, DUE, SINCE)
    mock_reads(api, ticket(), comment(1, REQUESTER, "2026-11-28T07:30:00Z"))
    api.post(PD_URL, status=202, json=ACCEPTED)
    api.put(TAGS_URL, json={"tags": [*ticket()["tags"], "sla_at_risk"]})

    assert check(queue, paging).run(TICKET, DUE, SINCE) == "sla:at_risk:page_paged"

    details = PageDetails(
        ticket_id=TICKET,
        category="fraud_attack",
        subject="Urgent - fraud attack",
        response_due_at=DUE,
        event_time=SINCE,
        reason="first response at risk",
    )
    assert pd_bodies(api) == [{"routing_key": ROUTING_KEY, **trigger_event(details, BASE_URL, SEVERITIES)}]
    assert pd_bodies(api)[0]["dedup_key"] == KEY  # the ticket's one key
    assert pd_bodies(api)[0]["payload"]["summary"].startswith("Ticket #35436 (fraud_attack, first response at risk)")
    assert tag_bodies(api) == [{"tags": ["sla_at_risk"], "safe_update": True, "updated_stamp": STAMP}]
    assert not [c for c in api.calls if c.request.method == "PUT" and c.request.url == TICKET_URL]  # no note
    assert watchdog(queue).armed(TICKET) is None


def test_a_ticket_already_paged_is_not_paged_again_by_the_watchdog(api, redis_db, queue, paging):
    api.post(PD_URL, status=202, json=ACCEPTED)
    paging.page(PageDetails(ticket_id=TICKET, category="fraud_attack", subject="Urgent - fraud attack"))
    watchdog(queue).arm(TICKET, DUE, SINCE)
    mock_reads(api, ticket())
    api.put(TAGS_URL, json={"tags": []})

    assert check(queue, paging).run(TICKET, DUE, SINCE) == "sla:at_risk:page_already_paged"
    assert len(pd_bodies(api)) == 1


def test_no_reply_in_business_hours_tells_slack(api, redis_db, queue, paging, install):
    install()
    watchdog(queue, DAY_SINCE).arm(TICKET, DAY_DUE, DAY_SINCE)
    mock_reads(api, ticket(tags=("urgency_urgent", "category_incident")) | {"subject": "API down"})
    api.put(TAGS_URL, json={"tags": []})
    api.post(SLACK_URL, body="ok")

    assert check(queue, paging).run(TICKET, DAY_DUE, DAY_SINCE) == "sla:at_risk:slack"
    work(queue)

    assert pd_bodies(api) == []
    assert slack_bodies(api) == [
        {
            "text": f":warning: First response at risk: <{BASE_URL}/agent/tickets/{TICKET}|ticket #{TICKET}> "
            "(urgent, incident) has no public agent reply, due 2026-11-27T17:00:00Z: API down."
        }
    ]
    assert tag_bodies(api) == [{"tags": ["sla_at_risk"], "safe_update": True, "updated_stamp": STAMP}]


def test_out_of_scope_after_hours_is_not_paged(api, redis_db, queue, paging):
    watchdog(queue).arm(TICKET, DUE, SINCE)
    mock_reads(api, ticket(tags=("urgency_urgent", "category_account_access", "after_hours", "next_business_day")))
    api.put(TAGS_URL, json={"tags": []})
    assert check(queue, paging).run(TICKET, DUE, SINCE) == "sla:at_risk:slack"
    assert pd_bodies(api) == []


def test_a_public_agent_reply_found_in_the_comments_ends_the_watch(api, redis_db, queue, paging):
    watchdog(queue).arm(TICKET, DUE, SINCE)
    mock_reads(
        api,
        ticket(),
        comment(3, AGENT, "2026-11-28T08:10:00Z"),
        comment(2, INTEGRATION_USER_ID, "2026-11-28T07:31:00Z", public=False),
        comment(1, REQUESTER, "2026-11-28T07:30:00Z"),
    )
    assert check(queue, paging).run(TICKET, DUE, SINCE) == "sla:answered"
    assert pd_bodies(api) == [] and tag_bodies(api) == []
    assert watchdog(queue).armed(TICKET) is None


@pytest.mark.parametrize(
    "not_a_reply",
    [
        comment(3, AGENT, "2026-11-28T08:10:00Z", public=False),  # an internal note
        comment(3, AGENT, "2026-11-28T07:00:00Z"),  # before the urgent text arrived
        comment(3, INTEGRATION_USER_ID, "2026-11-28T08:10:00Z"),  # our own public reply
        comment(3, REQUESTER, "2026-11-28T08:10:00Z"),  # the customer again
    ],
)
def test_what_does_not_count_as_a_reply(api, redis_db, queue, paging, not_a_reply):
    watchdog(queue).arm(TICKET, DUE, SINCE)
    mock_reads(api, ticket(), not_a_reply)
    api.post(PD_URL, status=202, json=ACCEPTED)
    api.put(TAGS_URL, json={"tags": []})
    assert check(queue, paging).run(TICKET, DUE, SINCE) == "sla:at_risk:page_paged"


def test_a_solved_ticket_or_one_already_tagged_needs_nothing(api, redis_db, queue, paging):
    dog = watchdog(queue)
    dog.arm(TICKET, DUE, SINCE)
    api.get(TICKET_URL, json={"ticket": ticket(status="solved")})
    assert check(queue, paging).run(TICKET, DUE, SINCE) == "sla:solved"

    dog.arm(TICKET, DUE, SINCE)
    api.replace("GET", TICKET_URL, json={"ticket": ticket(tags=("urgency_urgent", "sla_at_risk"))})
    assert check(queue, paging).run(TICKET, DUE, SINCE) == "sla:already_at_risk"
    assert pd_bodies(api) == [] and tag_bodies(api) == []


def test_a_check_no_longer_armed_does_nothing(api, redis_db, queue, paging):
    dog = watchdog(queue)
    dog.arm(TICKET, DUE, SINCE)
    dog.disarm(TICKET)  # the agent's reply came in
    assert check(queue, paging).run(TICKET, DUE, SINCE) == "sla:not_armed"
    assert len(api.calls) == 0


def test_a_tag_conflict_rereads_the_stamp(api, redis_db, queue, paging):
    watchdog(queue, DAY_SINCE).arm(TICKET, DAY_DUE, DAY_SINCE)
    mock_reads(api, ticket(tags=("urgency_urgent", "category_incident")))
    api.put(TAGS_URL, status=409, json={"error": "UpdateConflict"})
    api.put(TAGS_URL, json={"tags": []})
    api.get(TICKET_URL, json={"ticket": ticket(tags=("urgency_urgent",)) | {"updated_at": "2026-11-27T16:50:00Z"}})

    assert check(queue, paging).run(TICKET, DAY_DUE, DAY_SINCE) == "sla:at_risk:slack"
    assert [b["updated_stamp"] for b in tag_bodies(api)] == [STAMP, "2026-11-27T16:50:00Z"]


@pytest.fixture
def install(redis_db, queue, paging):
    """The worker process's context, as `escalator worker` builds it, over the mocked APIs."""

    def make(clock_now=SINCE):
        zendesk = ZendeskClient(BASE_URL, oauth_token="test-token")
        policy = load_policy()
        process.install(
            process.WorkerContext(
                settings=SETTINGS,
                policy=policy,
                zendesk=zendesk,
                applier=TicketEventApplier(zendesk, redis_db, policy),
                paging=paging,
                watchdog=watchdog(queue, clock_now),
                retry_policy=RetryPolicy(),
                connection=redis_db,
            )
        )

    yield make
    process.install(None)


def run_scheduler(queue) -> None:
    scheduler = RQScheduler([queue], connection=queue.connection, serializer=JSONSerializer)
    scheduler.acquire_locks()
    scheduler.enqueue_scheduled_jobs()
    scheduler.release_locks()


def test_worker_restarted_in_between_runs_the_check_once_and_never_pages_twice(api, redis_db, queue, paging, install):
    # Armed by a ticket job; the worker then dies before the check is due.
    install()
    watchdog(queue).arm(TICKET, DUE, SINCE)
    assert ScheduledJobRegistry(queue=queue).get_job_ids() == [check_job_id(TICKET, DUE)]
    process.install(None)

    # A new worker process (its own context) and the scheduler, twice, after the check's time.
    install()
    run_scheduler(queue)
    run_scheduler(queue)
    mock_reads(api, ticket())
    api.post(PD_URL, status=202, json=ACCEPTED)
    api.post(SLACK_URL, body="ok")
    api.put(TAGS_URL, status=500, json={"error": "Scripted"})  # the tag write fails: the check is retried
    work(queue)
    assert len(pd_bodies(api)) == 1

    api.replace("PUT", TAGS_URL, json={"tags": []})
    run_scheduled_now(queue)
    work(queue)

    assert len(pd_bodies(api)) == 1  # the retry does not page again
    [copy] = slack_bodies(api)  # Slack's copy of the one page
    assert copy["text"].startswith(":rotating_light: On-call paged")
    assert [b["tags"] for b in tag_bodies(api)] == [["sla_at_risk"], ["sla_at_risk"]]
    assert watchdog(queue).armed(TICKET) is None
    finished = queue.finished_job_registry.get_job_ids()
    results = sorted(queue.fetch_job(j).return_value() for j in finished if j.startswith("sla-check"))
    assert results == ["rescheduled:unavailable", "sla:at_risk:notified_before"]


def test_reply_in_time_through_the_worker_cancels_the_check(api, redis_db, queue, paging, install):
    install()
    watchdog(queue).arm(TICKET, DUE, SINCE)
    watchdog(queue).disarm(TICKET)  # what the agent-reply path does
    run_scheduler(queue)
    work(queue)
    assert len(api.calls) == 0
    assert queue.finished_job_registry.get_job_ids() == []


LATER_DUE = datetime(2026, 11, 28, 10, 30, tzinfo=UTC)  # a later urgent comment's promise


def test_a_check_that_failed_for_good_does_not_block_the_next_promise(api, redis_db, queue, paging, install):
    install()
    dog = watchdog(queue)
    dog.arm(TICKET, DUE, SINCE)
    api.get(TICKET_URL, status=401, json={"error": "Couldn't authenticate you"})
    run_scheduled_now(queue)
    work(queue)
    assert queue.failed_job_registry.get_job_ids() == [check_job_id(TICKET, DUE)]

    # A later urgent comment: watched again, not "kept" by the dead check.
    assert dog.arm(TICKET, LATER_DUE, SINCE) == ARMED
    assert ScheduledJobRegistry(queue=queue).get_job_ids() == [check_job_id(TICKET, LATER_DUE)]
    assert dog.armed(TICKET).job_id == check_job_id(TICKET, LATER_DUE)


def test_the_promise_of_a_check_that_failed_for_good_is_not_rechecked_nor_left_armed(
    api, redis_db, queue, paging, install
):
    install()
    dog = watchdog(queue)
    dog.arm(TICKET, DUE, SINCE)
    api.get(TICKET_URL, status=401, json={"error": "Couldn't authenticate you"})
    run_scheduled_now(queue)
    work(queue)

    assert dog.arm(TICKET, DUE, SINCE) == CHECKED  # a redelivered event: this promise had its check
    assert dog.armed(TICKET) is None
    assert ScheduledJobRegistry(queue=queue).get_job_ids() == [] and queue.job_ids == []


def test_a_rescheduled_check_keeps_the_watch_and_a_reply_cancels_its_retry(api, redis_db, queue, paging, install):
    install()
    dog = watchdog(queue)
    dog.arm(TICKET, DUE, SINCE)
    api.get(TICKET_URL, status=503, json={})
    run_scheduled_now(queue)
    work(queue)
    retry = f"{check_job_id(TICKET, DUE)}-retry1"
    assert ScheduledJobRegistry(queue=queue).get_job_ids() == [retry]

    assert dog.arm(TICKET, LATER_DUE, SINCE) == KEPT  # the retry still watches the earlier promise
    assert dog.armed(TICKET).current_job == retry
    dog.disarm(TICKET)  # the agent replies
    assert ScheduledJobRegistry(queue=queue).get_job_ids() == []
    assert not redis_db.exists(f"rq:job:{retry}")
