"""The dashboard's table of links: title, short URL with copy, target, clicks, created, actions."""

from __future__ import annotations

import reflex as rx

from linkapp.components.blocks import copy_button, notice, panel
from linkapp.components.link_state import status_badge
from linkapp.components.qr_dialog import qr_dialog
from linkapp.components.tags import active_tag, row_tags
from linkapp.state.link_form import LinkFormState
from linkapp.state.links import LinksState
from linkapp.state.qr import QrState

ELLIPSIS = {"overflow": "hidden", "text_overflow": "ellipsis", "white_space": "nowrap", "display": "block", "max_width": "100%"}
# Columns that give way on narrow screens: short URL and created from md up, the target from lg up.
FROM_MD = ["none", "none", "table-cell"]
FROM_LG = ["none", "none", "none", "table-cell"]
# A sortable header reads as the other headers do (their font and colour), with a focus ring.
SORT_BUTTON = {
    "all": "unset",
    "cursor": "pointer",
    "display": "inline-flex",
    "align_items": "center",
    "gap": "4px",
    "&:focus-visible": {"outline": f"2px solid {rx.color('accent', 8)}", "outline_offset": "2px", "border_radius": "2px"},
}


def _copy_button(row: dict) -> rx.Component:
    return copy_button(LinksState.copy(row["shortened_url"]), class_name="copy-link")


def _title_cell(row: dict) -> rx.Component:
    return rx.table.cell(
        rx.vstack(
            rx.link(row["title"], href="/links/" + row["id"].to(str), weight="medium", high_contrast=True, class_name="link-title", style=ELLIPSIS),
            # On a phone the short URL sits under the title instead of in its own column.
            rx.hstack(
                rx.code(row["short"], variant="ghost", size="1", style=ELLIPSIS),
                _copy_button(row),
                align="center",
                spacing="1",
                display=["flex", "flex", "none"],
                max_width="100%",
            ),
            status_badge(row["status"], class_name="link-status"),
            row_tags(row["tags"]),
            spacing="1",
            min_width="0",
        ),
        max_width=rx.breakpoints(initial="180px", sm="260px", md="220px"),
    )


def _short_url_cell(row: dict) -> rx.Component:
    return rx.table.cell(
        rx.hstack(rx.code(row["short"], variant="ghost", class_name="short-url"), _copy_button(row), align="center", spacing="1"),
        display=FROM_MD,
    )


def _row_action(icon: str, label: str, on_click: rx.event.EventSpec, class_name: str, **props) -> rx.Component:
    return rx.icon_button(rx.icon(icon, size=14), on_click=on_click, variant="soft", size="1", aria_label=label, class_name=class_name, **props)


def _actions_cell(row: dict) -> rx.Component:
    return rx.table.cell(
        rx.hstack(
            _row_action("qr-code", "QR code", QrState.show(row["id"]), "qr-link"),
            _row_action("pencil", "Edit link", LinkFormState.open_edit(row["id"]), "edit-link"),
            _row_action("trash-2", "Delete link", LinkFormState.ask_delete(row["id"], row["title"]), "delete-link", color_scheme="red"),
            spacing="2",
            justify="end",
        ),
    )


def _row(row: dict) -> rx.Component:
    return rx.table.row(
        _title_cell(row),
        _short_url_cell(row),
        rx.table.cell(rx.text(row["url"], size="2", color_scheme="gray", title=row["url"], style=ELLIPSIS), display=FROM_LG, max_width="280px"),
        rx.table.cell(rx.text(row["total_clicks"], weight="bold", class_name="link-clicks"), text_align="right"),
        rx.table.cell(rx.text(row["created"], size="2", color_scheme="gray", white_space="nowrap"), display=FROM_MD),
        _actions_cell(row),
        class_name="link-row",
        data_id=row["id"],
    )


def _sortable(label: str, column: str, **props) -> rx.Component:
    """A column header that sorts by its column, and the other way round on a second click."""
    order = rx.cond(LinksState.sort == column, "ascending", rx.cond(LinksState.sort == "-" + column, "descending", "none"))
    arrow = rx.match(
        order, ("ascending", rx.icon("arrow-up", size=12)), ("descending", rx.icon("arrow-down", size=12)), rx.icon("arrow-up-down", size=12, opacity="0.4")
    )
    return rx.table.column_header_cell(
        rx.el.button(label, arrow, on_click=LinksState.sort_by(column), type="button", id=f"sort-{column}", style=SORT_BUTTON),
        aria_sort=order,
        **props,
    )


def _header_row() -> rx.Component:
    return rx.table.row(
        _sortable("Title", "title"),
        rx.table.column_header_cell("Short URL", display=FROM_MD),
        rx.table.column_header_cell("Target", display=FROM_LG),
        _sortable("Clicks", "clicks", text_align="right"),
        _sortable("Created", "created", display=FROM_MD),
        rx.table.column_header_cell(rx.text("Actions", class_name="sr-only")),
    )


def _table() -> rx.Component:
    return rx.box(
        rx.table.root(
            rx.table.header(_header_row()),
            rx.table.body(rx.foreach(LinksState.rows, _row)),
            width="100%",
            id="links-table",
        ),
        overflow_x="auto",
        width="100%",
    )


def empty_state() -> rx.Component:
    return notice(
        "link",
        "Create your first short link",
        "Paste a long URL, get a short one, and watch every click arrive.",
        rx.button(rx.icon("plus", size=16), "New link", on_click=LinkFormState.open_create, size="3", id="empty-new-link"),
        notice_id="empty-state",
        icon_color=rx.color("accent", 9),
    )


def _no_rows() -> rx.Component:
    """No match for the search, no links yet, or not loaded yet."""
    return rx.cond(
        (LinksState.query != "") | (LinksState.tag != ""),
        rx.center(rx.text("No links match your search.", color_scheme="gray"), padding_y="2rem", width="100%", id="no-results"),
        rx.cond(LinksState.loaded, empty_state(), rx.center(rx.spinner(), padding_y="2rem", width="100%")),
    )


def _toolbar() -> rx.Component:
    return rx.hstack(
        rx.heading("Links", size="4"),
        active_tag(),
        rx.spacer(),
        rx.input(
            rx.input.slot(rx.icon("search", size=14)),
            placeholder="Search titles, URLs, tags",
            value=LinksState.query,
            on_change=LinksState.search.debounce(300),
            id="search",
            aria_label="Search links",
            width=["100%", "240px"],
        ),
        rx.button(rx.icon("plus", size=16), "New link", on_click=LinkFormState.open_create, id="new-link"),
        width="100%",
        align="center",
        spacing="3",
        flex_wrap="wrap",
    )


def _pager() -> rx.Component:
    return rx.cond(
        LinksState.page_count > 1,
        rx.hstack(
            rx.text(LinksState.page_label, size="2", color_scheme="gray", id="page-label"),
            rx.spacer(),
            rx.button("Previous", on_click=LinksState.previous_page, variant="soft", disabled=LinksState.page == 0, id="prev-page"),
            rx.button("Next", on_click=LinksState.next_page, variant="soft", disabled=LinksState.page + 1 >= LinksState.page_count, id="next-page"),
            width="100%",
            align="center",
        ),
    )


def link_table() -> rx.Component:
    return panel(
        _toolbar(),
        rx.cond(LinksState.total == 0, _no_rows(), _table()),
        _pager(),
        qr_dialog(),
        spacing="4",
    )
