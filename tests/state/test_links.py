"""LinksState: the dashboard's table of the signed-in user's links, a page at a time, and search."""

from __future__ import annotations

from linkapp.state.links import LinksState
from tests.state.conftest import make_link, make_member


def _titles(tab) -> list[str]:
    return [row["title"] for row in tab[LinksState].rows]


async def test_dashboard_lists_the_newest_links_a_page_at_a_time(member, member_tab):
    for number in range(12):
        await make_link(member, url=f"https://example.com/{number}", title=f"Item {number:02d}")

    await member_tab.fire(LinksState.reload)

    links = member_tab[LinksState]
    assert (links.loaded, links.total, links.page_label) == (True, 12, "1–10 of 12")
    assert _titles(member_tab) == [f"Item {number:02d}" for number in range(11, 1, -1)]
    await member_tab.fire(LinksState.next_page)
    assert (_titles(member_tab), links.page_label) == (["Item 01", "Item 00"], "11–12 of 12")
    await member_tab.fire(LinksState.next_page)  # there is no third page
    assert links.page_label == "11–12 of 12"
    await member_tab.fire(LinksState.previous_page)
    assert _titles(member_tab)[0] == "Item 11"


async def test_dashboard_row_shows_the_short_url_and_tags(member, member_tab):
    public_id = await make_link(member, url="https://example.com/spring", title="Spring", slug="spring-row", tags=["promo"])

    await member_tab.fire(LinksState.reload)

    [row] = member_tab[LinksState].rows
    assert (row["id"], row["short"], row["shortened_url"], row["tags"]) == (public_id, "testserver/spring-row", "http://testserver/spring-row", ["promo"])
    assert row["total_clicks"] == 0


async def test_search_finds_links_by_title_address_or_short_code(member, member_tab):
    await make_link(member, url="https://example.org/haystack", title="Hay")
    await make_link(member, url="https://example.org/needle", title="Sewing kit")
    await make_link(member, url="https://example.org/other", title="Needle work")
    await make_link(member, url="https://example.org/pins", title="Pins", slug="needle-pins")
    for number in range(10):
        await make_link(member, url=f"https://example.com/{number}", title=f"Item {number}")
    await member_tab.fire(LinksState.reload)
    await member_tab.fire(LinksState.next_page)

    await member_tab.fire(LinksState.search, "NEEDLE")

    links = member_tab[LinksState]
    assert (links.page, links.total) == (0, 3)  # back on the first page of the matches
    assert sorted(_titles(member_tab)) == ["Needle work", "Pins", "Sewing kit"]
    await member_tab.fire(LinksState.search, "no such thing")
    assert (links.rows, links.total, links.page_label) == ([], 0, "")
    await member_tab.fire(LinksState.search, "")
    assert links.total == 14


async def test_dashboard_shows_only_the_users_own_links(member, member_tab):
    await make_link(await make_member(), title="Someone else's")
    await make_link(member, title="Mine")

    await member_tab.fire(LinksState.reload)

    assert _titles(member_tab) == ["Mine"]
    await member_tab.fire(LinksState.search, "someone")
    assert _titles(member_tab) == []


async def test_signed_out_tab_lists_nothing(member, tab):
    await make_link(member, title="Private")

    await tab.fire(LinksState.reload)

    assert (tab[LinksState].rows, tab[LinksState].loaded) == ([], False)
