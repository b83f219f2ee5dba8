"""POLICY.md section 4: the outcome table and the never-lower rule."""

from __future__ import annotations

from datetime import datetime

import pytest

from app.policy.model import NONE, TIME_SENSITIVE, URGENT
from app.policy.outcome import outcome_for

BUSINESS = datetime.fromisoformat("2026-11-30T16:00:00+00:00")  # Mon 11:00 ET
NIGHT = datetime.fromisoformat("2026-11-28T07:30:00+00:00")  # Sat 02:30 ET


def outcome(policy, level, category="incident", after_hours=False, when=BUSINESS, current=None, near=False):
    return outcome_for(level, category, near, after_hours, when, current, policy)


def test_urgent_in_business_hours(policy):
    result = outcome(policy, URGENT)
    assert result.priority == "urgent"
    assert result.tags == ("urgency_urgent", "category_incident")
    assert result.response_due_at == datetime.fromisoformat("2026-11-30T18:00:00+00:00")
    assert not result.on_call


@pytest.mark.parametrize("category", ["incident", "fraud_attack", "other"])
def test_urgent_after_hours_pages_for_incident_fraud_and_other(category, policy):
    result = outcome(policy, URGENT, category, after_hours=True, when=NIGHT)
    assert result.on_call
    assert result.tags == ("urgency_urgent", f"category_{category}", "after_hours", "on_call_paged")
    assert result.response_due_at == datetime.fromisoformat("2026-11-28T09:30:00+00:00")
    assert result.public_reply is None


@pytest.mark.parametrize("category", ["account_access", "workflow_update"])
def test_urgent_after_hours_out_of_scope_waits_for_next_business_day(category, policy):
    result = outcome(policy, URGENT, category, after_hours=True, when=NIGHT)
    assert not result.on_call
    assert result.priority == "urgent"
    assert result.tags == ("urgency_urgent", f"category_{category}", "after_hours", "next_business_day")
    assert result.public_reply is None  # off by default


def test_public_reply_for_out_of_scope_after_hours_when_enabled(policy_with, raw_policy):
    reply = dict(raw_policy["after_hours"]["public_reply"], enabled=True)
    custom = policy_with(after_hours={"public_reply": reply})
    result = outcome(custom, URGENT, "account_access", after_hours=True, when=NIGHT)
    assert result.public_reply and "next business day" in result.public_reply
    assert outcome(custom, URGENT, "incident", after_hours=True, when=NIGHT).public_reply is None


def test_time_sensitive_any_time(policy):
    day = outcome(policy, TIME_SENSITIVE, "workflow_update")
    assert day.priority == "high" and not day.on_call
    assert day.tags == ("urgency_time_sensitive", "category_workflow_update")
    night = outcome(policy, TIME_SENSITIVE, "incident", after_hours=True, when=NIGHT)
    assert night.tags == ("urgency_time_sensitive", "category_incident", "after_hours")
    assert not night.on_call
    assert night.response_due_at == datetime.fromisoformat("2026-11-30T17:00:00+00:00")


def test_none_changes_nothing_except_a_near_miss_tag(policy):
    assert outcome(policy, NONE).tags == ()
    near = outcome(policy, NONE, near=True)
    assert near.tags == ("urgency_near_miss",)
    assert near.priority is None and near.response_due_at is None and not near.on_call


@pytest.mark.parametrize(
    "level, current, expected",
    [
        (URGENT, None, "urgent"),
        (URGENT, "low", "urgent"),
        (URGENT, "high", "urgent"),
        (URGENT, "urgent", None),
        (TIME_SENSITIVE, None, "high"),
        (TIME_SENSITIVE, "normal", "high"),
        (TIME_SENSITIVE, "high", None),
        (TIME_SENSITIVE, "urgent", None),
        (NONE, "high", None),
        (NONE, None, None),
    ],
)
def test_priority_is_never_lowered(level, current, expected, policy):
    assert outcome(policy, level, current=current).priority == expected


def test_kept_priority_is_reported_for_the_note(policy):
    result = outcome(policy, TIME_SENSITIVE, current="urgent")
    assert result.kept_priority == "urgent"
    assert result.tags  # tags are still added
