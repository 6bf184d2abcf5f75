"""A `201 Created` answer says where the new thing lives: `Location`, which a client can GET."""

from __future__ import annotations

import pytest

from linkapp.core.config import settings
from tests.factories import PASSWORD, register, unique_username


async def test_register_points_location_at_the_new_account(client):
    username = unique_username()
    response = await client.post("/api/v1/auth/register", json={"username": username, "password": PASSWORD})

    assert response.status_code == 201, response.text
    assert response.headers["location"] == f"{settings.HOST_URL}/api/v1/auth/me"
    me = await client.get(response.headers["location"], headers={"Authorization": f"Bearer {response.json()['access_token']}"})
    assert (me.status_code, me.json()["username"], me.json()["id"]) == (200, username, response.json()["id"])


async def test_refused_registration_has_no_location(client):
    user = await register(client)
    response = await client.post("/api/v1/auth/register", json={"username": user["username"], "password": PASSWORD})

    assert response.status_code == 409
    assert "location" not in response.headers


async def test_create_link_points_location_at_the_new_link(client):
    user = await register(client)
    response = await client.post("/api/v1/links", json={"url": "https://example.com/launch", "slug": "spring-launch"}, headers=user["headers"])

    assert response.status_code == 201, response.text
    created = response.json()
    assert response.headers["location"] == f"{settings.HOST_URL}/api/v1/links/{created['id']}"
    fetched = await client.get(response.headers["location"], headers=user["headers"])
    assert (fetched.status_code, fetched.json()) == (200, created)


async def test_create_key_points_location_at_the_key_without_its_secret(client):
    user, other = await register(client), await register(client)
    response = await client.post("/api/v1/auth/keys", json={"name": "backup script"}, headers=user["headers"])

    assert response.status_code == 201, response.text
    created = response.json()
    assert response.headers["location"] == f"{settings.HOST_URL}/api/v1/auth/keys/{created['id']}"
    fetched = await client.get(response.headers["location"], headers=user["headers"])
    assert fetched.status_code == 200
    assert fetched.json() == {name: value for name, value in created.items() if name != "key"}
    # Another user's key is as unknown as a missing one; a revoked key is gone.
    assert (await client.get(response.headers["location"], headers=other["headers"])).status_code == 404
    assert (await client.delete(response.headers["location"], headers=user["headers"])).status_code == 204
    assert (await client.get(response.headers["location"], headers=user["headers"])).status_code == 404


@pytest.mark.parametrize("path", ["/api/v1/auth/register", "/api/v1/links", "/api/v1/auth/keys"])
async def test_openapi_documents_location_on_201(client, path):
    doc = (await client.get("/openapi.json")).json()

    created = doc["paths"][path]["post"]["responses"]["201"]
    assert created["headers"]["Location"]["schema"] == {"type": "string", "format": "uri"}
    assert created["content"]["application/json"]["schema"]["$ref"]


async def test_made_up_key_id_is_404(client):
    user = await register(client)

    for key_id in ("0", "key_nope", "%F0%9F%94%91"):
        response = await client.get(f"/api/v1/auth/keys/{key_id}", headers=user["headers"])
        assert response.status_code == 404, (key_id, response.text)
        assert response.headers["content-type"] == "application/problem+json"
