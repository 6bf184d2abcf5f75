"""The webhooks page's list: each hook's URL, events, description and last status, with its actions."""

from __future__ import annotations

import reflex as rx

from linkapp.components.blocks import notice, panel
from linkapp.state.webhooks import WebhooksState

ELLIPSIS = {"overflow": "hidden", "text_overflow": "ellipsis", "white_space": "nowrap"}


def _badges(row: rx.Var) -> rx.Component:
    """What is wrong with the hook, at a glance: failing since when, or disabled (and why)."""
    return rx.fragment(
        rx.cond(
            row["failing_since"] != "",
            rx.badge(
                rx.icon("triangle-alert", size=12), "Failing since ", row["failing_since"], color_scheme="red", variant="soft", class_name="failing-badge"
            ),
        ),
        rx.cond(
            row["disabled"],
            rx.badge(
                "Disabled",
                rx.cond(row["disabled_reason"] != "", rx.text.span(": ", row["disabled_reason"])),
                color_scheme="gray",
                variant="surface",
                class_name="disabled-badge",
                style={"white_space": "normal"},
            ),
        ),
    )


def _event_badge(name: rx.Var) -> rx.Component:
    return rx.badge(name, variant="soft", color_scheme="indigo", class_name="event-badge")


def _last_status(row: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.box(width="8px", height="8px", border_radius="50%", flex_shrink="0", background=rx.color(row["last_tone"].to(str), 9)),
            rx.text(row["last"], size="1", color_scheme="gray", class_name="last-status"),
            align="center",
            spacing="2",
        ),
        rx.cond(row["last_error"] != "", rx.text(row["last_error"], size="1", color_scheme="red", class_name="last-error")),
        spacing="1",
    )


def _actions(row: rx.Var) -> rx.Component:
    return rx.hstack(
        # No tooltip around it: its trigger would take over the switch's data-state, which draws it.
        rx.switch(
            checked=~row["disabled"].to(bool),
            on_change=lambda enabled: WebhooksState.set_enabled(row["id"], enabled),
            aria_label="Enabled",
            title=rx.cond(row["disabled"], "Enable", "Disable"),
            class_name="webhook-enabled",
        ),
        rx.button(
            rx.icon("send", size=14),
            "Send test event",
            on_click=WebhooksState.send_test(row["id"]),
            disabled=row["disabled"].to(bool),
            variant="soft",
            size="1",
            class_name="send-test",
        ),
        rx.button(
            rx.icon("history", size=14),
            "Deliveries",
            on_click=WebhooksState.show_deliveries(row["id"], row["url"]),
            variant="soft",
            color_scheme="gray",
            size="1",
            class_name="show-deliveries",
        ),
        rx.icon_button(
            rx.icon("pencil", size=14),
            on_click=WebhooksState.open_edit(row["id"]),
            variant="soft",
            color_scheme="gray",
            size="1",
            aria_label="Edit webhook",
            class_name="edit-webhook",
        ),
        rx.icon_button(
            rx.icon("trash-2", size=14),
            on_click=WebhooksState.ask_delete(row["id"], row["url"]),
            variant="soft",
            color_scheme="red",
            size="1",
            aria_label="Delete webhook",
            class_name="delete-webhook",
        ),
        align="center",
        spacing="2",
        flex_wrap="wrap",
    )


def _hook_row(row: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            # The icon stays with the URL; the badges wrap under it on a phone.
            rx.hstack(
                rx.icon("webhook", size=18, color=rx.color("accent", 10), flex_shrink="0"),
                rx.code(row["url"], size="2", variant="ghost", style=ELLIPSIS, min_width="0", class_name="webhook-url", title=row["url"]),
                align="center",
                spacing="2",
                min_width="0",
                max_width="100%",
            ),
            _badges(row),
            align="center",
            spacing="2",
            flex_wrap="wrap",
            width="100%",
        ),
        rx.cond(row["description"] != "", rx.text(row["description"], size="2", class_name="webhook-description")),
        rx.hstack(rx.foreach(row["events"].to(list[str]), _event_badge), spacing="1", flex_wrap="wrap"),
        _last_status(row),
        _actions(row),
        spacing="2",
        width="100%",
        padding_y="0.75rem",
        border_top=f"1px solid {rx.color('gray', 4)}",
        class_name="webhook-row",
        data_disabled=row["disabled"].to(str),
    )


def _no_hooks() -> rx.Component:
    return notice(
        "webhook",
        "No webhooks yet",
        "A webhook POSTs a signed JSON event to your URL when a link is created, changed, deleted or clicked.",
        rx.button(rx.icon("plus", size=16), "New webhook", on_click=WebhooksState.open_create, id="new-webhook-empty"),
        notice_id="no-webhooks",
    )


def hooks_section() -> rx.Component:
    new_hook = rx.button(rx.icon("plus", size=16), "New webhook", on_click=WebhooksState.open_create, id="new-webhook")
    return panel(
        rx.hstack(
            rx.hstack(rx.icon("webhook", size=18, color=rx.color("accent", 10)), rx.heading("Your webhooks", size="4"), align="center", spacing="2"),
            rx.spacer(),
            new_hook,
            align="center",
            flex_wrap="wrap",
            spacing="2",
            width="100%",
        ),
        rx.text(
            "Each delivery is signed with the hook's secret (the Linkapp-Signature header), retried for up to three days when it fails, "
            "and a hook failing for three days is disabled.",
            size="2",
            color_scheme="gray",
        ),
        rx.cond(
            WebhooksState.hooks.length() > 0,
            rx.vstack(rx.foreach(WebhooksState.hooks, _hook_row), spacing="0", width="100%", id="webhook-list"),
            _no_hooks(),
        ),
        spacing="3",
        size="3",
        id="webhooks",
    )
