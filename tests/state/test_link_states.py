"""The link page's state box (LinkDetailState, LinkStatusState) and the form's fallback field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from linkapp.services.links import redirects
from linkapp.state.link_detail import LinkDetailState
from linkapp.state.link_form import LinkFormState
from linkapp.state.link_status import LinkStatusState
from linkapp.state.links import LinksState
from tests.state.conftest import make_link, signed_in_tab, stored_links


async def link_page(member, public_id: str):
    tab = await signed_in_tab(member.session_token, f"/links/{public_id}")
    await tab.fire(LinkDetailState.start)
    await tab.fire(LinkDetailState.set_tz_and_load, "UTC")
    return tab


async def use_up(public_id: str, clicks: int) -> None:
    """Use `clicks` of the link's allowance, as that many redirected visits would."""
    for _ in range(clicks):
        assert (await redirects.visit(public_id, now=datetime.now(UTC), counted=True))[0] is redirects.Outcome.REDIRECT


async def test_state_box_shows_expiry_limit_redirect_and_fallback(member):
    expires_at = datetime(2031, 5, 6, 7, 30, tzinfo=UTC)
    public_id = await make_link(member, expires_at=expires_at, max_clicks=5, redirect_status=301, fallback_url="https://example.com/sorry")
    await use_up(public_id, 2)

    page = (await link_page(member, public_id))[LinkDetailState]

    assert (page.status, page.expiry_label, page.limit_label) == ("active", "May 6, 2031, 07:30", "2 of 5 clicks used")
    assert (page.redirect_label, page.fallback_url, page.expired_visits) == ("301 Moved Permanently", "https://example.com/sorry", 0)


async def test_state_box_of_a_plain_link_says_never_and_no_limit(member):
    page = (await link_page(member, await make_link(member)))[LinkDetailState]
    assert (page.status, page.has_expiry, page.expiry_label, page.has_limit, page.limit_label) == ("active", False, "Never", False, "No limit")
    assert (page.redirect_label, page.fallback_url) == ("302 Found (temporary)", "")


async def test_re_enable_brings_a_disabled_link_back(member):
    public_id = await make_link(member)
    tab = await link_page(member, public_id)
    await tab.fire(LinkFormState.open_edit, public_id)
    await tab.fire(LinkFormState.set_disabled, True)
    await tab.fire(LinkFormState.save)
    await tab.fire(LinkDetailState.set_tz_and_load, "UTC")
    assert tab[LinkDetailState].status == "disabled"

    sent = await tab.fire(LinkStatusState.re_enable)

    assert sent.toasts == [("success", "Link re-enabled")]
    assert tab[LinkDetailState].status == "active"
    assert (await stored_links(member))[0].disabled is False


async def test_extend_by_days_counts_from_the_current_expiry(member):
    expires_at = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    public_id = await make_link(member, expires_at=expires_at)
    tab = await link_page(member, public_id)

    await tab.fire(LinkStatusState.extend_by, 7)

    assert (await stored_links(member))[0].expires_at == expires_at + timedelta(days=7)
    assert tab[LinkDetailState].expiry_label.startswith((expires_at + timedelta(days=7)).strftime("%b %-d, %Y"))


async def test_extend_until_a_date_in_the_viewers_zone_or_says_why_not(member):
    public_id = await make_link(member, expires_at=datetime.now(UTC) + timedelta(days=1))
    tab = await link_page(member, public_id)

    await tab.fire(LinkStatusState.set_extend_to, "2020-01-01T10:00")
    await tab.fire(LinkStatusState.extend_until)
    assert "must be in the future" in tab[LinkStatusState].errors["expires_at"]

    await tab.fire(LinkStatusState.set_extend_to, "2031-02-03T04:05")
    sent = await tab.fire(LinkStatusState.extend_until)

    assert sent.toasts == [("success", "Expiry changed")]
    assert (await stored_links(member))[0].expires_at == datetime(2031, 2, 3, 4, 5, tzinfo=UTC)
    assert (tab[LinkStatusState].errors, tab[LinkStatusState].extend_to) == ({}, "")


async def test_raise_limit_makes_a_used_up_link_active_again(member):
    public_id = await make_link(member, max_clicks=2)
    await use_up(public_id, 2)
    tab = await link_page(member, public_id)
    assert (tab[LinkDetailState].status, tab[LinkDetailState].limit_label) == ("limit_reached", "2 of 2 clicks used")

    await tab.fire(LinkStatusState.set_new_limit, "2")
    await tab.fire(LinkStatusState.raise_limit)
    assert "must be higher" in tab[LinkStatusState].errors["max_clicks"]

    await tab.fire(LinkStatusState.set_new_limit, "10")
    await tab.fire(LinkStatusState.raise_limit)

    assert (tab[LinkDetailState].status, tab[LinkDetailState].limit_label) == ("active", "2 of 10 clicks used")
    assert (await redirects.visit(public_id, now=datetime.now(UTC), counted=True))[0] is redirects.Outcome.REDIRECT


async def test_form_saves_and_clears_the_fallback_url(member, member_tab):
    public_id = await make_link(member)
    await member_tab.fire(LinkFormState.open_edit, public_id)
    await member_tab.fire(LinkFormState.set_field, "fallback_url", "javascript:alert(1)")
    await member_tab.fire(LinkFormState.save)
    assert "http" in member_tab[LinkFormState].errors["fallback_url"]

    await member_tab.fire(LinkFormState.set_field, "fallback_url", "https://example.com/after")
    await member_tab.fire(LinkFormState.save)
    assert (await stored_links(member))[0].fallback_url == "https://example.com/after"

    await member_tab.fire(LinkFormState.open_edit, public_id)
    assert member_tab[LinkFormState].fallback_url == "https://example.com/after"
    await member_tab.fire(LinkFormState.set_field, "fallback_url", "  ")
    await member_tab.fire(LinkFormState.save)
    assert (await stored_links(member))[0].fallback_url is None


async def test_link_list_rows_carry_the_status(member, member_tab):
    await make_link(member, max_clicks=1)
    await use_up((await stored_links(member))[0].id, 1)
    await make_link(member, url="https://example.com/other")

    await member_tab.fire(LinksState.reload)

    assert [row["status"] for row in member_tab[LinksState].rows] == ["active", "limit_reached"]
