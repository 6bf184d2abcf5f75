"""The dashboard's table of links: title, short URL with copy, target, clicks, created, actions."""

from __future__ import annotations

import reflex as rx

from linkapp.components.layout import notice
from linkapp.state.link_form import LinkFormState
from linkapp.state.links import LinksState

ELLIPSIS = {"overflow": "hidden", "text_overflow": "ellipsis", "white_space": "nowrap", "display": "block", "max_width": "100%"}


def _copy_button(row: dict) -> rx.Component:
    return rx.icon_button(
        rx.icon("copy", size=14),
        on_click=LinksState.copy(row["shortened_url"]),
        variant="ghost",
        size="1",
        aria_label="Copy short URL",
        class_name="copy-link",
    )


def _row(row: dict) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.vstack(
                rx.link(row["title"], href="/links/" + row["id"].to(str), weight="medium", high_contrast=True, class_name="link-title", style=ELLIPSIS),
                # On a phone the short URL sits under the title instead of in its own column.
                rx.hstack(rx.code(row["short"], variant="ghost", size="1", style=ELLIPSIS), _copy_button(row), align="center", spacing="1", display=["flex", "flex", "none"], max_width="100%"),
                rx.cond(row["disabled"], rx.badge("disabled", color_scheme="gray", size="1")),
                spacing="1",
                min_width="0",
            ),
            max_width=rx.breakpoints(initial="180px", sm="260px", md="220px"),
        ),
        rx.table.cell(
            rx.hstack(rx.code(row["short"], variant="ghost", class_name="short-url"), _copy_button(row), align="center", spacing="1"),
            display=["none", "none", "table-cell"],
        ),
        rx.table.cell(
            rx.text(row["url"], size="2", color_scheme="gray", title=row["url"], style=ELLIPSIS),
            display=["none", "none", "none", "table-cell"],
            max_width="280px",
        ),
        rx.table.cell(rx.text(row["total_clicks"], weight="bold", class_name="link-clicks"), text_align="right"),
        rx.table.cell(rx.text(row["created"], size="2", color_scheme="gray", white_space="nowrap"), display=["none", "none", "table-cell"]),
        rx.table.cell(
            rx.hstack(
                rx.icon_button(rx.icon("pencil", size=14), on_click=LinkFormState.open_edit(row["id"]), variant="soft", size="1", aria_label="Edit link", class_name="edit-link"),
                rx.icon_button(
                    rx.icon("trash-2", size=14),
                    on_click=LinkFormState.ask_delete(row["id"], row["title"]),
                    variant="soft",
                    color_scheme="red",
                    size="1",
                    aria_label="Delete link",
                    class_name="delete-link",
                ),
                spacing="2",
                justify="end",
            ),
        ),
        class_name="link-row",
        data_id=row["id"],
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


def link_table() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading("Links", size="4"),
                rx.spacer(),
                rx.input(
                    rx.input.slot(rx.icon("search", size=14)),
                    placeholder="Search links",
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
            ),
            rx.cond(
                LinksState.total == 0,
                rx.cond(
                    LinksState.query != "",
                    rx.center(rx.text("No links match your search.", color_scheme="gray"), padding_y="2rem", width="100%", id="no-results"),
                    rx.cond(LinksState.loaded, empty_state(), rx.center(rx.spinner(), padding_y="2rem", width="100%")),
                ),
                rx.box(
                    rx.table.root(
                        rx.table.header(
                            rx.table.row(
                                rx.table.column_header_cell("Title"),
                                rx.table.column_header_cell("Short URL", display=["none", "none", "table-cell"]),
                                rx.table.column_header_cell("Target", display=["none", "none", "none", "table-cell"]),
                                rx.table.column_header_cell("Clicks", text_align="right"),
                                rx.table.column_header_cell("Created", display=["none", "none", "table-cell"]),
                                rx.table.column_header_cell(rx.text("Actions", class_name="sr-only")),
                            )
                        ),
                        rx.table.body(rx.foreach(LinksState.rows, _row)),
                        width="100%",
                        id="links-table",
                    ),
                    overflow_x="auto",
                    width="100%",
                ),
            ),
            rx.cond(
                LinksState.page_count > 1,
                rx.hstack(
                    rx.text(LinksState.page_label, size="2", color_scheme="gray", id="page-label"),
                    rx.spacer(),
                    rx.button("Previous", on_click=LinksState.previous_page, variant="soft", disabled=LinksState.page == 0, id="prev-page"),
                    rx.button("Next", on_click=LinksState.next_page, variant="soft", disabled=LinksState.page + 1 >= LinksState.page_count, id="next-page"),
                    width="100%",
                    align="center",
                ),
            ),
            spacing="4",
            width="100%",
        ),
        width="100%",
    )
