"""The dashboard's and the link page's clicks per day: bars, today's labelled in the viewer's zone."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import plotly.graph_objects as go

from linkapp.state.link_detail import LinkDetailState
from linkapp.state.links import LinksState
from tests.factories import store_clicks
from tests.state.conftest import make_link, signed_in_tab


def _today_label(fig: go.Figure):
    return [(note.x, note.y) for note in fig.layout.annotations if note.text == "Today"]


async def test_dashboard_and_link_page_label_today_in_the_viewers_zone(member):
    public_id = await make_link(member)
    await store_clicks({"id": public_id}, datetime.now(UTC))
    today = datetime.now(ZoneInfo("Pacific/Kiritimati")).date().isoformat()

    tab = await signed_in_tab(member.session_token, "/")
    await tab.fire(LinksState.set_tz_and_load, "Pacific/Kiritimati")
    spark = tab[LinksState].spark
    assert isinstance(spark.data[0], go.Bar) and _today_label(spark) == [(today, 1)]

    tab.visit(f"/links/{public_id}")
    await tab.fire(LinkDetailState.start)
    await tab.fire(LinkDetailState.set_tz_and_load, "Pacific/Kiritimati")
    chart = tab[LinkDetailState].clicks_fig
    assert isinstance(chart.data[0], go.Bar) and _today_label(chart) == [(today, 1)]
