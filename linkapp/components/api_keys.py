"""The API keys dialog: make a key for a script (shown once), see and revoke the others."""

from __future__ import annotations

import reflex as rx

from linkapp.state.api_keys import ApiKeysState

# Dates give way on a phone, so that name, key and the revoke button fit.
WIDE_ONLY = ["none", "table-cell"]


def _new_key() -> rx.Component:
    return rx.callout.root(
        rx.callout.icon(rx.icon("key-round")),
        rx.vstack(
            rx.text("Copy your new key now: it will not be shown again.", weight="medium", size="2"),
            rx.hstack(
                rx.code(ApiKeysState.new_key, id="new-api-key", size="2", style={"word_break": "break-all"}),
                rx.icon_button(rx.icon("copy", size=14), on_click=ApiKeysState.copy_key, variant="soft", size="1", id="copy-api-key", aria_label="Copy key"),
                align="center",
                spacing="2",
            ),
            rx.text("Scripts send it as ", rx.code("Authorization: Bearer <key>"), ".", size="1", color_scheme="gray"),
            spacing="2",
        ),
        color_scheme="green",
        width="100%",
        id="new-api-key-callout",
    )


def _key_row(key: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(key["name"], weight="medium")),
        rx.table.cell(rx.code(key["prefix"])),
        rx.table.cell(key["created"], display=WIDE_ONLY),
        rx.table.cell(key["last_used"], display=WIDE_ONLY),
        rx.table.cell(
            rx.button("Revoke", on_click=ApiKeysState.revoke(key["id"]), color_scheme="red", variant="soft", size="1", id="revoke-" + key["id"].to(str)),
            justify="end",
        ),
        class_name="api-key-row",
    )


def _create_form() -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.input(
                id="api-key-name",
                name="name",
                value=ApiKeysState.name,
                on_change=ApiKeysState.set_name,
                placeholder="What is it for? e.g. nightly report",
                max_length=64,
                flex="1",
            ),
            rx.button("Create key", type="submit", loading=ApiKeysState.saving, id="create-api-key"),
            width="100%",
            spacing="2",
        ),
        on_submit=ApiKeysState.create,
        width="100%",
    )


def _keys_table() -> rx.Component:
    return rx.cond(
        ApiKeysState.keys.length() > 0,
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    rx.table.column_header_cell("Name"),
                    rx.table.column_header_cell("Key"),
                    rx.table.column_header_cell("Created", display=WIDE_ONLY),
                    rx.table.column_header_cell("Last used", display=WIDE_ONLY),
                    rx.table.column_header_cell(""),
                )
            ),
            rx.table.body(rx.foreach(ApiKeysState.keys, _key_row)),
            size="1",
            width="100%",
            id="api-key-table",
        ),
        rx.text("No keys yet.", size="2", color_scheme="gray", id="no-api-keys"),
    )


def api_keys_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("API keys"),
            rx.dialog.description(
                "Scripts use a key instead of your password. Revoking a key stops it at once.", size="2", color_scheme="gray", margin_bottom="1rem"
            ),
            rx.vstack(
                rx.cond(ApiKeysState.new_key != "", _new_key()),
                _create_form(),
                rx.cond(ApiKeysState.name_error != "", rx.text(ApiKeysState.name_error, color_scheme="red", size="1", id="api-key-name-error", role="alert")),
                _keys_table(),
                rx.hstack(rx.dialog.close(rx.button("Done", variant="soft", color_scheme="gray", id="close-api-keys")), justify="end", width="100%"),
                spacing="3",
                width="100%",
            ),
            max_width="640px",
        ),
        open=ApiKeysState.open,
        on_open_change=ApiKeysState.set_open,
    )
