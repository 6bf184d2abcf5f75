"""GET /api/v1/links?sort= and ?q=: the list in the order asked for, and search that finds tags."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import event

from tests.api.test_api_errors import assert_problem
from tests.factories import create_link, register, store_clicks


async def listed(client, user: dict, **params) -> dict:
    response = await client.get("/api/v1/links", params=params, headers=user["headers"])
    assert response.status_code == 200, response.text
    return response.json()


def titles(page: dict) -> list[str]:
    return [link["title"] for link in page["items"]]


@pytest.fixture
async def owner(client):
    return await register(client)


@pytest.fixture
async def clicked(client, owner):
    """Four links made in the order a, b, c, d, with 3, 0, 5 and 1 clicks."""
    links = {}
    for title, clicks in (("apple", 3), ("Banana", 0), ("cherry", 5), ("date", 1)):
        links[title] = await create_link(client, owner, url=f"https://example.com/{title}", title=title)
        if clicks:
            await store_clicks(links[title], *[datetime(2026, 1, 10 + n, 12, tzinfo=UTC) for n in range(clicks)])
    return links


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        (None, ["date", "cherry", "Banana", "apple"]),
        ("-created", ["date", "cherry", "Banana", "apple"]),
        ("created", ["apple", "Banana", "cherry", "date"]),
        ("-clicks", ["cherry", "apple", "date", "Banana"]),
        ("clicks", ["Banana", "date", "apple", "cherry"]),
        ("title", ["apple", "Banana", "cherry", "date"]),
        ("-title", ["date", "cherry", "Banana", "apple"]),
    ],
)
async def test_list_links_in_the_order_asked_for(client, owner, clicked, sort, expected):
    page = await listed(client, owner, **({"sort": sort} if sort else {}))

    assert titles(page) == expected


async def test_sort_by_clicks_counts_all_time_clicks_as_each_link_shows(client, owner, clicked):
    page = await listed(client, owner, sort="-clicks")

    assert [(link["title"], link["total_clicks"]) for link in page["items"]] == [("cherry", 5), ("apple", 3), ("date", 1), ("Banana", 0)]


async def test_sorted_pages_neither_repeat_nor_skip_links_with_equal_clicks(client, owner):
    for number in range(7):
        await create_link(client, owner, url=f"https://example.com/{number}", title=f"Same {number}")

    seen = []
    for offset in range(0, 7, 3):
        seen += titles(await listed(client, owner, sort="-clicks", limit=3, offset=offset))

    assert sorted(seen) == [f"Same {number}" for number in range(7)]


async def test_sort_by_clicks_reads_one_page_in_one_query(client, owner, clicked, db_engine):
    """The database sorts and cuts the page: no query reads every link's clicks."""
    statements = []
    listen_on = db_engine.sync_engine

    def note(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(listen_on, "before_cursor_execute", note)
    try:
        page = await listed(client, owner, sort="-clicks", limit=2)
    finally:
        event.remove(listen_on, "before_cursor_execute", note)

    assert titles(page) == ["cherry", "apple"]
    paged = [statement for statement in statements if "LIMIT" in statement.upper() and "rollup_days" in statement]
    assert len(paged) == 1


@pytest.mark.parametrize("sort", ["newest", "clicks,title", "CLICKS", "+clicks", ""])
async def test_unknown_sort_is_422(client, owner, sort):
    response = await client.get("/api/v1/links", params={"sort": sort}, headers=owner["headers"])

    problem = assert_problem(response, 422)
    assert problem["errors"][0]["loc"] == ["query", "sort"]


async def test_sort_combines_with_tag_and_paging(client, owner, clicked):
    for title in ("apple", "cherry", "date"):
        response = await client.patch(f"/api/v1/links/{clicked[title]['id']}", json={"tags": ["fruit"]}, headers=owner["headers"])
        assert response.status_code == 200

    page = await listed(client, owner, tag="fruit", sort="clicks", limit=2, offset=1)

    assert (titles(page), page["total"]) == (["apple", "cherry"], 3)


async def test_search_matches_tags_too(client, owner):
    await create_link(client, owner, url="https://example.com/a", title="Spring flyer", tags=["print"])
    await create_link(client, owner, url="https://example.com/b", title="Launch post", tags=["spring campaign"])
    await create_link(client, owner, url="https://example.com/c", title="Other", tags=["autumn"])

    page = await listed(client, owner, q="SPRING", sort="title")

    assert titles(page) == ["Launch post", "Spring flyer"]
    assert titles(await listed(client, owner, q="campaign")) == ["Launch post"]


async def test_search_in_tags_treats_wildcards_as_text(client, owner):
    await create_link(client, owner, url="https://example.com/a", title="One", tags=["100_percent"])
    await create_link(client, owner, url="https://example.com/b", title="Two", tags=["100 percent"])

    assert titles(await listed(client, owner, q="100_")) == ["One"]
    assert titles(await listed(client, owner, q="%")) == []


async def test_search_does_not_find_other_users_tags(client, owner):
    other = await register(client)
    await create_link(client, other, url="https://example.com/theirs", title="Theirs", tags=["secret"])
    await create_link(client, owner, url="https://example.com/mine", title="Mine")

    assert (await listed(client, owner, q="secret"))["total"] == 0
