"""The viewer's time zone: learnt from the browser once, kept on AuthState, used by every page."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from linkapp.state.api_keys import ApiKeysState
from linkapp.state.auth import AuthState
from linkapp.state.insights import InsightsState
from linkapp.state.link_detail import LinkDetailState
from linkapp.state.link_form import LinkFormState
from linkapp.state.links import LinksState
from tests.state.conftest import make_link, signed_in_tab, stored_links


async def test_dashboard_learns_the_browser_zone_for_every_state(member, member_tab):
    tab = member_tab
    sent = await tab.fire(LinksState.start)
    assert sent.events and sent.events[0].name == "_call_script" and "set_tz_and_load" in str(sent.events[0].payload)
    await tab.fire(LinksState.set_tz_and_load, "Pacific/Kiritimati")
    assert tab[AuthState].time_zone == "Pacific/Kiritimati"
    assert tab[LinksState].loaded
    # The API keys dialog shows days in that zone too.
    await tab.fire(ApiKeysState.show)
    await tab.fire(ApiKeysState.set_name, "far")
    await tab.fire(ApiKeysState.create)
    today_there = datetime.now(UTC).astimezone(ZoneInfo("Pacific/Kiritimati")).strftime("%b %-d, %Y")
    assert tab[ApiKeysState].keys[0]["created"] == today_there


async def test_zone_is_utc_when_the_browser_names_none_or_an_unknown_one(member, member_tab):
    tab = member_tab
    await tab.fire(LinksState.set_tz_and_load, "")
    assert tab[AuthState].time_zone == "UTC"
    await tab.fire(LinksState.set_tz_and_load, "Not/AZone")
    assert tab[AuthState].time_zone == "UTC" and tab[LinksState].loaded


async def test_zone_picked_on_a_link_page_is_the_viewers_zone(member):
    public_id = await make_link(member, expires_at=datetime.now(UTC) + timedelta(days=3))
    tab = await signed_in_tab(member.session_token, f"/links/{public_id}")
    await tab.fire(LinkDetailState.start)
    await tab.fire(LinkDetailState.set_tz_and_load, "Europe/Paris")
    assert tab[AuthState].time_zone == "Europe/Paris"
    assert tab[LinkDetailState].range_label.endswith("· Europe/Paris")
    await tab.fire(LinkDetailState.set_tz, "Asia/Tokyo")
    assert tab[AuthState].time_zone == "Asia/Tokyo"
    assert tab[LinkDetailState].range_label.endswith("· Asia/Tokyo")
    await tab.fire(LinkDetailState.set_range, "custom")
    assert tab[LinkDetailState].custom_end == datetime.now(ZoneInfo("Asia/Tokyo")).date().isoformat()
    await tab.fire(InsightsState.load_quick, True)
    assert tab[InsightsState].quick


async def test_edit_form_shows_and_reads_expiry_in_the_viewers_zone(member):
    when = datetime(2031, 5, 4, 22, 30, tzinfo=UTC)
    public_id = await make_link(member, expires_at=when)
    tab = await signed_in_tab(member.session_token, "/")
    await tab.fire(LinksState.set_tz_and_load, "Asia/Tokyo")
    await tab.fire(LinkFormState.open_edit, public_id)
    assert tab[LinkFormState].expires_at == "2031-05-05T07:30"
    await tab.fire(LinkFormState.set_field, "expires_at", "2031-05-06T09:00")
    await tab.fire(LinkFormState.save)
    assert tab[LinkFormState].errors == {} and tab[LinkFormState].form_error == ""
    stored = [link for link in await stored_links(member) if link.id == public_id][0]
    assert stored.expires_at == datetime(2031, 5, 6, 0, 0, tzinfo=UTC)

