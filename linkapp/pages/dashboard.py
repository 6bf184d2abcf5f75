"""/ : totals across all links, a small clicks chart, and the link table."""

from __future__ import annotations

import reflex as rx

from linkapp.components.blocks import chart, panel, stat_card
from linkapp.components.exports import export_menu
from linkapp.components.import_dialog import import_button, import_dialog
from linkapp.components.insights import insights_panel
from linkapp.components.layout import page_frame
from linkapp.components.link_dialogs import delete_dialog, link_dialog
from linkapp.components.link_table import link_table
from linkapp.components.tag_dialogs import tags_dialog
from linkapp.components.tags import tag_picker
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
    scope = rx.cond(LinksState.tag != "", " · tagged “" + LinksState.tag + "”", "")
    title = rx.text("Clicks, last 30 days", scope, size="2", color_scheme="gray", id="chart-title")
    return panel(title, chart(LinksState.spark, chart_id="dashboard-chart"))


def _heading() -> rx.Component:
    actions = (tag_picker(), import_button(), export_menu())
    return rx.hstack(rx.heading("Dashboard", size="7"), rx.spacer(), *actions, align="center", spacing="3", flex_wrap="wrap", width="100%")


def dashboard_page() -> rx.Component:
    return page_frame(
        rx.vstack(
            _heading(),
            _totals(),
            _chart(),
            link_table(),
            insights_panel(),
            spacing="5",
            width="100%",
        ),
        link_dialog(),
        delete_dialog(),
        tags_dialog(),
        import_dialog(),
    )
