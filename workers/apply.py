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
   and the update adds the next-business-day tag, the reply is recorded as pending in Redis
   before that PUT and sent after it, as a second PUT with one public comment. A pending reply
   left by an attempt that failed is sent by the next job on the ticket (its retry), even when
   that job's decision is a no-op -> "replied". See docs/worker.md, "Public reply".
7. Record the event as done (Redis, with a TTL), so a redelivery or retry is a "duplicate".

Rate limits, outages and lock waits are raised to the job (`workers/jobs.py`), which reschedules.
"""
from __future__ import annotations

import json
import logging
from datetime import datetime, timezone

import redis

from app.policy.model import CREATED, COMMENT, TicketText
from app.queueing import KEY_PREFIX
from app.webhooks.events import STATUS_CHANGED, TicketEvent
from app.zendesk import (
    Conflict,
    NotFound,
    TicketState,
    Unprocessable,
    adds_tag,
    build_ticket_update,
    public_reply_update,
    writes_custom_fields,
)

log = logging.getLogger("escalator.worker")

DONE_KEY = KEY_PREFIX + "done:{}"
LOCK_KEY = KEY_PREFIX + "lock:ticket:{}"
REPLY_KEY = KEY_PREFIX + "reply:ticket:{}"  # a public reply owed to the ticket (JSON)
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
        lock = self.redis.lock(LOCK_KEY.format(event.ticket_id),
                               timeout=LOCK_TIMEOUT_SECONDS, blocking_timeout=self.lock_wait_seconds)
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
            log.warning("worker.ticket.not_found ticket=%s event=%s: %s",
                        event.ticket_id, event.event_id, e)
            status = "dropped:not_found"
        except Unprocessable as e:
            log.warning("worker.ticket.unprocessable ticket=%s event=%s: %s",
                        event.ticket_id, event.event_id, e)
            status = "dropped:unprocessable"
        if status.startswith("dropped:"):
            self.redis.delete(REPLY_KEY.format(event.ticket_id))  # the ticket did not get the decision
        self.redis.set(done_key, status, nx=True, ex=self.settings.event_seen_ttl_seconds)
        return status

    def _decide_and_write(self, event: TicketEvent) -> str:
        comment = event.comment
        if event.kind == COMMENT and event.source == "trigger":
            if self.settings.dry_run:
                log.info("worker.ticket.dry_run_skipped ticket=%s: trigger events need API reads",
                         event.ticket_id)
                return "skipped:dry_run"
            comment = self.zendesk.get_comment_with_author(event.ticket_id, comment["id"])
            if comment is None:
                log.warning("worker.comment.not_found ticket=%s comment=%s",
                            event.ticket_id, event.comment["id"])
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
                if self._send_pending_reply(event.ticket_id, ticket, body):
                    return "replied"
                log.info("worker.ticket.noop ticket=%s urgency=%s", event.ticket_id, decision.urgency)
                return "noop"
            recorded = False
            if decision.public_reply and adds_tag(body, self._next_business_day_tag()):
                # Recorded before the PUT: if its answer is lost (a timeout after Zendesk applied
                # it), the retry's re-read shows the tag, decides "noop" and still sends the reply.
                recorded = self._save_pending_reply(event.ticket_id, decision.public_reply)
            try:
                self.zendesk.update_ticket(event.ticket_id, body)
            except Conflict:
                if recorded:  # a 409 applied nothing: this PUT owes no reply
                    self.redis.delete(REPLY_KEY.format(event.ticket_id))
                log.info("worker.ticket.conflict ticket=%s: re-reading", event.ticket_id)
                ticket = self._read_ticket(event.ticket_id)
                continue
            changes = body["ticket"]
            log.info("worker.ticket.updated ticket=%s event=%s urgency=%s category=%s priority=%s "
                     "tags=%s fields=%s",
                     event.ticket_id, event.event_id, decision.urgency, decision.category,
                     changes.get("priority", "-"), ",".join(changes.get("additional_tags", [])) or "-",
                     ",".join(str(f["id"]) for f in changes.get("custom_fields", [])) or "-")
            self._send_pending_reply(event.ticket_id, ticket, body)
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
        known_category = ticket.known_category(self.policy.tags.category_prefix)
        decision = self.decide(_ticket_text(event, comment, ticket, known_category), self.policy)
        return decision, build_ticket_update(decision, ticket, self.policy.zendesk)

    def _next_business_day_tag(self) -> str:
        return self.policy.tags.next_business_day

    def _save_pending_reply(self, ticket_id: int, text: str) -> bool:
        """Record the reply as owed; False when an earlier attempt's record is still there (it is
        kept as it is, "sending" mark included)."""
        return bool(self.redis.set(REPLY_KEY.format(ticket_id), json.dumps({"text": text, "sending": False}),
                                   nx=True, ex=self.settings.event_seen_ttl_seconds))

    def _send_pending_reply(self, ticket_id: int, ticket: TicketState, body: dict | None) -> bool:
        """Send the public reply owed to the ticket, if any; True when a PUT was made.

        Exactly once: the pending record is deleted only after Zendesk accepted the reply, and is
        marked "sending" before the PUT, so a retry after a reply PUT that may have landed (a
        5xx or timeout) first looks for our reply among the ticket's newest comments.
        """
        key = REPLY_KEY.format(ticket_id)
        raw = self.redis.get(key)
        if raw is None:
            return False
        pending = json.loads(raw)
        tag = self._next_business_day_tag()
        if tag not in ticket.tags and not adds_tag(body, tag):
            # The update that would have added the tag never landed and the ticket no longer gets
            # that decision (e.g. an agent set another category): no reply.
            log.info("worker.reply.discarded ticket=%s: the ticket does not have the %s tag", ticket_id, tag)
            self.redis.delete(key)
            return False
        if pending["sending"] and self._reply_posted(ticket_id, pending["text"]):
            log.info("worker.reply.already_sent ticket=%s", ticket_id)
            self.redis.delete(key)
            return False
        self.redis.set(key, json.dumps({**pending, "sending": True}), ex=self.settings.event_seen_ttl_seconds)
        try:
            self.zendesk.update_ticket(ticket_id, public_reply_update(pending["text"]))
        except (NotFound, Unprocessable) as e:
            log.warning("worker.reply.dropped ticket=%s: %s", ticket_id, e)
            self.redis.delete(key)
            return False
        self.redis.delete(key)
        log.info("worker.reply.sent ticket=%s", ticket_id)
        return True

    def _reply_posted(self, ticket_id: int, text: str) -> bool:
        """Is our public reply among the ticket's newest comments? (Dry run: no.)"""
        comments = self.zendesk.recent_comments(ticket_id)
        if not comments:
            return False
        ours = self._integration_user_id()
        wanted = " ".join(text.split())
        return any(
            c.get("public") and (ours is None or c.get("author_id") == ours)
            and " ".join((c.get("body") or "").split()) == wanted
            for c in comments
        )

    def _current_ticket(self, event: TicketEvent) -> TicketState | None:
        if event.ticket is not None:
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


def _ticket_text(event: TicketEvent, comment: dict | None, ticket: TicketState,
                 known_category: str | None) -> TicketText:
    common = {"current_priority": ticket.priority, "known_category": known_category}
    if event.kind == CREATED:
        return TicketText(event=CREATED, subject=ticket.subject, body=ticket.description,
                          received_at=_parse_time(ticket.created_at or event.occurred_at), **common)
    body, is_html = comment.get("body") or "", False
    if not body and comment.get("html_body"):
        body, is_html = comment["html_body"], True
    return TicketText(event=COMMENT, subject=ticket.subject, body=body, body_is_html=is_html,
                      received_at=_parse_time(comment.get("created_at") or event.occurred_at), **common)


def _parse_time(text: str) -> datetime:
    """Zendesk's ISO times (`Z`, up to nanoseconds); a time without a zone is UTC."""
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
