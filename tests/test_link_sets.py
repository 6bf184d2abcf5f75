"""A tag's figures (rollups.link_sets) agree with the raw clicks of its links, in any zone."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import delete, update

from linkapp.core import ids
from linkapp.models.event import LinkEvent
from linkapp.models.rollup import DayVisitor
from linkapp.services.analytics import figures as analytics
from linkapp.services.clicks import store as click_store
from tests.factories import create_link, register
from tests.test_rollups import _check, _expected, _traffic

ZONES = ("UTC", "Europe/Paris", "Asia/Kathmandu", "America/New_York", "Asia/Kolkata", "Pacific/Chatham")


@pytest.fixture
async def tagged_traffic(client, db):
    """Random traffic on four links, two of them tagged "spring": the same few visitors click all of them."""
    user = await register(client)
    links = [await create_link(client, user, url=f"https://example.com/{n}", tags=["spring"] if n < 2 else ["autumn"]) for n in range(4)]
    link_ids = [ids.decode_link_id(link["id"]) for link in links]
    clicks = _traffic(random.Random(20260315), link_ids, 500)
    for start in range(0, len(clicks), 70):
        await click_store.store(clicks[start : start + 70])
    return ids.decode_user_id(user["id"]), set(link_ids[:2]), clicks


async def _assert_tag_matches(db, owner: int, tagged: set[int], clicks, *, zones=ZONES, include_bots: bool = False) -> None:
    for tz in zones:
        for start, end in ((date(2026, 3, 2), date(2026, 3, 8)), (date(2026, 3, 8), date(2026, 3, 8)), (date(2026, 2, 20), date(2026, 3, 20))):
            days = analytics.day_range(start, end, tz)
            body = await analytics.summary(db=db, owner_id=owner, days=days, tag="Spring", include_bots=include_bots)
            _check(body, _expected(clicks, tagged, days, include_bots=include_bots))


async def test_tag_figures_equal_raw_counts_of_its_links(db, tagged_traffic):
    await _assert_tag_matches(db, *tagged_traffic)


async def test_tag_figures_equal_raw_counts_with_bots_included(db, tagged_traffic):
    await _assert_tag_matches(db, *tagged_traffic, zones=("UTC", "America/New_York"), include_bots=True)


async def test_tag_edge_visitors_come_from_visitor_rows_when_raw_clicks_are_gone(db, tagged_traffic):
    owner, tagged, clicks = tagged_traffic
    days = analytics.day_range(date(2026, 3, 2), date(2026, 3, 8), "Europe/Paris")
    expected = _expected(clicks, tagged, days)["unique_visitors"]
    await db.execute(delete(LinkEvent).where(LinkEvent.clicked_at >= datetime(2026, 3, 8, tzinfo=UTC)))
    await db.commit()

    body = await analytics.summary(db=db, owner_id=owner, days=days, tag="spring")

    assert body["unique_visitors"] == expected


async def test_tag_edge_visitors_are_read_raw_where_visitor_rows_do_not_know_first_and_last(db, tagged_traffic):
    owner, tagged, clicks = tagged_traffic
    await db.execute(update(DayVisitor).values(first_bucket=None, last_bucket=None))  # as rows from before migration 0005
    await db.commit()

    for tz in ("Europe/Paris", "Asia/Kolkata"):
        days = analytics.day_range(date(2026, 3, 2), date(2026, 3, 8), tz)
        body = await analytics.summary(db=db, owner_id=owner, days=days, tag="spring")
        assert body["unique_visitors"] == _expected(clicks, tagged, days)["unique_visitors"]
