"""A click the database refuses as data is set aside; it never holds up the clicks around it."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

from sqlalchemy import select

from linkapp import db as database
from linkapp.core import ids, metrics
from linkapp.core.config import settings
from linkapp.models.click import Click
from linkapp.models.event import LinkEvent
from linkapp.services.clicks import spool
from linkapp.services.clicks import store as click_store
from linkapp.services.clicks.recorder import recorder
from linkapp.services.clicks.rejects import REJECTED_DIR
from tests.factories import create_link, register

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
POISON = "poison/1.0"


def rejected_click_ids(directory) -> set[str]:
    found = set()
    for path in spool.files(directory):
        found |= {json.loads(line)["click_id"] for line in path.read_text().splitlines() if line.strip()}
    return found


async def test_refused_click_is_set_aside_and_the_rest_stored(client, monkeypatch, tmp_path):
    monkeypatch.setattr(settings, "SPOOL_DIR", str(tmp_path))
    real_enrich = click_store.enrich

    def enrich(click, **kwargs):  # a value the column cannot hold, as a future bug might make
        row = real_enrich(click, **kwargs)
        if click.user_agent == POISON:
            row["country"] = "not a country code"
        return row

    monkeypatch.setattr(click_store, "enrich", enrich)
    monkeypatch.setattr(settings, "CLICK_WRITER_PROCESS", False)  # the bug is played here, so stored here
    user = await register(client)
    link_id = ids.decode_link_id((await create_link(client, user))["id"])
    clicks = [Click(link_id=link_id, clicked_at=datetime.now(UTC), ip_address=f"198.51.100.{n}", user_agent=POISON if n == 7 else BROWSER) for n in range(20)]
    rejected_before = metrics.clicks_rejected._value.get()

    for click in clicks:
        await recorder.record(click)
    await asyncio.wait_for(recorder.flush(), 15)

    async with database.session() as db:
        stored = set((await db.execute(select(LinkEvent.click_id).where(LinkEvent.link_id == link_id))).scalars())
    if database.get_engine().dialect.name == "sqlite":  # SQLite does not enforce the column's width
        assert stored == {click.click_id for click in clicks}
        return
    assert stored == {click.click_id for click in clicks if click.user_agent != POISON}
    assert rejected_click_ids(tmp_path / REJECTED_DIR) == {clicks[7].click_id}
    assert metrics.clicks_rejected._value.get() == rejected_before + 1
    assert spool.files(tmp_path) == []  # set aside, not queued for replay
