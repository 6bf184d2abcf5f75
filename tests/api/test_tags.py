"""/api/v1/tags: a user's tags with their counts, renamed (merging) or removed on every link at once."""

from __future__ import annotations

import json

import pytest

from tests.api.test_api_errors import assert_problem
from tests.factories import create_link, register, short_path

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"


async def tags_of(client, user: dict) -> list[dict]:
    response = await client.get("/api/v1/tags", headers=user["headers"])
    assert response.status_code == 200, response.text
    return response.json()


async def link_tags(client, user: dict, link: dict) -> list[str]:
    response = await client.get(f"/api/v1/links/{link['id']}", headers=user["headers"])
    assert response.status_code == 200, response.text
    return response.json()["tags"]


@pytest.fixture
async def owner(client):
    return await register(client)


async def test_list_tags_counts_the_users_links_per_tag_alphabetically(client, owner):
    await create_link(client, owner, url="https://example.com/a", tags=["Spring", "news"])
    await create_link(client, owner, url="https://example.com/b", tags=["spring"])
    await create_link(client, owner, url="https://example.com/c")
    await create_link(client, await register(client), url="https://example.com/d", tags=["spring", "theirs"])

    assert await tags_of(client, owner) == [{"tag": "news", "links": 1}, {"tag": "spring", "links": 2}]


async def test_list_tags_of_a_user_without_tags_is_empty(client, owner):
    await create_link(client, owner)

    assert await tags_of(client, owner) == []


async def test_rename_tag_changes_it_on_every_link_and_only_the_users(client, owner):
    first = await create_link(client, owner, url="https://example.com/a", tags=["spring", "news"])
    second = await create_link(client, owner, url="https://example.com/b", tags=["spring"])
    other = await register(client)
    theirs = await create_link(client, other, url="https://example.com/c", tags=["spring"])

    response = await client.patch("/api/v1/tags/spring", json={"name": "  Spring 2026 "}, headers=owner["headers"])

    assert response.status_code == 200, response.text
    assert response.json() == {"tag": "spring 2026", "links": 2}
    assert await link_tags(client, owner, first) == ["news", "spring 2026"]
    assert await link_tags(client, owner, second) == ["spring 2026"]
    assert await tags_of(client, owner) == [{"tag": "news", "links": 1}, {"tag": "spring 2026", "links": 2}]
    assert await link_tags(client, other, theirs) == ["spring"]


async def test_rename_tag_into_an_existing_tag_merges_without_duplicates(client, owner):
    both = await create_link(client, owner, url="https://example.com/a", tags=["promo", "sale"])
    promo_only = await create_link(client, owner, url="https://example.com/b", tags=["promo"])
    sale_only = await create_link(client, owner, url="https://example.com/c", tags=["sale"])

    response = await client.patch("/api/v1/tags/promo", json={"name": "sale"}, headers=owner["headers"])

    assert response.json() == {"tag": "sale", "links": 3}
    for link in (both, promo_only, sale_only):
        assert await link_tags(client, owner, link) == ["sale"]
    assert await tags_of(client, owner) == [{"tag": "sale", "links": 3}]


async def test_rename_tag_marks_its_links_updated(client, owner):
    tagged = await create_link(client, owner, url="https://example.com/a", tags=["promo"])
    untagged = await create_link(client, owner, url="https://example.com/b")

    await client.patch("/api/v1/tags/promo", json={"name": "deal"}, headers=owner["headers"])

    after = {link["id"]: link for link in (await client.get("/api/v1/links", headers=owner["headers"])).json()["items"]}
    assert after[tagged["id"]]["updated_at"] > tagged["updated_at"]
    assert after[untagged["id"]]["updated_at"] == untagged["updated_at"]


async def test_rename_tag_path_is_read_as_a_tag_is_typed(client, owner):
    link = await create_link(client, owner, tags=["spring sale"])

    response = await client.patch("/api/v1/tags/Spring%20Sale", json={"name": "summer"}, headers=owner["headers"])

    assert response.status_code == 200, response.text
    assert await link_tags(client, owner, link) == ["summer"]


async def test_rename_tag_to_its_own_name_changes_nothing(client, owner):
    link = await create_link(client, owner, tags=["promo"])

    response = await client.patch("/api/v1/tags/promo", json={"name": "PROMO"}, headers=owner["headers"])

    assert response.json() == {"tag": "promo", "links": 1}
    assert await link_tags(client, owner, link) == ["promo"]


@pytest.mark.parametrize("name", ["", "   ", "x" * 33, "no/slashes", "semi;colon"])
async def test_rename_tag_to_a_name_that_breaks_the_tag_rule_is_422(client, owner, name):
    link = await create_link(client, owner, tags=["promo"])

    response = await client.patch("/api/v1/tags/promo", json={"name": name}, headers=owner["headers"])

    problem = assert_problem(response, 422)
    assert problem["errors"][0]["loc"] == ["body", "name"]
    assert "letters, digits" in problem["detail"]
    assert await link_tags(client, owner, link) == ["promo"]


@pytest.mark.parametrize("bad", ["\x00", "\x1b[31m", "\ud800"])
async def test_rename_tag_to_a_name_with_control_characters_is_422(client, owner, bad):
    await create_link(client, owner, tags=["promo"])

    raw = json.dumps({"name": "sum" + bad + "mer"})
    response = await client.patch("/api/v1/tags/promo", content=raw, headers={**owner["headers"], "Content-Type": "application/json"})

    problem = assert_problem(response, 422)
    assert problem["errors"][0]["loc"] == ["body", "name"]
    assert await tags_of(client, owner) == [{"tag": "promo", "links": 1}]


@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
@pytest.mark.parametrize("path", ["/api/v1/tags/nothing", "/api/v1/tags/theirs", "/api/v1/tags/bad%00tag", "/api/v1/tags/" + "x" * 40])
async def test_tag_the_user_does_not_have_is_404(client, owner, method, path):
    await create_link(client, owner, tags=["mine"])
    await create_link(client, await register(client), tags=["theirs"])

    response = await client.request(method, path, json={"name": "renamed"} if method == "PATCH" else None, headers=owner["headers"])

    assert_problem(response, 404)
    assert await tags_of(client, owner) == [{"tag": "mine", "links": 1}]


async def test_delete_tag_removes_it_from_every_link_and_keeps_the_links(client, owner):
    first = await create_link(client, owner, url="https://example.com/a", tags=["old", "keep"])
    second = await create_link(client, owner, url="https://example.com/b", tags=["old"])
    other = await register(client)
    theirs = await create_link(client, other, tags=["old"])

    response = await client.delete("/api/v1/tags/old", headers=owner["headers"])

    assert response.status_code == 204
    assert await link_tags(client, owner, first) == ["keep"]
    assert await link_tags(client, owner, second) == []
    assert await tags_of(client, owner) == [{"tag": "keep", "links": 1}]
    assert await link_tags(client, other, theirs) == ["old"]
    assert (await client.delete("/api/v1/tags/old", headers=owner["headers"])).status_code == 404


async def test_short_links_keep_redirecting_after_their_tags_change(client, owner):
    link = await create_link(client, owner, url="https://example.com/target", tags=["promo"])
    assert (await client.get(short_path(link), headers={"User-Agent": BROWSER})).status_code == 302

    await client.patch("/api/v1/tags/promo", json={"name": "deal"}, headers=owner["headers"])
    await client.delete("/api/v1/tags/deal", headers=owner["headers"])

    response = await client.get(short_path(link), headers={"User-Agent": BROWSER})
    assert (response.status_code, response.headers["location"]) == (302, "https://example.com/target")


@pytest.mark.parametrize(("method", "path"), [("GET", "/api/v1/tags"), ("PATCH", "/api/v1/tags/x"), ("DELETE", "/api/v1/tags/x")])
async def test_tags_need_authentication(client, method, path):
    response = await client.request(method, path, json={"name": "y"} if method == "PATCH" else None)

    assert_problem(response, 401)
