"""Decision + the ticket as we last saw it -> the body of one `PUT /api/v2/tickets/{id}`, or None.

Pure code. The body carries only what would change, and only properties Zendesk's OpenAPI file
declares for Update Ticket:
- `priority`, when the decision raises it (never lowered);
- `tags`, the ticket's whole list merged (the current tags, plus the added, minus the removed), when the set changes.
  Update Ticket replaces the list with `tags`; `additional_tags`/`remove_tags` are documented for
  Update Many only, and a single-ticket PUT ignores them. The merge is only as fresh as the
  ticket it starts from, so the body always carries `safe_update` with that ticket's
  `updated_at`: a tag someone added since gets us a 409, and the worker merges again on a fresh
  read (docs/worker.md, "Tags"). Removed: the ticket's other policy category tags when the
  decision records a category (a ticket has one category tag), and the tags the decision says
  it answers (`removed_tags`: intake items a comment supplied, POLICY.md section 6);
- `custom_fields`, the configured ones whose value differs;
- `comment`, one internal note with the engine's explanation.
When nothing would change the answer is None: no call, and no note.

Field values:
- urgency field: `[zendesk] urgency_values[level]` ("urgent" / "time_sensitive" by default),
  never lowered.
- category field: `[zendesk] category_values[category]` (the category name by default).
- after-hours field: a boolean (a checkbox field).
- response-due field: a text field (the default) gets the UTC time to the minute
  (`2026-11-27T17:00:00Z`, POLICY.md section 4); a date field, which holds no time, gets the
  day the response is due in the policy's time zone (`2026-11-27`). An existing due value is
  never moved later.
- deadline field (a date field): the customer's deadline, the day in the policy's time zone
  (`2026-12-04`), whenever the decision has one, also from a comment with no level that
  supplies a missing deadline; a different deadline replaces it.
The other fields are set only for a decision with a level (urgent or time_sensitive); a field
id of 0 is not configured and is skipped. A dropdown's value is also one of the ticket's tags:
when a field we change shows its current value among the tags, the merged list swaps that tag
for the new value, so `tags` and `custom_fields` in one body never contradict each other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import tzinfo
from typing import Any

from app.policy.config import ZendeskFields
from app.policy.model import LEVELS, NONE, Decision, priority_rank
from app.timestamps import format_utc
from app.zendesk.ticket_state import TicketState


def build_ticket_update(
    decision: Decision,
    ticket: TicketState,
    fields: ZendeskFields,
    category_tags: tuple[str, ...] = (),
    *,
    time_zone: tzinfo,
) -> dict[str, Any] | None:
    """The PUT body for `decision` on `ticket`, or None when the ticket already has it all.

    `fields` is the policy's Zendesk config ([zendesk] in config/policy.toml). `category_tags` are
    the tags of every policy category: when the decision adds or keeps one, the ticket's others
    are removed. `time_zone` is the policy's ([hours]): the day a date-type due field gets.
    """
    changes: dict[str, Any] = {}
    if _raises_priority(decision.priority, ticket.priority):
        changes["priority"] = decision.priority
    custom_fields = _field_updates(decision, fields, ticket.custom_fields, time_zone)
    added, removed = list(decision.tags), _stale_category_tags(decision.tags, ticket.tags, category_tags)
    removed += decision.removed_tags
    for swapped_out, swapped_in in _dropdown_tag_swaps(custom_fields, ticket):
        removed.append(swapped_out)
        added.append(swapped_in)
    tags = merged_tags(ticket.tags, added, removed)
    if set(tags) != set(ticket.tags):
        changes["tags"] = tags
    if custom_fields:
        changes["custom_fields"] = custom_fields
    if not changes:
        return None
    changes["comment"] = {"body": decision.explanation, "public": False}
    return _guarded({"ticket": changes}, ticket.updated_at)


def public_reply_update(text: str, replied_tags: list[str], ticket: TicketState) -> dict[str, Any]:
    """The body of the PUT that adds a public reply: one public comment and the tags that record
    it was sent (merged into the ticket's tags), in one safe update (the tags are how a retry
    knows)."""
    changes = {"comment": {"body": text, "public": True}, "tags": merged_tags(ticket.tags, replied_tags, [])}
    return _guarded({"ticket": changes}, ticket.updated_at)


def without_custom_fields(body: dict[str, Any], refused_field_ids: Iterable[int]) -> dict[str, Any] | None:
    """`body` without its custom fields, after Zendesk refused some of them (422); its note says
    which. None when the fields were all it would change: a note alone is not worth a write."""
    changes = dict(body["ticket"])
    written = [field["id"] for field in changes.pop("custom_fields", [])]
    if not ({"priority", "tags"} & changes.keys()):
        return None
    refused = ", ".join(str(i) for i in sorted(set(refused_field_ids)))
    left_out = ", ".join(str(i) for i in written)
    line = (
        f"Zendesk refused custom field {refused}, so this update was written without its custom fields "
        f"({left_out}). An admin should check the [zendesk] field ids and values in the policy file."
    )
    changes["comment"] = {**changes["comment"], "body": changes["comment"]["body"] + "\n\n" + line}
    return {"ticket": changes}


def custom_field_ids(body: dict[str, Any] | None) -> list[int]:
    return [] if body is None else [field["id"] for field in body["ticket"].get("custom_fields", [])]


def merged_tags(current: Iterable[str], added: Iterable[str], removed: Iterable[str]) -> list[str]:
    """The current tags, plus `added`, minus `removed`, in a stable order: the current tags as they were, then the
    added ones. A tag both added and removed is kept."""
    added = list(added)
    dropped = set(removed) - set(added)
    return [tag for tag in dict.fromkeys([*current, *added]) if tag not in dropped]


def _guarded(body: dict[str, Any], updated_stamp: str | None) -> dict[str, Any]:
    """`safe_update` with the stamp the body was planned from: Zendesk refuses it (409) when the
    ticket changed since, so a merged tag list never overwrites a tag added in between. Only a
    dry run, which has no ticket to read, plans without a stamp."""
    if updated_stamp:
        body["ticket"]["safe_update"] = True
        body["ticket"]["updated_stamp"] = updated_stamp
    return body


def _stale_category_tags(
    decision_tags: tuple[str, ...], ticket_tags: tuple[str, ...], category_tags: tuple[str, ...]
) -> list[str]:
    if not any(t in category_tags for t in decision_tags):
        return []  # the decision records no category (e.g. no urgency): leave the tags alone
    return [t for t in ticket_tags if t in category_tags and t not in decision_tags]


def _dropdown_tag_swaps(custom_fields: list[dict[str, Any]], ticket: TicketState) -> list[tuple[str, str]]:
    """(old tag, new tag) for each field we change whose current value is one of the ticket's
    tags, i.e. a dropdown whose option value is that tag."""
    current = ticket.custom_fields or {}
    swaps = []
    for field in custom_fields:
        old, new = current.get(field["id"]), field["value"]
        if isinstance(old, str) and isinstance(new, str) and old in ticket.tags and old != new:
            swaps.append((old, new))
    return swaps


def _raises_priority(new: str | None, current: str | None) -> bool:
    return new is not None and priority_rank(new) > priority_rank(current)


_Changes = Callable[[Any, Any], bool]


def _field_updates(
    decision: Decision, fields: ZendeskFields, current: dict[int, Any] | None, time_zone: tzinfo
) -> list[dict[str, Any]]:
    wanted: list[tuple[int, Any, _Changes]] = []
    if decision.urgency != NONE:
        wanted += [
            (fields.urgency_field_id, _urgency_value(fields, decision.urgency), _raises_level(fields)),
            (fields.category_field_id, fields.category_values.get(decision.category, decision.category), _differs),
            (fields.after_hours_field_id, decision.after_hours, _differs),
        ]
        if decision.response_due_at is not None:
            if fields.response_due_field_type == "date":
                due = decision.response_due_at.astimezone(time_zone).date().isoformat()
            else:
                due = format_utc(decision.response_due_at)
            wanted.append((fields.response_due_field_id, due, _is_earlier))
    deadline = decision.deadline_iso()  # already the day in the policy's time zone
    if deadline:
        wanted.append((fields.deadline_field_id, deadline, _differs))
    return [
        {"id": field_id, "value": value}
        for field_id, value, changes in wanted
        if field_id and _needs_write(field_id, value, changes, current)
    ]


def _needs_write(field_id: int, value: Any, changes: _Changes, current: dict[int, Any] | None) -> bool:
    if current is None:
        return True
    if field_id not in current:
        # The ticket has no such field (a wrong or inactive id): writing it would "change" the
        # ticket, with a note, on every event. (The ids come from the [zendesk] policy section.)
        return False
    if _is_empty(current[field_id]):
        return True
    return changes(value, current[field_id])


def _is_empty(value: Any) -> bool:
    return value is None or value == ""


def _differs(new: Any, old: Any) -> bool:
    return new != old


def _urgency_value(fields: ZendeskFields, level: str) -> str:
    return fields.urgency_values.get(level, level)


def _raises_level(fields: ZendeskFields) -> _Changes:
    """The urgency field is never lowered; an old value that is no level's value is replaced."""
    level_of = {_urgency_value(fields, level): level for level in LEVELS if level != NONE}

    def raises(new: str, old: Any) -> bool:
        return old not in level_of or LEVELS.index(level_of[new]) > LEVELS.index(level_of[old])

    return raises


def _is_earlier(new: str, old: Any) -> bool:
    """A response due time only moves earlier. ISO dates and UTC times sort as text."""
    return not isinstance(old, str) or new < old
