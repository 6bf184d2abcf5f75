"""InsightsState: the quick insights follow new clicks and the link page's range, as the figures beside them do."""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import UTC, datetime, timedelta

from linkapp.services.clicks.feed import feed
from linkapp.state import live
from linkapp.state.insights import InsightsState
from linkapp.state.link_detail import LinkDetailState
from linkapp.state.links import LinksState
from tests.factories import store_clicks
from tests.state.conftest import make_link, signed_in_tab


class _Locked:
    """A background task's view of a state, as Reflex gives it (`async with state` to touch it)."""

    def __init__(self, state) -> None:
        object.__setattr__(self, "_state", state)

    async def __aenter__(self):
        return self

    async def __aexit__(self, *_exc):
        return False

    def __getattr__(self, name):
        return getattr(self._state, name)

    def __setattr__(self, name, value):
        setattr(self._state, name, value)


async def _until(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "not within the deadline"
        await asyncio.sleep(0.02)


async def test_quick_insights_follow_new_clicks_while_the_dashboard_is_open(member):
    public_id = await make_link(member)
    tab = await signed_in_tab(member.session_token, "/")
    sent = await tab.fire(InsightsState.load_quick, False)
    insights = tab[InsightsState]
    assert insights.quick[0].startswith("0 clicks")
    assert sent.events and "in_zone" in str(sent.events[0].payload)  # the page answers with its zone
    sent = await tab.fire(InsightsState.in_zone, "UTC")
    assert any(event.name.endswith("watch_clicks") for event in sent.events), "the panel does not watch for clicks"

    watching = asyncio.create_task(live.watch(_Locked(insights), lambda path: path == "/", insights._reload_quick))
    try:
        now = datetime.now(UTC)
        await store_clicks({"id": public_id}, now, now)
        feed.publish()  # as the click writer does after each batch
        await _until(lambda: insights.quick[0].startswith("2 clicks"))
    finally:
        insights._watching = False
        feed.publish()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(watching, 5)


async def test_quick_insights_on_a_link_page_cover_the_range_chosen_there(member):
    public_id = await make_link(member)
    now = datetime.now(UTC)
    await store_clicks({"id": public_id}, now - timedelta(hours=1), now - timedelta(days=20))
    tab = await signed_in_tab(member.session_token, f"/links/{public_id}")
    await tab.fire(LinkDetailState.start)
    await tab.fire(LinkDetailState.set_tz_and_load, "UTC")
    await tab.fire(InsightsState.load_quick, True)
    # (Visitor ids change every UTC day: one person on two days counts twice.)
    assert tab[InsightsState].quick[0] == "2 clicks from 2 unique visitors in the last 30 days."

    await tab.fire(LinkDetailState.set_range, "7")
    await tab.fire(InsightsState.follow_range)

    assert tab[LinkDetailState].total_clicks == 1
    assert tab[InsightsState].quick[0] == "1 click from 1 unique visitor in the last 7 days."


async def test_quick_insights_of_a_past_custom_range_name_its_days(member):
    public_id = await make_link(member)
    tab = await signed_in_tab(member.session_token, f"/links/{public_id}")
    await tab.fire(LinkDetailState.start)
    await tab.fire(LinkDetailState.set_tz_and_load, "UTC")
    await tab.fire(InsightsState.load_quick, True)
    detail = tab[LinkDetailState]
    detail.custom_start, detail.custom_end = "2026-01-01", "2026-01-14"

    await tab.fire(LinkDetailState.apply_custom)
    await tab.fire(InsightsState.follow_range)

    assert tab[InsightsState].quick[0] == "0 clicks from 0 unique visitors from Jan 1, 2026 to Jan 14, 2026."


async def test_quick_insights_count_again_when_the_browser_zone_is_learnt(member):
    public_id = await make_link(member)
    now = datetime.now(UTC) - timedelta(minutes=5)
    await store_clicks({"id": public_id}, *(now for _ in range(5)))
    tab = await signed_in_tab(member.session_token, "/")
    await tab.fire(InsightsState.load_quick, False)
    assert any(line.startswith("Busiest weekday") and line.endswith("(UTC).") for line in tab[InsightsState].quick)

    # The dashboard's figures take the browser's zone first (their answer comes first); the panel follows.
    await tab.fire(LinksState.set_tz_and_load, "Asia/Tokyo")
    await tab.fire(InsightsState.in_zone, "Asia/Tokyo")

    busiest = [line for line in tab[InsightsState].quick if line.startswith("Busiest weekday")]
    assert busiest and busiest[0].endswith("(Asia/Tokyo).")
