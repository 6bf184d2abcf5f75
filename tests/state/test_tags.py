"""Tags in the UI: the dashboard narrowed to a tag, sorting by column, the "Manage tags" dialog,
and a link page's tag badges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from linkapp import db as database
from linkapp.services.links import tags as link_tags
from linkapp.state.link_detail import LinkDetailState
from linkapp.state.links import ALL_TAGS, LinksState
from linkapp.state.tags import LinkTagsState, TagsState
from tests.factories import store_clicks
from tests.state.conftest import make_link, make_member, signed_in_tab, stored_links


def _titles(tab) -> list[str]:
    return [row["title"] for row in tab[LinksState].rows]


async def _clicked(public_id: str, count: int) -> None:
    recent = datetime.now(UTC) - timedelta(hours=1)
    await store_clicks({"id": public_id}, *[recent - timedelta(minutes=n) for n in range(count)], ip="198.51.100.4")


@pytest.fixture
async def tagged(member):
    """Flyer (spring, 3 clicks), Post (spring, 1 click) and Leaves (autumn, 5 clicks), made in that order."""
    links = {
        "Flyer": await make_link(member, url="https://example.com/flyer", title="Flyer", tags=["spring", "print"]),
        "Post": await make_link(member, url="https://example.com/post", title="Post", tags=["spring"]),
        "Leaves": await make_link(member, url="https://example.com/leaves", title="Leaves", tags=["autumn"]),
    }
    for title, count in (("Flyer", 3), ("Post", 1), ("Leaves", 5)):
        await _clicked(links[title], count)
    return links


async def test_clicking_a_tag_narrows_the_list_and_the_totals_until_cleared(member_tab, tagged):
    await member_tab.fire(LinksState.reload)
    links = member_tab[LinksState]
    assert (links.tag_names, links.total, links.clicks_30d) == (["autumn", "print", "spring"], 3, 9)
    assert [row["tags"] for row in links.rows] == [["autumn"], ["spring"], ["print", "spring"]]

    await member_tab.fire(LinksState.filter_tag, "spring")

    assert (links.tag, links.tag_choice, _titles(member_tab), links.total) == ("spring", "spring", ["Post", "Flyer"], 2)
    assert (links.clicks_30d, links.top_link_title, links.top_link_clicks) == (4, "Flyer", 3)
    await member_tab.fire(LinksState.clear_tag)
    assert (links.tag, links.tag_choice, links.total, links.clicks_30d, links.top_link_title) == ("", ALL_TAGS, 3, 9, "Leaves")


async def test_tag_picker_scopes_the_dashboard_and_all_links_undoes_it(member_tab, tagged):
    await member_tab.fire(LinksState.pick_tag, "autumn")
    assert (_titles(member_tab), member_tab[LinksState].clicks_30d) == (["Leaves"], 5)

    await member_tab.fire(LinksState.pick_tag, ALL_TAGS)

    assert (member_tab[LinksState].tag, member_tab[LinksState].total) == ("", 3)


async def test_dashboard_opened_at_a_tags_address_shows_that_tag(member, tagged):
    tab = await signed_in_tab(member.session_token, "/?tag=Spring")

    await tab.fire(LinksState.start)
    await tab.fire(LinksState.set_tz_and_load, "UTC")

    assert (tab[LinksState].tag, _titles(tab)) == ("spring", ["Post", "Flyer"])
    # A tag the user does not have (any more) shows every link instead of an empty list.
    tab.visit("/?tag=winter")
    await tab.fire(LinksState.start)
    await tab.fire(LinksState.set_tz_and_load, "UTC")
    assert (tab[LinksState].tag, tab[LinksState].total) == ("", 3)


async def test_column_headers_sort_and_a_second_click_reverses(member_tab, tagged):
    await member_tab.fire(LinksState.reload)
    assert _titles(member_tab) == ["Leaves", "Post", "Flyer"]  # newest first

    await member_tab.fire(LinksState.sort_by, "clicks")
    assert (member_tab[LinksState].sort, _titles(member_tab)) == ("-clicks", ["Leaves", "Flyer", "Post"])
    await member_tab.fire(LinksState.sort_by, "clicks")
    assert (member_tab[LinksState].sort, _titles(member_tab)) == ("clicks", ["Post", "Flyer", "Leaves"])
    await member_tab.fire(LinksState.sort_by, "title")
    assert (member_tab[LinksState].sort, _titles(member_tab)) == ("title", ["Flyer", "Leaves", "Post"])
    await member_tab.fire(LinksState.sort_by, "title")
    assert _titles(member_tab) == ["Post", "Leaves", "Flyer"]
    await member_tab.fire(LinksState.sort_by, "created")
    assert (member_tab[LinksState].sort, _titles(member_tab)) == ("-created", ["Leaves", "Post", "Flyer"])
    await member_tab.fire(LinksState.sort_by, "url; DROP TABLE links")  # not a column: nothing changes
    assert member_tab[LinksState].sort == "-created"


async def test_sorting_keeps_the_tag_and_starts_at_the_first_page(member, member_tab):
    for number in range(12):
        await make_link(member, url=f"https://example.com/{number}", title=f"Item {number:02d}", tags=["bulk"])
    await member_tab.fire(LinksState.filter_tag, "bulk")
    await member_tab.fire(LinksState.next_page)

    await member_tab.fire(LinksState.sort_by, "title")

    links = member_tab[LinksState]
    assert (links.page, links.tag, links.page_label) == (0, "bulk", "1–10 of 12")
    assert _titles(member_tab)[:2] == ["Item 00", "Item 01"]


async def test_search_finds_links_by_their_tags(member, member_tab):
    await make_link(member, url="https://example.com/a", title="Launch post", tags=["spring campaign"])
    await make_link(member, url="https://example.com/b", title="Other")

    await member_tab.fire(LinksState.search, "CAMPAIGN")

    assert _titles(member_tab) == ["Launch post"]


async def test_manage_tags_lists_each_tag_with_its_count(member_tab, tagged):
    await member_tab.fire(TagsState.show)

    dialog = member_tab[TagsState]
    assert dialog.open
    assert [(item["tag"], item["label"]) for item in dialog.tags] == [("autumn", "1 link"), ("print", "1 link"), ("spring", "2 links")]


async def test_renaming_a_tag_changes_every_link_and_the_dashboard_follows(member, member_tab, tagged):
    await member_tab.fire(LinksState.filter_tag, "spring")
    await member_tab.fire(TagsState.show)
    await member_tab.fire(TagsState.start_rename, "spring")
    assert member_tab[TagsState].new_name == "spring"

    sent = await member_tab.fire(TagsState.rename, {"name": "Spring 2026"})

    assert sent.toasts == [("success", "“spring” is now “spring 2026” on 2 links")]
    assert [item["tag"] for item in member_tab[TagsState].tags] == ["autumn", "print", "spring 2026"]
    assert member_tab[TagsState].renaming == ""
    links = member_tab[LinksState]
    assert (links.tag, links.tag_names, _titles(member_tab)) == ("spring 2026", ["autumn", "print", "spring 2026"], ["Post", "Flyer"])
    assert {link.title: link.tags for link in await stored_links(member)}["Flyer"] == ["print", "spring 2026"]


async def test_renaming_into_an_existing_tag_merges_them(member, member_tab, tagged):
    await member_tab.fire(TagsState.show)
    await member_tab.fire(TagsState.start_rename, "print")

    sent = await member_tab.fire(TagsState.rename, {"name": "spring"})

    assert sent.toasts == [("success", "“print” is now “spring” on 1 link")]
    assert [(item["tag"], item["links"]) for item in member_tab[TagsState].tags] == [("autumn", 1), ("spring", 2)]


@pytest.mark.parametrize("name", ["", "a/b", "x" * 33])
async def test_a_name_that_cannot_be_a_tag_is_explained_at_the_field(member, member_tab, tagged, name):
    await member_tab.fire(TagsState.show)
    await member_tab.fire(TagsState.start_rename, "spring")

    sent = await member_tab.fire(TagsState.rename, {"name": name})
    await member_tab.fire(TagsState.set_new_name, name)  # the input's late echo keeps the message

    dialog = member_tab[TagsState]
    assert (dialog.name_error, dialog.renaming, dialog.saving) == ("A tag is 1 to 32 letters, digits, spaces, - or _.", "spring", False)
    assert sent.toasts == []
    assert [item["tag"] for item in dialog.tags] == ["autumn", "print", "spring"]


async def test_renaming_a_tag_removed_elsewhere_meanwhile_says_so(member, member_tab, tagged):
    await member_tab.fire(TagsState.show)
    await member_tab.fire(TagsState.start_rename, "print")
    async with database.session() as db:  # another tab, or a script through the API
        await link_tags.delete_tag(db=db, owner_id=member.user_id, tag="print")

    sent = await member_tab.fire(TagsState.rename, {"name": "paper"})

    assert sent.toasts == [("error", "“print” is no longer one of your tags; the list is up to date now.")]
    assert [item["tag"] for item in member_tab[TagsState].tags] == ["autumn", "spring"]


async def test_removing_a_tag_asks_first_then_takes_it_off_every_link(member, member_tab, tagged):
    await member_tab.fire(LinksState.filter_tag, "spring")
    await member_tab.fire(TagsState.show)
    await member_tab.fire(TagsState.ask_remove, "spring")
    assert member_tab[TagsState].removing == "spring"
    await member_tab.fire(TagsState.cancel_remove)
    assert [item["tag"] for item in member_tab[TagsState].tags] == ["autumn", "print", "spring"]

    await member_tab.fire(TagsState.ask_remove, "spring")
    sent = await member_tab.fire(TagsState.remove)

    assert sent.toasts == [("success", "Removed “spring” from 2 links; the links stay")]
    assert [item["tag"] for item in member_tab[TagsState].tags] == ["autumn", "print"]
    links = member_tab[LinksState]
    assert (links.tag, links.total, links.tag_names) == ("", 3, ["autumn", "print"])
    assert {link.title: link.tags for link in await stored_links(member)} == {"Flyer": ["print"], "Post": [], "Leaves": ["autumn"]}


async def test_other_users_tags_are_neither_listed_nor_changed(member_tab, tagged):
    stranger = await make_member()
    await make_link(stranger, title="Theirs", tags=["spring"])

    await member_tab.fire(TagsState.show)
    await member_tab.fire(TagsState.ask_remove, "spring")
    await member_tab.fire(TagsState.remove)

    assert [link.tags for link in await stored_links(stranger)] == [["spring"]]


async def test_link_page_shows_its_tags_leading_to_the_dashboard_narrowed_to_each(member, tagged):
    public_id = await make_link(member, url="https://example.com/x", title="X", tags=["spring sale", "print"])
    tab = await signed_in_tab(member.session_token, f"/links/{public_id}")
    await tab.fire(LinkDetailState.start)

    await tab.fire(LinkTagsState.load)

    assert tab[LinkTagsState].tags == [{"tag": "print", "href": "/?tag=print"}, {"tag": "spring sale", "href": "/?tag=spring%20sale"}]


async def test_link_page_of_someone_elses_link_shows_no_tags(member, tagged):
    stranger = await make_member()
    theirs = await make_link(stranger, title="Theirs", tags=["secret"])
    tab = await signed_in_tab(member.session_token, f"/links/{theirs}")
    await tab.fire(LinkDetailState.start)

    await tab.fire(LinkTagsState.load)

    assert tab[LinkTagsState].tags == []


async def test_signed_out_tab_opens_no_tag_dialog(tab):
    await tab.fire(TagsState.show)

    assert (tab[TagsState].open, tab[TagsState].tags) == (False, [])
