"""POLICY.md section 3 and the due-time rules of section 4."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.policy.calendar import (
    add_business_hours,
    add_elapsed_minutes,
    is_after_hours,
    is_business_time,
    round_up_to_minute,
)

ET = ZoneInfo("America/New_York")


def et(*args):
    return datetime(*args, tzinfo=ET)


def utc(text):
    return datetime.fromisoformat(text)


@pytest.mark.parametrize(
    "moment, open_",
    [
        (et(2026, 11, 30, 8, 0), True),  # Monday opening, inclusive
        (et(2026, 11, 30, 7, 59, 59), False),
        (et(2026, 11, 30, 19, 59, 59), True),
        (et(2026, 11, 30, 20, 0), False),  # closing, exclusive
        (et(2026, 11, 27, 12, 0), True),  # Friday
        (et(2026, 11, 28, 12, 0), False),  # Saturday
        (et(2026, 11, 29, 12, 0), False),  # Sunday
    ],
)
def test_business_hours_monday_to_friday_8_to_20_eastern(moment, open_, policy):
    assert is_business_time(moment, policy.hours) is open_
    assert is_after_hours(moment, policy.hours) is not open_


def test_business_hours_follow_daylight_saving(policy):
    # 12:30 UTC is 07:30 EST (closed) the week before the March change, 08:30 EDT (open) after it
    assert is_after_hours(utc("2026-03-02T12:30:00+00:00"), policy.hours)
    assert not is_after_hours(utc("2026-03-09T12:30:00+00:00"), policy.hours)
    # 00:30 UTC Tuesday is 19:30 EST Monday (open) in winter, 20:30 EDT (closed) in summer
    assert not is_after_hours(utc("2026-11-03T00:30:00+00:00"), policy.hours)
    assert is_after_hours(utc("2026-10-27T00:30:00+00:00"), policy.hours)


def test_configured_holiday_is_closed_all_day(policy_with):
    hours = policy_with(hours={"holidays": ["2026-12-25"]}).hours
    assert is_after_hours(et(2026, 12, 25, 10, 0), hours)
    assert not is_after_hours(et(2026, 12, 24, 10, 0), hours)


def test_naive_time_is_refused(policy):
    with pytest.raises(ValueError, match="timezone-aware"):
        is_business_time(datetime(2026, 11, 30, 12, 0), policy.hours)


@pytest.mark.parametrize(
    "start, expected",
    [
        (et(2026, 11, 30, 18, 0), et(2026, 12, 1, 10, 0)),  # Mon 18:00 -> Tue 10:00 (POLICY.md)
        (et(2026, 11, 28, 3, 0), et(2026, 11, 30, 12, 0)),  # Sat 03:00 -> Mon 12:00 (POLICY.md)
        (et(2026, 11, 30, 16, 0), et(2026, 11, 30, 20, 0)),  # Mon 16:00 -> Mon 20:00 exactly (POLICY.md)
        (et(2026, 11, 27, 18, 0), et(2026, 11, 30, 10, 0)),  # Friday evening -> Monday
        (et(2026, 11, 27, 21, 0), et(2026, 11, 30, 12, 0)),  # Friday night -> Monday
        (et(2026, 11, 30, 7, 0), et(2026, 11, 30, 12, 0)),  # before opening
        (et(2026, 11, 30, 20, 0), et(2026, 12, 1, 12, 0)),  # at closing
        (et(2026, 3, 6, 18, 0), et(2026, 3, 9, 10, 0)),  # across the March DST change
        (et(2026, 10, 30, 19, 0), et(2026, 11, 2, 11, 0)),  # across the November DST change
    ],
)
def test_four_business_hours(start, expected, policy):
    assert add_business_hours(start, 4, policy.hours) == expected.astimezone(UTC)


def test_business_hours_skip_holidays(policy_with):
    hours = policy_with(hours={"holidays": ["2026-11-26"]}).hours
    assert add_business_hours(et(2026, 11, 25, 18, 0), 4, hours) == et(2026, 11, 27, 10, 0)


def test_open_days_come_from_config(policy_with):
    hours = policy_with(hours={"days": ["sat"], "holidays": []}).hours
    assert add_business_hours(et(2026, 11, 30, 10, 0), 4, hours) == et(2026, 12, 5, 12, 0)


def test_urgent_target_is_elapsed_time_across_dst(policy):
    start = utc("2026-03-08T06:30:00+00:00")  # 01:30 EST; clocks jump at 02:00
    due = add_elapsed_minutes(start, 120)
    assert due == utc("2026-03-08T08:30:00+00:00")
    assert due.astimezone(ET).hour == 4  # three wall-clock hours, two real ones


@pytest.mark.parametrize(
    "moment, expected",
    [
        ("2026-11-30T15:00:00+00:00", "2026-11-30T15:00:00+00:00"),
        ("2026-11-30T15:00:00.000001+00:00", "2026-11-30T15:01:00+00:00"),
        ("2026-11-30T15:00:59+00:00", "2026-11-30T15:01:00+00:00"),
        ("2026-11-30T23:59:30+00:00", "2026-12-01T00:00:00+00:00"),
    ],
)
def test_due_times_round_up_to_the_minute(moment, expected):
    assert round_up_to_minute(utc(moment)) == utc(expected)


moments = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC))


@settings(max_examples=300, deadline=None)
@given(start=moments, hours=st.sampled_from([0.5, 1, 4, 12, 30]))
def test_business_hours_end_inside_or_exactly_at_close_and_never_before_start(start, hours, policy):
    due = add_business_hours(start, hours, policy.hours)
    assert due > start
    just_before = due - timedelta(microseconds=1)
    assert is_business_time(just_before, policy.hours)  # the last instant counted was open
