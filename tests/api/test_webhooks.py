"""/api/v1/webhooks: making, listing, changing and deleting hooks; where they may point."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from linkapp.core.config import settings
from linkapp.models.webhook import Webhook
from tests.factories import create_link, register
from tests.webhook_receiver import webhooks_on  # noqa: F401 - a fixture

HOOKS = "/api/v1/webhooks"


async def make_hook(client, user: dict, url: str = "http://127.0.0.1:9/hook", events: list[str] | None = None, **fields) -> dict:
    response = await client.post(HOOKS, json={"url": url, "events": events or ["link.created"], **fields}, headers=user["headers"])
    assert response.status_code == 201, response.text
    return response.json()


async def test_secret_is_shown_once_and_never_listed(client, db, webhooks_on):  # noqa: F811
    user = await register(client)
    hook = await make_hook(client, user, events=["link.clicked", "link.created"], description="CRM sync")

    assert hook["secret"].startswith("whsec_") and len(hook["secret"]) > 40
    assert hook["id"].startswith("wh_") and hook["events"] == ["link.clicked", "link.created"]
    listed = (await client.get(HOOKS, headers=user["headers"])).json()
    assert listed["total"] == 1 and "secret" not in listed["items"][0]
    assert hook["secret"] not in str(listed)
    assert listed["items"][0] | {"secret": hook["secret"]} == hook
    assert {"last_status", "last_delivery_at", "failing_since"} <= set(listed["items"][0])
    stored = (await db.execute(select(Webhook))).scalar_one()
    assert stored.secret == hook["secret"]  # kept as given: every delivery is signed with it


async def test_a_new_hook_says_where_it_lives_and_can_be_read_there(client, webhooks_on):  # noqa: F811
    user = await register(client)
    response = await client.post(HOOKS, json={"url": "http://127.0.0.1:9/hook", "events": ["ping"]}, headers=user["headers"])

    location = response.headers["location"]
    assert location.endswith(f"/api/v1/webhooks/{response.json()['id']}")
    read = await client.get(location.removeprefix("http://testserver"), headers=user["headers"])
    assert read.status_code == 200 and read.json()["id"] == response.json()["id"] and "secret" not in read.json()
    stranger = await register(client)
    assert (await client.get(location.removeprefix("http://testserver"), headers=stranger["headers"])).status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://2130706433/hook",  # 127.0.0.1 spelt as one number
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://10.1.2.3/hook",
        "https://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data",  # a cloud's metadata service
        "http://0.0.0.0/hook",
        "http://224.0.0.1/hook",
    ],
)
async def test_hook_to_this_machine_or_its_network_is_refused(client, url):
    user = await register(client)

    response = await client.post(HOOKS, json={"url": url, "events": ["ping"]}, headers=user["headers"])

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["loc"][-1] == "url"
    assert "public addresses" in response.json()["detail"]


async def test_allowing_private_targets_lets_a_hook_reach_them(client, monkeypatch):
    user = await register(client)
    monkeypatch.setattr(settings, "WEBHOOK_ALLOW_PRIVATE", True)

    assert (await client.post(HOOKS, json={"url": "http://127.0.0.1:8000/hook", "events": ["ping"]}, headers=user["headers"])).status_code == 201


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://example.com/x", "events": ["ping"]}, "url"),
        ({"url": "javascript:alert(1)", "events": ["ping"]}, "url"),
        ({"url": "https://user:pw@example.com/x", "events": ["ping"]}, "url"),
        ({"url": "not a url", "events": ["ping"]}, "url"),
        ({"url": "https://example.com/x\n", "events": ["ping"]}, "url"),
        ({"url": "https://example.com/" + "x" * 2048, "events": ["ping"]}, "url"),
        ({"url": "https://example.com/x", "events": []}, "events"),
        ({"url": "https://example.com/x", "events": ["link.exploded"]}, "events"),
        ({"url": "https://example.com/x", "events": "ping"}, "events"),
        ({"url": "https://example.com/x", "events": ["ping"], "description": "x" * 201}, "description"),
    ],
)
async def test_bad_urls_and_events_are_422(client, body, field):
    user = await register(client)

    response = await client.post(HOOKS, json=body, headers=user["headers"])

    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["loc"][-1] in (field, 0)


async def test_hooks_of_another_user_are_unknown(client, webhooks_on):  # noqa: F811
    owner, stranger = await register(client), await register(client)
    hook = await make_hook(client, owner)
    path = f"{HOOKS}/{hook['id']}"

    assert (await client.patch(path, json={"disabled": True}, headers=stranger["headers"])).status_code == 404
    assert (await client.delete(path, headers=stranger["headers"])).status_code == 404
    assert (await client.get(f"{path}/deliveries", headers=stranger["headers"])).status_code == 404
    assert (await client.post(f"{path}/test", headers=stranger["headers"])).status_code == 404
    assert (await client.get(HOOKS, headers=stranger["headers"])).json()["total"] == 0
    assert (await client.delete(f"{HOOKS}/wh_nonsense", headers=owner["headers"])).status_code == 404
    assert (await client.get(HOOKS, headers=owner["headers"])).json()["items"][0]["disabled"] is False


async def test_edit_events_disable_and_enable_again(client, webhooks_on):  # noqa: F811
    user = await register(client)
    hook = await make_hook(client, user)
    path = f"{HOOKS}/{hook['id']}"

    edited = await client.patch(path, json={"events": ["link.deleted", "link.clicked"], "description": "audit trail"}, headers=user["headers"])
    assert edited.status_code == 200, edited.text
    assert edited.json()["events"] == ["link.clicked", "link.deleted"] and edited.json()["description"] == "audit trail"
    assert "secret" not in edited.json()

    assert (await client.patch(path, json={"disabled": True}, headers=user["headers"])).json()["disabled"] is True
    refused = await client.post(f"{path}/test", headers=user["headers"])
    assert refused.status_code == 409
    assert (await client.patch(path, json={"disabled": False}, headers=user["headers"])).json()["disabled"] is False
    assert (await client.post(f"{path}/test", headers=user["headers"])).status_code == 202
    assert (await client.patch(path, json={"events": None}, headers=user["headers"])).status_code == 422
    assert (await client.patch(path, json={"url": "http://127.0.0.1:1/elsewhere"}, headers=user["headers"])).json()["url"] == "http://127.0.0.1:1/elsewhere"


async def test_changing_the_url_to_a_private_address_is_refused(client, webhooks_on, monkeypatch):  # noqa: F811
    user = await register(client)
    hook = await make_hook(client, user)
    monkeypatch.setattr(settings, "WEBHOOK_ALLOW_PRIVATE", False)

    response = await client.patch(f"{HOOKS}/{hook['id']}", json={"url": "http://127.0.0.1:9/other"}, headers=user["headers"])

    assert response.status_code == 422
    assert (await client.get(HOOKS, headers=user["headers"])).json()["items"][0]["url"] == hook["url"]


async def test_making_and_deleting_a_hook_is_in_the_audit_log(client, webhooks_on):  # noqa: F811
    user = await register(client)
    hook = await make_hook(client, user, url="http://127.0.0.1:9/secret-token-in-path")

    assert (await client.delete(f"{HOOKS}/{hook['id']}", headers=user["headers"])).status_code == 204

    assert (await client.get(HOOKS, headers=user["headers"])).json()["total"] == 0
    log = (await client.get("/api/v1/auth/audit", headers=user["headers"])).json()["items"]
    assert [(entry["event"], entry["detail"]) for entry in log[:2]] == [
        ("webhook_deleted", f"{hook['id']} (127.0.0.1)"),
        ("webhook_created", f"{hook['id']} (127.0.0.1)"),
    ]
    assert "secret-token" not in str(log)


async def test_hooks_are_paged_newest_first(client, webhooks_on):  # noqa: F811
    user = await register(client)
    made = [await make_hook(client, user, description=f"hook {n}") for n in range(3)]

    page = (await client.get(f"{HOOKS}?limit=2&offset=1", headers=user["headers"])).json()

    assert page["total"] == 3 and (page["limit"], page["offset"]) == (2, 1)
    assert [item["id"] for item in page["items"]] == [made[1]["id"], made[0]["id"]]
    assert (await client.get(f"{HOOKS}?limit=0", headers=user["headers"])).status_code == 422
    assert (await client.get(f"{HOOKS}/{made[0]['id']}/deliveries?limit=101", headers=user["headers"])).status_code == 422


async def test_a_link_change_rolled_back_owes_no_event(client, db, webhooks_on):  # noqa: F811
    from linkapp.models.webhook import WebhookDelivery

    user = await register(client)
    await make_hook(client, user, events=["link.created", "link.updated"])
    await create_link(client, user, slug="taken-slug")
    other = await create_link(client, user)

    assert (await client.post("/api/v1/links", json={"url": "https://example.com/x", "slug": "taken-slug"}, headers=user["headers"])).status_code == 409
    assert (await client.patch(f"/api/v1/links/{other['id']}", json={"slug": "Taken-Slug"}, headers=user["headers"])).status_code == 409

    owed = (await db.execute(select(WebhookDelivery.event_type))).scalars().all()
    assert sorted(owed) == ["link.created", "link.created"]


async def test_only_the_events_a_hook_wants_are_owed_to_it(client, db, webhooks_on):  # noqa: F811
    from linkapp.models.webhook import WebhookDelivery

    user, other = await register(client), await register(client)
    await make_hook(client, user, events=["link.deleted"])
    await make_hook(client, other, events=["link.created"])
    link = await create_link(client, user)
    await client.delete(f"/api/v1/links/{link['id']}", headers=user["headers"])

    owed = (await db.execute(select(WebhookDelivery.event_type))).scalars().all()
    assert owed == ["link.deleted"]
