"""/links/[link_id]: one link's details and charts."""

from __future__ import annotations

import reflex as rx

from linkapp import routes
from linkapp.components.blocks import chart, copy_button, error_callout, notice, panel, stat_card
from linkapp.components.exports import clicks_export_button
from linkapp.components.insights import insights_panel
from linkapp.components.layout import page_frame
from linkapp.components.link_state import state_box
from linkapp.components.qr_dialog import qr_button, qr_dialog
from linkapp.components.tags import link_page_tags
from linkapp.state.auth import AuthState
from linkapp.state.insights import InsightsState
from linkapp.state.link_detail import LinkDetailState
from linkapp.state.qr import QrState

TIME_ZONES = [
    "UTC", "America/Los_Angeles", "America/New_York", "America/Sao_Paulo", "Europe/London", "Europe/Paris",
    "Africa/Lagos", "Asia/Kolkata", "Asia/Kathmandu", "Asia/Shanghai", "Asia/Tokyo", "Australia/Sydney", "Pacific/Auckland",
]


def _title() -> rx.Component:
    return rx.hstack(
        rx.heading(LinkDetailState.title, size="7", id="link-title", word_break="break-word"),
        rx.cond(LinkDetailState.status_note != "", rx.badge(LinkDetailState.status_note, color_scheme="gray")),
        align="center",
        spacing="3",
        flex_wrap="wrap",
    )


def _short_url() -> rx.Component:
    return rx.hstack(
        rx.code(LinkDetailState.shortened_url, size="3", id="link-short-url"),
        copy_button(LinkDetailState.copy, id="copy-short-url"),
        qr_button(QrState.show(LinkDetailState.public_id), id="show-qr"),
        align="center",
        spacing="2",
        flex_wrap="wrap",
    )


def _header() -> rx.Component:
    return rx.vstack(
        rx.link(rx.hstack(rx.icon("arrow-left", size=14), rx.text("All links", size="2"), align="center", spacing="1"), href=routes.INDEX, id="back"),
        _title(),
        _short_url(),
        link_page_tags(),
        rx.text(
            "→ ",
            rx.link(LinkDetailState.url, href=LinkDetailState.url, is_external=True, id="link-target", word_break="break-all"),
            size="2",
            color_scheme="gray",
        ),
        rx.text("Created ", LinkDetailState.created, " · ", LinkDetailState.all_time_clicks, " clicks all time", size="2", color_scheme="gray", id="link-meta"),
        spacing="2",
        align="start",
        width="100%",
    )


def _range_choice() -> rx.Component:
    return rx.segmented_control.root(
        rx.segmented_control.item("7 days", value="7"),
        rx.segmented_control.item("30 days", value="30"),
        rx.segmented_control.item("90 days", value="90"),
        rx.segmented_control.item("Custom", value="custom"),
        value=LinkDetailState.range_choice,
        on_change=[LinkDetailState.set_range, InsightsState.follow_range],
        id="range-picker",
    )


def _custom_range() -> rx.Component:
    return rx.cond(
        LinkDetailState.range_choice == "custom",
        rx.hstack(
            rx.input(type="date", value=LinkDetailState.custom_start, on_change=LinkDetailState.set_custom_start, aria_label="Start day", id="range-start"),
            rx.input(type="date", value=LinkDetailState.custom_end, on_change=LinkDetailState.set_custom_end, aria_label="End day", id="range-end"),
            rx.button("Apply", on_click=[LinkDetailState.apply_custom, InsightsState.follow_range], variant="soft", id="range-apply"),
            spacing="2",
            align="center",
        ),
    )


def _range_picker() -> rx.Component:
    return rx.hstack(
        _range_choice(),
        _custom_range(),
        rx.spacer(),
        rx.select(
            TIME_ZONES, value=AuthState.time_zone, on_change=[LinkDetailState.set_tz, InsightsState.follow_range], aria_label="Time zone", id="tz-select"
        ),
        clicks_export_button(),
        spacing="3",
        align="center",
        flex_wrap="wrap",
        width="100%",
    )


def _totals() -> rx.Component:
    return rx.grid(
        stat_card("Clicks", LinkDetailState.total_clicks, icon="mouse-pointer-click", card_id="range-clicks"),
        stat_card("Unique visitors", LinkDetailState.unique_visitors, icon="users", card_id="unique-visitors"),
        stat_card("Clicks per visitor", LinkDetailState.clicks_per_visitor, icon="repeat", card_id="clicks-per-visitor"),
        columns=rx.breakpoints(initial="1", sm="3"),
        spacing="3",
        width="100%",
    )


def _clicks_per_day() -> rx.Component:
    return panel(
        rx.text("Clicks per day", weight="medium"),
        rx.text(LinkDetailState.range_label, size="1", color_scheme="gray", id="range-label"),
        chart(LinkDetailState.clicks_fig, chart_id="clicks-chart"),
        spacing="1",
    )


def _breakdown(title: str, rows, figure, chart_id: str) -> rx.Component:
    return panel(
        rx.text(title, weight="medium"),
        rx.cond(
            rows.length() > 0,
            chart(figure, chart_id=chart_id),
            rx.text("No clicks in this range yet.", color_scheme="gray", size="2", padding_y="1rem"),
        ),
        min_width="0",
    )


def _breakdowns() -> rx.Component:
    return rx.grid(
        _breakdown("Sources", LinkDetailState.by_source, LinkDetailState.source_fig, "source-chart"),
        _breakdown("Devices", LinkDetailState.by_device, LinkDetailState.device_fig, "device-chart"),
        _breakdown("Countries", LinkDetailState.by_country, LinkDetailState.country_fig, "country-chart"),
        _breakdown("Referrers", LinkDetailState.by_referrer, LinkDetailState.referrer_fig, "referrer-chart"),
        _breakdown("Browsers", LinkDetailState.by_browser, LinkDetailState.browser_fig, "browser-chart"),
        _breakdown("Operating systems", LinkDetailState.by_os, LinkDetailState.os_fig, "os-chart"),
        columns=rx.breakpoints(initial="1", md="2"),
        spacing="4",
        width="100%",
    )


def _bot_reason(row: rx.Var) -> rx.Component:
    return rx.badge(row["reason"].to(str) + " · " + row["clicks"].to(str), color_scheme="gray", variant="soft")


def _bots() -> rx.Component:
    return panel(
        rx.hstack(
            rx.icon("bot", size=16, color=rx.color("gray", 10)),
            rx.text(
                "Not counted: ",
                LinkDetailState.bot_total,
                rx.cond(LinkDetailState.bot_total == 1, " request", " requests"),
                " from bots, previews and scripts",
                weight="medium",
                id="bot-total",
            ),
            align="center",
            spacing="2",
        ),
        rx.cond(
            LinkDetailState.bots.length() > 0,
            rx.hstack(
                rx.foreach(LinkDetailState.bots, _bot_reason),
                spacing="2",
                flex_wrap="wrap",
            ),
        ),
        rx.text("Crawlers, link previews, HTTP clients, HEAD requests and prefetches are stored but left out of every figure.", size="1", color_scheme="gray"),
        id="bots-card",
    )


def _charts() -> rx.Component:
    return rx.vstack(
        _totals(),
        error_callout(LinkDetailState.range_error, callout_id="range-error"),
        _clicks_per_day(),
        _breakdowns(),
        _bots(),
        spacing="4",
        width="100%",
    )


def _not_found() -> rx.Component:
    return notice(
        "search-x",
        "Link not found",
        "It may have been deleted, or it belongs to someone else.",
        rx.link(rx.button("Back to your links"), href=routes.INDEX),
        notice_id="link-not-found",
    )


def link_page() -> rx.Component:
    return page_frame(
        rx.cond(
            LinkDetailState.not_found,
            _not_found(),
            rx.cond(
                LinkDetailState.loaded,
                rx.vstack(_header(), state_box(), _range_picker(), _charts(), insights_panel(link=True), spacing="5", width="100%", id="link-page"),
                rx.center(rx.spinner(size="3"), padding_y="4rem"),
            ),
        ),
        qr_dialog(),
    )
