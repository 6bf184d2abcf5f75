"""The click writer's own process: redirects' clicks are stored there, as this process's settings
say, and a writer process that dies is replaced without losing a click."""

from __future__ import annotations

import json
import os
import signal

import pytest
from sqlalchemy import select

from linkapp import db as database
from linkapp import lifespan
from linkapp.core import ids
from linkapp.core.config import settings
from linkapp.models.event import LinkEvent
from linkapp.models.webhook import WebhookClickBatch, WebhookDelivery
from linkapp.services.clicks import rejects
from linkapp.services.clicks.recorder import recorder
from linkapp.services.clicks.store_process import StoreFailed, StoreRefused, _expect, store_process
from tests.api.test_webhooks import HOOKS, make_hook
from tests.factories import create_link, register, short_path
from tests.webhook_receiver import receiver, webhooks_on  # noqa: F401 - fixtures

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"


async def redirects(client, link: dict, count: int, first_octet: int = 198) -> None:
    for n in range(count):
        response = await client.get(short_path(link), headers={"User-Agent": BROWSER, "X-Forwarded-For": f"{first_octet}.51.100.{n + 1}"})
        assert response.status_code == 302


async def stored(link: dict) -> list[LinkEvent]:
    await recorder.flush()
    async with database.session() as db:
        rows = await db.execute(select(LinkEvent).where(LinkEvent.link_id == ids.decode_link_id(link["id"])))
        return list(rows.scalars())


@pytest.fixture
async def link(client, monkeypatch):
    monkeypatch.setattr(settings, "TRUSTED_PROXIES", ["127.0.0.1"])
    monkeypatch.setattr(settings, "CLICK_WRITER_PROCESS", True)
    return await create_link(client, await register(client))


async def test_clicks_are_stored_by_a_process_of_their_own(client, link):
    await redirects(client, link, 5)
    assert len(await stored(link)) == 5
    assert store_process.pid is not None and store_process.pid != os.getpid()


async def test_a_killed_writer_process_is_replaced_and_no_click_is_lost(client, link):
    await redirects(client, link, 3)
    assert len(await stored(link)) == 3
    first = store_process.pid
    os.kill(first, signal.SIGKILL)
    os.waitpid(first, 0)  # reaped here, so that it is really gone before the next batch

    await redirects(client, link, 4, first_octet=203)
    events = await stored(link)
    assert len(events) == 7
    assert len({event.click_id for event in events}) == 7
    assert store_process.pid not in (None, first)


async def test_writer_process_stores_as_this_process_is_configured(client, link, monkeypatch):
    await redirects(client, link, 1)
    assert [event.ip_address for event in await stored(link)] == ["198.51.100.0"]  # anonymized, the default

    monkeypatch.setattr(settings, "ANONYMIZE_IP", False)
    await redirects(client, link, 1, first_octet=203)
    assert sorted(event.ip_address for event in await stored(link)) == ["198.51.100.0", "203.51.100.1"]


async def test_a_hook_made_after_the_writer_process_started_gets_the_next_clicks(client, monkeypatch):
    monkeypatch.setattr(settings, "TRUSTED_PROXIES", ["127.0.0.1"])
    monkeypatch.setattr(settings, "CLICK_WRITER_PROCESS", True)
    monkeypatch.setattr(settings, "WEBHOOK_ALLOW_PRIVATE", True)
    user = await register(client)
    link = await create_link(client, user)
    await redirects(client, link, 2)
    assert len(await stored(link)) == 2  # the writer's process has looked for hooks: none

    made = await client.post("/api/v1/webhooks", json={"url": "http://127.0.0.1:9/hook", "events": ["link.clicked"]}, headers=user["headers"])
    assert made.status_code == 201, made.text
    await redirects(client, link, 3, first_octet=203)
    assert len(await stored(link)) == 5
    async with database.session() as db:
        lines = (await db.execute(select(WebhookClickBatch.lines).where(WebhookClickBatch.hook_id == ids.decode_webhook_id(made.json()["id"])))).scalars().all()
    owed = [json.loads(line.split("\t")[1])["type"] for batch in lines for line in batch.split("\n")]
    assert owed == ["link.clicked"] * 3  # at once, not after the writer's cache of hooks expires


def test_a_refusal_in_the_writer_process_is_a_refusal_here():
    class Answer:
        def __init__(self, outcome: str) -> None:
            self.outcome = outcome

        def recv(self):
            return self.outcome, "DataError: value too long"

    with pytest.raises(StoreRefused) as refused:
        _expect(Answer("refused"), None)
    assert rejects.refused(refused.value)  # so the writer looks for the bad clicks instead of retrying
    with pytest.raises(StoreFailed) as failed:
        _expect(Answer("failed"), None)
    assert not rejects.refused(failed.value)  # the database being away is retried


async def test_webhooks_are_delivered_by_the_writers_process_and_it_comes_back_when_killed(client, receiver, webhooks_on, monkeypatch):  # noqa: F811
    monkeypatch.setattr(settings, "TRUSTED_PROXIES", ["127.0.0.1"])
    monkeypatch.setattr(settings, "CLICK_WRITER_PROCESS", True)
    monkeypatch.setattr(lifespan, "KEEP_ALIVE", 0.2)
    user = await register(client)
    hook = await make_hook(client, user, url=receiver.url, events=["link.created", "link.clicked"])
    async with lifespan.webhook_dispatcher():  # no dispatcher runs in this process
        link = await create_link(client, user)  # committed here: the bell is forwarded to the writer's process
        [created] = await receiver.wait_for(1, timeout=5.0)
        await redirects(client, link, 1)  # stored there: its own dispatcher hears it
        [_, clicked] = await receiver.wait_for(2, timeout=5.0)

        first = store_process.pid
        os.kill(first, signal.SIGKILL)
        os.waitpid(first, 0)
        assert (await client.post(f"{HOOKS}/{hook['id']}/test", headers=user["headers"])).status_code == 202
        [*_, ping] = await receiver.wait_for(3, timeout=5.0)  # the keep-alive started a new one
        assert store_process.pid not in (None, first)

    assert [created.event["type"], clicked.event["type"], ping.event["type"]] == ["link.created", "link.clicked", "ping"]
    assert clicked.event["data"]["link_id"] == link["id"]
    async with database.session() as db:
        rows = dict((await db.execute(select(WebhookDelivery.event_type, WebhookDelivery.status))).all())
    # The second dispatcher stopped in order and noted its delivery. What the killed one had not
    # noted yet stays leased to it, and goes out again when the lease ends (at least once).
    assert rows["ping"] == "delivered" and {rows["link.created"], rows["link.clicked"]} <= {"pending", "delivered"}
