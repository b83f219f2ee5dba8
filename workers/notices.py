"""The notice job (`workers.oncall_jobs.deliver_notice`): a PagerDuty event or a Slack message that could not go
out at once (or, for Slack, always goes through here), retried until it does (workers/retries.py).

A notice is plain JSON (no secrets: the routing key and the webhook URL come from the settings when
it is sent, so a job requeued after a key was fixed uses the fixed key):

    {"vendor": "pagerduty", "ticket_id": 35436, "event": {<trigger|acknowledge|resolve>},
     "slack_text": "<the Slack copy of a trigger, or null>"}
    {"vendor": "slack", "ticket_id": 35436, "text": "..."}

A trigger is sent only while the ticket's page is still pending (workers/paging.py): an agent who
replied, or a ticket solved meanwhile, cancels it. Once it went out, the job writes the second
internal note the first attempt promised. An acknowledge or resolve is sent only while the page is
still acknowledged or resolved: after a reopened ticket was paged again it would silence the new
alert. Both look at the page under the ticket's lock.
"""

from __future__ import annotations

import logging
from typing import Any

from rq import Queue

from app.infra.logs import log_event
from app.oncall.page_events import TRIGGER
from app.zendesk import NotFound, Unprocessable, ZendeskApi
from workers.paging import NOTICE_FUNCTION, Paging
from workers.retries import Budget, first_job_id, next_try, reschedule, retry_job_id
from workers.ticket_budget import TicketWriteBudget
from workers.ticket_lock import ticket_lock

log = logging.getLogger("escalator.oncall")

__all__ = ["NOTICE_FUNCTION", "deliver", "run"]


def run(paging: Paging, zendesk: ZendeskApi, queue: Queue, job_id: str, notice: dict[str, Any], budget: Budget) -> str:
    """Deliver the notice, or reschedule it; a refusal fails the job (RQ's failed registry)."""
    try:
        return deliver(paging, zendesk, notice)
    except Exception as error:
        step = next_try(error, budget)
        what = {"notice": notice["vendor"], "ticket": notice["ticket_id"]}
        if step is None:
            log_event(
                log,
                "oncall.notice.failed",
                level=logging.ERROR,
                notice=notice["vendor"],
                ticket=notice["ticket_id"],
                job=job_id,
                reason=f"{error} (not retried: fix, then `rq requeue`)",
            )
            raise
        first = first_job_id(job_id)
        if notice["vendor"] == "pagerduty" and notice["event"]["event_action"] == TRIGGER:
            paging.rescheduled(int(notice["ticket_id"]), job_id, retry_job_id(first, budget.attempt + 1))
        return reschedule(queue, NOTICE_FUNCTION, (notice,), first, budget, step, error, what)


def deliver(paging: Paging, zendesk: ZendeskApi, notice: dict[str, Any]) -> str:
    ticket_id = int(notice["ticket_id"])
    if notice["vendor"] == "slack":
        if not paging.post_to_slack(notice["text"]):
            log_event(
                log,
                "oncall.slack.not_configured",
                level=logging.WARNING,
                ticket=ticket_id,
                reason="SLACK_WEBHOOK_URL is not set; message dropped",
            )
            return "slack:not_configured"
        log_event(log, "oncall.slack.sent", ticket=ticket_id)
        return "slack:sent"
    event = notice["event"]
    with ticket_lock(paging.redis, ticket_id):
        if event["event_action"] != TRIGGER:
            return f"page:{paging.deliver_event(ticket_id, event)}"
        status = paging.deliver_trigger(ticket_id, event, notice.get("slack_text"))
        _write_owed_note(paging, zendesk, ticket_id)
    return f"page:{status}"


def _write_owed_note(paging: Paging, zendesk: ZendeskApi, ticket_id: int) -> None:
    """The second internal note of a page that had to be retried. A comment alone needs no safe
    update: it cannot overwrite anything an agent changed meanwhile."""
    note = paging.owed_note(ticket_id)
    if note is None:
        return
    TicketWriteBudget(paging.redis).take_for(zendesk, ticket_id)
    try:
        zendesk.update_ticket(ticket_id, {"ticket": {"comment": {"body": note, "public": False}}})
    except (NotFound, Unprocessable) as e:
        log_event(log, "oncall.page.note_dropped", level=logging.WARNING, ticket=ticket_id, reason=str(e))
    paging.note_written(ticket_id)
