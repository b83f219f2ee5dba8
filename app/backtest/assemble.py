"""Turn the export spools into `TicketHistory`s (the same format `--input` reads).

Per ticket created in the window:
- Created with: the subject, priority and tags of its creating update (the export's `Create`
  children); a field the export does not show there is worked back from the ticket as it is now
  through the recorded changes.
- Comments: the export's, in order; or, for the tickets phase 3 fetched, the comments endpoint's.
  Comments after the window's end are left out. The first is the description.
- Changes: the priority and tag changes of later updates, each attributed (`changer`).
- Roles: the users looked up in phase 4 or sideloaded with the comments; unknown means staff.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from app.timestamps import parse_time

from .history import (
    BY_AGENT,
    BY_ESCALATOR,
    BY_REQUESTER,
    BY_RULE,
    END_USER,
    PRIORITY,
    ROLES,
    TAGS,
    Change,
    HistoryComment,
    TicketHistory,
)
from .run_dir import EXPORTED_EVENTS, EXPORTED_TICKETS, FETCHED_COMMENTS, USERS, RunDir
from .zendesk_export import unique_by_id

RULE_WORDS = ("rule", "trigger", "automation")


def assemble(run: RunDir, until: int, integration_user_id: int | None) -> tuple[list[TicketHistory], int]:
    """The histories, oldest ticket first, and how many tickets had no comment to replay."""
    tickets = unique_by_id(run.records(EXPORTED_TICKETS))
    events_by_ticket: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for event in unique_by_id(run.records(EXPORTED_EVENTS)).values():
        events_by_ticket[event["ticket_id"]].append(event)
    fetched = {f["ticket_id"]: f["comments"] for f in run.records(FETCHED_COMMENTS)}
    roles = {u["id"]: u["role"] for u in run.records(USERS)}
    histories, without_comments = [], 0
    for ticket in tickets.values():
        events = sorted(events_by_ticket[ticket["id"]], key=lambda e: (parse_time(e["at"]), str(e["id"])))
        history = _history(ticket, events, fetched.get(ticket["id"]), roles, until, integration_user_id)
        if history is None:
            without_comments += 1
        else:
            histories.append(history)
    histories.sort(key=lambda h: (h.created, h.id))
    return histories, without_comments


def _history(
    ticket: dict[str, Any],
    events: list[dict[str, Any]],
    fetched: list[dict[str, Any]] | None,
    roles: dict[int, str | None],
    until: int,
    me: int | None,
) -> TicketHistory | None:
    raw_comments = fetched if fetched is not None else [c for e in events for c in e["comments"]]
    comments = tuple(
        _comment(c, roles)
        for c in raw_comments
        if c.get("id") and c.get("created_at") and parse_time(c["created_at"]).timestamp() < until
    )
    if not comments:
        return None
    created = next((e["create"] for e in events if e["create"]), None) or {}
    # A creating update's Change children are the account's triggers acting on the new ticket.
    changes = tuple(
        change for event in events for raw in event["changes"] if (change := _change(raw, event, roles, me)) is not None
    )
    priority = created["priority"] if "priority" in created else _worked_back(ticket["priority"], changes, PRIORITY)
    tags = created["tags"] if "tags" in created else _worked_back(ticket["tags"], changes, TAGS)
    return TicketHistory(
        id=ticket["id"],
        subject=created.get("subject") or ticket["subject"],
        created_at=ticket["created_at"],
        priority=priority,
        tags=tuple(_tags(tags)),
        comments=comments,
        changes=changes,
    )


def _comment(raw: dict[str, Any], roles: dict[int, str | None]) -> HistoryComment:
    role = roles.get(raw["author_id"]) if raw.get("author_id") else None
    return HistoryComment(
        id=int(raw["id"]),
        author_id=raw.get("author_id"),
        author_role=role if role in ROLES else None,
        public=bool(raw.get("public", True)),
        body=raw.get("body") or "",
        html_body=raw.get("html_body") or "",
        created_at=raw["created_at"],
    )


def _change(raw: dict[str, Any], event: dict[str, Any], roles: dict[int, str | None], me: int | None) -> Change | None:
    by = changer(event["updater_id"], raw.get("via") or event.get("via"), roles, me)
    if raw["field"] == PRIORITY:
        return Change(event["at"], by, PRIORITY, previous=raw.get("previous"), value=raw.get("value"))
    if raw["field"] == TAGS:
        return Change(event["at"], by, TAGS, added=tuple(raw["added"]), removed=tuple(raw["removed"]))
    return None  # a subject change: the policy reads the subject only at creation


def changer(updater_id: int | None, via: str | None, roles: dict[int, str | None], me: int | None) -> str:
    """Who made a change: escalator's own user, a rule (trigger, automation, the system), the
    requester (an end user), or else an agent."""
    if me is not None and updater_id == me:
        return BY_ESCALATOR
    if updater_id is None or updater_id <= 0 or any(word in (via or "").lower() for word in RULE_WORDS):
        return BY_RULE
    return BY_REQUESTER if roles.get(updater_id) == END_USER else BY_AGENT


def _worked_back(now: Any, changes: tuple[Change, ...], field: str) -> Any:
    """The value at creation: the ticket's value now, with the recorded changes undone."""
    value = now
    for change in reversed([c for c in changes if c.field == field]):
        if field == PRIORITY:
            value = change.previous
        else:
            value = [t for t in value if t not in change.added] + [t for t in change.removed if t not in value]
    return value


def _tags(value: Any) -> list[str]:
    if isinstance(value, str):
        return value.split()
    return [str(t) for t in value or []]
