"""Export buttons: the dashboard's menu (the link list, clicks per link) and a link page's
clicks; the files are written by ExportState and downloaded by the browser."""

from __future__ import annotations

import reflex as rx

from linkapp.state.exports import ExportState


def export_menu() -> rx.Component:
    """The dashboard's Export menu."""
    return rx.menu.root(
        rx.menu.trigger(
            rx.button(
                rx.icon("download", size=16), "Export", rx.icon("chevron-down", size=14), variant="soft", loading=ExportState.busy != "", id="export-menu"
            )
        ),
        rx.menu.content(
            rx.menu.item(rx.icon("sheet", size=14), "Links (CSV)", on_click=ExportState.links_csv, id="export-links"),
            rx.menu.item(rx.icon("chart-column", size=14), "Clicks per link, last 30 days (CSV)", on_click=ExportState.summary_csv, id="export-summary"),
        ),
    )


def clicks_export_button() -> rx.Component:
    """A link page's export of its clicks in the range shown."""
    return rx.button(
        rx.icon("download", size=14), "Export clicks", on_click=ExportState.clicks_csv, loading=ExportState.busy == "clicks", variant="soft", id="export-clicks"
    )
