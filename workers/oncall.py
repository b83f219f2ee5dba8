"""What a ticket job does for on-call (docs/oncall.md): the applier's four hooks.

- `page`: the decision says page (POLICY.md section 4): trigger the ticket's page before the
  ticket update, and give the update's note the line that says what happened.
- `watch`: an urgent or time-sensitive decision: arm the SLA watchdog for its response due time.
- `agent_replied`: the first public agent reply: acknowledge the page, disarm the watchdog. No
  Zendesk call: the event said who wrote it.
- `status_changed`: solved or closed: resolve the page, disarm the watchdog.

`page` and `watch` run inside the ticket job, which holds the ticket's lock; the other two take
it, and only when the ticket has a page or an armed check (one Redis read otherwise).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import redis

from app.oncall.page_events import PageDetails
from app.policy.model import TIME_SENSITIVE, URGENT, Decision
from app.ticket_event import CLOSED_STATUSES, TicketEvent
from app.zendesk import TicketState
from workers.paging import PageResult, Paging
from workers.sla_watchdog import SlaWatchdog
from workers.ticket_lock import ticket_lock

log = logging.getLogger("escalator.oncall")

PAGE_REQUIRED_LINE = "On-call page required:"  # the policy's explanation line a page outcome goes under


class OnCall:
    def __init__(self, connection: redis.Redis, paging: Paging, watchdog: SlaWatchdog, *, dry_run: bool = False):
        self.redis = connection
        self.paging = paging
        self.watchdog = watchdog
        self.dry_run = dry_run

    def page(self, ticket_id: int, ticket: TicketState, decision: Decision, since: datetime) -> PageResult:
        """Page for `decision` (its `on_call` is set); the caller holds the ticket's lock."""
        details = PageDetails(
            ticket_id=ticket_id,
            category=decision.category,
            subject=ticket.subject,
            urgency=decision.urgency,
            after_hours=decision.after_hours,
            urgency_words=tuple(dict.fromkeys(e.text for e in decision.evidence if e.kind == "term")),
            category_words=tuple(dict.fromkeys(e.text for e in decision.evidence if e.kind == "category")),
            response_due_at=decision.response_due_at,
            event_time=since,
            missing_information=decision.missing_info,
        )
        return self.paging.page(details)

    def watch(self, ticket_id: int, decision: Decision, since: datetime) -> None:
        """Arm the watchdog for an urgent or time-sensitive decision; the caller holds the lock."""
        if self.dry_run or decision.urgency not in (URGENT, TIME_SENSITIVE) or decision.response_due_at is None:
            return
        self.watchdog.arm(ticket_id, decision.response_due_at, since)

    def agent_replied(self, ticket_id: int, *, locked: bool) -> str | None:
        """A public reply by an agent: acknowledge the page, stop watching; what became of the page."""
        if not self._has_anything(ticket_id):
            return None
        if locked:
            return self._agent_replied(ticket_id)
        with ticket_lock(self.redis, ticket_id):
            return self._agent_replied(ticket_id)

    def status_changed(self, event: TicketEvent) -> str | None:
        """A solved or closed ticket: resolve its page, stop watching; what became of the page."""
        status = ((event.ticket["status"] if event.ticket else None) or "").lower()
        if status not in CLOSED_STATUSES or not self._has_anything(event.ticket_id):
            return None
        with ticket_lock(self.redis, event.ticket_id):
            self.watchdog.disarm(event.ticket_id)
            return self.paging.resolve(event.ticket_id)

    def _agent_replied(self, ticket_id: int) -> str | None:
        self.watchdog.disarm(ticket_id)
        return self.paging.acknowledge(ticket_id)

    def _has_anything(self, ticket_id: int) -> bool:
        return self.paging.state(ticket_id) is not None or self.watchdog.armed(ticket_id) is not None


def with_page_line(body: dict[str, Any], line: str) -> dict[str, Any]:
    """The update `body` whose internal note says what became of the page: `line` right under the
    policy's "On-call page required" line (or at the end, should the policy not have written it)."""
    changes = dict(body["ticket"])
    comment = dict(changes["comment"])
    lines = comment["body"].split("\n")
    at = next((i + 1 for i, text in enumerate(lines) if text.startswith(PAGE_REQUIRED_LINE)), len(lines))
    comment["body"] = "\n".join([*lines[:at], line, *lines[at:]])
    changes["comment"] = comment
    return {**body, "ticket": changes}
