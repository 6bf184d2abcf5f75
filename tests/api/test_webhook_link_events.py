"""link.* events of links changed in bulk (a CSV import, a tag renamed or removed), delivered to a
real receiver on loopback as those of POST and PATCH /links are."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from linkapp import db as database
from linkapp.core import ids
from linkapp.models.webhook import WebhookDelivery
from linkapp.services.links import import_batches, imports
from tests.api.test_imports import SAMPLES, import_file, links_of
from tests.api.test_webhooks import make_hook
from tests.factories import create_link, register
from tests.test_cli import linkapp
from tests.webhook_receiver import Receiver, dispatcher, receiver, webhooks_on  # noqa: F401 - fixtures


@pytest.fixture
def second_receiver():
    server = Receiver().start()
    yield server
    server.stop()


async def owed(hook: dict) -> list[tuple[str, str]]:
    """(event type, payload) of every event the outbox holds for `hook`, delivered or not."""
    async with database.session() as db:
        rows = await db.execute(
            select(WebhookDelivery.event_type, WebhookDelivery.payload)
            .where(WebhookDelivery.hook_id == ids.decode_webhook_id(hook["id"]))
            .order_by(WebhookDelivery.id)
        )
        return [tuple(row) for row in rows.all()]


def failing_once(original, exception: Exception, *, on_call: int = 1):
    """`original`, except that its `on_call`-th call raises `exception` (after nothing of its own)."""
    calls = 0

    async def wrapper(*args, **kwargs):
        nonlocal calls
        calls += 1
        if calls == on_call:
            raise exception
        return await original(*args, **kwargs)

    return wrapper


async def test_import_delivers_one_link_created_per_link_to_the_hooks_that_want_it(client, receiver, second_receiver, dispatcher, monkeypatch):  # noqa: F811
    monkeypatch.setattr(imports, "BATCH", 3)  # the sample's 8 rows in three batches
    user, stranger = await register(client), await register(client)
    wants = await make_hook(client, user, url=receiver.url, events=["link.created"])
    other_events = await make_hook(client, user, url=second_receiver.url, events=["link.updated", "link.deleted"])
    strangers = await make_hook(client, stranger, url=second_receiver.url, events=["link.created"])

    job = await import_file(client, user, (SAMPLES / "linkapp.csv").read_bytes())

    assert (job["status"], job["created"], job["failed"]) == ("done", 4, 4)
    links = {link["id"]: link for link in (await links_of(client, user)).values()}
    arrived = await receiver.wait_for(4)
    assert [each.event["type"] for each in arrived] == ["link.created"] * 4
    # Each link announced once, exactly as the API shows it (tags in order, the click limit unused).
    assert sorted(each.event["data"]["id"] for each in arrived) == sorted(links)
    for each in arrived:
        assert each.event["data"] == links[each.event["data"]["id"]]
    sale = next(each.event["data"] for each in arrived if each.event["data"]["slug"] == "spring-sale")
    assert (sale["tags"], sale["max_clicks"], sale["clicks_used"], sale["status"]) == (["news", "promo"], 500, 0, "active")
    assert len({each.event["id"] for each in arrived}) == 4
    assert len(await owed(wants)) == 4
    assert await owed(other_events) == [] and await owed(strangers) == []

    # The hook without link.created gets the next event it does want as its first.
    gone = next(iter(links))
    assert (await client.delete(f"/api/v1/links/{gone}", headers=user["headers"])).status_code == 204
    [first] = await second_receiver.wait_for(1)
    assert (first.event["type"], first.event["data"]["id"]) == ("link.deleted", gone)
    assert [event_type for event_type, _ in await owed(other_events)] == ["link.deleted"]


async def test_import_from_the_command_line_delivers_link_created_too(client, receiver, dispatcher):  # noqa: F811
    user = await register(client)
    await make_hook(client, user, url=receiver.url, events=["link.created"])

    result = await linkapp("import", str(SAMPLES / "yourls.csv"), "--user", user["username"])

    assert result.exit_code == 0, result.output
    links = await links_of(client, user)
    arrived = await receiver.wait_for(3)
    assert sorted(each.event["data"]["slug"] for each in arrived) == sorted(links) == ["multi", "ozh", "yourls-gh"]


async def test_import_in_update_mode_delivers_link_updated_for_each_changed_link(client, receiver, dispatcher):  # noqa: F811
    user = await register(client)
    kept = await create_link(client, user, url="https://example.com/old", slug="keep-me", tags=["x"])
    await make_hook(client, user, url=receiver.url, events=["link.updated"])

    job = await import_file(client, user, "keyword,url\nkeep-me,https://example.com/new\nfresh-one,https://example.com/fresh\n", mode="update")

    assert (job["updated"], job["created"]) == (1, 1)
    [updated] = await receiver.wait_for(1)
    assert updated.event["type"] == "link.updated"
    assert updated.event["data"] == (await links_of(client, user))["keep-me"]
    assert (updated.event["data"]["id"], updated.event["data"]["url"], updated.event["data"]["tags"]) == (kept["id"], "https://example.com/new", ["x"])


async def test_batch_rolled_back_and_retried_owes_each_link_once(client, receiver, dispatcher, monkeypatch):  # noqa: F811
    # The batch's first attempt fails once its links and events are written, as a short code
    # taken meanwhile makes it fail; the retry writes the batch again.
    taken = IntegrityError("INSERT INTO links ...", {}, Exception("duplicate key value violates unique constraint"))
    monkeypatch.setattr(import_batches, "save_job", failing_once(import_batches.save_job, taken))
    user = await register(client)
    hook = await make_hook(client, user, url=receiver.url, events=["link.created"])

    job = await import_file(client, user, "keyword,url\nfirst-one,https://example.com/1\nsecond-one,https://example.com/2\n")

    assert (job["status"], job["created"]) == ("done", 2)
    links = await links_of(client, user)
    assert len(await owed(hook)) == 2
    arrived = await receiver.wait_for(2)
    assert sorted(each.event["data"]["id"] for each in arrived) == sorted(link["id"] for link in links.values())
    # Nothing owed later: a link made afterwards is the very next event the hook gets.
    made = await create_link(client, user, url="https://example.com/3")
    assert (await receiver.wait_for(3))[2].event["data"]["id"] == made["id"]
    assert len(await owed(hook)) == 3


async def test_import_failing_in_a_batch_owes_nothing_for_that_batch(client, receiver, dispatcher, monkeypatch):  # noqa: F811
    monkeypatch.setattr(imports, "BATCH", 2)
    monkeypatch.setattr(import_batches, "save_job", failing_once(import_batches.save_job, RuntimeError("the database went away"), on_call=2))
    user = await register(client)
    hook = await make_hook(client, user, url=receiver.url, events=["link.created"])
    rows = "".join(f"code-{n},https://example.com/{n}\n" for n in range(4))

    job = await import_file(client, user, "keyword,url\n" + rows)

    assert (job["status"], job["created"]) == ("failed", 2)
    assert sorted(await links_of(client, user)) == ["code-0", "code-1"]
    assert len(await owed(hook)) == 2
    arrived = await receiver.wait_for(2)
    assert sorted(each.event["data"]["slug"] for each in arrived) == ["code-0", "code-1"]


async def test_tag_rename_delivers_link_updated_with_the_new_tag_for_each_link_carrying_it(client, receiver, dispatcher):  # noqa: F811
    user, stranger = await register(client), await register(client)
    both = await create_link(client, user, url="https://example.com/a", tags=["spring", "news"])
    only = await create_link(client, user, url="https://example.com/b", tags=["spring"])
    untagged = await create_link(client, user, url="https://example.com/c", tags=["news"])
    await create_link(client, stranger, url="https://example.com/d", tags=["spring"])
    hook = await make_hook(client, user, url=receiver.url, events=["link.updated"])
    await make_hook(client, stranger, url=receiver.url, events=["link.updated"])

    response = await client.patch("/api/v1/tags/spring", json={"name": "Summer"}, headers=user["headers"])

    assert response.status_code == 200, response.text
    arrived = await receiver.wait_for(2)
    assert [each.event["type"] for each in arrived] == ["link.updated"] * 2
    data = {each.event["data"]["id"]: each.event["data"] for each in arrived}
    assert set(data) == {both["id"], only["id"]}
    assert (data[both["id"]]["tags"], data[only["id"]]["tags"]) == (["news", "summer"], ["summer"])
    now = await links_of(client, user)
    for link in data.values():
        assert link == now[link["id"]]  # the link as it is now, updated_at moved on too
        assert link["updated_at"] > both["updated_at"]
    assert len(await owed(hook)) == 2  # nothing for the untagged link, nor the stranger's

    # Removing a tag is an edit of the tags of its links too.
    assert (await client.delete("/api/v1/tags/news", headers=user["headers"])).status_code == 204
    later = (await receiver.wait_for(4))[2:]
    assert {each.event["data"]["id"]: each.event["data"]["tags"] for each in later} == {both["id"]: ["summer"], untagged["id"]: []}


async def test_tag_rename_without_a_hook_for_link_updated_owes_nothing(client, db, webhooks_on):  # noqa: F811
    user = await register(client)
    await create_link(client, user, tags=["spring"])
    await make_hook(client, user, events=["link.deleted"])

    assert (await client.patch("/api/v1/tags/spring", json={"name": "summer"}, headers=user["headers"])).status_code == 200

    assert (await db.execute(select(WebhookDelivery.id))).all() == []
