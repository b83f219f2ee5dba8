"""The value a job carries: one ticket change, as the web intake read it and the worker applies it.

Neither side owns it: `app.webhooks.events` makes `TicketEvent`s from webhook bodies, the worker
reads them back from the job with `TicketEvent.from_job`. Everything in it is plain JSON (RQ's
JSON serializer), so ids are ints and times ISO 8601 strings.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass
from typing import Any, TypedDict

from app.policy.model import COMMENT, CREATED  # the policy reads these two kinds of text

STATUS_CHANGED = "status_changed"
MESSAGE = "message"  # a Zendesk messaging message (web widget, WhatsApp, ...): read like a comment
KINDS = (CREATED, COMMENT, STATUS_CHANGED, MESSAGE)
# The statuses that end a ticket's page and its SLA watch (and fire trigger mode's third trigger).
CLOSED_STATUSES = ("solved", "closed")

EVENT_SOURCE = "event"  # an event-subscribed webhook (Zendesk's envelope)
TRIGGER_SOURCE = "trigger"  # a trigger-connected webhook (our body template: ids only)

_SAFE_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")


class TicketSnapshot(TypedDict):
    """The ticket as an event webhook's `detail` showed it (priority and status in lower case).

    It has no custom fields: Zendesk's event payloads do not carry them.
    """

    subject: str
    description: str
    priority: str | None
    status: str | None
    tags: list[str]
    created_at: str | None
    updated_at: str | None


class Comment(TypedDict):
    """One comment, the same shape wherever it was read (an event webhook or the API)."""

    id: int
    body: str
    html_body: str
    is_public: bool
    author_id: int | None
    # Staff wrote it (agent or admin), or we cannot tell: the policy reads end users only.
    author_is_staff: bool
    created_at: str | None  # the API gives it; event webhooks do not (the event's time stands in)


class Message(TypedDict):
    """One messaging message (`messaging_ticket.message_added`). Not a ticket comment: Zendesk
    keeps it in the ticket's conversation log, and its ids are Sunshine Conversations ids."""

    id: str
    body: str | None  # None when the event did not carry the text: the worker reads it
    author_type: str  # end_user | agent | trigger | system (Zendesk's actor.type)


@dataclass(frozen=True)
class TicketEvent:
    """What the worker needs to apply the policy to one ticket change.

    `ticket` is the ticket as the event saw it, or None when the body carried only ids (trigger
    webhooks): the worker reads the ticket then. A trigger's STATUS_CHANGED event has a snapshot
    with only the status and times (subject and description empty), all the worker reads of it.
    Likewise `comment` is the whole comment when the event carried it; a trigger's comment event
    has only `comment_id`, and the worker reads it.
    A MESSAGE event has `message` and no ticket (messaging events carry only the ticket id).
    """

    event_id: str  # Zendesk's event id, or "trigger-<ticket>-<comment id|created|status-<epoch>>"
    kind: str  # one of KINDS
    source: str  # EVENT_SOURCE | TRIGGER_SOURCE
    ticket_id: int
    occurred_at: str  # ISO 8601 with a zone, as Zendesk sent it
    actor_id: int | None = None
    ticket: TicketSnapshot | None = None
    comment: Comment | None = None
    comment_id: int | None = None
    message: Message | None = None

    @property
    def job_id(self) -> str:
        """`zendesk-<event id>`; an id with other characters than RQ takes is hashed, so two
        different events never share a job."""
        if _SAFE_ID.fullmatch(self.event_id):
            return "zendesk-" + self.event_id
        return "zendesk-sha1-" + hashlib.sha1(self.event_id.encode("utf-8", "surrogatepass")).hexdigest()

    @property
    def work_id(self) -> str:
        """What makes two deliveries the same work: a ticket's creation, or one comment on a
        ticket. Not the event id, so an event webhook and a trigger for one comment are one work."""
        if self.kind == COMMENT:
            return f"ticket:{self.ticket_id}:comment:{self.comment_id}"
        if self.kind == MESSAGE and self.message is not None:
            return f"ticket:{self.ticket_id}:message:{self.message['id']}"
        return f"ticket:{self.ticket_id}:{self.kind}"

    def to_job(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_job(cls, data: dict[str, Any]) -> TicketEvent:
        data = dict(data)
        data.pop("actor_role", None)  # written by 0.1.0, never read
        comment = data.get("comment")
        if comment is not None and "comment_id" not in data:
            # A 0.1.0 job: the comment id lived in the comment, a trigger's comment was {"id": n}.
            data["comment_id"] = comment["id"]
            data["comment"] = comment if "body" in comment else None
        if data.get("comment") is not None:
            data["comment"] = {"created_at": None, **data["comment"]}
        return cls(**data)
