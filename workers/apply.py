"""Apply one ticket event: fetch what the plan needs, write what it says (app.zendesk.planner).

The order, each step with its own status (also the job's return value):

1. status_changed -> "ignored:status_changed" (no policy action; a solved or closed ticket's
   page is resolved and its SLA watchdog disarmed, workers/oncall.py).
2. Comments the policy does not read: internal notes -> "ignored:private_comment", comments by
   agents -> "ignored:agent_comment", a new ticket's first comment, which its `ticket.created`
   event decides -> "ignored:first_comment". Messaging messages not written by the end user ->
   "ignored:<agent|trigger|system|unknown>_message", blank ones -> "ignored:empty_message".
   Event webhooks say so themselves; trigger webhooks carry only ids, so those are read (step 5)
   first. A public agent comment or message acknowledges the ticket's page and disarms its SLA
   watchdog (no Zendesk call either).
3. Our own updates (actor or comment author is the integration user) -> "ignored:own_update".
   Our id comes from GET /users/me once a day (workers/ticket_writes.py); the call is made only
   where authorship changes the outcome: an event the policy would read, and a public staff
   comment or agent message (our own public reply must not acknowledge the page). An event
   step 2 skips anyway costs no API call: it is "own_update" only when our id is cached.
4. Take the ticket's lock (one event per ticket at a time); already done -> "duplicate".
5. Trigger comments: read the comment with its author in one call, then check 2 and 3. Messages
   whose event carried no text: read it from the ticket's conversation log.
6. Plan; when the decision pages on-call, page first (workers/oncall.py), so the update's one
   note says what became of the page. Nothing to change -> "noop" (no call); else one PUT ->
   "updated". An urgent or time-sensitive decision arms the SLA watchdog. The ticket is read
   first when the event carried none (trigger webhooks, messaging), or when the plan writes
   custom fields, which webhook snapshots do not show. A 409 (the ticket changed under us)
   re-reads the ticket and plans again, merging the tags anew. A 422 that names custom fields we
   sent writes the rest without them, once. Then the public reply (after hours, or asking for
   missing report items), when the plan owes one (a second PUT); a retry whose update was a no-op
   may still send a reply an earlier attempt did not -> "replied". Every write first takes a slot
   of the ticket's budget (Zendesk's per-ticket limit, `workers/ticket_budget.py`).
7. Record the event as done (Redis, with a TTL), so a redelivery or retry is a "duplicate".

Rate limits, outages, a spent ticket budget and lock waits are raised to the job
(`workers/jobs.py`), which reschedules.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any, TypeVar

import redis

from app import defaults, redis_keys
from app.infra.logs import log_event
from app.policy import Policy
from app.policy import decide as policy_decide
from app.policy.model import Decision
from app.ticket_event import COMMENT, MESSAGE, STATUS_CHANGED, Comment, TicketEvent
from app.zendesk import (
    DryRunRead,
    NotFound,
    TicketState,
    Unprocessable,
    ZendeskApi,
    ZendeskError,
    changes_nothing_on_any_ticket,
    plan_public_reply,
    plan_update,
)
from app.zendesk.planner import Decide, local_skip, ticket_text
from app.zendesk.ticket_update import custom_field_ids, without_custom_fields
from workers.oncall import OnCall, with_page_line
from workers.paging import PageResult
from workers.ticket_budget import TicketWriteBudget
from workers.ticket_lock import TicketBusy, ticket_lock
from workers.ticket_writes import cached_integration_user_id, integration_user_id, write_with_conflict_retry

log = logging.getLogger("escalator.worker")

T = TypeVar("T")

__all__ = ["TicketBusy", "TicketEventApplier"]

AGENT_REPLIES = ("ignored:agent_comment", "ignored:agent_message")
# The ticket has the decision after these (a refused custom field aside), so its SLA is watched.
WATCHED = ("updated", "noop", "dropped:fields_refused")


class TicketEventApplier:
    def __init__(
        self,
        zendesk: ZendeskApi,
        connection: redis.Redis,
        policy: Policy,
        *,
        done_ttl_seconds: int = defaults.EVENT_SEEN_TTL_SECONDS,
        decide: Decide = policy_decide,
        write_budget: TicketWriteBudget | None = None,
        oncall: OnCall | None = None,
    ):
        """`oncall` None: nothing is paged or watched, and notes say what the policy says."""
        self.zendesk = zendesk
        self.redis = connection
        self.policy = policy
        self.done_ttl_seconds = done_ttl_seconds
        self.decide = decide
        self.write_budget = write_budget or TicketWriteBudget(connection)
        self.oncall = oncall
        self.lock_wait_seconds: float = defaults.TICKET_LOCK_WAIT_SECONDS

    @property
    def dry_run(self) -> bool:
        return self.zendesk.dry_run

    def apply(self, event: TicketEvent) -> str:
        if event.kind == STATUS_CHANGED:
            log_event(log, "worker.ticket.status_changed", ticket=event.ticket_id, reason="no policy action")
            if self.oncall is not None:
                self.oncall.status_changed(event)
            return "ignored:status_changed"
        skipped = self._skip_reason(event, event.comment)
        if skipped:
            return self._skipped(event, skipped, locked=False)
        with ticket_lock(self.redis, event.ticket_id, self.lock_wait_seconds):
            return self._apply_once(event)

    def _skipped(self, event: TicketEvent, reason: str, *, locked: bool) -> str:
        """An event the policy does not read; a public agent reply still matters to on-call."""
        if reason in AGENT_REPLIES and self.oncall is not None:
            self.oncall.agent_replied(event.ticket_id, locked=locked)
        return reason

    def _apply_once(self, event: TicketEvent) -> str:
        done_key = redis_keys.done(event.work_id)
        if self.redis.exists(done_key):
            log_event(log, "worker.ticket.duplicate", ticket=event.ticket_id, event_id=event.event_id)
            return "duplicate"
        try:
            status = self._decide_and_write(event)
        except DryRunRead:
            # Nothing was written, and no done mark: a live run later must still do the work.
            log_event(
                log, "worker.ticket.dry_run_skipped", ticket=event.ticket_id, reason="the event needs Zendesk reads"
            )
            return "skipped:dry_run"
        except NotFound as e:
            self._log_dropped("worker.ticket.not_found", event, e)
            status = "dropped:not_found"
        except Unprocessable as e:
            self._log_dropped("worker.ticket.unprocessable", event, e)
            status = "dropped:unprocessable"
        if not self.dry_run:
            self.redis.set(done_key, status, nx=True, ex=self.done_ttl_seconds)
        return status

    def _decide_and_write(self, event: TicketEvent) -> str:
        comment = event.comment
        if event.kind == COMMENT and comment is None:
            comment = self._read_comment(event)
            if comment is None:
                return "dropped:comment_not_found"
            skipped = self._skip_reason(event, comment)
            if skipped:
                return self._skipped(event, skipped, locked=True)
        if event.kind == MESSAGE:
            with_text = self._with_message_text(event)
            if with_text is None:
                return "dropped:message_not_found"
            event = with_text
            if changes_nothing_on_any_ticket(event, self.policy, self.decide):
                log_event(
                    log, "worker.ticket.noop", ticket=event.ticket_id, urgency="none", reason="message, ticket not read"
                )
                return "noop"
        ticket = self._ticket_of(event)
        since = self._event_time(event, comment, ticket)
        pages: list[PageResult] = []  # the event's page, made once however often a 409 replans
        status, decision, ticket = self._with_conflict_retries(
            event.ticket_id, ticket, lambda current: self._write_decision(event, comment, current, since, pages)
        )
        if self.oncall is not None and status in WATCHED:
            self.oncall.watch(event.ticket_id, decision, since)
        replied = self._with_conflict_retries(
            event.ticket_id, ticket, lambda current: self._send_public_reply(event.ticket_id, decision, current)
        )
        return "replied" if replied and status == "noop" else status

    def _write_decision(
        self,
        event: TicketEvent,
        comment: Comment | None,
        ticket: TicketState,
        since: datetime,
        pages: list[PageResult],
    ) -> tuple[str, Decision, TicketState]:
        """Plan and write the update once: (status, decision, the ticket as it now is)."""
        plan = plan_update(event, comment, ticket, self.policy, self.decide)
        if plan.needs_full_ticket:
            ticket = self._read_ticket(event.ticket_id)
            plan = plan_update(event, comment, ticket, self.policy, self.decide)
        decision, body = plan.decision, plan.update
        if decision.on_call and self.oncall is not None:
            if not pages:
                pages.append(self.oncall.page(event.ticket_id, ticket, decision, since))
            if body is not None:
                body = with_page_line(body, pages[0].note_line())
        if body is None:
            log_event(log, "worker.ticket.noop", ticket=event.ticket_id, urgency=decision.urgency)
            return "noop", decision, ticket
        try:
            answer = self._write(event.ticket_id, body)
        except Unprocessable as refused:
            body = self._without_refused_fields(event.ticket_id, body, refused)
            if body is None:
                return "dropped:fields_refused", decision, ticket
            answer = self._write(event.ticket_id, body)
        changes = body["ticket"]
        tags = changes.get("tags", ticket.tags)
        log_event(
            log,
            "worker.ticket.updated",
            ticket=event.ticket_id,
            event_id=event.event_id,
            urgency=decision.urgency,
            category=decision.category,
            priority=changes.get("priority", "-"),
            tags=",".join(t for t in tags if t not in ticket.tags) or "-",
            removed_tags=",".join(t for t in ticket.tags if t not in tags) or "-",
            fields=",".join(str(i) for i in custom_field_ids(body)) or "-",
        )
        return "updated", decision, ticket.after_update(body, answer)

    def _without_refused_fields(
        self, ticket_id: int, body: dict[str, Any], refused: Unprocessable
    ) -> dict[str, Any] | None:
        """The update without its custom fields when the 422 names some we sent (re-raised when
        it names none of ours: then the update itself is refused); None when the fields were all
        it would change."""
        ours = [i for i in refused.refused_field_ids if i in custom_field_ids(body)]
        if not ours:
            raise refused
        fallback = without_custom_fields(body, ours)
        log_event(
            log,
            "worker.ticket.fields_refused",
            level=logging.WARNING,
            ticket=ticket_id,
            fields=",".join(str(i) for i in ours),
            reason="writing the update without its custom fields" if fallback else "nothing else to write",
        )
        return fallback

    def _write(self, ticket_id: int, body: dict[str, Any]) -> dict[str, Any]:
        """One PUT, within the ticket's budget of writes (none is counted in a dry run)."""
        self.write_budget.take_for(self.zendesk, ticket_id)
        return self.zendesk.update_ticket(ticket_id, body)

    def _send_public_reply(self, ticket_id: int, decision: Decision, ticket: TicketState) -> bool:
        """Send the reply the plan owes, if any; True when sent. A 5xx or timeout reaches the
        job, whose retry plans again on the fresh ticket, so a reply that landed is not sent twice."""
        if ticket.updated_at is None and not self.dry_run and plan_public_reply(decision, ticket, self.policy):
            # The main PUT's answer had no ticket: read it, as the reply's tags replace the list.
            ticket = self._read_ticket(ticket_id)
        body = plan_public_reply(decision, ticket, self.policy)
        if body is None:
            return False
        try:
            self._write(ticket_id, body)
        except (NotFound, Unprocessable) as e:
            log_event(
                log, "worker.reply.dropped", level=logging.WARNING, ticket=ticket_id, status=e.status, reason=str(e)
            )
            return False
        log_event(
            log,
            "worker.reply.sent",
            ticket=ticket_id,
            tags=",".join(t for t in body["ticket"]["tags"] if t not in ticket.tags),
        )
        return True

    def _with_conflict_retries(self, ticket_id: int, ticket: TicketState, write: Callable[[TicketState], T]) -> T:
        """`write(ticket)`, planned again on the ticket re-read after each 409 (workers/ticket_writes.py)."""
        return write_with_conflict_retry(
            write,
            lambda: self._read_ticket(ticket_id),
            ticket,
            logger=log,
            conflict_event="worker.ticket.conflict",
            ticket_id=ticket_id,
        )

    def _read_comment(self, event: TicketEvent) -> Comment | None:
        if event.comment_id is None:
            raise ValueError(f"comment event {event.event_id} has no comment id")
        comment = self.zendesk.get_comment(event.ticket_id, event.comment_id)
        if comment is None:
            log_event(
                log, "worker.comment.not_found", level=logging.WARNING, ticket=event.ticket_id, comment=event.comment_id
            )
        return comment

    def _with_message_text(self, event: TicketEvent) -> TicketEvent | None:
        """The event with its message's text, read from the conversation log when the event did
        not carry it; None when the log does not have the message."""
        assert event.message is not None
        if event.message["body"] is not None:
            return event
        text = self.zendesk.get_message_text(event.ticket_id, event.message["id"])
        if text is None:
            log_event(
                log,
                "worker.message.not_found",
                level=logging.WARNING,
                ticket=event.ticket_id,
                message=event.message["id"],
            )
            return None
        return replace(event, message={**event.message, "body": text})

    def _ticket_of(self, event: TicketEvent) -> TicketState:
        # A snapshot without updated_at cannot guard the write (safe_update), and may lack the
        # priority it must never lower: read the ticket instead.
        if event.ticket is not None and event.ticket.get("updated_at"):
            return TicketState.from_snapshot(event.ticket_id, event.ticket)
        return self._read_ticket(event.ticket_id)

    def _read_ticket(self, ticket_id: int) -> TicketState:
        return TicketState.from_api(self.zendesk.get_ticket(ticket_id))

    def _event_time(self, event: TicketEvent, comment: Comment | None, ticket: TicketState) -> datetime:
        """When the text the policy read arrived (the policy's event time): a page's timestamp,
        and since when the SLA watchdog looks for a reply."""
        return ticket_text(event, comment, ticket, None, self.policy.tags).received_at

    def _skip_reason(self, event: TicketEvent, comment: Comment | None) -> str | None:
        """Why the policy does not read this event, or None when it does (or cannot tell yet).

        The event's own data decides first. Who wrote it is asked (GET /users/me when our id is not
        cached) only where it changes what happens: an event the policy would read (deciding our
        own update again would loop), and a public agent reply, which acknowledges the ticket's
        page when an agent wrote it but not when it is our own public reply. Any other skip is
        ignored whoever wrote it: it is named ours only when our id is cached already, so with a
        cold cache our own internal note is "ignored:private_comment", at no API call.
        """
        skip = local_skip(event, comment)
        authorship_matters = skip is None or skip.status in AGENT_REPLIES
        if self._is_ours(event, comment, may_ask_zendesk=authorship_matters):
            log_event(log, "worker.ticket.own_update", ticket=event.ticket_id, event_id=event.event_id)
            return "ignored:own_update"
        if skip is None:
            return None
        log_event(log, skip.log_name, ticket=event.ticket_id, **skip.ids)
        return skip.status

    def _is_ours(self, event: TicketEvent, comment: Comment | None, *, may_ask_zendesk: bool) -> bool:
        """Whether the event's actor or the comment's author is our integration user."""
        ids = {int(i) for i in (event.actor_id, comment["author_id"] if comment else None) if i}
        if not ids:
            return False
        if may_ask_zendesk:
            ours = integration_user_id(self.redis, self.zendesk)
        else:
            ours = cached_integration_user_id(self.redis)
        return ours is not None and ours in ids

    def _log_dropped(self, name: str, event: TicketEvent, error: ZendeskError) -> None:
        log_event(
            log,
            name,
            level=logging.WARNING,
            ticket=event.ticket_id,
            event_id=event.event_id,
            status=error.status,
            reason=str(error),  # method, path and status; never Zendesk's answer
        )
