"""`escalator classify`: the policy engine over JSON Lines, one answer line per input line."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, BinaryIO, NoReturn

import click

from app.policy import Policy, PolicyError, decide, load_policy
from app.policy.config import ITEM_NAMES
from app.policy.model import COMMENT, CREATED, LEVELS, PRIORITIES, Decision, TicketText
from app.timestamps import parse_time

EVENTS = (CREATED, COMMENT)

HELP = """Classify tickets read as JSON Lines from INPUT (a file, or standard input when
omitted or "-"). Writes one JSON line per input line, in the same order, so answers pair with
inputs by position.

\b
Input keys (one JSON object per line; unknown keys are ignored):
  event             "created" (subject + body are read) or "comment" (body only)
  received_at       ISO 8601 time with an offset or Z, e.g. "2026-11-27T15:00:00Z"
  body              the description or comment text
  subject           the ticket subject (optional, default ""; ignored for comments)
  body_is_html      true when body is HTML (optional, default false)
  current_priority  low | normal | high | urgent | null (optional)
  known_category    the ticket's category so far, kept when a comment names none (optional)
  known_level       the ticket's level so far (urgent | time_sensitive | none; optional): a
                    comment at that level does not open the intake checks again
  open_items        intake items the ticket's tags record as missing (optional list of
                    deadline | start_time | example_applications | steps_to_reproduce);
                    a comment that supplies one clears its tag (see removed_tags)
  id                any JSON string or number, echoed back (optional)

\b
Output keys:
  id                the input's id, when it had one
  urgency           urgent | time_sensitive | none
  near_miss         true when a misspelt or derived term was seen (level none only)
  category          fraud_attack | incident | account_access | workflow_update | other
  after_hours       true when received_at is outside business hours
  on_call           true when on-call should be paged
  priority          the priority to set: urgent | high | null (null: leave it as it is)
  tags              tags to add
  response_due_at   "YYYY-MM-DDTHH:MM:SSZ" (UTC, whole minutes) or null
  deadline          the customer's deadline, "YYYY-MM-DD" in the policy's time zone, or null
                    (time-sensitive tickets only, or a comment supplying a missing deadline)
  short_notice      true when the deadline is fewer than 3 business days after the event's
                    date (counting the days after it, up to and including the deadline)
  missing_info      intake items still missing, sorted: deadline (time-sensitive),
                    start_time (urgent fraud_attack or incident), example_applications
                    (urgent fraud_attack), steps_to_reproduce (urgent incident)
  removed_tags      tags this event answers, to remove (items supplied by a comment)
  explanation       the internal note text
  evidence          matched words: kind, label, text, field, offset, context (kinds: term,
                    negated, near_miss, category, deadline, intake)
A line that cannot be read gets {"id": ..., "error": "line N: what is wrong"} instead.
Blank lines are errors too, so every input line has exactly one answer line.

\b
Exit codes: 0 every line answered; 1 at least one line had an error;
2 bad usage or a policy file that does not load.

\b
Example:
  echo '{"id": 1, "event": "created", "received_at": "2026-11-27T15:00:00Z",
         "subject": "URGENT: API returning 503", "body": "all calls fail"}' \\
    | escalator classify
  {"id": 1, "urgency": "urgent", "category": "incident", "priority": "urgent", ...}
"""


class InputError(ValueError):
    """One input line is not a valid ticket; the message says what is wrong."""


@click.command("classify", help=HELP)
@click.argument("input_file", metavar="[INPUT]", type=click.File("rb"), default="-")
@click.option(
    "--policy",
    "policy_path",
    envvar="ESCALATOR_POLICY",
    default=None,
    type=click.Path(dir_okay=False),
    help="Policy file  [default: $ESCALATOR_POLICY, else config/policy.toml]",
)
def classify(input_file: BinaryIO, policy_path: str | None) -> None:
    try:
        policy = load_policy(policy_path)
    except PolicyError as error:
        raise click.UsageError(str(error)) from None
    failed = False
    for number, raw in enumerate(input_file, start=1):
        try:
            answer = classify_line(raw.decode("utf-8"), number, policy)
        except UnicodeDecodeError as error:
            answer = {"error": f"line {number}: not UTF-8 text (byte {error.start + 1})"}
        failed = failed or "error" in answer
        click.echo(json.dumps(answer, ensure_ascii=False))
    raise SystemExit(1 if failed else 0)


def classify_line(line: str, number: int, policy: Policy) -> dict[str, Any]:
    item_id = None
    try:
        item = _parse(line)
        item_id = item.get("id")
        ticket = ticket_from_item(item, policy)
        try:
            decision = decide(ticket, policy)
        except OverflowError:
            raise InputError("received_at: too close to the end of the calendar to add a response time") from None
    except InputError as error:
        answer: dict[str, Any] = {"id": item_id} if item_id is not None else {}
        answer["error"] = f"line {number}: {error}"
        return answer
    return _with_id(item_id, decision_as_dict(decision))


def _parse(line: str) -> dict[str, Any]:
    if not line.strip():
        raise InputError("blank line; expected a JSON object")
    try:
        item = json.loads(line, parse_constant=_reject_constant, parse_float=_finite_float)
    except json.JSONDecodeError as error:
        raise InputError(f"not valid JSON: {error.msg} at column {error.colno}") from None
    try:
        line.encode("utf-8")
        json.dumps(item, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise InputError("contains an unpaired surrogate (\\ud800-\\udfff), which is not text") from None
    if not isinstance(item, dict):
        raise InputError(f"expected a JSON object, got {type(item).__name__}")
    item_id = item.get("id")
    if item_id is not None and (isinstance(item_id, bool) or not isinstance(item_id, (str, int, float))):
        raise InputError(f"id: must be a string or a number, got {_json_type(item_id)}")
    return item


def _reject_constant(name: str) -> NoReturn:
    raise InputError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise InputError(f"{text} is too large a number")
    return value


def ticket_from_item(item: dict[str, Any], policy: Policy) -> TicketText:
    event = _choice(item, "event", EVENTS, required=True)
    assert event is not None  # required
    return TicketText(
        event=event,
        subject=_text(item, "subject", required=False),
        body=_text(item, "body", required=True),
        received_at=_time(item, "received_at"),
        body_is_html=_flag(item, "body_is_html"),
        current_priority=_choice(item, "current_priority", PRIORITIES, required=False),
        known_category=_choice(item, "known_category", policy.categories.names, required=False),
        known_level=_choice(item, "known_level", LEVELS, required=False),
        open_items=_items(item, "open_items"),
    )


def _items(item: dict[str, Any], key: str) -> frozenset[str]:
    value = item.get(key)
    if value is None:
        return frozenset()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(f"{key}: must be a list of item names, got {_json_type(value)}")
    unknown = [v for v in value if v not in ITEM_NAMES]
    if unknown:
        raise InputError(f"{key}: {unknown[0]!r} is not one of {', '.join(ITEM_NAMES)}")
    return frozenset(value)


def _text(item: dict[str, Any], key: str, required: bool) -> str:
    if key not in item:
        if required:
            raise InputError(f"{key}: missing")
        return ""
    if not isinstance(item[key], str):
        raise InputError(f"{key}: must be a string, got {_json_type(item[key])}")
    return item[key]


def _choice(item: dict[str, Any], key: str, allowed: tuple[str, ...], required: bool) -> str | None:
    value = item.get(key)
    if value is None:
        if required:
            raise InputError(f"{key}: missing; expected one of {', '.join(allowed)}")
        return None
    if value not in allowed:
        raise InputError(f"{key}: {value!r} is not one of {', '.join(allowed)}")
    return value


def _flag(item: dict[str, Any], key: str) -> bool:
    value = item.get(key, False)
    if not isinstance(value, bool):
        raise InputError(f"{key}: must be true or false, got {_json_type(value)}")
    return value


def _time(item: dict[str, Any], key: str) -> datetime:
    value = item.get(key)
    if not isinstance(value, str):
        raise InputError(
            f"{key}: missing; expected an ISO 8601 time with an offset or Z"
            if value is None
            else f"{key}: must be a string, got {_json_type(value)}"
        )
    try:
        return parse_time(value)
    except ValueError:
        raise InputError(f"{key}: {value!r} is not an ISO 8601 time with an offset; add Z or +HH:MM") from None


def _json_type(value: Any) -> str:
    return {
        bool: "boolean",
        int: "number",
        float: "number",
        str: "string",
        list: "array",
        dict: "object",
        type(None): "null",
    }.get(type(value), type(value).__name__)


def _with_id(item_id: Any, answer: dict[str, Any]) -> dict[str, Any]:
    return {"id": item_id, **answer} if item_id is not None else answer


def decision_as_dict(decision: Decision) -> dict[str, Any]:
    return {
        "urgency": decision.urgency,
        "near_miss": decision.near_miss,
        "category": decision.category,
        "after_hours": decision.after_hours,
        "on_call": decision.on_call,
        "priority": decision.priority,
        "tags": list(decision.tags),
        "response_due_at": decision.response_due_iso(),
        "deadline": decision.deadline_iso(),
        "short_notice": decision.short_notice,
        "missing_info": list(decision.missing_info),
        "removed_tags": list(decision.removed_tags),
        "explanation": decision.explanation,
        "evidence": [e.as_dict() for e in decision.evidence],
    }
