"""LinkFormState: the create and edit dialog, whose errors show at the field they concern."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from linkapp import db as database
from linkapp.models.link import Link
from linkapp.state.link_form import LinkFormState
from linkapp.state.links import LinksState
from tests.state.conftest import make_link, make_member, stored_links

EMPTY_FORM = {"url": "", "title": "", "slug": "", "tags": "", "expires_at": "", "max_clicks": "", "redirect_status": "default"}


def _form(**fields) -> dict:
    """What the dialog's form submits: every field, as text."""
    return {**EMPTY_FORM, **fields}


async def test_create_link_closes_the_dialog_and_shows_it_in_the_table(member, member_tab):
    await member_tab.fire(LinkFormState.open_create)
    assert member_tab[LinkFormState].open

    sent = await member_tab.fire(
        LinkFormState.save, _form(url="HTTPS://Example.com:443/spring?ref=1", title="Spring sale", slug="spring-sale", tags="Promo, spring")
    )

    assert sent.toasts == [("success", "Link created")]
    assert not member_tab[LinkFormState].open
    [link] = await stored_links(member)
    assert (link.url, link.title, link.slug, sorted(link.tags)) == ("https://example.com/spring?ref=1", "Spring sale", "spring-sale", ["promo", "spring"])
    row = member_tab[LinksState].rows[0]
    assert (row["title"], row["short"]) == ("Spring sale", "testserver/spring-sale")


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"url": "javascript:alert(1)"}, "url", "http"),
        ({"slug": "login"}, "slug", "uses itself"),
        ({"slug": "a b"}, "slug", "3 to 64 letters"),
        ({"tags": "no!good"}, "tags", "A tag is 1 to 32"),
        ({"max_clicks": "many"}, "max_clicks", "Enter a whole number."),
        ({"max_clicks": "0"}, "max_clicks", "1"),  # "at least 1", in whichever words the model says it
        ({"expires_at": "2020-01-01T10:00"}, "expires_at", "must be in the future"),
        ({"expires_at": "next tuesday"}, "expires_at", "Enter a valid date and time."),
    ],
)
async def test_create_link_errors_show_at_the_field(member, member_tab, fields, field, message):
    await member_tab.fire(LinkFormState.open_create)

    sent = await member_tab.fire(LinkFormState.save, _form(**{"url": "https://example.com/ok", **fields}))

    form = member_tab[LinkFormState]
    assert message in form.errors.get(field, ""), form.errors
    assert (form.open, form.saving, sent.toasts) == (True, False, [])
    assert await stored_links(member) == []


async def test_create_link_with_a_taken_slug_says_so_at_the_slug(member, member_tab):
    await make_link(await make_member(), slug="taken-one")  # by someone else: short codes are shared by all
    await member_tab.fire(LinkFormState.open_create)

    await member_tab.fire(LinkFormState.save, _form(url="https://example.com/mine", slug="TAKEN-ONE"))

    form = member_tab[LinkFormState]
    assert "taken" in form.errors["slug"]
    assert (form.open, form.form_error) == (True, "")
    assert await stored_links(member) == []


async def test_typing_in_a_field_clears_its_error(member_tab):
    await member_tab.fire(LinkFormState.open_create)
    await member_tab.fire(LinkFormState.save, _form(url="javascript:alert(1)"))
    assert "url" in member_tab[LinkFormState].errors

    await member_tab.fire(LinkFormState.set_field, "url", "https://example.com/fixed")

    assert "url" not in member_tab[LinkFormState].errors


async def test_edit_link_shows_the_link_then_saves_the_changes(member, member_tab):
    public_id = await make_link(member, url="https://example.com/page", title="Before", tags=["old"])

    await member_tab.fire(LinkFormState.open_edit, public_id)

    form = member_tab[LinkFormState]
    assert (form.open, form.editing, form.url, form.title, form.tags) == (True, True, "https://example.com/page", "Before", "old")
    await member_tab.fire(LinkFormState.set_field, "title", "After")
    sent = await member_tab.fire(LinkFormState.save, _form(url="https://example.org/new", title="After", tags="old, new"))

    assert sent.toasts == [("success", "Link updated")]
    assert not form.open
    [link] = await stored_links(member)
    assert (link.id, link.url, link.title, sorted(link.tags)) == (public_id, "https://example.org/new", "After", ["new", "old"])
    assert member_tab[LinksState].rows[0]["title"] == "After"


async def test_edit_link_to_a_taken_slug_says_so_at_the_slug(member, member_tab):
    await make_link(member, slug="first-one")
    public_id = await make_link(member, slug="second-one")
    await member_tab.fire(LinkFormState.open_edit, public_id)

    await member_tab.fire(LinkFormState.save, _form(url="https://example.com/page", slug="First-One"))

    assert "taken" in member_tab[LinkFormState].errors["slug"]
    assert {link.slug for link in await stored_links(member)} == {"first-one", "second-one"}


async def test_edit_someone_elses_link_is_not_found(member_tab):
    public_id = await make_link(await make_member(), title="Not yours")

    sent = await member_tab.fire(LinkFormState.open_edit, public_id)

    assert [kind for kind, _ in sent.toasts] == ["error"]
    assert not member_tab[LinkFormState].open
    assert member_tab[LinkFormState].title == ""


async def test_signed_out_tab_saves_nothing(tab):
    await tab.fire(LinkFormState.open_create)

    await tab.fire(LinkFormState.save, _form(url="https://example.com/anonymous"))

    async with database.session() as db:
        assert (await db.execute(select(func.count()).select_from(Link))).scalar_one() == 0
