"""Business hours in the support team's wall clock, and the first-response targets.

Open and close are wall-clock times in the configured zone, so the UTC hours move with daylight
saving. Durations are measured in UTC (elapsed time): Python subtracts two datetimes in the same
zone by wall clock, which would be an hour off across a DST change.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from app.policy.config import Hours

MAX_DAYS_SEARCHED = 3660  # ten years without an open day means the calendar is misconfigured


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"time must be timezone-aware, got naive {moment.isoformat()}")


def is_open_day(day: date, hours: Hours) -> bool:
    return day.weekday() in hours.days and day not in hours.holidays


def is_business_time(moment: datetime, hours: Hours) -> bool:
    """True inside business hours: an open day, open (inclusive) to close (exclusive)."""
    _require_aware(moment)
    local = moment.astimezone(hours.time_zone)
    return is_open_day(local.date(), hours) and hours.open <= local.time() < hours.close


def is_after_hours(moment: datetime, hours: Hours) -> bool:
    return not is_business_time(moment, hours)


def _opening(day: date, hours: Hours) -> datetime:
    return datetime.combine(day, hours.open, tzinfo=hours.time_zone).astimezone(UTC)


def _closing(day: date, hours: Hours) -> datetime:
    return datetime.combine(day, hours.close, tzinfo=hours.time_zone).astimezone(UTC)


def add_business_hours(start: datetime, business_hours: float, hours: Hours) -> datetime:
    """The moment (UTC) when `business_hours` of open time have passed after `start`.

    A count that ends exactly at closing ends there (Mon 16:00 + 4 h = Mon 20:00), it does not
    roll over to the next opening.
    """
    _require_aware(start)
    remaining = timedelta(hours=business_hours)
    current = start.astimezone(UTC)
    day = current.astimezone(hours.time_zone).date()
    for _ in range(MAX_DAYS_SEARCHED):
        if is_open_day(day, hours):
            opening, closing = _opening(day, hours), _closing(day, hours)
            current = max(current, opening)
            if current < closing:
                available = closing - current
                if remaining <= available:
                    return current + remaining
                remaining -= available
        day += timedelta(days=1)
    raise ValueError(f"no business hours within {MAX_DAYS_SEARCHED} days; check [hours] days and holidays")


def add_elapsed_minutes(start: datetime, minutes: int) -> datetime:
    _require_aware(start)
    return start.astimezone(UTC) + timedelta(minutes=minutes)


def round_up_to_minute(moment: datetime) -> datetime:
    """Due times are whole minutes; rounding up keeps them never earlier than the target."""
    whole = moment.replace(second=0, microsecond=0)
    return whole if whole == moment else whole + timedelta(minutes=1)
