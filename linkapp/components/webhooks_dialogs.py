"""The webhooks page's dialogs: new/edit, the secret shown once, confirming a deletion, and a hook's deliveries."""

from __future__ import annotations

import reflex as rx

from linkapp.components.account import field_error, field_label
from linkapp.components.blocks import error_callout
from linkapp.services.webhooks import events
from linkapp.state.webhooks import WebhooksState

# What each event means, beside its checkbox.
EVENT_WORDS = {
    events.LINK_CREATED: "a link is created",
    events.LINK_UPDATED: "a link is changed",
    events.LINK_DELETED: "a link is deleted",
    events.LINK_CLICKED: "a link is clicked (bots too, flagged)",
    events.PING: "you send a test event",
}
# Error and duration give way on a phone; the error also shows under the status.
WIDE_ONLY = ["none", "table-cell"]
# How often the open deliveries view looks for new attempts.
DELIVERIES_REFRESH_MS = 3000


def _event_checkbox(name: str) -> rx.Component:
    box_id = "event-" + name.replace(".", "-")
    # Bound to the state as it is clicked; the submitted copy (its `name`) is not read.
    box = rx.checkbox(checked=WebhooksState.events.contains(name), on_change=lambda checked: WebhooksState.toggle_event(name, checked), id=box_id, name=box_id)
    return rx.el.label(
        rx.hstack(
            box,
            rx.code(name, size="2"),
            rx.text(EVENT_WORDS.get(name, ""), size="2", color_scheme="gray"),
            align="center",
            spacing="2",
        ),
    )


def _form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.vstack(
                field_label("URL", "webhook-url"),
                rx.input(
                    id="webhook-url",
                    name="url",
                    value=WebhooksState.url,
                    on_change=WebhooksState.set_url,
                    placeholder="https://hooks.example.com/linkapp",
                    type="url",
                    auto_complete="off",
                    width="100%",
                ),
                field_error(WebhooksState.url_error, "webhook-url-error"),
                spacing="1",
                width="100%",
            ),
            rx.vstack(
                rx.text("Events", size="2", weight="medium"),
                *[_event_checkbox(name) for name in events.EVENTS],
                field_error(WebhooksState.events_error, "webhook-events-error"),
                spacing="1",
                width="100%",
                role="group",
                aria_label="Events",
            ),
            rx.vstack(
                field_label("Description", "webhook-description"),
                rx.input(
                    id="webhook-description",
                    name="description",
                    value=WebhooksState.description,
                    on_change=WebhooksState.set_description,
                    placeholder="Optional: what receives it",
                    max_length=200,
                    width="100%",
                ),
                field_error(WebhooksState.description_error, "webhook-description-error"),
                spacing="1",
                width="100%",
            ),
            error_callout(WebhooksState.form_error, callout_id="webhook-form-error", size="1"),
            rx.hstack(
                rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray", type="button", id="cancel-webhook")),
                rx.button(
                    rx.cond(WebhooksState.editing_id != "", "Save changes", "Create webhook"), type="submit", loading=WebhooksState.saving, id="save-webhook"
                ),
                justify="end",
                spacing="3",
                width="100%",
                margin_top="0.5rem",
            ),
            spacing="3",
            width="100%",
        ),
        on_submit=WebhooksState.save,
    )


def webhook_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(rx.cond(WebhooksState.editing_id != "", "Edit webhook", "New webhook")),
            rx.dialog.description("Where should the events go, and which ones?", size="2", color_scheme="gray", margin_bottom="1rem"),
            _form(),
            max_width="520px",
            id="webhook-dialog",
        ),
        open=WebhooksState.form_open,
        on_open_change=WebhooksState.set_form_open,
    )


def secret_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Webhook created"),
            rx.dialog.description("Its secret signs every delivery: receivers check the Linkapp-Signature header with it.", size="2", color_scheme="gray"),
            rx.callout.root(
                rx.callout.icon(rx.icon("key-round")),
                rx.vstack(
                    rx.text("Copy the secret now: it will not be shown again.", weight="medium", size="2", id="webhook-secret-warning"),
                    rx.hstack(
                        rx.code(WebhooksState.secret, id="webhook-secret", size="2", style={"word_break": "break-all"}),
                        rx.icon_button(
                            rx.icon("copy", size=14),
                            on_click=WebhooksState.copy_secret,
                            variant="soft",
                            size="1",
                            id="copy-webhook-secret",
                            aria_label="Copy secret",
                        ),
                        align="center",
                        spacing="2",
                    ),
                    spacing="2",
                ),
                color_scheme="amber",
                width="100%",
                margin_y="1rem",
            ),
            rx.hstack(rx.dialog.close(rx.button("Done", id="close-webhook-secret")), justify="end", width="100%"),
            max_width="520px",
            id="webhook-secret-dialog",
        ),
        open=WebhooksState.secret_open,
        on_open_change=WebhooksState.set_secret_open,
    )


def delete_dialog() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title("Delete this webhook?"),
            rx.alert_dialog.description(
                rx.text(
                    rx.code(WebhooksState.delete_url, style={"word_break": "break-all"}),
                    " gets no more events. Events still owed to it and its delivery log are deleted with it.",
                ),
                size="2",
            ),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray", id="cancel-delete-webhook")),
                rx.alert_dialog.action(rx.button("Delete", color_scheme="red", on_click=WebhooksState.delete, id="confirm-delete-webhook")),
                justify="end",
                spacing="3",
                margin_top="1rem",
            ),
            max_width="460px",
            id="delete-webhook-dialog",
        ),
        open=WebhooksState.delete_open,
        on_open_change=WebhooksState.set_delete_open,
    )


def _delivery_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.code(row["event"], size="1")),
        rx.table.cell(row["attempt"]),
        rx.table.cell(
            rx.vstack(
                rx.badge(row["status"], color_scheme=row["tone"].to(str), variant="soft"),
                rx.cond(row["error"] != "", rx.text(row["error"], size="1", color_scheme="red", display=["block", "none"])),
                spacing="1",
            )
        ),
        rx.table.cell(rx.text(row["error"], size="1", color_scheme="red"), display=WIDE_ONLY),
        rx.table.cell(rx.text(row["when"], white_space="nowrap")),
        rx.table.cell(rx.text(row["duration"], white_space="nowrap"), display=WIDE_ONLY),
        class_name="delivery-row",
    )


def _pager() -> rx.Component:
    return rx.hstack(
        rx.text(WebhooksState.deliveries_label, size="2", color_scheme="gray", id="deliveries-range"),
        rx.spacer(),
        rx.button(
            rx.icon("chevron-left", size=14),
            "Newer",
            on_click=WebhooksState.newer_deliveries,
            disabled=WebhooksState.deliveries_page == 0,
            variant="soft",
            size="1",
            id="deliveries-newer",
        ),
        rx.button(
            "Older",
            rx.icon("chevron-right", size=14),
            on_click=WebhooksState.older_deliveries,
            disabled=~WebhooksState.has_older_deliveries,
            variant="soft",
            size="1",
            id="deliveries-older",
        ),
        align="center",
        spacing="2",
        width="100%",
    )


def _deliveries_table() -> rx.Component:
    return rx.cond(
        WebhooksState.deliveries_total > 0,
        rx.vstack(
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        rx.table.column_header_cell("Event"),
                        rx.table.column_header_cell("Attempt"),
                        rx.table.column_header_cell("Status"),
                        rx.table.column_header_cell("Error", display=WIDE_ONLY),
                        rx.table.column_header_cell("When"),
                        rx.table.column_header_cell("Duration", display=WIDE_ONLY),
                    )
                ),
                rx.table.body(rx.foreach(WebhooksState.deliveries, _delivery_row)),
                size="1",
                width="100%",
                id="deliveries-table",
            ),
            _pager(),
            spacing="3",
            width="100%",
        ),
        rx.text("No delivery attempts yet. Send a test event to see one here.", size="2", color_scheme="gray", id="no-deliveries"),
    )


def deliveries_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Deliveries"),
            rx.dialog.description(
                rx.text("Every attempt to reach ", rx.code(WebhooksState.deliveries_url, style={"word_break": "break-all"}), ", newest first."),
                size="2",
                color_scheme="gray",
                margin_bottom="1rem",
            ),
            # While the view is open, new attempts appear by themselves.
            rx.moment(interval=DELIVERIES_REFRESH_MS, format="X", on_change=WebhooksState.refresh_deliveries, display="none"),
            _deliveries_table(),
            rx.hstack(
                rx.dialog.close(rx.button("Close", variant="soft", color_scheme="gray", id="close-deliveries")), justify="end", width="100%", margin_top="1rem"
            ),
            max_width="760px",
            id="deliveries-dialog",
        ),
        open=WebhooksState.deliveries_open,
        on_open_change=WebhooksState.set_deliveries_open,
    )
