"""/settings/security: where the account is signed in, its password, its activity, and closing it."""

from __future__ import annotations

import reflex as rx

from linkapp.components.account import activity_section, danger_zone, password_section, sessions_section
from linkapp.components.account_dialogs import delete_account_dialog, sign_out_dialog
from linkapp.components.layout import page_frame
from linkapp.state.account import AccountState


def security_page() -> rx.Component:
    return page_frame(
        rx.cond(
            AccountState.loaded,
            rx.vstack(
                rx.vstack(
                    rx.heading("Security", size="7"),
                    rx.text("Where you are signed in, your password, and what happened to your account.", color_scheme="gray", size="2"),
                    spacing="1",
                ),
                sessions_section(),
                password_section(),
                activity_section(),
                danger_zone(),
                spacing="5",
                width="100%",
                max_width="880px",
                margin_x="auto",
                id="security-page",
            ),
            rx.center(rx.spinner(size="3"), padding_y="4rem"),
        ),
        sign_out_dialog(),
        delete_account_dialog(),
    )
