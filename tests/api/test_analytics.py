"""GET /api/v1/analytics/links/{id} and GET /api/v1/analytics: the figures a link owner sees."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from linkapp.services.clicks.recorder import recorder
from tests.factories import create_link, register, short_path, store_clicks

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


async def add_clicks(db, link: dict, *moments: datetime, source=None, ip="203.0.113.7", ua=BROWSER, is_bot=False) -> None:
    await store_clicks(link, *moments, source=source, ip=ip, ua=ua, is_bot=is_bot)


async def link_figures(client, user: dict, link: dict, **params) -> dict:
    response = await client.get(f"/api/v1/analytics/links/{link['id']}", params=params, headers=user["headers"])
    assert response.status_code == 200, response.text
    return response.json()


async def summary_figures(client, user: dict, **params) -> dict:
    response = await client.get("/api/v1/analytics", params=params, headers=user["headers"])
    assert response.status_code == 200, response.text
    return response.json()


def per_day(body: dict) -> dict[str, int]:
    return {row["day"]: row["clicks"] for row in body["clicks_per_day"]}


@pytest.fixture
async def owner(client):
    return await register(client)


@pytest.fixture
async def link(client, owner):
    return await create_link(client, owner, url="https://example.com/launch", title="Launch")


async def test_link_analytics_returns_link_and_figures_for_range(client, db, owner, link):
    await add_clicks(db, link, utc(2026, 1, 21, 9), utc(2026, 1, 21, 15), utc(2026, 1, 24, 12))

    body = await link_figures(client, owner, link, start="2026-01-20", end="2026-01-24")

    assert body["url"] == "https://example.com/launch"
    assert body["shortened_url"] == link["shortened_url"]
    assert body["total_clicks"] == 3
    # One person on two days: visitor ids change every UTC day, so they count once per day.
    assert body["unique_visitors"] == 2
    expected_days = [("2026-01-20", 0), ("2026-01-21", 2), ("2026-01-22", 0), ("2026-01-23", 0), ("2026-01-24", 1)]
    assert body["clicks_per_day"] == [{"day": day, "clicks": clicks} for day, clicks in expected_days]
    assert body["clicks_by_source"] == [{"source": "direct", "clicks": 3}]


@pytest.mark.parametrize("tz", ["UTC", "Pacific/Kiritimati", "Pacific/Pago_Pago"])
async def test_link_analytics_without_dates_covers_30_days_ending_today(client, db, owner, link, tz):
    now = datetime.now(UTC)
    await add_clicks(db, link, now - timedelta(minutes=1), now - timedelta(days=40))
    today_before = now.astimezone(ZoneInfo(tz)).date()

    body = await link_figures(client, owner, link, tz=tz)

    days = [row["day"] for row in body["clicks_per_day"]]
    assert len(days) == 30
    today = datetime.now(ZoneInfo(tz)).date()
    assert days[-1] in {today_before.isoformat(), today.isoformat()}
    assert days[0] == (datetime.fromisoformat(days[-1]) - timedelta(days=29)).date().isoformat()
    assert body["total_clicks"] == 1


async def test_link_analytics_with_only_start_runs_until_today(client, db, owner, link):
    now = datetime.now(UTC)
    start = (now - timedelta(days=60)).date()
    await add_clicks(db, link, now - timedelta(days=50), now - timedelta(minutes=1))

    body = await link_figures(client, owner, link, start=start.isoformat())

    assert body["clicks_per_day"][0]["day"] == start.isoformat()
    assert body["clicks_per_day"][-1]["day"] in {now.date().isoformat(), datetime.now(UTC).date().isoformat()}
    assert body["total_clicks"] == 2


@pytest.mark.parametrize(("tz", "day"), [("UTC", "2026-01-24"), ("Europe/Paris", "2026-01-25"), ("America/New_York", "2026-01-24")])
async def test_link_analytics_puts_click_on_viewers_local_day(client, db, owner, link, tz, day):
    await add_clicks(db, link, utc(2026, 1, 24, 23, 30))

    body = await link_figures(client, owner, link, start="2026-01-23", end="2026-01-25", tz=tz)

    assert {d: n for d, n in per_day(body).items() if n} == {day: 1}


async def test_link_analytics_splits_days_at_quarter_hour_offset_midnight(client, db, owner, link):
    # Asia/Kathmandu is UTC+05:45: local midnight of the 25th is 18:15 UTC on the 24th.
    await add_clicks(db, link, utc(2026, 1, 24, 18, 14, 59), utc(2026, 1, 24, 18, 15), utc(2026, 1, 24, 18, 29))

    body = await link_figures(client, owner, link, start="2026-01-24", end="2026-01-25", tz="Asia/Kathmandu")

    assert per_day(body) == {"2026-01-24": 1, "2026-01-25": 2}


async def test_link_analytics_counts_23_hour_day_when_clocks_go_forward(client, db, owner, link):
    # Paris, 29 March 2026: 00:00 local is 23:00 UTC the day before, the next midnight 22:00 UTC.
    await add_clicks(db, link, utc(2026, 3, 28, 22, 59), utc(2026, 3, 28, 23), utc(2026, 3, 29, 21, 59), utc(2026, 3, 29, 22))

    body = await link_figures(client, owner, link, start="2026-03-28", end="2026-03-30", tz="Europe/Paris")

    assert per_day(body) == {"2026-03-28": 1, "2026-03-29": 2, "2026-03-30": 1}


async def test_link_analytics_counts_25_hour_day_when_clocks_go_back(client, db, owner, link):
    # New York, 1 November 2026: the day runs from 04:00 UTC (EDT) to 05:00 UTC the next day (EST).
    await add_clicks(db, link, utc(2026, 11, 1, 3, 59), utc(2026, 11, 1, 4), utc(2026, 11, 2, 4, 59), utc(2026, 11, 2, 5))

    body = await link_figures(client, owner, link, start="2026-11-01", end="2026-11-01", tz="America/New_York")

    assert per_day(body) == {"2026-11-01": 2}
    assert body["total_clicks"] == 2


async def test_link_analytics_excludes_clicks_outside_range_at_exact_local_midnights(client, db, owner, link):
    before, first = utc(2026, 1, 23, 22, 59, 59, 999999), utc(2026, 1, 23, 23)
    last, after = utc(2026, 1, 24, 22, 59, 59, 999999), utc(2026, 1, 24, 23)
    await add_clicks(db, link, before, first, last, after, source="edge")

    body = await link_figures(client, owner, link, start="2026-01-24", end="2026-01-24", tz="Europe/Paris")

    assert body["total_clicks"] == 2
    assert body["clicks_per_day"] == [{"day": "2026-01-24", "clicks": 2}]
    assert body["clicks_by_source"] == [{"source": "edge", "clicks": 2}]


async def test_link_analytics_counts_clicks_without_source_as_direct(client, db, owner, link):
    await add_clicks(db, link, utc(2026, 1, 24, 10), utc(2026, 1, 24, 11), source="newsletter")
    await add_clicks(db, link, utc(2026, 1, 24, 12), utc(2026, 1, 24, 13), utc(2026, 1, 24, 14))
    await add_clicks(db, link, utc(2026, 1, 24, 15), source="twitter")

    body = await link_figures(client, owner, link, start="2026-01-24", end="2026-01-24")

    assert body["clicks_by_source"] == [{"source": "direct", "clicks": 3}, {"source": "newsletter", "clicks": 2}, {"source": "twitter", "clicks": 1}]


async def test_link_analytics_counts_unique_visitors_by_ip_and_user_agent_in_range(client, db, owner, link):
    day = utc(2026, 1, 24, 10)
    await add_clicks(db, link, day, day + timedelta(hours=1), ip="203.0.113.1", ua=BROWSER)  # one visitor, twice
    await add_clicks(db, link, day, ip="203.0.113.1", ua=FIREFOX)  # same address, other browser
    await add_clicks(db, link, day, ip="203.0.113.2", ua=BROWSER)  # other address, same browser
    await add_clicks(db, link, utc(2026, 1, 20), ip="198.51.100.9", ua=BROWSER)  # outside the range

    body = await link_figures(client, owner, link, start="2026-01-24", end="2026-01-24")

    assert (body["total_clicks"], body["unique_visitors"]) == (4, 3)


async def test_link_analytics_never_counts_bots(client, db, owner, link):
    await add_clicks(db, link, utc(2026, 1, 24, 10), source="newsletter")
    await add_clicks(db, link, utc(2026, 1, 24, 10), utc(2026, 1, 24, 11), source="crawl", ip="66.249.66.1", ua=GOOGLEBOT, is_bot=True)

    body = await link_figures(client, owner, link, start="2026-01-24", end="2026-01-24")
    overall = await summary_figures(client, owner, start="2026-01-24", end="2026-01-24")

    for figures in (body, overall):
        assert (figures["total_clicks"], figures["unique_visitors"]) == (1, 1)
        assert per_day(figures) == {"2026-01-24": 1}
        assert figures["clicks_by_source"] == [{"source": "newsletter", "clicks": 1}]
    assert overall["links"][0]["total_clicks"] == 1


async def test_link_analytics_shows_real_redirects_and_ignores_bot_requests(client, owner, link):
    assert (await client.get(short_path(link) + "?utm_source=mastodon", headers={"User-Agent": BROWSER})).status_code == 302
    assert (await client.get(short_path(link), headers={"User-Agent": FIREFOX})).status_code == 302
    assert (await client.get(short_path(link), headers={"User-Agent": "curl/8.5.0"})).status_code == 302
    assert (await client.get(short_path(link), headers={"User-Agent": GOOGLEBOT})).status_code == 302
    assert (await client.head(short_path(link), headers={"User-Agent": BROWSER})).status_code == 302
    await recorder.flush()

    body = await link_figures(client, owner, link)

    assert body["total_clicks"] == 2
    assert body["unique_visitors"] == 2
    assert sorted((row["source"], row["clicks"]) for row in body["clicks_by_source"]) == [("direct", 1), ("mastodon", 1)]
    assert sum(per_day(body).values()) == 2


BAD_QUERIES = [
    ({"tz": "Mars/Olympus_Mons"}, "tz"),
    ({"tz": "Europe/" + "x" * 80}, "tz"),
    ({"start": "2026-01-25", "end": "2026-01-24"}, "start"),
    ({"start": "2026-02-30"}, "start"),
    ({"end": "24/01/2026"}, "end"),
    ({"start": "2019-01-01", "end": "2026-01-24"}, "start"),
    ({"start": "0001-01-01", "end": "0001-01-03"}, "start"),
    ({"end": "9999-12-31"}, "end"),
]


@pytest.mark.parametrize(("params", "field"), BAD_QUERIES)
@pytest.mark.parametrize("which", ["link", "summary"])
async def test_analytics_rejects_bad_query_with_problem_details(client, owner, link, params, field, which):
    path = f"/api/v1/analytics/links/{link['id']}" if which == "link" else "/api/v1/analytics"

    response = await client.get(path, params=params, headers=owner["headers"])

    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == 422 and body["title"] and body["detail"]
    assert body["errors"] and all(set(error) >= {"loc", "msg"} for error in body["errors"])
    assert any(error["loc"][:1] == ["query"] and field in error["loc"] for error in body["errors"])


async def test_link_analytics_hides_another_users_link(client, db, owner, link):
    await add_clicks(db, link, utc(2026, 1, 24, 10))
    stranger = await register(client)

    response = await client.get(f"/api/v1/analytics/links/{link['id']}", headers=stranger["headers"])
    missing = await client.get("/api/v1/analytics/links/doesnotexist", headers=owner["headers"])

    assert response.status_code == missing.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["detail"] == missing.json()["detail"]
    assert "example.com" not in response.text


async def test_analytics_requires_authentication(client, link):
    for path in (f"/api/v1/analytics/links/{link['id']}", "/api/v1/analytics"):
        response = await client.get(path)
        assert response.status_code == 401


async def test_summary_totals_all_owned_links_and_ranks_them_by_clicks(client, db, owner, link):
    quiet = await create_link(client, owner, url="https://example.com/quiet", title="Quiet")
    busy = await create_link(client, owner, url="https://example.com/busy", title="Busy")
    await add_clicks(db, link, utc(2026, 1, 23, 12), source="newsletter", ip="203.0.113.1")
    await add_clicks(db, busy, utc(2026, 1, 23, 9), utc(2026, 1, 24, 9), utc(2026, 1, 24, 10), ip="203.0.113.2")
    await add_clicks(db, busy, utc(2026, 1, 10), ip="203.0.113.3")  # before the range

    body = await summary_figures(client, owner, start="2026-01-23", end="2026-01-24")

    assert (body["total_clicks"], body["unique_visitors"]) == (4, 3)  # .1 and .2 on the 23rd, .2 on the 24th
    assert body["clicks_per_day"] == [{"day": "2026-01-23", "clicks": 2}, {"day": "2026-01-24", "clicks": 2}]
    assert body["clicks_by_source"] == [{"source": "direct", "clicks": 3}, {"source": "newsletter", "clicks": 1}]
    assert [(row["id"], row["title"], row["total_clicks"]) for row in body["links"]] == [
        (busy["id"], "Busy", 3),
        (link["id"], "Launch", 1),
        (quiet["id"], "Quiet", 0),
    ]


async def test_summary_never_includes_another_users_links_or_clicks(client, db, owner, link):
    stranger = await register(client)
    theirs = await create_link(client, stranger, url="https://example.org/theirs", title="Theirs")
    await add_clicks(db, theirs, utc(2026, 1, 24, 8), utc(2026, 1, 24, 9), source="leak", ip="192.0.2.1")
    await add_clicks(db, link, utc(2026, 1, 24, 10))

    mine = await summary_figures(client, owner, start="2026-01-24", end="2026-01-24")
    their_view = await summary_figures(client, stranger, start="2026-01-24", end="2026-01-24")

    assert (mine["total_clicks"], mine["unique_visitors"]) == (1, 1)
    assert mine["clicks_by_source"] == [{"source": "direct", "clicks": 1}]
    assert [row["id"] for row in mine["links"]] == [link["id"]]
    assert their_view["total_clicks"] == 2
    assert [row["id"] for row in their_view["links"]] == [theirs["id"]]


async def test_summary_for_user_without_links_is_zero_filled(client):
    newcomer = await register(client)

    body = await summary_figures(client, newcomer, start="2026-01-22", end="2026-01-24", tz="Asia/Kathmandu")

    assert (body["total_clicks"], body["unique_visitors"], body["links"], body["clicks_by_source"]) == (0, 0, [], [])
    assert body["clicks_per_day"] == [{"day": d, "clicks": 0} for d in ("2026-01-22", "2026-01-23", "2026-01-24")]


async def test_summary_buckets_days_in_requested_zone(client, db, owner, link):
    await add_clicks(db, link, utc(2026, 1, 24, 23, 30))

    paris = await summary_figures(client, owner, start="2026-01-24", end="2026-01-25", tz="Europe/Paris")
    new_york = await summary_figures(client, owner, start="2026-01-24", end="2026-01-25", tz="America/New_York")

    assert per_day(paris) == {"2026-01-24": 0, "2026-01-25": 1}
    assert per_day(new_york) == {"2026-01-24": 1, "2026-01-25": 0}
