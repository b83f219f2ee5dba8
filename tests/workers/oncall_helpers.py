"""Shared by the on-call worker tests: PagerDuty and Slack addresses, a Paging on the test queue,
and running RQ's scheduled and queued jobs now."""

from __future__ import annotations

import json

from rq import SimpleWorker
from rq.job import Job
from rq.registry import ScheduledJobRegistry
from rq.serializers import JSONSerializer

from app.oncall.page_events import PageDetails
from app.oncall.pagerduty import PagerDutyEvents
from app.oncall.slack import SlackWebhook
from app.policy import load_policy
from tests.zendesk.factories import BASE_URL
from workers.paging import Paging

PD_URL = "https://events.pagerduty.com/v2/enqueue"
SLACK_URL = "https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX"
ROUTING_KEY = "e93facc04764012d7bfb002500d5d1a6"
TICKET = 35436
KEY = f"escalator/acme.zendesk.com/ticket/{TICKET}"
ACCEPTED = {"status": "success", "message": "Event processed", "dedup_key": KEY}
SEVERITIES = load_policy().after_hours.page_severity  # config/policy.toml's


def make_paging(redis_db, queue, *, pager: bool = True, slack: bool = False) -> Paging:
    return Paging(
        redis_db,
        queue,
        zendesk_url=BASE_URL,
        pager=PagerDutyEvents(ROUTING_KEY, PD_URL) if pager else None,
        slack=SlackWebhook(SLACK_URL) if slack else None,
        severities=SEVERITIES,
    )


def fraud(ticket_id: int = TICKET, **changes) -> PageDetails:
    values = {"ticket_id": ticket_id, "category": "fraud_attack", "subject": "Urgent - fraud attack", **changes}
    return PageDetails(**values)


def pd_bodies(api) -> list[dict]:
    return [json.loads(c.request.body) for c in api.calls if c.request.url == PD_URL]


def slack_bodies(api) -> list[dict]:
    return [json.loads(c.request.body) for c in api.calls if c.request.url == SLACK_URL]


def run_scheduled_now(queue) -> None:
    """Move every scheduled job to the queue now, as the scheduler would once it is due."""
    registry = ScheduledJobRegistry(queue=queue)
    for job_id in registry.get_job_ids():
        job = Job.fetch(job_id, connection=queue.connection, serializer=JSONSerializer)
        registry.remove(job)
        queue.enqueue_job(job)


def work(queue) -> None:
    SimpleWorker([queue], connection=queue.connection, serializer=JSONSerializer).work(burst=True)


def jobs_of(queue) -> list[Job]:
    """Every job queued or scheduled, in that order."""
    ids = queue.job_ids + ScheduledJobRegistry(queue=queue).get_job_ids()
    return [Job.fetch(i, connection=queue.connection, serializer=JSONSerializer) for i in ids]
