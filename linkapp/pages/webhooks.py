"""/settings/webhooks: the account's webhooks, their secrets (shown once) and their deliveries."""

from __future__ import annotations

import reflex as rx

from linkapp.components.layout import settings_page
from linkapp.components.webhooks import hooks_section
from linkapp.components.webhooks_dialogs import delete_dialog, deliveries_dialog, secret_dialog, webhook_dialog
from linkapp.state.webhooks import WebhooksState


def webhooks_page() -> rx.Component:
    return settings_page(
        "Webhooks",
        "Send your links' events to other systems as they happen.",
        WebhooksState.loaded,
        hooks_section(),
        dialogs=(webhook_dialog(), secret_dialog(), delete_dialog(), deliveries_dialog()),
        page_id="webhooks-page",
    )
