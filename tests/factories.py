"""Test data made through the real API, the way a user would make it."""

from __future__ import annotations

import itertools

import httpx

PASSWORD = "Corr3ct-Horse!"
_counter = itertools.count(1)


def unique_username(prefix: str = "user") -> str:
    return f"{prefix}{next(_counter)}"


async def register(client: httpx.AsyncClient, username: str | None = None, password: str = PASSWORD) -> dict:
    """Registers a user; returns the token response plus ready-made auth headers."""
    username = username or unique_username()
    response = await client.post("/api/v1/auth/register", json={"username": username, "password": password})
    assert response.status_code == 201, response.text
    body = response.json()
    body["headers"] = {"Authorization": f"Bearer {body['access_token']}"}
    body["refresh_token"] = response.cookies.get("refresh_token")
    return body


async def create_link(client: httpx.AsyncClient, user: dict, url: str = "https://example.com/page", **fields) -> dict:
    response = await client.post("/api/v1/links", json={"url": url, **fields}, headers=user["headers"])
    assert response.status_code == 201, response.text
    return response.json()


def short_path(link: dict) -> str:
    return "/" + link["shortened_url"].rsplit("/", 1)[1]
