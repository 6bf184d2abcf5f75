"""LinkFormState: a URL typed without its scheme is read as https, and an edited link shows its
automatic code as such, with the choice of a custom one."""

from __future__ import annotations

import pytest

from linkapp.state.link_form import LinkFormState, with_scheme
from tests.state.conftest import make_link, stored_links

EMPTY_FORM = {"url": "", "title": "", "slug": "", "tags": "", "expires_at": "", "max_clicks": "", "redirect_status": "default", "fallback_url": ""}


def _form(**fields) -> dict:
    return {**EMPTY_FORM, **fields}


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("example.com/x", "https://example.com/x"),
        ("  example.com  ", "https://example.com"),
        ("example.com:8080/x", "https://example.com:8080/x"),
        ("//example.com/x", "https://example.com/x"),
        ("http://example.com/x", "http://example.com/x"),
        ("HTTPS://example.com", "HTTPS://example.com"),
        ("javascript:alert(1)", "javascript:alert(1)"),  # left for the service to refuse
        ("", ""),
    ],
)
def test_with_scheme_adds_https_only_when_no_scheme_was_typed(typed, read):
    assert with_scheme(typed) == read


async def test_create_link_typed_without_scheme_is_saved_with_https(member, member_tab):
    await member_tab.fire(LinkFormState.open_create)

    sent = await member_tab.fire(LinkFormState.save, _form(url="example.com/x", fallback_url="example.com/ended"))

    assert sent.toasts == [("success", "Link created")]
    [link] = await stored_links(member)
    assert (link.url, link.fallback_url) == ("https://example.com/x", "https://example.com/ended")


async def test_create_link_with_another_scheme_is_still_refused_at_the_field(member, member_tab):
    await member_tab.fire(LinkFormState.open_create)

    await member_tab.fire(LinkFormState.save, _form(url="javascript:alert(1)"))

    assert "http" in member_tab[LinkFormState].errors.get("url", "")
    assert await stored_links(member) == []


async def test_failed_save_shows_the_url_as_it_was_read(member, member_tab):
    await make_link(member, slug="taken-code")
    await member_tab.fire(LinkFormState.open_create)

    await member_tab.fire(LinkFormState.save, _form(url="example.com/y", slug="taken-code"))

    form = member_tab[LinkFormState]
    assert form.errors.get("slug") and form.url == "https://example.com/y"


async def test_edit_form_of_a_link_with_automatic_code_shows_that_code_not_an_empty_field(member, member_tab):
    public_id = await make_link(member)

    await member_tab.fire(LinkFormState.open_edit, public_id)

    form = member_tab[LinkFormState]
    assert (form.automatic_code, form.shows_slug_field, form.slug) == (public_id, False, "")


async def test_edit_keeping_the_automatic_code_saves_other_changes(member, member_tab):
    public_id = await make_link(member, title="Before")
    await member_tab.fire(LinkFormState.open_edit, public_id)

    await member_tab.fire(LinkFormState.save, _form(url="https://example.com/page", title="After"))

    [link] = await stored_links(member)
    assert (link.title, link.slug, link.shortened_url.rsplit("/", 1)[1]) == ("After", None, public_id)


async def test_edit_set_a_custom_code_for_a_link_with_an_automatic_one(member, member_tab):
    public_id = await make_link(member)
    await member_tab.fire(LinkFormState.open_edit, public_id)

    await member_tab.fire(LinkFormState.use_custom_code)
    assert member_tab[LinkFormState].shows_slug_field
    await member_tab.fire(LinkFormState.save, _form(url="https://example.com/page", slug="spring-sale"))

    [link] = await stored_links(member)
    assert link.slug == "spring-sale" and link.shortened_url.endswith("/spring-sale")


async def test_edit_of_a_custom_code_offers_the_automatic_one_back(member, member_tab):
    public_id = await make_link(member, slug="old-name")
    await member_tab.fire(LinkFormState.open_edit, public_id)
    form = member_tab[LinkFormState]
    assert (form.shows_slug_field, form.slug, form.automatic_code) == (True, "old-name", public_id)

    await member_tab.fire(LinkFormState.use_automatic_code)
    await member_tab.fire(LinkFormState.save, _form(url="https://example.com/page"))

    [link] = await stored_links(member)
    assert link.slug is None and link.shortened_url.endswith("/" + public_id)


async def test_new_link_form_offers_the_custom_code_field(member_tab):
    await member_tab.fire(LinkFormState.open_create)

    assert member_tab[LinkFormState].shows_slug_field
    assert member_tab[LinkFormState].automatic_code == ""
