"""day_range: which days a report covers and where, in UTC, each of them starts and ends."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from linkapp.core.errors import ValidationFailed
from linkapp.services.analytics.figures import MAX_DAYS, day_range

# 23:30 UTC on 10 March 2026: already the 11th in Paris, still the 10th in New York.
LATE_EVENING_UTC = datetime(2026, 3, 10, 23, 30, tzinfo=UTC)


def _utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def _error_locs(exc: pytest.ExceptionInfo) -> list[list[str]]:
    return [error["loc"] for error in exc.value.errors]


@pytest.mark.parametrize(
    ("tz", "today"),
    [("UTC", date(2026, 3, 10)), ("Europe/Paris", date(2026, 3, 11)), ("America/New_York", date(2026, 3, 10)), ("Asia/Kathmandu", date(2026, 3, 11))],
)
def test_day_range_defaults_to_30_days_ending_today_in_zone(tz, today):
    days = day_range(tz=tz, now=LATE_EVENING_UTC)

    assert days.end == today
    assert len(days.days()) == 30
    assert days.days()[0] == days.start == today - timedelta(days=29)


def test_day_range_without_tz_uses_utc():
    days = day_range(now=LATE_EVENING_UTC)

    assert days.tz.key == "UTC"
    assert days.end == date(2026, 3, 10)


def test_day_range_given_only_end_covers_30_days_up_to_it():
    days = day_range(end=date(2026, 1, 31), now=LATE_EVENING_UTC)

    assert (days.start, days.end) == (date(2026, 1, 2), date(2026, 1, 31))


def test_day_range_given_only_start_runs_until_today():
    days = day_range(start=date(2025, 12, 1), tz="Europe/Paris", now=LATE_EVENING_UTC)

    assert (days.start, days.end) == (date(2025, 12, 1), date(2026, 3, 11))


def test_day_range_given_only_start_in_future_is_refused():
    with pytest.raises(ValidationFailed):
        day_range(start=date(2026, 4, 1), now=LATE_EVENING_UTC)


def test_days_lists_every_day_inclusive_in_order():
    days = day_range(date(2026, 2, 27), date(2026, 3, 2))

    assert days.days() == [date(2026, 2, 27), date(2026, 2, 28), date(2026, 3, 1), date(2026, 3, 2)]


def test_day_range_accepts_single_day():
    days = day_range(date(2026, 1, 24), date(2026, 1, 24))

    assert days.days() == [date(2026, 1, 24)]


@pytest.mark.parametrize(
    ("tz", "utc_start", "utc_end"),
    [
        ("UTC", _utc(2026, 1, 24), _utc(2026, 1, 25)),
        ("Europe/Paris", _utc(2026, 1, 23, 23), _utc(2026, 1, 24, 23)),
        ("America/New_York", _utc(2026, 1, 24, 5), _utc(2026, 1, 25, 5)),
        ("Asia/Kathmandu", _utc(2026, 1, 23, 18, 15), _utc(2026, 1, 24, 18, 15)),
        ("Pacific/Chatham", _utc(2026, 1, 23, 10, 15), _utc(2026, 1, 24, 10, 15)),
    ],
)
def test_day_range_bounds_are_local_midnights(tz, utc_start, utc_end):
    days = day_range(date(2026, 1, 24), date(2026, 1, 24), tz)

    assert (days.utc_start, days.utc_end) == (utc_start, utc_end)


@pytest.mark.parametrize(
    ("tz", "day", "hours"),
    [
        ("Europe/Paris", date(2026, 3, 29), 23),  # clocks go forward at 02:00
        ("Europe/Paris", date(2026, 10, 25), 25),  # clocks go back at 03:00
        ("America/New_York", date(2026, 3, 8), 23),
        ("America/New_York", date(2026, 11, 1), 25),
        ("America/Santiago", date(2026, 9, 6), 23),  # midnight itself is skipped: the day starts at 01:00
    ],
)
def test_day_range_on_dst_change_day_spans_real_length(tz, day, hours):
    days = day_range(day, day, tz)

    assert days.utc_end - days.utc_start == timedelta(hours=hours)


def test_day_range_on_skipped_midnight_starts_at_first_real_instant():
    days = day_range(date(2026, 9, 6), date(2026, 9, 6), "America/Santiago")

    assert days.utc_start == _utc(2026, 9, 6, 4)
    assert days.utc_start.astimezone(days.tz).date() == date(2026, 9, 6)
    assert days.utc_end == _utc(2026, 9, 7, 3)


@pytest.mark.parametrize("tz", ["Mars/Olympus_Mons", "europe/paris", "+05:00", "../../etc/passwd", "Europe/", "zone.tab"])
def test_day_range_refuses_unknown_zone(tz):
    with pytest.raises(ValidationFailed) as exc:
        day_range(tz=tz)

    assert _error_locs(exc) == [["query", "tz"]]


def test_day_range_refuses_start_after_end():
    with pytest.raises(ValidationFailed) as exc:
        day_range(date(2026, 1, 25), date(2026, 1, 24))

    assert _error_locs(exc) == [["query", "start"]]


def test_day_range_accepts_longest_range_and_refuses_one_day_more():
    end = date(2026, 1, 24)
    longest = day_range(end - timedelta(days=MAX_DAYS - 1), end)
    assert len(longest.days()) == MAX_DAYS

    with pytest.raises(ValidationFailed) as exc:
        day_range(end - timedelta(days=MAX_DAYS), end)
    assert "range" in exc.value.detail


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        (date(1, 1, 1), date(1, 1, 3), "start"),
        (date(9999, 12, 20), None, "start"),
        (None, date(9999, 12, 31), "end"),
        (None, date(1, 1, 5), "end"),
    ],
)
def test_day_range_refuses_days_beyond_calendar_limits(start, end, field):
    """Year 1 or 9999 must be a clear 422, not an overflow deep in date arithmetic (a 500)."""
    with pytest.raises(ValidationFailed) as exc:
        day_range(start, end, "Europe/Paris")

    assert _error_locs(exc) == [["query", field]]
