"""/api/v1/links: create, list, read, change and delete a user's short links."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from linkapp.core.config import settings
from tests.factories import create_link, register, short_path

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
LINK_FIELDS = {
    "id", "title", "url", "shortened_url", "slug", "tags", "expires_at", "max_clicks",
    "redirect_status", "disabled", "created_at", "updated_at", "total_clicks",
}


def in_days(days: int) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def test_create_link_returns_201_with_every_field(client):
    user = await register(client)
    expires = in_days(3)
    response = await client.post(
        "/api/v1/links",
        json={"url": "HTTP://WWW.Example.ORG:80/Path?q=A#Frag", "tags": ["News", "work"], "expires_at": expires, "max_clicks": 5, "redirect_status": 308},
        headers=user["headers"],
    )
    assert response.status_code == 201, response.text
    link = response.json()
    assert LINK_FIELDS <= set(link)
    assert link["url"] == "http://www.example.org/Path?q=A#Frag"
    assert link["title"] == "www.example.org"
    assert link["shortened_url"] == f"{settings.HOST_URL}/{link['id']}"
    assert link["slug"] is None
    assert link["tags"] == ["news", "work"]
    assert parse_time(link["expires_at"]) == parse_time(expires)
    assert link["max_clicks"] == 5
    assert link["redirect_status"] == 308
    assert link["disabled"] is False
    assert link["total_clicks"] == 0
    assert parse_time(link["created_at"]).tzinfo is not None
    assert link["id"].isalnum() and not link["id"].isdigit()


async def test_create_link_with_defaults_uses_host_title_and_default_status(client):
    user = await register(client)
    link = await create_link(client, user, url="https://Docs.Python.org:443/3/")
    assert link["url"] == "https://docs.python.org/3/"
    assert link["title"] == "docs.python.org"
    assert link["redirect_status"] == settings.REDIRECT_STATUS_CODE
    assert (link["tags"], link["expires_at"], link["max_clicks"]) == ([], None, None)


async def test_create_link_keeps_non_default_port_and_given_title(client):
    user = await register(client)
    link = await create_link(client, user, url="https://example.com:8443/x", title="  My page  ")
    assert link["url"] == "https://example.com:8443/x"
    assert link["title"] == "My page"


async def test_create_link_with_slug_uses_slug_in_short_url(client):
    user = await register(client)
    link = await create_link(client, user, slug="My-Launch_2025")
    assert link["slug"] == "My-Launch_2025"
    assert link["shortened_url"] == f"{settings.HOST_URL}/My-Launch_2025"
    assert link["id"] != "My-Launch_2025"


async def test_list_links_returns_newest_first_with_page_fields(client):
    user = await register(client)
    created = [await create_link(client, user, url=f"https://example.com/{n}") for n in range(3)]
    response = await client.get("/api/v1/links", headers=user["headers"])
    assert response.status_code == 200
    page = response.json()
    assert set(page) >= {"items", "total", "limit", "offset"}
    assert (page["total"], page["limit"], page["offset"]) == (3, 20, 0)
    assert [item["id"] for item in page["items"]] == [link["id"] for link in reversed(created)]


async def test_list_links_pages_with_limit_and_offset(client):
    user = await register(client)
    created = [await create_link(client, user, url=f"https://example.com/{n}") for n in range(5)]
    newest_first = [link["id"] for link in reversed(created)]
    page = (await client.get("/api/v1/links?limit=2&offset=2", headers=user["headers"])).json()
    assert (page["total"], page["limit"], page["offset"]) == (5, 2, 2)
    assert [item["id"] for item in page["items"]] == newest_first[2:4]
    last = (await client.get("/api/v1/links?limit=100&offset=4", headers=user["headers"])).json()
    assert [item["id"] for item in last["items"]] == newest_first[4:]
    beyond = (await client.get("/api/v1/links?offset=50", headers=user["headers"])).json()
    assert (beyond["items"], beyond["total"]) == ([], 5)


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "offset=-1", "limit=-3"])
async def test_list_links_out_of_range_page_is_422_not_clamped(client, query):
    user = await register(client)
    await create_link(client, user)
    response = await client.get(f"/api/v1/links?{query}", headers=user["headers"])
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"][0] == "query"


async def test_list_links_shows_only_own_links(client):
    alice, bob = await register(client), await register(client)
    await create_link(client, alice, url="https://alice.example/")
    page = (await client.get("/api/v1/links", headers=bob["headers"])).json()
    assert (page["items"], page["total"]) == ([], 0)


async def test_list_links_q_searches_title_url_and_slug_case_insensitively(client):
    user = await register(client)
    by_title = await create_link(client, user, url="https://a.example/", title="Quarterly REPORT")
    by_url = await create_link(client, user, url="https://b.example/annual-report.pdf")
    by_slug = await create_link(client, user, url="https://c.example/", slug="report-q3")
    await create_link(client, user, url="https://d.example/", title="Holiday photos")
    page = (await client.get("/api/v1/links?q=Report", headers=user["headers"])).json()
    assert page["total"] == 3
    assert {item["id"] for item in page["items"]} == {by_title["id"], by_url["id"], by_slug["id"]}


async def test_list_links_q_treats_wildcards_literally(client):
    user = await register(client)
    sale = await create_link(client, user, url="https://a.example/", title="50% off")
    await create_link(client, user, url="https://b.example/", title="500 reasons")
    await create_link(client, user, url="https://c.example/", title="file_name")
    page = (await client.get("/api/v1/links", params={"q": "50%"}, headers=user["headers"])).json()
    assert [item["id"] for item in page["items"]] == [sale["id"]]
    underscore = (await client.get("/api/v1/links", params={"q": "e_n"}, headers=user["headers"])).json()
    assert [item["title"] for item in underscore["items"]] == ["file_name"]


@pytest.mark.parametrize(("query", "total"), [({"q": "zz\x00q"}, 0), ({"q": "\x00"}, 1), ({"tag": "x\x00"}, 0)])
async def test_list_links_with_nul_in_search_is_200(client, query, total):
    user = await register(client)
    await create_link(client, user, title="zzz")
    response = await client.get("/api/v1/links", params=query, headers=user["headers"])
    assert response.status_code == 200
    assert response.json()["total"] == total


async def test_list_links_filters_by_tag_case_insensitively(client):
    user = await register(client)
    tagged = await create_link(client, user, url="https://a.example/", tags=["Work", "urgent"])
    await create_link(client, user, url="https://b.example/", tags=["home"])
    await create_link(client, user, url="https://c.example/")
    page = (await client.get("/api/v1/links?tag=WORK", headers=user["headers"])).json()
    assert page["total"] == 1
    assert page["items"][0]["id"] == tagged["id"]
    assert page["items"][0]["tags"] == ["urgent", "work"]


async def test_list_links_combines_q_and_tag(client):
    user = await register(client)
    match = await create_link(client, user, url="https://a.example/docs", tags=["work"])
    await create_link(client, user, url="https://b.example/docs", tags=["home"])
    await create_link(client, user, url="https://c.example/other", tags=["work"])
    page = (await client.get("/api/v1/links?q=docs&tag=work", headers=user["headers"])).json()
    assert [item["id"] for item in page["items"]] == [match["id"]]


async def test_get_link_returns_the_link(client):
    user = await register(client)
    link = await create_link(client, user, tags=["a"])
    response = await client.get(f"/api/v1/links/{link['id']}", headers=user["headers"])
    assert response.status_code == 200
    assert response.json() == link


async def test_get_link_with_unknown_or_numeric_id_is_404(client):
    user = await register(client)
    await create_link(client, user)
    for link_id in ("zzzzzz", "1", "nope!"):
        response = await client.get(f"/api/v1/links/{link_id}", headers=user["headers"])
        assert response.status_code == 404


async def test_update_link_changes_only_sent_fields(client):
    user = await register(client)
    link = await create_link(client, user, title="Keep me", tags=["keep"], max_clicks=9, redirect_status=301)
    response = await client.patch(f"/api/v1/links/{link['id']}", json={"url": "https://NEW.example/Next"}, headers=user["headers"])
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["url"] == "https://new.example/Next"
    assert (updated["title"], updated["tags"], updated["max_clicks"], updated["redirect_status"]) == ("Keep me", ["keep"], 9, 301)
    assert (updated["id"], updated["created_at"]) == (link["id"], link["created_at"])
    assert parse_time(updated["updated_at"]) > parse_time(link["updated_at"])
    fetched = (await client.get(f"/api/v1/links/{link['id']}", headers=user["headers"])).json()
    assert fetched == updated


async def test_update_link_with_null_clears_optional_fields(client):
    user = await register(client)
    link = await create_link(client, user, slug="temp-code", expires_at=in_days(2), max_clicks=3, redirect_status=308, tags=["x"])
    response = await client.patch(
        f"/api/v1/links/{link['id']}",
        json={"slug": None, "expires_at": None, "max_clicks": None, "redirect_status": None, "tags": None},
        headers=user["headers"],
    )
    assert response.status_code == 200, response.text
    updated = response.json()
    assert (updated["slug"], updated["expires_at"], updated["max_clicks"], updated["tags"]) == (None, None, None, [])
    assert updated["redirect_status"] == settings.REDIRECT_STATUS_CODE
    assert updated["shortened_url"] == f"{settings.HOST_URL}/{link['id']}"
    assert (await client.get("/temp-code", headers={"User-Agent": BROWSER})).status_code == 404


async def test_update_link_with_null_title_falls_back_to_host(client):
    user = await register(client)
    link = await create_link(client, user, url="https://example.net/a", title="Custom")
    updated = (await client.patch(f"/api/v1/links/{link['id']}", json={"title": None}, headers=user["headers"])).json()
    assert updated["title"] == "example.net"


@pytest.mark.parametrize("field", ["url", "disabled"])
async def test_update_link_with_null_required_field_is_422(client, field):
    user = await register(client)
    link = await create_link(client, user)
    response = await client.patch(f"/api/v1/links/{link['id']}", json={field: None}, headers=user["headers"])
    assert response.status_code == 422
    assert (await client.get(f"/api/v1/links/{link['id']}", headers=user["headers"])).json() == link


async def test_update_link_disabled_toggles_the_redirect(client):
    user = await register(client)
    link = await create_link(client, user)
    off = await client.patch(f"/api/v1/links/{link['id']}", json={"disabled": True}, headers=user["headers"])
    assert off.json()["disabled"] is True
    assert (await client.get(short_path(link), headers={"User-Agent": BROWSER})).status_code == 404
    on = await client.patch(f"/api/v1/links/{link['id']}", json={"disabled": False}, headers=user["headers"])
    assert on.json()["disabled"] is False
    assert (await client.get(short_path(link), headers={"User-Agent": BROWSER})).status_code == 302


async def test_update_link_slug_moves_the_short_url(client):
    user = await register(client)
    link = await create_link(client, user, slug="old-code")
    assert (await client.get("/old-code", headers={"User-Agent": BROWSER})).status_code == 302
    updated = (await client.patch(f"/api/v1/links/{link['id']}", json={"slug": "New-Code"}, headers=user["headers"])).json()
    assert updated["shortened_url"] == f"{settings.HOST_URL}/New-Code"
    assert (await client.get("/old-code", headers={"User-Agent": BROWSER})).status_code == 404
    assert (await client.get("/new-code", headers={"User-Agent": BROWSER})).status_code == 302


async def test_update_link_keeping_own_slug_in_other_case_is_allowed(client):
    user = await register(client)
    link = await create_link(client, user, slug="mine")
    response = await client.patch(f"/api/v1/links/{link['id']}", json={"slug": "MINE"}, headers=user["headers"])
    assert response.status_code == 200, response.text
    assert response.json()["slug"] == "MINE"


async def test_delete_link_is_204_then_link_and_short_url_are_gone(client):
    user = await register(client)
    link = await create_link(client, user)
    assert (await client.get(short_path(link), headers={"User-Agent": BROWSER})).status_code == 302
    response = await client.delete(f"/api/v1/links/{link['id']}", headers=user["headers"])
    assert response.status_code == 204
    assert response.content == b""
    assert (await client.get(f"/api/v1/links/{link['id']}", headers=user["headers"])).status_code == 404
    assert (await client.get(short_path(link), headers={"User-Agent": BROWSER})).status_code == 404
    assert (await client.delete(f"/api/v1/links/{link['id']}", headers=user["headers"])).status_code == 404
    assert (await client.get("/api/v1/links", headers=user["headers"])).json()["total"] == 0


async def test_delete_link_frees_its_slug(client):
    user = await register(client)
    link = await create_link(client, user, slug="reuse-me")
    await client.delete(f"/api/v1/links/{link['id']}", headers=user["headers"])
    again = await create_link(client, user, url="https://example.org/second", slug="reuse-me")
    response = await client.get("/reuse-me", headers={"User-Agent": BROWSER})
    assert response.headers["location"] == "https://example.org/second"
    assert again["id"] != link["id"]


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [("GET", "", None), ("PATCH", "", {"title": "stolen"}), ("DELETE", "", None), ("GET", "analytics", None)],
)
async def test_access_other_users_link_is_404(client, method, suffix, body):
    owner, other = await register(client), await register(client)
    link = await create_link(client, owner, title="Owner's")
    path = f"/api/v1/analytics/links/{link['id']}" if suffix else f"/api/v1/links/{link['id']}"
    response = await client.request(method, path, json=body, headers=other["headers"])
    missing = await client.request(method, path.replace(link["id"], "zzzzzz"), json=body, headers=other["headers"])
    assert response.status_code == missing.status_code == 404
    assert response.json() == missing.json()
    assert (await client.get(f"/api/v1/links/{link['id']}", headers=owner["headers"])).json() == link
