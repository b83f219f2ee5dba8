from datetime import UTC, datetime, timedelta, timezone

import pytest

from app.timestamps import format_utc, parse_time


def test_zendesk_times_parse_with_their_zone_and_nanoseconds_cut():
    assert parse_time("2025-01-08T10:12:07.672717030Z") == datetime(2025, 1, 8, 10, 12, 7, 672717, tzinfo=UTC)
    assert parse_time(" 2026-11-27T10:00:00-05:00 ").utcoffset() == timedelta(hours=-5)


@pytest.mark.parametrize("text", ["2026-11-27T15:00:00", "2026-11-27", "yesterday", ""])
def test_a_time_without_a_zone_or_not_a_time_is_refused(text):
    with pytest.raises(ValueError):
        parse_time(text)


def test_the_one_format_is_utc_to_the_second():
    assert (
        format_utc(datetime(2026, 11, 27, 10, 0, 30, 999, tzinfo=timezone(timedelta(hours=-5))))
        == "2026-11-27T15:00:30Z"
    )
