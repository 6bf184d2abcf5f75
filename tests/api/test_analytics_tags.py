"""GET /api/v1/analytics?tag=: the figures over the user's links with one tag."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from tests.factories import create_link, register, store_clicks

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
BREAKDOWNS = {
    "clicks_by_source": "source", "clicks_by_device": "device", "clicks_by_browser": "browser",
    "clicks_by_os": "os", "clicks_by_country": "country", "clicks_by_referrer": "referrer",
}


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


async def figures(client, user: dict, path: str = "/api/v1/analytics", **params) -> dict:
    response = await client.get(path, params=params, headers=user["headers"])
    assert response.status_code == 200, response.text
    return response.json()


def added_up(bodies: list[dict]) -> dict:
    """What a set of links' figures add up to: clicks per day, totals and each breakdown."""
    per_day: Counter = Counter()
    result = {"total_clicks": sum(body["total_clicks"] for body in bodies)}
    for body in bodies:
        per_day.update({row["day"]: row["clicks"] for row in body["clicks_per_day"]})
    result["clicks_per_day"] = dict(per_day)
    for name, key in BREAKDOWNS.items():
        counts: Counter = Counter()
        for body in bodies:
            counts.update({row[key]: row["clicks"] for row in body[name]})
        result[name] = dict(counts)
    return result


def as_added(body: dict) -> dict:
    result = {"total_clicks": body["total_clicks"], "clicks_per_day": {row["day"]: row["clicks"] for row in body["clicks_per_day"]}}
    for name, key in BREAKDOWNS.items():
        result[name] = {row[key]: row["clicks"] for row in body[name]}
    return result


@pytest.fixture
async def owner(client):
    return await register(client)


@pytest.fixture
async def campaign(client, owner):
    """Two links tagged "spring" and one not, with clicks on several days from a few visitors."""
    flyer = await create_link(client, owner, url="https://example.com/flyer", title="Flyer", tags=["spring", "print"])
    post = await create_link(client, owner, url="https://example.com/post", title="Post", tags=["Spring"])
    other = await create_link(client, owner, url="https://example.com/other", title="Other", tags=["autumn"])
    await store_clicks(flyer, utc(2026, 3, 2, 9), utc(2026, 3, 2, 23, 30), utc(2026, 3, 4, 0, 10), source="newsletter", ip="198.51.100.1")
    await store_clicks(flyer, utc(2026, 3, 3, 12), ip="198.51.100.2", ua=FIREFOX)
    await store_clicks(post, utc(2026, 3, 2, 10), utc(2026, 3, 5, 22), ip="198.51.100.1")
    await store_clicks(post, utc(2026, 3, 3, 23, 50), source="twitter", ip="198.51.100.3", ua=FIREFOX)
    await store_clicks(post, utc(2026, 3, 3, 8), ip="198.51.100.9", is_bot=True, ua="curl/8.5.0")
    await store_clicks(other, utc(2026, 3, 2, 11), utc(2026, 3, 3, 11), ip="198.51.100.1")
    return flyer, post, other


@pytest.mark.parametrize("tz", ["UTC", "Europe/Paris", "America/New_York", "Asia/Kathmandu"])
async def test_tagged_totals_equal_the_sum_of_what_each_tagged_link_shows(client, owner, campaign, tz):
    flyer, post, _ = campaign
    days = {"start": "2026-03-02", "end": "2026-03-05", "tz": tz}

    tagged = await figures(client, owner, tag="spring", **days)
    each = [await figures(client, owner, f"/api/v1/analytics/links/{link['id']}", **days) for link in (flyer, post)]

    assert as_added(tagged) == added_up(each)
    assert tagged["total_clicks"] > 0
    assert tagged["tag"] == "spring"
    assert {row["id"]: row["total_clicks"] for row in tagged["links"]} == {flyer["id"]: each[0]["total_clicks"], post["id"]: each[1]["total_clicks"]}
    assert sum(row["clicks"] for row in tagged["bots"]) == 1


async def test_tagged_unique_visitors_count_a_visitor_of_two_tagged_links_once(client, owner, campaign):
    flyer, post, _ = campaign
    day = {"start": "2026-03-02", "end": "2026-03-02"}

    tagged = await figures(client, owner, tag="spring", **day)
    each = [await figures(client, owner, f"/api/v1/analytics/links/{link['id']}", **day) for link in (flyer, post)]

    # 198.51.100.1 clicked both tagged links on March 2: one visitor, though each link counts them.
    assert [body["unique_visitors"] for body in each] == [1, 1]
    assert tagged["unique_visitors"] == 1
    assert tagged["total_clicks"] == 3


@pytest.mark.parametrize("tz", ["UTC", "Europe/Paris", "Asia/Kathmandu"])
async def test_tagged_unique_visitors_are_distinct_per_day_across_the_range(client, owner, campaign, tz):
    days = {"start": "2026-03-01", "end": "2026-03-06", "tz": tz}

    tagged = await figures(client, owner, tag="spring", **days)

    # Visitor ids change every UTC day: count (UTC day, address, agent) of the tagged human clicks inside the range.
    clicks = [
        (utc(2026, 3, 2, 9), "1"), (utc(2026, 3, 2, 23, 30), "1"), (utc(2026, 3, 4, 0, 10), "1"), (utc(2026, 3, 3, 12), "2"),
        (utc(2026, 3, 2, 10), "1"), (utc(2026, 3, 5, 22), "1"), (utc(2026, 3, 3, 23, 50), "3"),
    ]
    zone = ZoneInfo(tz)
    inside = [(at, who) for at, who in clicks if "2026-03-01" <= at.astimezone(zone).date().isoformat() <= "2026-03-06"]
    assert tagged["unique_visitors"] == len({(at.date(), who) for at, who in inside})
    assert tagged["total_clicks"] == len(inside)


async def test_summary_without_tag_still_covers_every_link(client, owner, campaign):
    body = await figures(client, owner, start="2026-03-02", end="2026-03-05")

    assert body["tag"] is None
    assert body["total_clicks"] == 9  # 4 + 3 tagged human clicks, and the untagged link's 2
    assert len(body["links"]) == 3


@pytest.mark.parametrize("tag", ["summer", "bad\x00tag", "theirs"])
async def test_tag_without_links_of_the_user_gives_zeros(client, owner, campaign, tag):
    await create_link(client, await register(client), tags=["theirs"])

    body = await figures(client, owner, tag=tag, start="2026-03-02", end="2026-03-05")

    assert (body["total_clicks"], body["unique_visitors"], body["links"], body["clicks_by_source"]) == (0, 0, [], [])
    assert all(row["clicks"] == 0 for row in body["clicks_per_day"])


async def test_other_users_links_with_the_same_tag_are_not_counted(client, owner, campaign):
    other = await register(client)
    theirs = await create_link(client, other, tags=["spring"])
    await store_clicks(theirs, utc(2026, 3, 2, 12), ip="198.51.100.1")

    body = await figures(client, owner, tag="spring", start="2026-03-02", end="2026-03-02")

    assert body["total_clicks"] == 3
    assert {row["title"] for row in body["links"]} == {"Flyer", "Post"}


async def test_tagged_figures_with_bots_included(client, owner, campaign):
    days = {"start": "2026-03-02", "end": "2026-03-05", "include_bots": "true"}

    with_bots = await figures(client, owner, tag="spring", **days)
    without = await figures(client, owner, tag="spring", start="2026-03-02", end="2026-03-05")

    assert with_bots["total_clicks"] == without["total_clicks"] + 1
    assert with_bots["unique_visitors"] == without["unique_visitors"]
