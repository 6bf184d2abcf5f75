"""LinkDetailState: the link page's charts show visitors' sources as text, never as markup."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from linkapp.state.link_detail import LinkDetailState
from tests.factories import store_clicks
from tests.state.conftest import make_link, signed_in_tab

PLANTED = '<a href="https://evil.example">x</a>'


async def test_link_page_source_chart_shows_a_planted_link_as_text(member):
    public_id = await make_link(member)
    moment = datetime.now(UTC) - timedelta(hours=1)
    await store_clicks({"id": public_id}, moment, moment, source=PLANTED)
    await store_clicks({"id": public_id}, moment, source="news")
    tab = await signed_in_tab(member.session_token, f"/links/{public_id}")
    tab[LinkDetailState].public_id = public_id

    await tab.fire(LinkDetailState.set_tz_and_load, "UTC")

    page = tab[LinkDetailState]
    assert {row["source"] for row in page.by_source} == {PLANTED, "news"}  # the table shows it as React text
    labels = list(page.source_fig.data[0].y)
    assert "&lt;a href=\"https://evil.example\"&gt;x&lt;/a&gt;" in labels
    assert not any("<a" in label for label in labels) and "<a" not in page.source_fig.data[0].hovertemplate
