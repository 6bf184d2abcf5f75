"""/settings/security: where the account is signed in, its password, its activity, and closing it."""

from __future__ import annotations

import reflex as rx

from linkapp.components.account import activity_section, danger_zone, password_section, sessions_section
from linkapp.components.account_dialogs import delete_account_dialog, sign_out_dialog
from linkapp.components.layout import settings_page
from linkapp.state.account import AccountState


def security_page() -> rx.Component:
    return settings_page(
        "Security",
        "Where you are signed in, your password, and what happened to your account.",
        AccountState.loaded,
        sessions_section(),
        password_section(),
        activity_section(),
        danger_zone(),
        dialogs=(sign_out_dialog(), delete_account_dialog()),
        page_id="security-page",
    )
