"""The outcome table (POLICY.md section 4): priority, tags, first response due, page on-call."""

from __future__ import annotations

from datetime import datetime

from app.policy.calendar import add_business_hours, add_elapsed_minutes, round_up_to_minute
from app.policy.config import Policy
from app.policy.model import NONE, TIME_SENSITIVE, URGENT, Outcome, priority_rank
from app.policy.wording import fill

PRIORITY_FOR_LEVEL = {URGENT: "urgent", TIME_SENSITIVE: "high", NONE: None}


def outcome_for(
    level: str,
    category: str,
    near_miss: bool,
    after_hours: bool,
    event_time: datetime,
    current_priority: str | None,
    policy: Policy,
) -> Outcome:
    tags = policy.tags
    if level == NONE:
        return Outcome(priority=None, tags=(tags.near_miss,) if near_miss else (), response_due_at=None, on_call=False)
    if level == URGENT:
        added = [tags.urgent, tags.category(category)]
        due = add_elapsed_minutes(event_time, policy.targets.urgent_elapsed_minutes)
    else:
        added = [tags.time_sensitive, tags.category(category)]
        due = add_business_hours(event_time, policy.targets.time_sensitive_business_hours, policy.hours)
    on_call = False
    public_reply = None
    if after_hours:
        added.append(tags.after_hours)
        if level == URGENT and category in policy.after_hours.page_categories:
            on_call = True
            added.append(tags.on_call_paged)
        elif level == URGENT:
            added.append(tags.next_business_day)
            reply = policy.after_hours.public_reply
            public_reply = fill(reply.text, policy.hours) if reply.enabled else None
    wanted = PRIORITY_FOR_LEVEL[level]
    raises = priority_rank(wanted) > priority_rank(current_priority)
    return Outcome(
        priority=wanted if raises else None,
        tags=tuple(added),
        response_due_at=round_up_to_minute(due),
        on_call=on_call,
        kept_priority=None if raises else current_priority,
        public_reply=public_reply,
    )
