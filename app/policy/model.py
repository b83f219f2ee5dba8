"""Plain values that go in and out of the policy engine.

The engine is pure: a `TicketText` and a `Policy` in, a `Decision` out. Nothing here knows about
Flask, Redis or HTTP, so the web app, the worker and the command line share it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from app.timestamps import format_utc

URGENT = "urgent"
TIME_SENSITIVE = "time_sensitive"
NONE = "none"
LEVELS = (NONE, TIME_SENSITIVE, URGENT)  # lowest first

CREATED = "created"
COMMENT = "comment"

PRIORITIES = ("low", "normal", "high", "urgent")  # Zendesk's, lowest first


def priority_rank(priority: str | None) -> int:
    """Zendesk's order, for "never lower": no priority (or an unknown one) ranks below "low"."""
    return PRIORITIES.index(priority) if priority in PRIORITIES else -1


@dataclass(frozen=True)
class TicketText:
    """The text the policy reads, and when it arrived.

    `event` is CREATED (subject + description are read) or COMMENT (only `body`, the new
    end-user comment, is read; `subject` is ignored). `received_at` must be timezone-aware.

    For a comment, the caller passes what the ticket's tags record: `known_category` (its
    `category_<c>` tag), `known_level` (its `urgency_<level>` tag: the intake checks were made
    then, so a comment at that level does not open them again) and `open_items` (the intake
    items its tags record as missing: `Policy.tags.open_items(ticket_tags)`), which a comment
    can supply.
    """

    event: str
    subject: str
    body: str
    received_at: datetime
    body_is_html: bool = False
    current_priority: str | None = None
    known_category: str | None = None
    known_level: str | None = None
    open_items: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Evidence:
    """One word that decided something, and where it was found.

    `kind` is "term" (counts toward the level), "near_miss", "negated", "category", "deadline"
    or "intake" (an item of POLICY.md section 6; `label` is the item's name). `offset` is the
    character offset in the cleaned text of `field` (quotes removed, HTML reduced to text, but
    not normalised: invisible characters are still there), which is the text the explanation
    quotes from. `field` is "subject", "body", or "link" (an HTML link's target).
    """

    kind: str
    label: str  # the level ("urgent", "time_sensitive") or the category name
    text: str  # the words as written
    field: str  # "subject" | "body"
    offset: int
    context: str = ""
    negator: str = ""  # for kind "negated": the word that negated it ("not", "isn't", "non")

    def as_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "kind": self.kind,
            "label": self.label,
            "text": self.text,
            "field": self.field,
            "offset": self.offset,
            "context": self.context,
        }
        if self.negator:
            found["negator"] = self.negator
        return found


@dataclass(frozen=True)
class Decision:
    urgency: str
    near_miss: bool
    category: str
    after_hours: bool
    on_call: bool
    priority: str | None  # the priority to set; None when nothing should change
    tags: tuple[str, ...]
    response_due_at: datetime | None  # UTC, whole minutes
    explanation: str
    evidence: tuple[Evidence, ...] = field(default_factory=tuple)
    # Public reply text for an urgent after-hours ticket out of scope, when the policy enables it.
    public_reply: str | None = None
    # POLICY.md section 6. The customer's deadline (a date in the policy's time zone) and whether
    # it is fewer than the configured business days away; only for time-sensitive tickets (or a
    # comment that supplies the deadline a ticket was missing).
    deadline: date | None = None
    short_notice: bool = False
    # Intake items still missing after this event, sorted by name.
    missing_info: tuple[str, ...] = ()
    # Tags this event answers: the worker removes them (item tags of supplied items, and
    # info_missing / deadline_missing when nothing of theirs stays open).
    removed_tags: tuple[str, ...] = ()
    # Public reply asking for the missing report items, when the policy enables it: offered on
    # every urgent fraud_attack / incident event with report items missing; the worker sends it
    # once per ticket (tag `Policy.tags.info_requested`).
    info_request_reply: str | None = None

    def response_due_iso(self) -> str | None:
        if self.response_due_at is None:
            return None
        return format_utc(self.response_due_at)

    def deadline_iso(self) -> str | None:
        return self.deadline.isoformat() if self.deadline else None


# Added by the policy engine (additive only).
@dataclass(frozen=True)
class Outcome:
    """What the outcome table (POLICY.md section 4) says to do for a level, category and time."""

    priority: str | None  # the priority to set; None when it should not change
    tags: tuple[str, ...]
    response_due_at: datetime | None
    on_call: bool
    kept_priority: str | None = None  # the current priority, when never-lower kept it
    public_reply: str | None = None
