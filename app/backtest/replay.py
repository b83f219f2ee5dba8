"""Replay one ticket's history through the worker's own planner. Pure: no HTTP, no Redis, no files.

The worker's rules, event by event (docs/worker.md): the ticket's creation is decided on its
subject and description; a later comment only when it is public and written by an end user
(agent comments and internal notes are received and ignored). Each decision is planned with
`app.zendesk.planner.plan_update` against a simulated ticket, which then changes the way the
service's own PUT would change it (a higher priority, the decision's tags, the other category
tags gone), so never-lower and the ticket's category memory work as they would have live. The
priority and tag changes the history records (by agents, rules, the requester) are applied to the
simulated ticket at their own time, as the live service would have seen them; changes escalator
itself made, if it already ran on the account, are left out: the replay makes its own.

Each received event also counts the Zendesk API calls the worker would have made for it
(docs/backtest.md, "API calls"): one PUT per update (and one per after-hours public reply); in
event-webhook mode one GET of the ticket when the update writes custom fields the webhook's
snapshot lacks; in trigger mode one GET of the ticket per decision and one GET of the comments
per public comment.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import Any

from app.policy import Policy
from app.policy import decide as policy_decide
from app.policy.model import COMMENT, CREATED, Decision, Evidence, priority_rank
from app.ticket_event import EVENT_SOURCE, TRIGGER_SOURCE, Comment, TicketEvent
from app.timestamps import format_utc, parse_time
from app.zendesk.planner import Decide, Plan, plan_public_reply, plan_update
from app.zendesk.ticket_state import TicketState

from .history import BY_ESCALATOR, PRIORITY, Change, HistoryComment, TicketHistory

EVENT_MODE = "event"  # event-subscribed webhooks: the payload carries the ticket and the comment
TRIGGER_MODE = "trigger"  # trigger-connected webhooks: ids only, the worker reads the rest
MODES = (EVENT_MODE, TRIGGER_MODE)

PUT_TICKET = "PUT /api/v2/tickets/{id}"
GET_TICKET = "GET /api/v2/tickets/{id}"
GET_COMMENTS = "GET /api/v2/tickets/{id}/comments"
GET_ME = "GET /api/v2/users/me"  # counted over the whole run (compare.py): the worker caches it a day
CALL_KINDS = (PUT_TICKET, GET_TICKET, GET_COMMENTS, GET_ME)

# The worker's statuses (docs/worker.md) for the events a replay receives.
UPDATED, NOOP, REPLIED = "updated", "noop", "replied"
IGNORED_AGENT, IGNORED_PRIVATE = "ignored:agent_comment", "ignored:private_comment"


@dataclass(frozen=True)
class ReplayedEvent:
    """One event the worker would have received: what it did, what it cost, what it decided."""

    kind: str  # CREATED | COMMENT
    at: str
    comment_id: int | None
    status: str
    calls: dict[str, int]
    # decision_record(decision) plus what the planned update changed: "priority_set",
    # "tags_added", "tags_removed". None for an ignored comment.
    decision: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "at": self.at,
            "comment_id": self.comment_id,
            "status": self.status,
            "calls": self.calls,
            "decision": self.decision,
        }

    @classmethod
    def from_json(cls, item: dict[str, Any]) -> ReplayedEvent:
        return cls(
            kind=item["kind"],
            at=item["at"],
            comment_id=item["comment_id"],
            status=item["status"],
            calls=dict(item["calls"]),
            decision=item["decision"],
        )


@dataclass(frozen=True)
class TicketReplay:
    ticket_id: int
    events: tuple[ReplayedEvent, ...]

    @property
    def decisions(self) -> list[ReplayedEvent]:
        return [e for e in self.events if e.decision is not None]

    def to_json(self) -> dict[str, Any]:
        return {"ticket_id": self.ticket_id, "events": [e.to_json() for e in self.events]}

    @classmethod
    def from_json(cls, item: dict[str, Any]) -> TicketReplay:
        return cls(int(item["ticket_id"]), tuple(ReplayedEvent.from_json(e) for e in item["events"]))


@dataclass
class SimulatedTicket:
    """The ticket as the live service would have seen it at each point of the replay."""

    ticket_id: int
    priority: str | None
    tags: tuple[str, ...]
    custom_fields: dict[int, Any] = field(default_factory=dict)

    def state(self, history: TicketHistory, at: str, *, with_fields: bool) -> TicketState:
        """As a webhook snapshot shows it (no custom fields), or as `GET /tickets/{id}` does."""
        return TicketState(
            ticket_id=self.ticket_id,
            priority=self.priority,
            tags=self.tags,
            updated_at=at,
            custom_fields=dict(self.custom_fields) if with_fields else None,
            subject=history.subject,
            description=history.description,
            created_at=history.created_at,
        )

    def apply_change(self, change: Change) -> None:
        if change.field == PRIORITY:
            self.priority = change.value
            return
        kept = [t for t in self.tags if t not in change.removed]
        self.tags = tuple(dict.fromkeys(kept + list(change.added)))

    def apply_update(self, decision: Decision, body: dict[str, Any], policy: Policy) -> None:
        """What our PUT would have done. Priority and tags follow from the decision (not from the
        body's tag keys, whose shape the update builder may change); custom fields from the body."""
        if decision.priority and priority_rank(decision.priority) > priority_rank(self.priority):
            self.priority = decision.priority
        self.tags = tags_after(decision, self.tags, policy)
        for written in body["ticket"].get("custom_fields", []):
            self.custom_fields[int(written["id"])] = written["value"]


def tags_after(decision: Decision, tags: tuple[str, ...], policy: Policy) -> tuple[str, ...]:
    """The ticket's tags after an update for `decision`: the decision's tags added; when it
    records a category, the ticket's other policy category tags removed (a ticket keeps one);
    and any tags the decision says it answers (`removed_tags`, policy 1.1) removed."""
    category_tags = {policy.tags.category_prefix + name for name in policy.categories.names}
    wanted = tuple(dict.fromkeys(decision.tags))
    records_category = any(t in category_tags for t in wanted)
    answered = set(decision.removed_tags)
    kept = [t for t in tags if t not in answered and not (records_category and t in category_tags and t not in wanted)]
    return tuple(dict.fromkeys([*kept, *wanted]))


def replay_ticket(
    history: TicketHistory, policy: Policy, mode: str = EVENT_MODE, decide: Decide = policy_decide
) -> TicketReplay:
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    ticket = SimulatedTicket(history.id, history.priority, history.tags, _configured_fields(policy))
    replayer = _Replayer(history, policy, mode, decide, ticket)
    events = []
    for item in timeline(history):
        if isinstance(item, Change):
            if item.by != BY_ESCALATOR:
                ticket.apply_change(item)
        elif item is history.comments[0]:
            events.append(replayer.decide(CREATED, history.created_at, None))
        else:
            received = replayer.comment(item)
            if received is not None:
                events.append(received)
    return TicketReplay(history.id, tuple(events))


def timeline(history: TicketHistory) -> list[Change | HistoryComment]:
    """The ticket's creation (its description comes first), later comments and the recorded
    changes, in time order. A change made in the same second as a comment (or the creation)
    comes first: Zendesk runs its triggers inside the update, before the webhook goes out."""
    description, *later = history.comments
    items: list[tuple[float, int, Change | HistoryComment]] = [(_instant(history.created_at), 1, description)]
    items += [(_instant(c.created_at), 1, c) for c in later]
    items += [(_instant(ch.at), 0, ch) for ch in history.changes]
    return [item for _, _, item in sorted(items, key=lambda entry: (entry[0], entry[1]))]


def _instant(text: str) -> float:
    return parse_time(text).timestamp()


def _configured_fields(policy: Policy) -> dict[int, Any]:
    """The configured custom fields, empty: every ticket has the account's active fields."""
    ids = (
        policy.zendesk.urgency_field_id,
        policy.zendesk.category_field_id,
        policy.zendesk.response_due_field_id,
        policy.zendesk.after_hours_field_id,
        policy.zendesk.deadline_field_id,
    )
    return {field_id: None for field_id in ids if field_id}


class _Replayer:
    def __init__(self, history: TicketHistory, policy: Policy, mode: str, decide: Decide, ticket: SimulatedTicket):
        self.history = history
        self.policy = policy
        self.mode = mode
        self.decide_text = decide
        self.ticket = ticket

    def comment(self, comment: HistoryComment) -> ReplayedEvent | None:
        """The worker's handling of a later comment; None when no webhook would have come."""
        if not comment.public:
            if self.mode == TRIGGER_MODE:
                return None  # the trigger fires on public comments only
            return ReplayedEvent(COMMENT, comment.created_at, comment.id, IGNORED_PRIVATE, {})
        if not comment.by_end_user:
            # A trigger body has only ids: the worker reads the comment to learn its author.
            calls = {GET_COMMENTS: 1} if self.mode == TRIGGER_MODE else {}
            return ReplayedEvent(COMMENT, comment.created_at, comment.id, IGNORED_AGENT, calls)
        return self.decide(COMMENT, comment.created_at, comment)

    def decide(self, kind: str, at: str, comment: HistoryComment | None) -> ReplayedEvent:
        event = TicketEvent(
            event_id=f"backtest-{self.history.id}-{comment.id if comment else kind}",
            kind=kind,
            source=TRIGGER_SOURCE if self.mode == TRIGGER_MODE else EVENT_SOURCE,
            ticket_id=self.history.id,
            occurred_at=at,
            comment_id=comment.id if comment else None,
        )
        as_comment = _worker_comment(comment) if comment else None
        calls: Counter[str] = Counter()
        plan = self._plan(event, as_comment, calls)
        before = (self.ticket.priority, self.ticket.tags)
        status = NOOP
        if plan.update is not None:
            calls[PUT_TICKET] += 1
            self.ticket.apply_update(plan.decision, plan.update, self.policy)
            status = UPDATED
        reply = plan_public_reply(plan.decision, self.ticket.state(self.history, at, with_fields=True), self.policy)
        if reply is not None:
            calls[PUT_TICKET] += 1
            self.ticket.tags = tuple(reply["ticket"]["tags"])  # the ticket's tags and the reply's
            status = REPLIED if status == NOOP else status
        record = decision_record(plan.decision)
        record["priority_set"] = self.ticket.priority if self.ticket.priority != before[0] else None
        record["tags_added"] = [t for t in self.ticket.tags if t not in before[1]]
        record["tags_removed"] = [t for t in before[1] if t not in self.ticket.tags]
        return ReplayedEvent(kind, at, event.comment_id, status, dict(calls), record)

    def _plan(self, event: TicketEvent, comment: Comment | None, calls: Counter[str]) -> Plan:
        full = self.ticket.state(self.history, event.occurred_at, with_fields=True)
        if self.mode == TRIGGER_MODE:
            if comment is not None:
                calls[GET_COMMENTS] += 1
            calls[GET_TICKET] += 1
            return plan_update(event, comment, full, self.policy, self.decide_text)
        snapshot = self.ticket.state(self.history, event.occurred_at, with_fields=False)
        plan = plan_update(event, comment, snapshot, self.policy, self.decide_text)
        if plan.needs_full_ticket:
            calls[GET_TICKET] += 1
            plan = plan_update(event, comment, full, self.policy, self.decide_text)
        return plan


def decision_record(decision: Decision) -> dict[str, Any]:
    """Every field of the decision as plain JSON values (times in UTC ISO 8601, evidence as
    dicts), whatever fields the engine's Decision has."""
    return {f.name: _plain(getattr(decision, f.name)) for f in fields(decision)}


def _plain(value: Any) -> Any:
    if isinstance(value, Evidence):
        return value.as_dict()
    if isinstance(value, datetime):
        return format_utc(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(_plain(v) for v in value)
    return value


def _worker_comment(comment: HistoryComment) -> Comment:
    return {
        "id": comment.id,
        "body": comment.body,
        "html_body": comment.html_body,
        "is_public": comment.public,
        "author_id": comment.author_id,
        "author_is_staff": not comment.by_end_user,
        "created_at": comment.created_at,
    }
