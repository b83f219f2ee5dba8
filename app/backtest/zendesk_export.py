"""Read an account's history for the backtest, page by page, resumable (docs/backtest.md).

Phases, each saving its place in the state after every page:

1. `tickets`: `GET /api/v2/incremental/tickets/cursor` from `since` to the end of the stream
   (`start_time`, then `cursor=<after_cursor>`): the tickets created in the window, as they are now
   (subject, description, status). Deleted tickets are left out.
2. `events`: `GET /api/v2/incremental/ticket_events?include=comment_events` from `since`,
   time-based (`start_time=<end_time of the last page>`) until an event at or after `until`, or the
   end of the stream: each update of those tickets with its comments and field changes. Events
   of the second a page ends in come again on the next page; they are dropped by id.
3. `comments`: `GET /api/v2/tickets/{id}/comments?include=users` for the tickets whose export
   lacks a comment's text (or has no comment at all), all pages, in order.
4. `users`: `GET /api/v2/users/show_many?ids=...&include_deleted=true` for the roles of comment
   authors and of the users who changed a priority or tags (end user or staff).
Then `app.backtest.assemble` turns the spools into `tickets.jsonl`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, Protocol

from app import defaults
from app.policy.model import PRIORITIES
from app.timestamps import format_utc, parse_time
from app.zendesk.client import COMMENTS_PER_PAGE

from .run_dir import EXPORTED_EVENTS, EXPORTED_TICKETS, FETCHED_COMMENTS, USERS, RunDir

TICKETS_EXPORT = "/api/v2/incremental/tickets/cursor"
EVENTS_EXPORT = "/api/v2/incremental/ticket_events"
USERS_SHOW_MANY = "/api/v2/users/show_many"
ME = "/api/v2/users/me"

TICKETS, EVENTS, COMMENTS, USER_ROLES, EXPORTED = "tickets", "events", "comments", "users", "exported"
PHASES = (TICKETS, EVENTS, COMMENTS, USER_ROLES, EXPORTED)

# Keys of a ticket_events child that are about the event, not a changed field (export-style
# children name the field as a key: {"priority": "urgent", "previous_value": "normal"}).
_META = frozenset(
    {
        "id",
        "via",
        "via_reference_id",
        "event_type",
        "type",
        "previous_value",
        "added_tags",
        "removed_tags",
        "audit_id",
        "created_at",
        "attachments",
        "field_name",
        "value",
    }
)
WANTED_FIELDS = ("priority", "tags", "subject")


class ExportError(Exception):
    """Zendesk answered something the export cannot continue from; the message says what."""


class Paced(Protocol):
    def get(self, path: str, params: dict[str, Any] | None = None, *, export: bool = False) -> dict[str, Any]: ...


class Progress(Protocol):
    def update(self, n: float) -> Any: ...
    def set_postfix_str(self, s: str, refresh: bool = True) -> Any: ...
    def close(self) -> Any: ...


ProgressFactory = Callable[[str, float | None], Progress]  # (what, total or None when unknown)


class AccountExport:
    """The four phases over one run folder. `state` is the run's state dict, saved as it moves."""

    def __init__(
        self,
        reader: Paced,
        run: RunDir,
        state: dict[str, Any],
        *,
        since: int,
        until: int,
        progress: ProgressFactory,
    ):
        self.reader = reader
        self.run = run
        self.state = state
        self.since = since
        self.until = until
        self.progress = progress
        self.export: dict[str, Any] = state.setdefault(
            "export",
            {"phase": TICKETS, "tickets_cursor": None, "events_start": since, "boundary_ids": [], "comments_done": []},
        )

    def fetch(self) -> None:
        if "integration_user_id" not in self.export:
            self.export["integration_user_id"] = int(self.reader.get(ME)["user"]["id"])
            self._save()
        steps = {TICKETS: self._tickets, EVENTS: self._events, COMMENTS: self._comments, USER_ROLES: self._users}
        while self.export["phase"] in steps:
            steps[self.export["phase"]]()

    def _save(self) -> None:
        self.run.save_state(self.state)

    def _next_phase(self) -> None:
        self.export["phase"] = PHASES[PHASES.index(self.export["phase"]) + 1]
        self._save()

    # --- 1. tickets ----------------------------------------------------------------------------
    def _tickets(self) -> None:
        bar = self.progress("tickets (pages)", None)
        try:
            while True:
                cursor = self.export["tickets_cursor"]
                params = {"cursor": cursor} if cursor else {"start_time": self.since}
                page = self.reader.get(TICKETS_EXPORT, params, export=True)
                tickets = _list(page, "tickets")
                self.run.append(EXPORTED_TICKETS, [_ticket(t) for t in tickets if self._in_window(t)])
                self.export["tickets_cursor"] = page.get("after_cursor") or cursor
                self._save()
                bar.update(1)
                if page.get("end_of_stream") is True or not page.get("after_cursor"):
                    break
        finally:
            bar.close()
        self._next_phase()

    def _in_window(self, ticket: dict[str, Any]) -> bool:
        created = ticket.get("created_at")
        if not isinstance(created, str) or ticket.get("status") == "deleted":
            return False
        return self.since <= parse_time(created).timestamp() < self.until

    # --- 2. ticket events -----------------------------------------------------------------------
    def _events(self) -> None:
        window = {t["id"] for t in self.run.records(EXPORTED_TICKETS)}
        start = int(self.export["events_start"])
        bar = self.progress("ticket events", float(max(1, self.until - self.since)))
        bar.update(max(0, start - self.since))
        try:
            while True:
                done, start = self._events_page(start, window, bar)
                if done:
                    break
        finally:
            bar.close()
        self._next_phase()

    def _events_page(self, start: int, window: set[int], bar: Progress) -> tuple[bool, int]:
        page = self.reader.get(EVENTS_EXPORT, {"start_time": start, "include": "comment_events"}, export=True)
        events = sorted(_list(page, "ticket_events"), key=lambda e: (_timestamp(e), str(e.get("id"))))
        seen = set(self.export["boundary_ids"])
        fresh = [e for e in events if e.get("id") not in seen]
        reached_until = any(_timestamp(e) >= self.until for e in fresh)
        kept = [_event(e) for e in fresh if _timestamp(e) < self.until and e.get("ticket_id") in window]
        self.run.append(EXPORTED_EVENTS, kept)
        end_time = page.get("end_time")
        if not isinstance(end_time, int):
            raise ExportError(f"{EVENTS_EXPORT}: the answer has no end_time; cannot page on")
        if page.get("end_of_stream") is True or reached_until:
            self.export["events_start"] = end_time
            return True, end_time
        if end_time <= start and not fresh:
            raise ExportError(
                f"{EVENTS_EXPORT}: the page starting at {start} brought nothing new and ends where it began; "
                "more events share one second than a page holds"
            )
        at_end = {e.get("id") for e in events if _timestamp(e) == end_time}
        self.export["boundary_ids"] = sorted((at_end | seen) if end_time == start else at_end, key=str)
        self.export["events_start"] = end_time
        self._save()
        bar.update(max(0, min(end_time, self.until) - start))
        bar.set_postfix_str(f"{len(kept)} kept of {len(events)}", refresh=False)
        return False, end_time

    # --- 3. comments that the export lacks ------------------------------------------------------
    def _comments(self) -> None:
        needed = tickets_needing_comments(self.run)
        done = set(self.export["comments_done"])
        todo = [t for t in needed if t not in done]
        bar = self.progress("comments", float(len(needed)))
        bar.update(len(needed) - len(todo))
        try:
            for ticket_id in todo:
                comments, users = self._ticket_comments(ticket_id)
                self.run.append(FETCHED_COMMENTS, [{"ticket_id": ticket_id, "comments": comments}])
                self.run.append(USERS, users)
                self.export["comments_done"].append(ticket_id)
                self._save()
                bar.update(1)
        finally:
            bar.close()
        self._next_phase()

    def _ticket_comments(self, ticket_id: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        comments: list[dict[str, Any]] = []
        users: list[dict[str, Any]] = []
        params: dict[str, Any] = {"include": "users", "page[size]": COMMENTS_PER_PAGE}
        while True:
            page = self.reader.get(f"/api/v2/tickets/{ticket_id}/comments", params)
            comments += [_comment(c, c.get("created_at")) for c in _list(page, "comments")]
            users += [_user(u) for u in _list(page, "users")]
            meta = page.get("meta") or {}
            if not (meta.get("has_more") and meta.get("after_cursor")):
                return comments, users
            params = {**params, "page[after]": meta["after_cursor"]}

    # --- 4. user roles --------------------------------------------------------------------------
    def _users(self) -> None:
        known = {u["id"] for u in self.run.records(USERS)}
        wanted = sorted(users_to_look_up(self.run) - known - {self.export["integration_user_id"]})
        size = defaults.SHOW_MANY_USERS_MAX_IDS
        bar = self.progress("user roles", float(len(wanted)))
        try:
            for first in range(0, len(wanted), size):
                ids = wanted[first : first + size]
                page = self.reader.get(
                    USERS_SHOW_MANY, {"ids": ",".join(str(i) for i in ids), "include_deleted": "true"}
                )
                found = {u["id"]: u for u in (_user(raw) for raw in _list(page, "users"))}
                # Ids Zendesk does not return are recorded as unknown (read as staff), not asked again.
                self.run.append(USERS, [found.get(i, {"id": i, "role": None}) for i in ids])
                bar.update(len(ids))
        finally:
            bar.close()
        self._next_phase()


def tickets_needing_comments(run: RunDir) -> list[int]:
    """Tickets whose exported events lack a comment's text, or show no comment at all."""
    with_comments: set[int] = set()
    lacking: set[int] = set()
    for event in run.records(EXPORTED_EVENTS):
        for comment in event["comments"]:
            with_comments.add(event["ticket_id"])
            if not comment["has_text"]:
                lacking.add(event["ticket_id"])
    window = {t["id"] for t in run.records(EXPORTED_TICKETS)}
    return sorted(lacking | (window - with_comments))


def users_to_look_up(run: RunDir) -> set[int]:
    ids: set[int] = set()
    for event in run.records(EXPORTED_EVENTS):
        ids.update(c["author_id"] for c in event["comments"] if c["author_id"])
        if event["changes"] and event["updater_id"] and event["updater_id"] > 0:
            ids.add(event["updater_id"])
    for fetched in run.records(FETCHED_COMMENTS):
        ids.update(c["author_id"] for c in fetched["comments"] if c["author_id"])
    return ids


# --- reading Zendesk's answers ----------------------------------------------------------------


def _list(page: dict[str, Any], key: str) -> list[dict[str, Any]]:
    items = page.get(key)
    if items is None:
        return []
    if not isinstance(items, list):
        raise ExportError(f"the answer's {key!r} is not a list")
    return [i for i in items if isinstance(i, dict)]


def _timestamp(event: dict[str, Any]) -> int:
    value = event.get("timestamp")
    if isinstance(value, int):
        return value
    created = event.get("created_at")
    if isinstance(created, str):
        return int(parse_time(created).timestamp())
    raise ExportError(f"ticket event {event.get('id')!r} has neither timestamp nor created_at")


def _ticket(ticket: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": ticket["id"],
        "subject": ticket.get("subject") or "",
        "description": ticket.get("description") or "",
        "created_at": ticket["created_at"],
        "priority": _priority(ticket.get("priority")),
        "tags": [t for t in ticket.get("tags") or [] if isinstance(t, str)],
    }


def _event(event: dict[str, Any]) -> dict[str, Any]:
    """One ticket update, reduced to what the replay reads."""
    at = format_utc(datetime.fromtimestamp(_timestamp(event), UTC))
    created: dict[str, Any] | None = None
    changes: list[dict[str, Any]] = []
    comments: list[dict[str, Any]] = []
    for child in _list(event, "child_events"):
        kind = child.get("event_type")
        if kind == "Comment":
            comments.append(_comment(child, child.get("created_at") or at))
        elif kind == "Create":
            created = created or {}
            created.update({name: value for name, _, value in field_changes(child) if name in WANTED_FIELDS})
        elif kind == "Change":
            changes += [
                _change(name, previous, value, child)
                for name, previous, value in field_changes(child)
                if name in WANTED_FIELDS
            ]
    return {
        "id": event.get("id"),
        "ticket_id": event.get("ticket_id"),
        "at": at,
        "updater_id": event.get("updater_id") if isinstance(event.get("updater_id"), int) else None,
        "via": _via(event.get("via")),
        "create": created,
        "changes": changes,
        "comments": comments,
    }


def field_changes(child: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """(field, previous, new) of a Create or Change child, in either known shape: the audit
    style (`field_name`, `previous_value`, `value`) or the export style, where the changed field
    is the key (`{"priority": "urgent", "previous_value": "normal"}`). Zendesk's OpenAPI file
    shows neither for this endpoint (docs/backtest.md, "Open questions")."""
    if "field_name" in child:
        return [(str(child["field_name"]), child.get("previous_value"), child.get("value"))]
    return [(key, child.get("previous_value"), value) for key, value in child.items() if key not in _META]


def _change(name: str, previous: Any, value: Any, child: dict[str, Any]) -> dict[str, Any]:
    change: dict[str, Any] = {"field": name, "via": _via(child.get("via"))}
    if name == "tags":
        added, removed = child.get("added_tags"), child.get("removed_tags")
        if not isinstance(added, list) or not isinstance(removed, list):
            new, old = _tag_list(value), _tag_list(previous)
            added, removed = [t for t in new if t not in old], [t for t in old if t not in new]
        change.update(added=[str(t) for t in added], removed=[str(t) for t in removed])
    elif name == "priority":
        change.update(previous=_priority(previous), value=_priority(value))
    else:
        change.update(previous=previous, value=value)
    return change


def _tag_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return value.split()  # the audit log writes tags as one space-separated string
    return [str(t) for t in value] if isinstance(value, list) else []


def _priority(value: Any) -> str | None:
    text = str(value).strip().lower() if value else ""
    return text if text in PRIORITIES else None


def _comment(comment: dict[str, Any], created_at: str | None) -> dict[str, Any]:
    return {
        "id": comment.get("id"),
        "author_id": comment.get("author_id") if isinstance(comment.get("author_id"), int) else None,
        "public": comment.get("public") is not False,
        "body": comment.get("body") or "",
        "html_body": comment.get("html_body") or "",
        "created_at": created_at,
        # The export without the sideload (or for some comment kinds) names a comment without its text.
        "has_text": "body" in comment or "html_body" in comment,
    }


def _user(user: dict[str, Any]) -> dict[str, Any]:
    return {"id": user.get("id"), "role": user.get("role") if isinstance(user.get("role"), str) else None}


def _via(via: Any) -> str | None:
    """The export's `via` is a label ("Web form", "Rule"); a comment's is an object."""
    if isinstance(via, dict):
        channel = via.get("channel")
        return str(channel) if channel else None
    return str(via) if via else None


def unique_by_id(records: Iterable[dict[str, Any]]) -> dict[Any, dict[str, Any]]:
    """Records by id, the last one winning (an export page read twice after an interruption)."""
    return {r["id"]: r for r in records}
