"""The facts behind insights: trend, peaks, anomalies and rankings, in the viewer's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime

from linkapp.core import ids
from linkapp.services.analytics.facts import anomalies, breakdowns, compute_facts, hours_and_weekdays, previous_range, rank_links, trend
from linkapp.services.analytics.figures import day_range
from linkapp.services.rollups.vocabulary import BUCKET_SECONDS
from tests.factories import create_link, register, store_clicks


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def series(*counts: int) -> list[dict]:
    return [{"day": f"2026-01-{i + 1:02d}", "clicks": n} for i, n in enumerate(counts)]


def user_id(user: dict) -> int:
    return ids.decode_user_id(user["id"])


def bucket_of(moment: datetime) -> int:
    return int(moment.timestamp()) // BUCKET_SECONDS


async def add_clicks(db, link: dict, *moments: datetime, is_bot: bool = False) -> None:
    await store_clicks(link, *moments, ip="198.51.100.9", ua="Mozilla/5.0 (Windows NT 10.0; Win64; x64) Firefox/128.0", is_bot=is_bot)


def test_anomalies_flag_day_far_above_median():
    found = anomalies(series(4, 5, 3, 40, 4, 6, 5))

    assert found == [{"day": "2026-01-04", "clicks": 40, "median": 5, "kind": "spike"}]


def test_anomalies_ignore_ordinary_variation():
    assert anomalies(series(4, 7, 3, 9, 5, 6, 2)) == []
    assert anomalies(series(0, 0, 2, 0, 1)) == []  # a quiet link gaining two clicks is no spike


def test_anomalies_flag_drop_against_busy_median():
    found = anomalies(series(30, 32, 2, 29, 31))

    assert found == [{"day": "2026-01-03", "clicks": 2, "median": 30, "kind": "drop"}]


def test_trend_reports_change_against_previous_period():
    previous = day_range(date(2026, 1, 15), date(2026, 1, 19))

    assert trend(15, 10, previous) == {
        "previous_start": "2026-01-15",
        "previous_end": "2026-01-19",
        "previous_clicks": 10,
        "change": 5,
        "change_pct": 50.0,
        "direction": "up",
    }
    assert trend(3, 0, previous)["change_pct"] is None
    assert trend(0, 4, previous)["direction"] == "down"


def test_previous_range_has_equal_length_and_stops_at_1970():
    previous = previous_range(day_range(date(2026, 3, 1), date(2026, 3, 31)))

    assert (previous.start, previous.end) == (date(2026, 1, 29), date(2026, 2, 28))
    assert previous_range(day_range(date(1970, 1, 1), date(1970, 1, 10))) is None


def test_rank_links_never_lists_a_link_as_both_best_and_worst():
    links = [{"id": f"l{n}", "title": f"Link {n}", "url": None, "clicks": n} for n in (9, 0, 4, 7, 1)]

    ranked = rank_links(links)

    assert [row["clicks"] for row in ranked["best"]] == [9, 7, 4]
    assert [row["clicks"] for row in ranked["worst"]] == [0, 1]
    assert (ranked["count"], ranked["with_clicks"]) == (5, 4)


def test_breakdowns_include_devices_and_countries_only_when_present():
    assert breakdowns({"clicks_by_source": [{"source": "direct", "clicks": 4}]}, 4) == {}
    found = breakdowns({"clicks_by_device": [{"device": "mobile", "clicks": 3}, {"device": "desktop", "clicks": 1}], "clicks_by_country": []}, 4)

    assert found == {"top_devices": [{"device": "mobile", "clicks": 3, "share_pct": 75.0}, {"device": "desktop", "clicks": 1, "share_pct": 25.0}]}


def test_hours_and_weekdays_use_viewer_zone():
    # Friday 23 January 2026, 23:30 UTC is Saturday 00:30 in Paris and Friday 18:30 in New York.
    counts = [(bucket_of(utc(2026, 1, 23, 23, 30)), 2)]

    paris_hours, paris_days = hours_and_weekdays(counts, day_range(tz="Europe/Paris"))
    ny_hours, ny_days = hours_and_weekdays(counts, day_range(tz="America/New_York"))

    assert (paris_hours[0], paris_days[5]) == (2, 2)
    assert (ny_hours[18], ny_days[4]) == (2, 2)


async def test_compute_facts_finds_peaks_and_trend_in_viewer_zone(client, db):
    owner = await register(client)
    link = await create_link(client, owner, title="Launch")
    # Current period 20-24 Jan (Paris): three clicks around Wednesday 21st 08:xx local.
    await add_clicks(db, link, utc(2026, 1, 21, 7), utc(2026, 1, 21, 7, 40), utc(2026, 1, 21, 8, 10), utc(2026, 1, 23, 12))
    # Previous period 15-19 Jan: two; the 14th is outside both.
    await add_clicks(db, link, utc(2026, 1, 15, 12), utc(2026, 1, 19, 12), utc(2026, 1, 14, 12))

    facts = await compute_facts(db=db, owner_id=user_id(owner), start=date(2026, 1, 20), end=date(2026, 1, 24), tz="Europe/Paris")

    assert facts["period"] == {"start": "2026-01-20", "end": "2026-01-24", "tz": "Europe/Paris", "days": 5}
    assert facts["totals"]["clicks"] == 4
    assert facts["trend"]["previous_clicks"] == 2 and facts["trend"]["change_pct"] == 100.0
    assert facts["peaks"]["weekday"] == {"weekday": "Wednesday", "clicks": 3}
    assert facts["peaks"]["hour"] == {"hour": 8, "clicks": 2}
    assert sum(facts["clicks_by_hour"]) == 4 and sum(facts["clicks_by_weekday"].values()) == 4


async def test_compute_facts_leaves_out_bots_and_other_users_links(client, db):
    owner, other = await register(client), await register(client)
    mine = await create_link(client, owner, url="https://example.com/mine", title="Mine")
    quiet = await create_link(client, owner, url="https://example.com/quiet", title="Quiet")
    theirs = await create_link(client, other, url="https://example.com/theirs", title="Theirs")
    await add_clicks(db, mine, utc(2026, 1, 22, 10))
    await add_clicks(db, mine, utc(2026, 1, 22, 10), utc(2026, 1, 22, 11), is_bot=True)
    await add_clicks(db, theirs, utc(2026, 1, 22, 10), utc(2026, 1, 22, 10))

    facts = await compute_facts(db=db, owner_id=user_id(owner), start=date(2026, 1, 20), end=date(2026, 1, 24))

    assert facts["totals"]["clicks"] == 1
    assert facts["links"]["best"] == [{"id": mine["id"], "title": "Mine", "url": "https://example.com/mine", "clicks": 1}]
    assert facts["links"]["worst"] == [{"id": quiet["id"], "title": "Quiet", "url": "https://example.com/quiet", "clicks": 0}]
    assert "Theirs" not in str(facts) and "198.51.100.9" not in str(facts)


async def test_compute_facts_without_clicks_has_no_peaks_or_anomalies(client, db):
    owner = await register(client)
    await create_link(client, owner)

    facts = await compute_facts(db=db, owner_id=user_id(owner), start=date(2026, 1, 20), end=date(2026, 1, 24))

    assert facts["totals"] == {"clicks": 0, "unique_visitors": 0, "average_per_day": 0.0}
    assert "peaks" not in facts and facts["anomalies"] == []


async def test_compute_facts_for_long_range_keeps_shapes_but_not_every_day(client, db):
    owner = await register(client)
    link = await create_link(client, owner)
    await add_clicks(db, link, utc(2025, 6, 1, 10))

    facts = await compute_facts(db=db, owner_id=user_id(owner), start=date(2025, 1, 1), end=date(2025, 12, 31))

    assert "clicks_per_day" not in facts
    assert facts["peaks"]["day"] == {"day": "2025-06-01", "clicks": 1}
    assert facts["clicks_by_weekday"]["Sunday"] == 1
