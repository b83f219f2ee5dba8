"""Times: the one parser for the ISO 8601 times Zendesk sends, the one format escalator writes."""

from __future__ import annotations

from datetime import UTC, datetime

UTC_FORMAT = "%Y-%m-%dT%H:%M:%SZ"  # what Zendesk writes, and POLICY.md's due times


def parse_time(text: str) -> datetime:
    """An ISO 8601 time with a zone (`Z`, `+01:00`; fractions up to nanoseconds are cut to
    microseconds). Raises ValueError for anything else, a time without a zone included: guessing
    UTC would silently move a business-hours decision."""
    parsed = datetime.fromisoformat(text.strip())
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValueError(f"{text!r} has no time zone")
    return parsed


def format_utc(moment: datetime) -> str:
    """`2026-11-27T15:00:00Z`: UTC, whole seconds."""
    return moment.astimezone(UTC).strftime(UTC_FORMAT)


def utc_now() -> datetime:
    return datetime.now(UTC)
