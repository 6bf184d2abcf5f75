"""Clicks of a link deleted while they were on their way to the writer are dropped, not stored as
orphans (link_events has no foreign key to links); the batch's other clicks are stored and counted."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from linkapp.core import ids
from linkapp.core.times import utcnow
from linkapp.models.click import Click
from linkapp.models.event import LinkEvent
from linkapp.models.rollup import LINK_SCOPE, DayRollup
from linkapp.services.clicks import store as click_store
from linkapp.services.rollups import writes as rollup_writes
from tests.factories import PASSWORD, create_link, register

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"


def clicks_of(link: dict, count: int) -> list[Click]:
    """`count` clicks on `link` a few minutes ago, each from its own visitor."""
    at = utcnow() - timedelta(minutes=5)
    return [Click(link_id=ids.decode_link_id(link["id"]), clicked_at=at, ip_address=f"203.0.{n}.7", user_agent=BROWSER) for n in range(count)]


async def events_of(db, link: dict) -> int:
    await db.rollback()  # a fresh look at what others committed
    return (await db.execute(select(func.count()).select_from(LinkEvent).where(LinkEvent.link_id == ids.decode_link_id(link["id"])))).scalar_one()


async def link_rollup_rows(db, link: dict) -> int:
    await db.rollback()
    where = (DayRollup.scope == LINK_SCOPE) & (DayRollup.scope_id == ids.decode_link_id(link["id"]))
    return (await db.execute(select(func.count()).select_from(DayRollup).where(where))).scalar_one()


async def total_clicks(client, user: dict, link: dict) -> int:
    response = await client.get(f"/api/v1/analytics/links/{link['id']}", headers=user["headers"])
    assert response.status_code == 200, response.text
    return response.json()["total_clicks"]


async def delete_link(client, user: dict, link: dict):
    return await client.delete(f"/api/v1/links/{link['id']}", headers=user["headers"])


async def close_account(client, user: dict, link: dict):
    return await client.request("DELETE", "/api/v1/auth/me", json={"password": PASSWORD}, headers=user["headers"])


async def test_store_drops_clicks_of_a_deleted_link(client, db):
    user = await register(client)
    doomed, kept = await create_link(client, user), await create_link(client, user)
    queued = clicks_of(doomed, 3)  # in the writer's queue when the link goes
    assert (await delete_link(client, user, doomed)).status_code == 204

    assert await click_store.store(queued) == 0
    assert await click_store.store([*clicks_of(doomed, 2), *clicks_of(kept, 4)]) == 4

    assert await events_of(db, doomed) == 0
    assert await events_of(db, kept) == 4
    assert await total_clicks(client, user, kept) == 4


async def test_store_drops_clicks_of_a_closed_accounts_links(client, db):
    leaving, staying = await register(client), await register(client)
    doomed, kept = await create_link(client, leaving), await create_link(client, staying)
    batch = [*clicks_of(doomed, 3), *clicks_of(kept, 2)]
    assert (await close_account(client, leaving, doomed)).status_code == 204

    assert await click_store.store(batch) == 2

    assert await events_of(db, doomed) == 0
    assert await total_clicks(client, staying, kept) == 2


async def _until_waiting_on_a_lock(db) -> None:
    deadline = time.monotonic() + 10
    query = text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")
    while time.monotonic() < deadline:
        await db.rollback()  # pg_stat_activity is read once per transaction
        if (await db.execute(query)).scalar_one():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the delete never waited for the batch")


@pytest.mark.parametrize("remove", [delete_link, close_account], ids=["link deleted", "account closed"])
async def test_delete_while_a_batch_is_storing_leaves_no_orphan(client, db, monkeypatch, remove):
    if db.bind.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer: a delete cannot begin while a batch is being stored")
    owner, other = await register(client), await register(client)
    doomed, kept = await create_link(client, owner), await create_link(client, other)
    inserted, release = asyncio.Event(), asyncio.Event()
    count_events = rollup_writes.count_events

    async def held_open(session, where) -> None:  # the batch's events are in, not yet committed
        await count_events(session, where)
        inserted.set()
        await release.wait()

    monkeypatch.setattr(rollup_writes, "count_events", held_open)
    storing = asyncio.create_task(click_store.store([*clicks_of(doomed, 3), *clicks_of(kept, 2)]))
    removing = None
    try:
        await asyncio.wait_for(inserted.wait(), 10)
        removing = asyncio.create_task(remove(client, owner, doomed))
        await _until_waiting_on_a_lock(db)
    finally:  # a failure above must not leave the batch's transaction open
        release.set()
        stored = await storing
        removed = removing and await removing

    assert stored == 5
    assert removed.status_code == 204
    assert await events_of(db, doomed) == 0
    assert await link_rollup_rows(db, doomed) == 0
    assert await events_of(db, kept) == 2
    assert await total_clicks(client, other, kept) == 2
