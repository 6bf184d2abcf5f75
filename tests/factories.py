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


async def store_clicks(link: dict, *moments, source=None, ip="203.0.113.7", ua=None, is_bot=False) -> None:
    """Clicks at chosen moments, stored through the real writer (events and rollups together)."""
    from linkapp.core import ids
    from linkapp.models.click import Click
    from linkapp.services.clicks import store as click_store

    link_id = ids.decode_link_id(link["id"])
    ua = ua or "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
    reason = "bot" if is_bot else None
    await click_store.store([Click(link_id=link_id, clicked_at=m, ip_address=ip, user_agent=ua, source=source, bot_reason=reason) for m in moments])
