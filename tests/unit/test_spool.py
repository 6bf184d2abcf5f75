"""The click spool, in process: what the database cannot take goes to disk and comes back once."""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from linkapp import db as database
from linkapp.core import ids, metrics
from linkapp.core.config import settings
from linkapp.models.click import Click
from linkapp.models.event import LinkEvent
from linkapp.services.clicks import spool
from linkapp.services.clicks import store as click_store
from linkapp.services.clicks.recorder import ClickRecorder
from tests.factories import create_link, register

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"


@pytest.fixture(autouse=True)
def store_in_this_process(monkeypatch):
    """The outage is played by replacing `click_store.store` here, so the writer must store in
    this process (the spool and the retries are the app process's either way)."""
    monkeypatch.setattr(settings, "CLICK_WRITER_PROCESS", False)


@pytest.fixture
async def link_id(client) -> int:
    user = await register(client)
    return ids.decode_link_id((await create_link(client, user))["id"])


@pytest.fixture
def database_down(monkeypatch):
    """Every store fails as with a stopped server, until the test calls `.restore()`."""

    class Outage:
        attempts = 0

        def restore(self) -> None:
            monkeypatch.setattr(click_store, "store", real_store)

    real_store = click_store.store
    outage = Outage()

    async def refuse(batch):
        outage.attempts += 1
        raise ConnectionRefusedError("connection refused (test outage)")

    monkeypatch.setattr(click_store, "store", refuse)
    return outage


def sample(name: str) -> float:
    return metrics.registry.get_sample_value(name) or 0.0


def make_clicks(link_id: int, count: int) -> list[Click]:
    return [Click(link_id=link_id, clicked_at=datetime.now(UTC), ip_address="203.0.113.9", user_agent=BROWSER) for _ in range(count)]


def spooled_ids(directory) -> list[str]:
    return [json.loads(line)["click_id"] for path in spool.files(directory) for line in path.read_text().splitlines()]


async def stored_count(click_ids: list[str]) -> int:
    async with database.session() as db:
        return (await db.execute(select(func.count()).select_from(LinkEvent).where(LinkEvent.click_id.in_(click_ids)))).scalar_one()


async def wait_until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_stop_spools_unstored_clicks_when_database_down(link_id, database_down, tmp_path):
    recorder = ClickRecorder(spool_dir=tmp_path)
    recorder.start()
    clicks = make_clicks(link_id, 25)
    for click in clicks:
        await recorder.record(click)
    await wait_until(lambda: database_down.attempts > 0)  # a batch is in flight and failing
    started = time.monotonic()
    await recorder.stop(timeout=0.3)
    assert time.monotonic() - started < 3
    assert sorted(spooled_ids(tmp_path)) == sorted(click.click_id for click in clicks)
    assert not list(tmp_path.glob("*" + spool.PARTIAL))
    database_down.restore()
    assert await stored_count([click.click_id for click in clicks]) == 0


async def test_start_replays_spool_and_deletes_it(link_id, tmp_path):
    clicks = make_clicks(link_id, 30)
    await spool.write(clicks[:10], tmp_path)
    await spool.write(clicks[10:], tmp_path)
    replayed_before = sample("linkapp_clicks_replayed_total")
    recorder = ClickRecorder(spool_dir=tmp_path)
    recorder.start()
    try:
        await wait_until(lambda: not spool.files(tmp_path))
        assert await stored_count([click.click_id for click in clicks]) == 30
        assert sample("linkapp_clicks_replayed_total") - replayed_before == 30
    finally:
        await recorder.stop()


async def test_replay_twice_stores_each_click_once(link_id, tmp_path):
    clicks = make_clicks(link_id, 12)
    path = await spool.write(clicks, tmp_path)
    copy = tmp_path / "copy"
    shutil.copy(path, copy)
    assert await spool.replay(click_store.store, directory=tmp_path) == 12
    assert not path.exists()
    shutil.copy(copy, path)  # as if the process died after storing, before deleting the file
    assert await spool.replay(click_store.store, directory=tmp_path, batch_size=5) == 12
    assert await stored_count([click.click_id for click in clicks]) == 12


async def test_replay_keeps_file_when_store_fails(link_id, database_down, tmp_path):
    path = await spool.write(make_clicks(link_id, 3), tmp_path)
    with pytest.raises(ConnectionRefusedError):
        await spool.replay(click_store.store, directory=tmp_path)
    assert path.exists()


async def test_writer_spills_when_queue_half_full_while_database_down(link_id, database_down, tmp_path):
    spooled_before = sample("linkapp_clicks_spooled_total")
    recorder = ClickRecorder(maxsize=10, spool_dir=tmp_path)
    recorder.start()
    clicks = make_clicks(link_id, 9)
    try:
        for click in clicks:
            await recorder.record(click)
        # The counter moves once the file is safely written (the file shows up a moment earlier).
        await wait_until(lambda: sample("linkapp_clicks_spooled_total") > spooled_before)
        assert spool.files(tmp_path)
        database_down.restore()
        await asyncio.wait_for(recorder.flush(), 15)
        assert await stored_count([click.click_id for click in clicks]) == 9
        assert not spool.files(tmp_path)
    finally:
        await recorder.stop()


async def test_record_after_stop_goes_to_spool(link_id, tmp_path):
    recorder = ClickRecorder(spool_dir=tmp_path)
    recorder.start()
    await recorder.stop()
    late = make_clicks(link_id, 1)[0]
    await recorder.record(late)
    assert spooled_ids(tmp_path) == [late.click_id]


def test_read_skips_a_line_that_is_not_a_click(tmp_path):
    click = make_clicks(1, 1)[0]
    path = tmp_path / ("clicks-1" + spool.SUFFIX)
    path.write_text(json.dumps(click.to_dict()) + "\n{not json\n")
    assert [read.click_id for read in spool._read(path)] == [click.click_id]


async def test_wait_written_ends_when_another_process_replayed_our_spill(link_id, database_down, tmp_path):
    recorder = ClickRecorder(maxsize=4, spool_dir=tmp_path)
    recorder.start()
    clicks = make_clicks(link_id, 3)
    try:
        for click in clicks:
            await recorder.record(click)
        await wait_until(lambda: spool.files(tmp_path))
        database_down.restore()
        # Another instance sharing the directory gets there first (ours is still backing off).
        assert await spool.replay(click_store.store, directory=tmp_path) == 3
        await asyncio.wait_for(recorder.wait_written(link_id), 10)
        assert await stored_count([click.click_id for click in clicks]) == 3
    finally:
        await recorder.stop()
