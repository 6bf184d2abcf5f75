"""Personal API keys: scripts authenticate with `Bearer lk_...` instead of signing in."""

from __future__ import annotations

from sqlalchemy import select

from linkapp.models.api_key import ApiKey
from tests.factories import create_link, register


async def make_key(client, user: dict, name: str = "nightly report") -> dict:
    response = await client.post("/api/v1/auth/keys", json={"name": name}, headers=user["headers"])
    assert response.status_code == 201, response.text
    return response.json()


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


async def test_key_works_like_a_session_for_every_route(client):
    user = await register(client)
    key = await make_key(client, user)

    assert key["key"].startswith("lk_") and key["prefix"] == key["key"][:10]
    me = await client.get("/api/v1/auth/me", headers=bearer(key["key"]))
    assert me.status_code == 200 and me.json()["username"] == user["username"]
    created = await client.post("/api/v1/links", json={"url": "https://example.com/by-script"}, headers=bearer(key["key"]))
    assert created.status_code == 201
    listed = await client.get("/api/v1/links", headers=user["headers"])
    assert [item["url"] for item in listed.json()["items"]] == ["https://example.com/by-script"]
    assert "RateLimit-Remaining" in me.headers  # keys count against RATE_LIMIT_API too


async def test_key_is_shown_once_and_stored_only_as_a_hash(client, db):
    user = await register(client)
    key = await make_key(client, user)

    listed = (await client.get("/api/v1/auth/keys", headers=user["headers"])).json()
    stored = (await db.execute(select(ApiKey))).scalars().all()

    assert listed["total"] == 1 and listed["items"][0]["name"] == "nightly report"
    assert "key" not in listed["items"][0]
    assert key["key"] not in {row.key_hash for row in stored} and all(key["key"] not in row.prefix for row in stored)


async def test_revoked_key_stops_working_at_once(client):
    user = await register(client)
    key = await make_key(client, user)
    other = await make_key(client, user, name="other script")

    assert (await client.delete(f"/api/v1/auth/keys/{key['id']}", headers=user["headers"])).status_code == 204

    refused = await client.get("/api/v1/auth/me", headers=bearer(key["key"]))
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"
    assert (await client.get("/api/v1/auth/me", headers=bearer(other["key"]))).status_code == 200
    assert [item["name"] for item in (await client.get("/api/v1/auth/keys", headers=user["headers"])).json()["items"]] == ["other script"]


async def test_keys_of_another_user_are_unknown(client):
    owner, stranger = await register(client), await register(client)
    key = await make_key(client, owner)

    assert (await client.delete(f"/api/v1/auth/keys/{key['id']}", headers=stranger["headers"])).status_code == 404
    assert (await client.get("/api/v1/auth/keys", headers=stranger["headers"])).json()["total"] == 0
    assert (await client.get("/api/v1/auth/me", headers=bearer(key["key"]))).status_code == 200


async def test_made_up_keys_and_bad_names_are_refused(client):
    user = await register(client)
    await create_link(client, user)

    for secret in ("lk_made-up", "lk_", "lk_" + "x" * 5000):
        response = await client.get("/api/v1/links", headers=bearer(secret))
        assert response.status_code == 401, secret
    for name in ("", "x" * 65):
        response = await client.post("/api/v1/auth/keys", json={"name": name}, headers=user["headers"])
        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"][-1] == "name"
    assert (await client.delete("/api/v1/auth/keys/not-an-id", headers=user["headers"])).status_code == 404


async def test_key_notes_when_it_was_last_used(client):
    user = await register(client)
    key = await make_key(client, user)
    assert (await client.get("/api/v1/auth/keys", headers=user["headers"])).json()["items"][0]["last_used_at"] is None

    await client.get("/api/v1/auth/me", headers=bearer(key["key"]))

    assert (await client.get("/api/v1/auth/keys", headers=user["headers"])).json()["items"][0]["last_used_at"] is not None
