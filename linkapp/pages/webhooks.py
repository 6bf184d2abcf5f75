"""/settings/webhooks: the account's webhooks, their secrets (shown once) and their deliveries."""

from __future__ import annotations

import reflex as rx

from linkapp.components.layout import page_frame
from linkapp.components.webhooks import hooks_section
from linkapp.components.webhooks_dialogs import delete_dialog, deliveries_dialog, secret_dialog, webhook_dialog
from linkapp.state.webhooks import WebhooksState


def webhooks_page() -> rx.Component:
    return page_frame(
        rx.cond(
            WebhooksState.loaded,
            rx.vstack(
                rx.vstack(
                    rx.heading("Webhooks", size="7"),
                    rx.text("Send your links' events to other systems as they happen.", color_scheme="gray", size="2"),
                    spacing="1",
                ),
                hooks_section(),
                spacing="5",
                width="100%",
                max_width="880px",
                margin_x="auto",
                id="webhooks-page",
            ),
            rx.center(rx.spinner(size="3"), padding_y="4rem"),
        ),
        webhook_dialog(),
        secret_dialog(),
        delete_dialog(),
        deliveries_dialog(),
    )
