"""state/charts: clicks per day are bars (a line would invent values between days), today's labelled."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import plotly.graph_objects as go
import pytest

from linkapp.state.charts import daily_bars, mark_today, spark_figure


def _days(tz: str, count: int = 3) -> list[dict]:
    today = datetime.now(ZoneInfo(tz)).date()
    return [{"day": (today - timedelta(days=count - 1 - number)).isoformat(), "clicks": number + 1} for number in range(count)]


@pytest.mark.parametrize("figure", [daily_bars, spark_figure])
def test_clicks_per_day_are_bars_one_per_day(figure):
    rows = _days("UTC", 7)

    fig = figure(rows)

    [trace] = fig.data
    assert isinstance(trace, go.Bar)
    assert list(trace.x) == [row["day"] for row in rows] and list(trace.y) == [row["clicks"] for row in rows]


@pytest.mark.parametrize("figure", [daily_bars, spark_figure])
def test_today_is_labelled_and_its_bar_set_apart(figure):
    rows = mark_today(_days("UTC"), "UTC")

    fig = figure(rows)

    [label] = [note for note in fig.layout.annotations if note.text == "Today"]
    assert (label.x, label.y) == (rows[-1]["day"], rows[-1]["clicks"])
    trace = fig.data[0]
    assert list(trace.marker.pattern.shape) == ["", "", "/"]
    assert list(trace.customdata)[-1] == "Today"


def test_mark_today_uses_the_viewers_zone():
    # Kiritimati is UTC+14: its today is often UTC's tomorrow.
    rows = _days("UTC", 3) + [{"day": (datetime.now(UTC).date() + timedelta(days=1)).isoformat(), "clicks": 0}]
    today_there = datetime.now(ZoneInfo("Pacific/Kiritimati")).date().isoformat()

    marked = mark_today(rows, "Pacific/Kiritimati")

    assert [row["day"] for row in marked if row.get("today")] == [today_there]


def test_a_range_that_ends_before_today_labels_no_day():
    rows = [{"day": "2026-01-01", "clicks": 2}, {"day": "2026-01-02", "clicks": 0}]

    fig = daily_bars(mark_today(rows, "UTC"))

    assert not [note for note in fig.layout.annotations if note.text == "Today"]
    assert list(fig.data[0].customdata) == ["Thu Jan 1", "Fri Jan 2"]


def test_mark_today_with_an_unknown_zone_marks_nothing():
    rows = _days("UTC")

    assert mark_today(rows, "Not/AZone") == rows
