"""/ : totals across all links, a small clicks chart, and the link table."""

from __future__ import annotations

import reflex as rx

from linkapp.components.blocks import chart, panel, stat_card
from linkapp.components.insights import insights_panel
from linkapp.components.layout import page_frame
from linkapp.components.link_dialogs import delete_dialog, link_dialog
from linkapp.components.link_table import link_table
from linkapp.state.links import LinksState

ONE_LINE = {"overflow": "hidden", "text_overflow": "ellipsis", "white_space": "nowrap"}


def _totals() -> rx.Component:
    return rx.grid(
        stat_card("Clicks today", LinksState.clicks_today, icon="mouse-pointer-click", card_id="clicks-today"),
        stat_card("Last 7 days", LinksState.clicks_7d, icon="calendar-days", card_id="clicks-7d"),
        stat_card("Last 30 days", LinksState.clicks_30d, icon="calendar-range", card_id="clicks-30d"),
        stat_card(
            "Top link",
            rx.cond(LinksState.top_link_title != "", rx.text(LinksState.top_link_title, size="5", style=ONE_LINE), "–"),
            icon="trophy",
            hint=rx.cond(LinksState.top_link_clicks > 0, LinksState.top_link_clicks.to(str) + " clicks in 30 days", "No clicks yet"),
            card_id="top-link",
        ),
        columns=rx.breakpoints(initial="2", md="4"),
        spacing="3",
        width="100%",
    )


def _chart() -> rx.Component:
    return panel(rx.text("Clicks, last 30 days", size="2", color_scheme="gray"), chart(LinksState.spark, chart_id="dashboard-chart"))


def dashboard_page() -> rx.Component:
    return page_frame(
        rx.vstack(
            rx.heading("Dashboard", size="7"),
            _totals(),
            _chart(),
            link_table(),
            insights_panel(),
            spacing="5",
            width="100%",
        ),
        link_dialog(),
        delete_dialog(),
    )
