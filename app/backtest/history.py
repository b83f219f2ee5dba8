"""One ticket's history as the backtest replays it, and the JSON Lines format that stores it.

Both sources make the same `TicketHistory`: `escalator backtest --input FILE` reads a file
(`read_histories`), and the account path assembles histories from Zendesk's exports
(`app.backtest.assemble`) and writes them in this format to `<out>/tickets.jsonl`, so a run can be
repeated offline. docs/backtest.md documents the format.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from app.policy.model import PRIORITIES
from app.timestamps import parse_time

END_USER = "end-user"  # Zendesk's user role for customers; anything else is staff
ROLES = (END_USER, "agent", "admin")

# Who made a priority or tag change.
BY_AGENT = "agent"  # a person on the support team
BY_RULE = "rule"  # a trigger, an automation or Zendesk itself
BY_REQUESTER = "end-user"  # the customer (e.g. a priority field on the web form)
BY_ESCALATOR = "escalator"  # escalator's own integration user, if it already ran on the account
CHANGERS = (BY_AGENT, BY_RULE, BY_REQUESTER, BY_ESCALATOR)
TEAM = (BY_AGENT, BY_RULE)  # "what the team did": people and the account's own rules

PRIORITY = "priority"
TAGS = "tags"
FIELDS = (PRIORITY, TAGS)


class HistoryError(ValueError):
    """A line of a tickets file is not a valid ticket; the message names the line and the key."""


@dataclass(frozen=True)
class HistoryComment:
    id: int
    author_id: int | None
    # Zendesk's role of the author ("end-user", "agent", "admin"); None when unknown, which the
    # policy reads as staff, as the worker does.
    author_role: str | None
    public: bool
    body: str
    html_body: str
    created_at: str

    @property
    def by_end_user(self) -> bool:
        return self.author_role == END_USER


@dataclass(frozen=True)
class Change:
    """A priority change (`previous` -> `value`) or a tag change (`added`, `removed`)."""

    at: str
    by: str  # one of CHANGERS
    field: str  # PRIORITY | TAGS
    previous: str | None = None
    value: str | None = None
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()

    @property
    def by_team(self) -> bool:
        return self.by in TEAM


@dataclass(frozen=True)
class TicketHistory:
    """A ticket from its creation on: the state it was created with, its comments (the first is
    the description), and the priority and tag changes made to it, each list in time order."""

    id: int
    subject: str
    created_at: str
    priority: str | None
    tags: tuple[str, ...]
    comments: tuple[HistoryComment, ...]
    changes: tuple[Change, ...] = ()

    @property
    def description(self) -> str:
        return self.comments[0].body if self.comments else ""

    @property
    def created(self) -> datetime:
        return parse_time(self.created_at)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "subject": self.subject,
            "created_at": self.created_at,
            "priority": self.priority,
            "tags": list(self.tags),
            "comments": [
                {
                    "id": c.id,
                    "author_id": c.author_id,
                    "author_role": c.author_role,
                    "public": c.public,
                    "body": c.body,
                    "html_body": c.html_body,
                    "created_at": c.created_at,
                }
                for c in self.comments
            ],
            "changes": [_change_json(c) for c in self.changes],
        }


def _change_json(change: Change) -> dict[str, Any]:
    common = {"at": change.at, "by": change.by, "field": change.field}
    if change.field == PRIORITY:
        return {**common, "from": change.previous, "to": change.value}
    return {**common, "added": list(change.added), "removed": list(change.removed)}


def read_histories(path: Path) -> list[TicketHistory]:
    """Every ticket in a JSON Lines file; raises HistoryError listing the first bad lines."""
    histories, problems = [], []
    seen: set[int] = set()
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                history = parse_history(raw.decode("utf-8"), number)
                if history.id in seen:
                    raise HistoryError(f"line {number}: id: ticket {history.id} appears twice")
                seen.add(history.id)
                histories.append(history)
            except UnicodeDecodeError as error:
                problems.append(f"line {number}: not UTF-8 text (byte {error.start + 1})")
            except HistoryError as error:
                problems.append(str(error))
            if len(problems) >= 10:
                break
    if problems:
        raise HistoryError(f"{path}: not a tickets file:\n" + "\n".join(f"  {p}" for p in problems))
    return histories


def write_histories(path: Path, histories: Iterable[TicketHistory]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for history in histories:
            handle.write(json.dumps(history.to_json(), ensure_ascii=False) + "\n")


def parse_history(line: str, number: int) -> TicketHistory:
    if not line.strip():
        raise HistoryError(f"line {number}: blank line; expected a JSON object")
    try:
        item = json.loads(line)
    except json.JSONDecodeError as error:
        raise HistoryError(f"line {number}: not valid JSON: {error.msg} at column {error.colno}") from None
    if not isinstance(item, dict):
        raise HistoryError(f"line {number}: expected a JSON object")
    r = _Reader(item, f"line {number}: ")
    comments = tuple(_comment(_Reader(c, f"{r.where}comments[{i}].")) for i, c in enumerate(r.objects("comments")))
    if not comments:
        raise r.fail("comments", "must hold at least the description (the ticket's first comment)")
    return TicketHistory(
        id=r.positive_id("id"),
        subject=r.text("subject"),
        created_at=r.time("created_at"),
        priority=r.choice("priority", PRIORITIES, required=False),
        tags=r.strings("tags"),
        comments=comments,
        changes=tuple(_change(_Reader(c, f"{r.where}changes[{i}].")) for i, c in enumerate(r.objects("changes"))),
    )


def _comment(r: _Reader) -> HistoryComment:
    return HistoryComment(
        id=r.positive_id("id"),
        author_id=r.optional_id("author_id"),
        author_role=r.choice("author_role", ROLES, required=False),
        public=r.flag("public", default=True),
        body=r.text("body"),
        html_body=r.text("html_body"),
        created_at=r.time("created_at"),
    )


def _change(r: _Reader) -> Change:
    at, by = r.time("at"), r.choice("by", CHANGERS)
    field = r.choice("field", FIELDS)
    if field == PRIORITY:
        previous = r.choice("from", PRIORITIES, required=False)
        return Change(at, by, field, previous=previous, value=r.choice("to", PRIORITIES, required=False))
    return Change(at, by, field, added=r.strings("added"), removed=r.strings("removed"))


class _Reader:
    """Typed access to one JSON object; every error names the line and the key."""

    def __init__(self, item: Any, where: str):
        if not isinstance(item, dict):
            raise HistoryError(f"{where.rstrip('.')}: expected a JSON object")
        self.item = item
        self.where = where

    def fail(self, key: str, problem: str) -> HistoryError:
        return HistoryError(f"{self.where}{key}: {problem}")

    def positive_id(self, key: str) -> int:
        value = self.item.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise self.fail(key, f"must be a positive whole number, got {value!r}")
        return value

    def optional_id(self, key: str) -> int | None:
        return None if self.item.get(key) is None else self.positive_id(key)

    def text(self, key: str) -> str:
        value = self.item.get(key, "")
        if not isinstance(value, str):
            raise self.fail(key, f"must be a string, got {type(value).__name__}")
        return value

    def time(self, key: str) -> str:
        value = self.item.get(key)
        if not isinstance(value, str):
            raise self.fail(key, "missing; expected an ISO 8601 time with an offset or Z")
        try:
            parse_time(value)
        except ValueError:
            raise self.fail(key, f"{value!r} is not an ISO 8601 time with an offset; add Z or +HH:MM") from None
        return value

    def choice(self, key: str, allowed: tuple[str, ...], required: bool = True) -> Any:
        value = self.item.get(key)
        if value is None and not required:
            return None
        if value not in allowed:
            raise self.fail(key, f"{value!r} is not one of {', '.join(allowed)}")
        return value

    def flag(self, key: str, default: bool) -> bool:
        value = self.item.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(key, f"must be true or false, got {value!r}")
        return value

    def strings(self, key: str) -> tuple[str, ...]:
        value = self.item.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(key, "must be a list of strings")
        return tuple(value)

    def objects(self, key: str) -> Iterator[Any]:
        value = self.item.get(key, [])
        if not isinstance(value, list):
            raise self.fail(key, "must be a list of objects")
        return iter(value)
