"""Webhook deliveries to a real receiver on loopback: signed, every event, retried, durable, claimed once."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from datetime import timedelta

from sqlalchemy import func, select, update

from linkapp import db as database
from linkapp.core import ids
from linkapp.core.config import settings
from linkapp.core.times import utcnow
from linkapp.models.click import Click
from linkapp.models.webhook import (
    Webhook,
    WebhookAttempt,
    WebhookClickBatch,
    WebhookDelivery,
)
from linkapp.services.clicks import store as click_store
from linkapp.services.webhooks import hooks, outbox, retention, running, schedule
from tests.api.test_webhooks import HOOKS, make_hook
from tests.factories import create_link, register, short_path
from tests.webhook_receiver import dispatcher, quick_dispatcher, receiver, webhooks_on  # noqa: F401 - fixtures

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
CLICK_FIELDS = {"link_id", "clicked_at", "source", "referrer_host", "country", "device", "browser", "os", "is_bot", "bot_reason"}


# What the README tells a receiver to do, word for word.
def verify(secret: str, body: bytes, header: str, tolerance: int = 300) -> bool:
    fields = dict(part.split("=", 1) for part in header.split(","))
    expected = hmac.new(secret.encode(), f"{fields['t']}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, fields["v1"]) and abs(time.time() - int(fields["t"])) <= tolerance


async def deliveries(client, user: dict, hook: dict) -> list[dict]:
    response = await client.get(f"{HOOKS}/{hook['id']}/deliveries", headers=user["headers"])
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def wait_until(condition, timeout: float = 5.0):
    deadline = time.monotonic() + timeout
    while not (result := await condition()):
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)
    return result


async def outbox_statuses() -> list[str]:
    async with database.session() as db:
        return list((await db.execute(select(WebhookDelivery.status).order_by(WebhookDelivery.id))).scalars())


async def test_delivery_is_signed_with_the_secret_and_the_time(client, receiver, dispatcher):  # noqa: F811
    user = await register(client)
    hook = await make_hook(client, user, url=receiver.url, events=["ping"])

    sent = await client.post(f"{HOOKS}/{hook['id']}/test", headers=user["headers"])
    assert sent.status_code == 202 and sent.json()["type"] == "ping"
    [got] = await receiver.wait_for(1)

    signature = got.headers["linkapp-signature"]
    assert verify(hook["secret"], got.body, signature)
    assert not verify(hook["secret"], got.body.replace(b"ping", b"pong"), signature)
    assert not verify("whsec_someone-else", got.body, signature)
    stamp = int(signature.split(",")[0].removeprefix("t="))
    assert abs(time.time() - stamp) < 60
    replayed_later = signature.replace(f"t={stamp}", f"t={stamp - 600}")  # an old delivery sent again
    assert not verify(hook["secret"], got.body, replayed_later)
    assert got.headers["linkapp-event"] == "ping" and got.headers["content-type"] == "application/json"
    assert got.headers["linkapp-delivery"] == got.event["id"] == sent.json()["id"]
    assert got.event["type"] == "ping" and got.event["data"] == {"webhook_id": hook["id"]}
    assert got.event["created_at"].endswith("Z")


async def test_every_event_type_is_delivered_with_its_data(client, receiver, dispatcher):  # noqa: F811
    user = await register(client)
    hook = await make_hook(client, user, url=receiver.url, events=["link.created", "link.updated", "link.deleted", "link.clicked", "ping"])

    link = await create_link(client, user, url="https://example.com/launch", tags=["spring"])
    [created] = await receiver.wait_for(1)
    await client.patch(f"/api/v1/links/{link['id']}", json={"title": "Launch day"}, headers=user["headers"])
    updated = (await receiver.wait_for(2))[1]
    await client.get(short_path(link) + "?utm_source=newsletter", headers={"user-agent": BROWSER, "referer": "https://www.news.example.org/today"})
    clicked = (await receiver.wait_for(3))[2]
    await client.delete(f"/api/v1/links/{link['id']}", headers=user["headers"])
    deleted = (await receiver.wait_for(4))[3]
    await client.post(f"{HOOKS}/{hook['id']}/test", headers=user["headers"])
    ping = (await receiver.wait_for(5))[4]

    arrived = (created, updated, clicked, deleted, ping)
    assert [each.event["type"] for each in arrived] == ["link.created", "link.updated", "link.clicked", "link.deleted", "ping"]
    assert [each.headers["linkapp-event"] for each in arrived] == [each.event["type"] for each in arrived]
    assert created.event["data"]["id"] == link["id"] and created.event["data"]["url"] == "https://example.com/launch"
    assert created.event["data"]["tags"] == ["spring"] and created.event["data"]["shortened_url"] == link["shortened_url"]
    assert updated.event["data"]["title"] == "Launch day"
    assert deleted.event["data"]["id"] == link["id"] and deleted.event["data"]["tags"] == ["spring"]  # the link as it was
    click = clicked.event["data"]
    assert set(click) == CLICK_FIELDS
    assert click["link_id"] == link["id"] and click["source"] == "newsletter" and click["referrer_host"] == "news.example.org"
    assert (click["browser"], click["os"], click["device"], click["is_bot"], click["bot_reason"]) == ("Chrome", "Linux", "desktop", False, None)
    assert "203.0.113" not in clicked.body.decode() and "Mozilla" not in clicked.body.decode()
    assert len({each.event["id"] for each in arrived}) == 5


async def test_a_click_reaches_the_receiver_within_5_seconds_bots_flagged(client, receiver, dispatcher):  # noqa: F811
    user = await register(client)
    await make_hook(client, user, url=receiver.url, events=["link.clicked"])
    link = await create_link(client, user)

    clicked_at = time.monotonic()
    assert (await client.get(short_path(link), headers={"user-agent": BROWSER})).status_code == 302
    [first] = await receiver.wait_for(1, timeout=5.0)
    await client.get(short_path(link), headers={"user-agent": "curl/8.5.0"})
    [_, bot] = await receiver.wait_for(2, timeout=5.0)

    assert first.at - clicked_at < 5.0
    assert first.event["data"]["is_bot"] is False
    assert bot.event["data"]["is_bot"] is True and bot.event["data"]["bot_reason"]


async def test_failed_deliveries_are_retried_with_the_same_delivery_id(client, receiver, dispatcher):  # noqa: F811
    user = await register(client)
    hook = await make_hook(client, user, url=receiver.url, events=["ping"])
    receiver.answer(500, 500, 200)

    await client.post(f"{HOOKS}/{hook['id']}/test", headers=user["headers"])
    tries = await receiver.wait_for(3)

    assert len({each.headers["linkapp-delivery"] for each in tries}) == 1
    assert len({each.body for each in tries}) == 1  # the same event, byte for byte
    log = await wait_until(lambda: _attempts(client, user, hook, 3))
    assert [(row["attempt"], row["status_code"]) for row in log] == [(3, 200), (2, 500), (1, 500)]
    assert log[1]["error"] == "answered 500" and log[0]["error"] is None and log[0]["event"] == "ping"
    assert await outbox_statuses() == ["delivered"]
    listed = (await client.get(HOOKS, headers=user["headers"])).json()["items"][0]
    assert listed["last_status"] == 200 and listed["failing_since"] is None and listed["last_delivery_at"]


async def _attempts(client, user, hook, count: int) -> list[dict] | None:
    log = await deliveries(client, user, hook)
    return log if len(log) >= count else None


async def test_a_receiver_that_hangs_is_cut_at_the_timeout_and_retried(client, receiver, webhooks_on):  # noqa: F811
    impatient = quick_dispatcher(timeout=1.5)
    impatient.start()
    try:
        await _hang_then_answer(client, receiver)
    finally:
        await impatient.stop(grace=0.2)


async def _hang_then_answer(client, server) -> None:
    user = await register(client)
    hook = await make_hook(client, user, url=server.url, events=["ping"])
    server.answer((200, 3.0))  # answers only after the dispatcher's 1.5 s

    await client.post(f"{HOOKS}/{hook['id']}/test", headers=user["headers"])
    first, second = await server.wait_for(2)

    assert first.headers["linkapp-delivery"] == second.headers["linkapp-delivery"]
    log = await wait_until(lambda: _attempts(client, user, hook, 2))
    assert log[1]["status_code"] is None and log[1]["error"] == "no answer within 1.5 s"
    assert 1400 <= log[1]["duration_ms"] < 2500
    assert log[0]["status_code"] == 200
    assert await outbox_statuses() == ["delivered"]


async def test_events_written_while_stopped_are_delivered_after_restart(client, receiver, webhooks_on):  # noqa: F811
    user = await register(client)
    hook = await make_hook(client, user, url=receiver.url, events=["link.created", "ping"])
    first = quick_dispatcher(timeout=10.0)
    first.start()
    receiver.answer((200, 3.0))
    await client.post(f"{HOOKS}/{hook['id']}/test", headers=user["headers"])
    await receiver.wait_for(1)  # in flight when the app stops
    await first.stop(grace=0.1)
    await create_link(client, user)  # written while no dispatcher runs

    assert await outbox_statuses() == ["pending", "pending"]
    async with running.dispatching():  # the app starting again, its dispatcher on a thread of its own
        got = await receiver.wait_for(3)
        await wait_until(lambda: _all_delivered(2))

    # The interrupted one comes again at once (its lease was given back), with the same id.
    assert got[0].headers["linkapp-delivery"] in {each.headers["linkapp-delivery"] for each in got[1:]}
    assert sorted(each.event["type"] for each in got[1:]) == ["link.created", "ping"]


async def _all_delivered(count: int) -> bool:
    return await outbox_statuses() == ["delivered"] * count


async def test_two_dispatchers_never_deliver_an_event_twice(client, receiver, webhooks_on):  # noqa: F811
    user = await register(client)
    hook = await make_hook(client, user, url=receiver.url, events=["ping"])
    async with database.session() as db:
        hook_row = (await db.execute(select(Webhook))).scalar_one()
        for n in range(60):
            outbox.add(db, [hook_row.id], "ping", {"n": n})
        await db.commit()
    receiver.answer(*[(200, 0.01)] * 60)

    dispatchers = [quick_dispatcher(timeout=10.0), quick_dispatcher(timeout=10.0)]  # no retry: each event is sent once
    for each in dispatchers:
        each.start()
    try:
        await receiver.wait_for(60, timeout=15.0)
        await wait_until(lambda: _all_delivered(60), timeout=10.0)
    finally:
        for each in dispatchers:
            await each.stop(grace=0.5)

    ids = [each.headers["linkapp-delivery"] for each in receiver.received]
    assert len(ids) == len(set(ids)) == 60
    assert sorted(each.event["data"]["n"] for each in receiver.received) == list(range(60))
    assert sum(each.sent for each in dispatchers) == 60
    async with database.session() as db:
        tries = (await db.execute(select(WebhookAttempt.attempt, WebhookAttempt.status_code))).all()
    assert len(tries) == 60 and set(tries) == {(1, 200)}
    assert (await client.get(HOOKS, headers=user["headers"])).json()["items"][0]["last_status"] == 200
    assert hook["id"]


async def test_events_of_a_hook_made_on_another_worker_a_moment_ago_do_not_wait(client, receiver, webhooks_on, monkeypatch):  # noqa: F811
    """The dispatcher read the hooks a moment before another worker made one (so nobody here hears
    of it), then a commit here owes the new hook an event: it must go out within a second or so,
    not wait for the dispatcher's next idle look."""
    monkeypatch.setattr(hooks, "_changed", lambda: None)  # as if made elsewhere: no bell in this process
    user = await register(client)
    running = quick_dispatcher(idle=60.0)
    running.start()
    try:
        await asyncio.sleep(0.3)  # it has looked at the hooks: none yet
        hook = await make_hook(client, user, url=receiver.url, events=["ping"])
        async with database.session() as db:
            hook_id = (await db.execute(select(Webhook.id))).scalar_one()
            outbox.add(db, [hook_id], "ping", {"n": 1})
            await db.commit()  # rings for the hook, which this dispatcher does not know yet
        (arrived,) = await receiver.wait_for(1, timeout=4.0)
    finally:
        await running.stop(grace=0.5)
    assert arrived.event["type"] == "ping" and arrived.event["data"] == {"n": 1}
    assert arrived.headers["linkapp-event"] == "ping" and hook["url"] == receiver.url


async def test_the_address_is_checked_again_at_delivery(client, receiver, dispatcher, monkeypatch):  # noqa: F811
    user = await register(client)
    hook = await make_hook(client, user, url=receiver.url, events=["ping"])
    monkeypatch.setattr(settings, "WEBHOOK_ALLOW_PRIVATE", False)  # as if its name now led to this machine

    await client.post(f"{HOOKS}/{hook['id']}/test", headers=user["headers"])
    log = await wait_until(lambda: _attempts(client, user, hook, 1))

    assert log[0]["status_code"] is None and "127.0.0.1 is a loopback address" in log[0]["error"]
    assert receiver.received == []
    listed = (await client.get(HOOKS, headers=user["headers"])).json()["items"][0]
    assert listed["failing_since"] is not None and listed["last_error"].startswith("refused")


async def test_a_hook_failing_for_3_days_is_disabled_and_audited(client, receiver, dispatcher):  # noqa: F811
    user = await register(client)
    hook = await make_hook(client, user, url=receiver.url, events=["ping"])
    async with database.session() as db:
        await db.execute(update(Webhook).values(failing_since=utcnow() - timedelta(days=3, minutes=1)))
        await db.commit()
    receiver.answer(503)

    await client.post(f"{HOOKS}/{hook['id']}/test", headers=user["headers"])
    listed = await wait_until(lambda: _disabled(client, user))

    assert listed["disabled_reason"].startswith("Every delivery failed for 3 days") and "503" in listed["disabled_reason"]
    audit = (await client.get("/api/v1/auth/audit", headers=user["headers"])).json()["items"]
    assert audit[0]["event"] == "webhook_disabled" and audit[0]["detail"] == f"{hook['id']} (127.0.0.1)"
    # Enabled again by its owner, it starts afresh.
    enabled = (await client.patch(f"{HOOKS}/{hook['id']}", json={"disabled": False}, headers=user["headers"])).json()
    assert enabled["disabled"] is False and enabled["failing_since"] is None and enabled["disabled_reason"] is None


async def _disabled(client, user) -> dict | None:
    listed = (await client.get(HOOKS, headers=user["headers"])).json()["items"][0]
    return listed if listed["disabled"] else None


async def test_finished_events_and_logs_are_purged_after_the_log_days(client, receiver, dispatcher):  # noqa: F811
    user = await register(client)
    hook = await make_hook(client, user, url=receiver.url, events=["ping"])
    gone = await make_hook(client, user, url=receiver.url, events=["ping"])
    await client.post(f"{HOOKS}/{hook['id']}/test", headers=user["headers"])
    await receiver.wait_for(1)
    await wait_until(lambda: _all_delivered(1))
    async with database.session() as db:
        outbox.add(db, [987654], "ping", {})  # owed to a hook that no longer exists
        await db.commit()

    async with database.session() as db:
        kept = await retention.purge(db, now=utcnow() + timedelta(days=settings.WEBHOOK_LOG_DAYS - 1))
        await db.commit()
    assert kept == 1  # only the orphan
    assert len(await deliveries(client, user, hook)) == 1
    async with database.session() as db:
        purged = await retention.purge(db, now=utcnow() + timedelta(days=settings.WEBHOOK_LOG_DAYS, minutes=1))
        await db.commit()
        left = (await db.execute(select(func.count()).select_from(WebhookDelivery))).scalar_one()
        attempts = (await db.execute(select(func.count()).select_from(WebhookAttempt))).scalar_one()

    assert purged == 2 and left == 0 and attempts == 0
    assert await deliveries(client, user, hook) == [] and await deliveries(client, user, gone) == []


async def test_a_busy_links_clicks_wait_in_batches_then_each_arrives_once(client, receiver, webhooks_on, monkeypatch):  # noqa: F811
    monkeypatch.setattr(outbox, "CLICK_BATCH_EVENTS", 3)
    user = await register(client)
    await make_hook(client, user, url=receiver.url, events=["link.clicked"])
    link = await create_link(client, user)
    clicks = [
        Click(link_id=ids.decode_link_id(link["id"]), clicked_at=utcnow(), ip_address=f"203.0.113.{n}", user_agent=BROWSER, click_id=f"c{n:031d}")
        for n in range(7)
    ]
    assert await click_store.store(clicks) == 7
    async with database.session() as db:
        waiting = (await db.execute(select(WebhookClickBatch.events).order_by(WebhookClickBatch.id))).scalars().all()
    assert waiting == [3, 3, 1]  # three rows for seven clicks, none in the outbox yet
    assert await outbox_statuses() == []

    running = quick_dispatcher()
    running.start()
    try:
        await receiver.wait_for(7, timeout=10.0)
        await wait_until(lambda: _all_delivered(7))
        assert await click_store.store(clicks) == 0  # the same batch replayed (a writer's retry)
        await asyncio.sleep(0.5)  # time for a wrong second delivery to arrive
    finally:
        await running.stop(grace=0.5)

    assert sorted(each.headers["linkapp-delivery"] for each in receiver.received) == [f"evt_c{n:031d}" for n in range(7)]  # once each
    assert {each.event["data"]["link_id"] for each in receiver.received} == {link["id"]}
    async with database.session() as db:
        assert (await db.execute(select(func.count()).select_from(WebhookClickBatch))).scalar_one() == 0


async def test_a_hook_made_on_another_worker_is_owed_the_very_next_click(client, webhooks_on, monkeypatch):  # noqa: F811
    """The writer here stored a batch just before another worker made a hook (nobody here hears
    of it): the next click stored is owed to the hook all the same."""
    monkeypatch.setattr(hooks, "_changed", lambda: None)  # as if made elsewhere
    user = await register(client)
    link_id = ids.decode_link_id((await create_link(client, user))["id"])

    def click(n: int) -> Click:
        return Click(link_id=link_id, clicked_at=utcnow(), ip_address=f"203.0.113.{n}", user_agent=BROWSER, click_id=f"m{n:031d}")

    assert await click_store.store([click(1)]) == 1  # no hook yet: owes nothing
    await make_hook(client, user, url="http://127.0.0.1:9/new", events=["link.clicked"])
    assert await click_store.store([click(2)]) == 1
    async with database.session() as db:
        owed = (await db.execute(select(WebhookClickBatch.lines))).scalars().all()
    assert len(owed) == 1 and owed[0].startswith(f"evt_m{2:031d}\t")


async def test_click_events_waiting_go_with_their_hook_and_past_the_retry_window(client, webhooks_on):  # noqa: F811
    user = await register(client)
    kept = await make_hook(client, user, url="http://127.0.0.1:9/a", events=["link.clicked"])
    deleted = await make_hook(client, user, url="http://127.0.0.1:9/b", events=["link.clicked"])
    link = await create_link(client, user)
    await click_store.store([Click(link_id=ids.decode_link_id(link["id"]), clicked_at=utcnow(), ip_address="203.0.113.9", user_agent=BROWSER)])

    assert (await client.delete(f"{HOOKS}/{deleted['id']}", headers=user["headers"])).status_code == 204
    async with database.session() as db:
        assert (await db.execute(select(WebhookClickBatch.hook_id))).scalars().all() == [ids.decode_webhook_id(kept["id"])]
        assert await retention.purge(db, now=utcnow() + timedelta(days=1)) == 0  # still within the retry window
        assert await retention.purge(db, now=utcnow() + schedule.GIVE_UP_AFTER + timedelta(minutes=1)) == 1
        await db.commit()
        assert (await db.execute(select(func.count()).select_from(WebhookClickBatch))).scalar_one() == 0
