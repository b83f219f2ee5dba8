"""The internal note: what was found, where, and why, in words an agent reads at a glance."""

from __future__ import annotations

from datetime import date, datetime

from app.policy.config import ITEM_NAMES, Policy
from app.policy.deadlines import business_days_after
from app.policy.intake import DEADLINE, NOTHING, IntakeResult
from app.policy.model import NONE, TIME_SENSITIVE, URGENT, Evidence, Outcome
from app.timestamps import format_utc

LEVEL_WORDS = {URGENT: "urgent", TIME_SENSITIVE: "time-sensitive", NONE: "no urgency"}


def explain(
    level: str,
    category: str,
    category_source: str,
    evidence: list[Evidence],
    after_hours: bool,
    event_time: datetime,
    outcome: Outcome,
    intake: IntakeResult,
    policy: Policy,
) -> str:
    lines = [_urgency_line(level, evidence)]
    lines += _negated_lines(evidence)
    if level == NONE:
        lines += _near_miss_lines(evidence, policy)
    lines.append(_category_line(category, category_source, evidence))
    lines += _time_lines(level, after_hours, event_time, outcome, category, policy)
    lines += _priority_lines(level, outcome)
    if intake is not NOTHING:
        event_day = event_time.astimezone(policy.hours.time_zone).date()
        lines += _deadline_lines(intake, evidence, event_day, policy)
        lines += _report_lines(category, intake, evidence, policy)
    return "\n".join(line for line in lines if line)


def _where(item: Evidence) -> str:
    return f'"{item.text}" in the {item.field} ("{item.context}")'


def _urgency_line(level: str, evidence: list[Evidence]) -> str:
    found = [e for e in evidence if e.kind == "term" and e.label == level]
    if level == NONE:
        return 'Urgency: none (no counted "urgent" or "time sensitive").'
    line = f"Urgency: {LEVEL_WORDS[level]}, found " + "; ".join(_where(e) for e in found) + "."
    lower = [e for e in evidence if e.kind == "term" and e.label != level]
    if lower:  # every matched word is named, also one the higher level outranked
        line += f" Also found {LEVEL_WORDS[lower[0].label]}: " + "; ".join(_where(e) for e in lower) + "."
    return line


def _negated_lines(evidence: list[Evidence]) -> list[str]:
    negated = [e for e in evidence if e.kind == "negated"]
    if not negated:
        return []
    return ["Not counted: " + "; ".join(f'{_where(e)}, negated by "{e.negator}"' for e in negated) + "."]


def _near_miss_lines(evidence: list[Evidence], policy: Policy) -> list[str]:
    near = [e for e in evidence if e.kind == "near_miss"]
    if not near:
        return []
    return [
        "Near miss (not escalated, please check by hand): "
        + "; ".join(_where(e) for e in near)
        + f". Tagged {policy.tags.near_miss}."
    ]


def _category_line(category: str, source: str, evidence: list[Evidence]) -> str:
    words = [e for e in evidence if e.kind == "category"]
    if words:
        return f"Category: {category}, from " + "; ".join(_where(e) for e in words) + "."
    return f"Category: {category} ({source})."


def _time_lines(
    level: str, after_hours: bool, event_time: datetime, outcome: Outcome, category: str, policy: Policy
) -> list[str]:
    hours = policy.hours
    local = event_time.astimezone(hours.time_zone)
    when = "after hours" if after_hours else "inside business hours"
    lines = [f"Time: event at {format_utc(event_time)} ({local:%a %H:%M} {_zone_label(local)}), {when}."]
    if outcome.response_due_at is not None:
        due = outcome.response_due_at
        due_local = due.astimezone(hours.time_zone)
        if level == URGENT:
            rule = f"{policy.targets.urgent_elapsed_minutes} minutes after the event (elapsed time)"
        else:
            rule = f"{policy.targets.time_sensitive_business_hours:g} business hours after the event"
        lines.append(
            f"First response due {format_utc(due)} ({due_local:%a %Y-%m-%d %H:%M} {_zone_label(due_local)}): {rule}."
        )
    if level == URGENT and after_hours:
        if outcome.on_call:
            # "required", not "paged": the service decides the page; paging itself is a separate step.
            lines.append(f"On-call page required: urgent {category} after hours.")
        else:
            lines.append(f"No page: {category} after hours is handled on the next business day.")
    return lines


def _priority_lines(level: str, outcome: Outcome) -> list[str]:
    if outcome.priority:
        return [f"Priority set to {outcome.priority}."]
    if level != NONE and outcome.kept_priority:
        return [f"Priority kept at {outcome.kept_priority}: the service never lowers a priority."]
    return []


def _zone_label(local: datetime) -> str:
    return local.tzname() or str(local.tzinfo)


def item_words(name: str) -> str:
    """ "steps_to_reproduce" -> "steps to reproduce"."""
    return name.replace("_", " ")


def _listed(names: list[str] | tuple[str, ...]) -> str:
    return ", ".join(item_words(n) for n in names)


def _day(day: date) -> str:
    return f"{day:%a %Y-%m-%d}"


def _deadline_lines(intake: IntakeResult, evidence: list[Evidence], event_day: date, policy: Policy) -> list[str]:
    tags, rules = policy.tags, policy.intake.deadline
    found = next((e for e in evidence if e.kind == "deadline"), None)
    if intake.deadline and found:
        shown = business_days_after(event_day, intake.deadline, policy.hours, 100)
        count = f"{shown} business day{'s' if shown != 1 else ''}" if shown < 100 else "over 99 business days"
        line = f"Deadline: {_day(intake.deadline)}, from {_where(found)}; {count} after the event's date ({_day(event_day)})"
        if intake.short_notice:
            line += f", fewer than {rules.short_notice_business_days}: short notice, tagged {tags.short_notice}."
        else:
            line += ": not short notice."
        if DEADLINE in intake.supplied:
            line += f" It answers the missing deadline: {tags.deadline_missing} removed."
        return [line]
    if DEADLINE in intake.withdrawn:
        return [
            "Deadline: no longer asked, the ticket is now urgent (answered within "
            f"{policy.targets.urgent_elapsed_minutes} minutes, whatever its deadline). {tags.deadline_missing} removed."
        ]
    if DEADLINE in intake.newly_missing:
        return [
            "Deadline: none found (the article asks time-sensitive requests to name the deadline they "
            f"work under). Tagged {tags.deadline_missing}."
        ]
    if DEADLINE in intake.missing:
        return ["Deadline: still missing (none named in this message)."]
    return []


def _report_lines(category: str, intake: IntakeResult, evidence: list[Evidence], policy: Policy) -> list[str]:
    tags = policy.tags
    found = {e.label: e for e in evidence if e.kind == "intake"}
    report_missing = [n for n in intake.missing if n != DEADLINE]
    lines: list[str] = []
    required = [n for n in intake.required if n != DEADLINE]
    if required:
        parts = [f"Intake (urgent {category} asks for {_listed(required)}):"]
        seen = [n for n in required if n in found]
        if seen:
            parts.append("found " + "; ".join(f"{item_words(n)}, {_where(found[n])}" for n in seen) + ".")
        newly = [n for n in ITEM_NAMES if n in intake.newly_missing and n != DEADLINE]
        if newly:
            added = [tags.info_missing, *(tags.item(n) for n in newly)]
            parts.append(f"Missing: {_listed(newly)}. Tagged {', '.join(added)}.")
        lines.append(" ".join(parts))
    supplied = [n for n in intake.supplied if n != DEADLINE]
    if supplied:
        line = "Supplied in this message: " + "; ".join(f"{item_words(n)}, {_where(found[n])}" for n in supplied) + "."
        line += f" Removed {', '.join(t for t in intake.removed_tags if t != tags.deadline_missing)}."
        if report_missing:
            line += f" Still missing: {_listed(report_missing)}."
        lines.append(line)
    if intake.info_request_reply and any(n != DEADLINE for n in intake.newly_missing):
        lines.append(f"Public reply asking for the missing items offered (once per ticket, tag {tags.info_requested}).")
    return lines
