"""What a link may be: the URL, title, slug, expiry, click limit and redirect status rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from linkapp.core.config import settings
from tests.factories import create_link, register

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"


async def post_link(client, user, **fields):
    return await client.post("/api/v1/links", json={"url": "https://example.com/", **fields}, headers=user["headers"])


async def assert_refused(client, user, response, status: int, field: str | None = None) -> dict:
    """`status` with problem+json naming `field` (for 422), and nothing was created."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    if status == 422 and field:
        assert any(err["loc"][-1] == field for err in body["errors"]), body
    return body


async def link_count(client, user) -> int:
    return (await client.get("/api/v1/links", headers=user["headers"])).json()["total"]


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:alert(document.cookie)",
        "data:text/html,<script>alert(1)</script>",
        "file:///etc/passwd",
        "ftp://example.com/file.txt",
        "mailto:someone@example.com",
        "example.com/no-scheme",
        "//example.com/protocol-relative",
        "http://",
        "https:///path-only",
        "http://:8080/",
        "https://example.com:99999/",
        "https://exa mple.com/",
        "https://example.com/a b",
        "https://example.com/\ttab",
        "",
        "   ",
    ],
)
async def test_create_link_with_bad_url_is_422(client, url):
    user = await register(client)
    response = await post_link(client, user, url=url)
    await assert_refused(client, user, response, 422, "url")
    assert await link_count(client, user) == 0


@pytest.mark.parametrize(
    "url",
    [
        "http://testserver/abc123",
        "https://TestServer/abc123",
        "http://testserver:80/x",
        "http://user@testserver/x",
        "http://testserver./x",
        "http://test%73erver/x",
        "http://\uff54\uff45\uff53\uff54\uff53\uff45\uff52\uff56\uff45\uff52/x",
    ],
)
async def test_create_link_to_this_service_is_422(client, url):
    user = await register(client)
    await assert_refused(client, user, await post_link(client, user, url=url), 422, "url")


async def test_create_link_to_other_port_of_own_host_is_422(client):
    user = await register(client)
    body = await assert_refused(client, user, await post_link(client, user, url="http://testserver:9000/elsewhere"), 422, "url")
    assert "this service" in body["errors"][0]["msg"]
    assert await link_count(client, user) == 0


@pytest.mark.parametrize(
    "url",
    ["http://2130706433:8000/x", "http://0x7f000001:8000/x", "http://127.1:8000/x", "http://[::ffff:127.0.0.1]:8000/x", "http://[::1]:8000/x", "http://localhost:8000/x"],
)
async def test_create_link_to_loopback_in_any_spelling_is_422(client, url):
    user = await register(client)
    body = await assert_refused(client, user, await post_link(client, user, url=url, max_clicks=1), 422, "url")
    assert body["status"] == 422
    assert "local addresses" in body["detail"]
    assert body["errors"] == [{"loc": ["body", "url"], "msg": body["detail"]}]
    assert await link_count(client, user) == 0


async def test_create_link_to_private_address_is_201_unless_blocked(client, monkeypatch):
    user = await register(client)
    assert (await create_link(client, user, url="http://192.168.1.10/router"))["url"] == "http://192.168.1.10/router"
    monkeypatch.setattr(settings, "BLOCK_PRIVATE_TARGETS", True)
    body = await assert_refused(client, user, await post_link(client, user, url="http://192.168.1.10/router"), 422, "url")
    assert "private network" in body["detail"]
    assert await link_count(client, user) == 1


async def test_create_link_with_url_over_2048_chars_is_422(client):
    user = await register(client)
    base = "https://example.com/"
    ok = await post_link(client, user, url=base + "a" * (2048 - len(base)))
    assert ok.status_code == 201
    too_long = await post_link(client, user, url=base + "a" * (2049 - len(base)))
    await assert_refused(client, user, too_long, 422, "url")


@pytest.mark.parametrize("url", ["javascript:alert(1)", "http://0177.0.0.1:8000/x"])
async def test_update_link_with_bad_url_is_422_and_keeps_old_url(client, url):
    user = await register(client)
    link = await create_link(client, user, url="https://example.com/keep")
    response = await client.patch(f"/api/v1/links/{link['id']}", json={"url": url}, headers=user["headers"])
    await assert_refused(client, user, response, 422, "url")
    redirect = await client.get(f"/{link['id']}", headers={"User-Agent": BROWSER})
    assert redirect.headers["location"] == "https://example.com/keep"


async def test_create_link_with_title_over_200_chars_is_422(client):
    user = await register(client)
    assert (await post_link(client, user, title="t" * 200)).status_code == 201
    await assert_refused(client, user, await post_link(client, user, title="t" * 201), 422, "title")


@pytest.mark.parametrize("title", ["nul\x00byte", "bell\x07", "esc\x1b[31m"])
async def test_create_link_with_control_characters_in_title_is_422(client, title):
    user = await register(client)
    await assert_refused(client, user, await post_link(client, user, title=title), 422, "title")
    assert await link_count(client, user) == 0


async def test_create_link_collapses_whitespace_in_title(client):
    user = await register(client)
    link = await create_link(client, user, title="  Line one \t\tline  two  ")
    assert link["title"] == "Line one line two"


@pytest.mark.parametrize("slug", ["ab", "a" * 65, "has space", "dots.not.ok", "slash/no", "ümlaut", "emoji🙂", "semi;colon"])
async def test_create_link_with_malformed_slug_is_422(client, slug):
    user = await register(client)
    await assert_refused(client, user, await post_link(client, user, slug=slug), 422, "slug")


@pytest.mark.parametrize("slug", ["abc", "a" * 64, "A-b_C-1", "___", "2024"])
async def test_create_link_with_wellformed_slug_is_201(client, slug):
    user = await register(client)
    response = await post_link(client, user, slug=slug)
    assert response.status_code == 201, response.text
    assert response.json()["slug"] == slug


@pytest.mark.parametrize("slug", ["api", "docs", "login", "LOGIN", "Register", "links", "ping", "healthz", "metrics", "assets", "_event", "_upload", "redoc"])
async def test_create_link_with_reserved_slug_is_422(client, slug):
    user = await register(client)
    await assert_refused(client, user, await post_link(client, user, slug=slug), 422, "slug")


async def test_update_link_to_reserved_slug_is_422(client):
    user = await register(client)
    link = await create_link(client, user)
    response = await client.patch(f"/api/v1/links/{link['id']}", json={"slug": "Docs"}, headers=user["headers"])
    await assert_refused(client, user, response, 422, "slug")


async def test_create_link_with_slug_taken_by_other_user_in_other_case_is_409(client):
    alice, bob = await register(client), await register(client)
    await create_link(client, alice, slug="Launch")
    body = await assert_refused(client, bob, await post_link(client, bob, slug="lAUNCH"), 409)
    assert body["status"] == 409
    assert await link_count(client, bob) == 0
    redirect = await client.get("/launch", headers={"User-Agent": BROWSER})
    assert redirect.headers["location"] == "https://example.com/page"


async def test_update_link_to_slug_taken_by_other_user_is_409(client):
    alice, bob = await register(client), await register(client)
    await create_link(client, alice, slug="taken-one")
    link = await create_link(client, bob, slug="bobs-own")
    response = await client.patch(f"/api/v1/links/{link['id']}", json={"slug": "TAKEN-ONE"}, headers=bob["headers"])
    await assert_refused(client, bob, response, 409)
    assert (await client.get(f"/api/v1/links/{link['id']}", headers=bob["headers"])).json()["slug"] == "bobs-own"


@pytest.mark.parametrize("spelling", [str.lower, str.upper])
async def test_create_link_with_slug_equal_to_existing_public_id_is_409(client, spelling):
    alice, bob = await register(client), await register(client)
    existing = await create_link(client, alice, url="https://alice.example/")
    await assert_refused(client, bob, await post_link(client, bob, slug=spelling(existing["id"])), 409)
    redirect = await client.get(f"/{existing['id']}", headers={"User-Agent": BROWSER})
    assert redirect.headers["location"] == "https://alice.example/"


async def test_create_link_with_expiry_in_the_past_is_422(client):
    user = await register(client)
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    await assert_refused(client, user, await post_link(client, user, expires_at=past), 422, "expires_at")


async def test_create_link_with_expiry_without_offset_is_422(client):
    user = await register(client)
    naive = (datetime.now(UTC) + timedelta(days=1)).replace(tzinfo=None).isoformat()
    await assert_refused(client, user, await post_link(client, user, expires_at=naive), 422, "expires_at")


async def test_create_link_with_expiry_in_other_offset_is_stored_as_same_instant(client):
    user = await register(client)
    moment = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0)
    for offset in (timedelta(hours=5), timedelta(hours=-9, minutes=-30)):
        spelled = moment.astimezone(timezone(offset)).isoformat()
        link = await create_link(client, user, expires_at=spelled)
        assert link["expires_at"] == moment.isoformat().replace("+00:00", "Z")
        fetched = await client.get(f"/api/v1/links/{link['id']}", headers=user["headers"])
        assert fetched.json()["expires_at"] == link["expires_at"]


async def test_create_link_with_expiry_beyond_year_9999_in_utc_is_422(client):
    user = await register(client)
    response = await post_link(client, user, expires_at="9999-12-31T23:59:59-23:59")
    await assert_refused(client, user, response, 422, "expires_at")


async def test_update_link_with_expiry_in_the_past_is_422(client):
    user = await register(client)
    link = await create_link(client, user)
    response = await client.patch(f"/api/v1/links/{link['id']}", json={"expires_at": "2000-01-01T00:00:00Z"}, headers=user["headers"])
    await assert_refused(client, user, response, 422, "expires_at")


@pytest.mark.parametrize("value", [0, -1, "many", 1.5, 2**31, 10**30])
async def test_create_link_with_bad_max_clicks_is_422(client, value):
    user = await register(client)
    await assert_refused(client, user, await post_link(client, user, max_clicks=value), 422, "max_clicks")


async def test_create_link_with_largest_max_clicks_is_201(client):
    user = await register(client)
    assert (await create_link(client, user, max_clicks=2**31 - 1))["max_clicks"] == 2**31 - 1


async def test_update_link_with_max_clicks_zero_is_422(client):
    user = await register(client)
    link = await create_link(client, user, max_clicks=2)
    response = await client.patch(f"/api/v1/links/{link['id']}", json={"max_clicks": 0}, headers=user["headers"])
    await assert_refused(client, user, response, 422, "max_clicks")


@pytest.mark.parametrize("status", [200, 300, 303, 304, 305, 404])
async def test_create_link_with_unsupported_redirect_status_is_422(client, status):
    user = await register(client)
    await assert_refused(client, user, await post_link(client, user, redirect_status=status), 422, "redirect_status")


@pytest.mark.parametrize("status", [301, 302, 307, 308])
async def test_create_link_with_supported_redirect_status_is_201(client, status):
    user = await register(client)
    link = await create_link(client, user, redirect_status=status)
    assert link["redirect_status"] == status


@pytest.mark.parametrize("tags", [["x" * 33], [""], ["bad/tag"], [f"t{n}" for n in range(11)]])
async def test_create_link_with_bad_tags_is_422(client, tags):
    user = await register(client)
    await assert_refused(client, user, await post_link(client, user, tags=tags), 422, "tags")


async def test_create_link_with_duplicate_tags_keeps_one(client):
    user = await register(client)
    link = await create_link(client, user, tags=["Team", " team ", "TEAM", "ops"])
    assert link["tags"] == ["ops", "team"]
