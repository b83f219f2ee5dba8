"""Apply one ticket event: decide with the policy engine, then write the decision to Zendesk.

The order, each step with its own status (also the job's return value):

1. status_changed -> "ignored:status_changed" (no policy action).
2. Our own updates (actor or comment author is the integration user) -> "ignored:own_update".
3. Comments the policy does not read: internal notes -> "ignored:private_comment", comments by
   agents -> "ignored:agent_comment". Event webhooks say so themselves; trigger webhooks carry
   only ids, so those are read (step 5) first.
4. Take the ticket's lock (one event per ticket at a time); already done -> "duplicate".
5. Trigger comments: read the comment with its author in one call, then check 2 and 3.
6. Decide, build the update; nothing to change -> "noop" (no call); else one PUT -> "updated".
   The ticket is read first when the event carried none (trigger webhooks), or when the update
   would write custom fields, which webhook snapshots do not include. A 409 (the ticket changed
   under us) re-reads the ticket and decides again.
   When the decision carries a public reply (after hours, out of scope, enabled in the policy)
   and the ticket, after that update, has the next-business-day tag but not the reply-sent tag,
   a second PUT adds the reply and that tag together. A retry whose decision is a no-op still
   sends a reply an earlier attempt did not -> "replied". See docs/worker.md, "Public reply".
7. Record the event as done (Redis, with a TTL), so a redelivery or retry is a "duplicate".

Rate limits, outages and lock waits are raised to the job (`workers/jobs.py`), which reschedules.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime

import redis

from app.policy.model import COMMENT, CREATED, Decision, TicketText
from app.queueing import KEY_PREFIX
from app.webhooks.events import STATUS_CHANGED, TicketEvent
from app.zendesk import (
    Conflict,
    NotFound,
    TicketState,
    Unprocessable,
    build_ticket_update,
    public_reply_update,
    writes_custom_fields,
)

log = logging.getLogger("escalator.worker")

DONE_KEY = KEY_PREFIX + "done:{}"
LOCK_KEY = KEY_PREFIX + "lock:ticket:{}"
INTEGRATION_USER_KEY = KEY_PREFIX + "zendesk:integration_user_id"
INTEGRATION_USER_TTL_SECONDS = 24 * 3600
LOCK_TIMEOUT_SECONDS = 30  # longer than a job may run (25 s), so a killed job's lock expires soon
LOCK_WAIT_SECONDS = 5  # then the job is rescheduled instead of holding a worker
MAX_CONFLICT_RETRIES = 3


class TicketBusy(Exception):
    """Another job held this ticket's lock for longer than LOCK_WAIT_SECONDS."""


class TicketEventApplier:
    def __init__(self, zendesk, connection: redis.Redis, policy, settings, decide=None):
        """`zendesk` is a ZendeskClient or DryRunZendesk; `decide(TicketText, policy)` defaults
        to the policy engine's."""
        if decide is None:
            from app.policy import decide
        self.zendesk = zendesk
        self.redis = connection
        self.policy = policy
        self.settings = settings
        self.decide = decide
        self.lock_wait_seconds = LOCK_WAIT_SECONDS

    def apply(self, event: TicketEvent) -> str:
        if event.kind == STATUS_CHANGED:
            log.info("worker.ticket.status_changed ticket=%s (no policy action)", event.ticket_id)
            return "ignored:status_changed"
        skipped = self._skip_reason(event, event.comment or {})
        if skipped:
            return skipped
        lock = self.redis.lock(
            LOCK_KEY.format(event.ticket_id), timeout=LOCK_TIMEOUT_SECONDS, blocking_timeout=self.lock_wait_seconds
        )
        if not lock.acquire():
            raise TicketBusy(f"ticket {event.ticket_id} is locked by another job")
        try:
            return self._apply_once(event)
        finally:
            if lock.owned():
                lock.release()

    def _apply_once(self, event: TicketEvent) -> str:
        done_key = DONE_KEY.format(_work_id(event))
        if self.redis.exists(done_key):
            log.info("worker.ticket.duplicate ticket=%s event=%s", event.ticket_id, event.event_id)
            return "duplicate"
        try:
            status = self._decide_and_write(event)
        except NotFound as e:
            log.warning("worker.ticket.not_found ticket=%s event=%s: %s", event.ticket_id, event.event_id, e)
            status = "dropped:not_found"
        except Unprocessable as e:
            log.warning("worker.ticket.unprocessable ticket=%s event=%s: %s", event.ticket_id, event.event_id, e)
            status = "dropped:unprocessable"
        if not self.settings.dry_run:  # nothing was written; a live run later must still do it
            self.redis.set(done_key, status, nx=True, ex=self.settings.event_seen_ttl_seconds)
        return status

    def _decide_and_write(self, event: TicketEvent) -> str:
        comment = event.comment
        if event.kind == COMMENT and event.source == "trigger":
            if self.settings.dry_run:
                log.info("worker.ticket.dry_run_skipped ticket=%s: trigger events need API reads", event.ticket_id)
                return "skipped:dry_run"
            comment = self.zendesk.get_comment_with_author(event.ticket_id, comment["id"])
            if comment is None:
                log.warning("worker.comment.not_found ticket=%s comment=%s", event.ticket_id, event.comment["id"])
                return "dropped:comment_not_found"
            skipped = self._skip_reason(event, comment)
            if skipped:
                return skipped
        ticket = self._current_ticket(event)
        if ticket is None:
            log.info("worker.ticket.dry_run_skipped ticket=%s: no ticket data", event.ticket_id)
            return "skipped:dry_run"
        return self._update(event, comment, ticket)

    def _update(self, event: TicketEvent, comment: dict | None, ticket: TicketState) -> str:
        """Decide and write, once; after a 409, re-read the ticket and decide again."""
        for _ in range(1 + MAX_CONFLICT_RETRIES):
            decision, body, ticket = self._plan(event, comment, ticket)
            if body is None:
                if self._send_public_reply(event.ticket_id, decision, ticket):
                    return "replied"
                log.info("worker.ticket.noop ticket=%s urgency=%s", event.ticket_id, decision.urgency)
                return "noop"
            try:
                answer = self.zendesk.update_ticket(event.ticket_id, body)
            except Conflict:
                log.info("worker.ticket.conflict ticket=%s: re-reading", event.ticket_id)
                ticket = self._read_ticket(event.ticket_id)
                continue
            changes = body["ticket"]
            log.info(
                "worker.ticket.updated ticket=%s event=%s urgency=%s category=%s priority=%s tags=%s fields=%s",
                event.ticket_id,
                event.event_id,
                decision.urgency,
                decision.category,
                changes.get("priority", "-"),
                ",".join(changes.get("additional_tags", [])) or "-",
                ",".join(str(f["id"]) for f in changes.get("custom_fields", [])) or "-",
            )
            self._send_public_reply(event.ticket_id, decision, _after_update(ticket, body, answer))
            return "updated"
        raise Conflict(f"ticket {event.ticket_id} still changing after {MAX_CONFLICT_RETRIES} re-reads", 409)

    def _plan(self, event: TicketEvent, comment: dict | None, ticket: TicketState):
        decision, body = self._decide(event, comment, ticket)
        if ticket.custom_fields is None and writes_custom_fields(body):
            # A webhook snapshot has no custom fields: read the ticket before writing any, so a
            # field is never lowered or rewritten (with a note) to the value it already has.
            fresh = self._read_ticket(event.ticket_id)
            if fresh is not None:
                decision, body = self._decide(event, comment, fresh)
                ticket = fresh
        return decision, body, ticket

    def _decide(self, event: TicketEvent, comment: dict | None, ticket: TicketState):
        tags, names = self.policy.tags, self.policy.categories.names
        known_category = ticket.known_category(tags.category_prefix, names)
        decision = self.decide(_ticket_text(event, comment, ticket, known_category), self.policy)
        category_tags = tuple(tags.category_prefix + name for name in names)
        return decision, build_ticket_update(decision, ticket, self.policy.zendesk, category_tags)

    def _send_public_reply(self, ticket_id: int, decision: Decision, ticket: TicketState) -> bool:
        """The decision's after-hours public reply, if any, sent with the tag that records it in one
        safe update, when the ticket has the next-business-day tag and not that one; True when sent.

        A 409 re-reads the ticket and checks the tags again. A 5xx or timeout reaches the job,
        whose retry checks them on the fresh ticket, so a reply that landed is not sent twice.
        """
        tags = self.policy.tags
        for _ in range(1 + MAX_CONFLICT_RETRIES):
            owed = tags.next_business_day in ticket.tags and tags.public_reply_sent not in ticket.tags
            if not (decision.public_reply and owed):
                return False
            try:
                body = public_reply_update(decision.public_reply, tags.public_reply_sent, ticket.updated_at)
                self.zendesk.update_ticket(ticket_id, body)
            except Conflict:
                log.info("worker.reply.conflict ticket=%s: re-reading", ticket_id)
                ticket = self._read_ticket(ticket_id)
                continue
            except (NotFound, Unprocessable) as e:
                log.warning("worker.reply.dropped ticket=%s: %s", ticket_id, e)
                return False
            log.info("worker.reply.sent ticket=%s", ticket_id)
            return True
        raise Conflict(f"ticket {ticket_id} still changing after {MAX_CONFLICT_RETRIES} re-reads", 409)

    def _current_ticket(self, event: TicketEvent) -> TicketState | None:
        # A snapshot without updated_at cannot guard the write (safe_update), and may lack the
        # priority it must never lower: read the ticket instead.
        if event.ticket is not None and event.ticket.get("updated_at"):
            return TicketState.from_snapshot(event.ticket_id, event.ticket)
        return self._read_ticket(event.ticket_id)

    def _read_ticket(self, ticket_id: int) -> TicketState | None:
        ticket = self.zendesk.get_ticket(ticket_id)
        return None if ticket is None else TicketState.from_api(ticket)

    def _skip_reason(self, event: TicketEvent, comment: dict) -> str | None:
        """Why the policy does not read this event, or None when it does."""
        if self._is_ours(event.actor_id, comment.get("author_id")):
            log.info("worker.ticket.own_update ticket=%s event=%s", event.ticket_id, event.event_id)
            return "ignored:own_update"
        if event.kind != COMMENT or "is_public" not in comment:
            return None  # a created event, or a trigger comment not read yet
        if not comment["is_public"]:
            log.info("worker.comment.private ticket=%s comment=%s", event.ticket_id, comment["id"])
            return "ignored:private_comment"
        if comment.get("author_is_staff"):
            log.info("worker.comment.agent ticket=%s comment=%s", event.ticket_id, comment["id"])
            return "ignored:agent_comment"
        return None

    def _is_ours(self, *user_ids: int | None) -> bool:
        ids = {int(i) for i in user_ids if i}
        if not ids:
            return False
        ours = self._integration_user_id()
        return ours is not None and ours in ids

    def _integration_user_id(self) -> int | None:
        """Our own user id, from GET /api/v2/users/me once a day (cached in Redis)."""
        cached = self.redis.get(INTEGRATION_USER_KEY)
        if cached is not None:
            return int(cached)
        me = self.zendesk.me()
        if not me:
            return None  # dry run
        self.redis.set(INTEGRATION_USER_KEY, int(me["id"]), ex=INTEGRATION_USER_TTL_SECONDS)
        return int(me["id"])


def _work_id(event: TicketEvent) -> str:
    """What makes two deliveries the same work: a ticket's creation, or one comment on a ticket.

    Not the event id, so an event webhook and a trigger webhook for the same comment dedupe too.
    """
    if event.kind == COMMENT:
        return f"ticket:{event.ticket_id}:comment:{event.comment['id']}"
    return f"ticket:{event.ticket_id}:{event.kind}"


def _after_update(ticket: TicketState, body: dict, answer: dict) -> TicketState:
    """The ticket after our PUT, from Zendesk's answer (new tags, new updated_at). A dry run has
    no answer: then the tags we added, and no stamp."""
    if answer.get("ticket"):
        return TicketState.from_api(answer["ticket"])
    added = tuple(body["ticket"].get("additional_tags", ()))
    return replace(ticket, tags=ticket.tags + added, updated_at=None)


def _ticket_text(
    event: TicketEvent, comment: dict | None, ticket: TicketState, known_category: str | None
) -> TicketText:
    common = {"current_priority": ticket.priority, "known_category": known_category}
    if event.kind == CREATED:
        return TicketText(
            event=CREATED,
            subject=ticket.subject,
            body=ticket.description,
            received_at=_parse_time(ticket.created_at or event.occurred_at),
            **common,
        )
    body, is_html = comment.get("body") or "", False
    if not body and comment.get("html_body"):
        body, is_html = comment["html_body"], True
    return TicketText(
        event=COMMENT,
        subject=ticket.subject,
        body=body,
        body_is_html=is_html,
        received_at=_parse_time(comment.get("created_at") or event.occurred_at),
        **common,
    )


def _parse_time(text: str) -> datetime:
    """Zendesk's ISO times (`Z`, up to nanoseconds); a time without a zone is UTC."""
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
