"""The security page's dialogs: confirming a sign-out, and deleting the account."""

from __future__ import annotations

import reflex as rx

from linkapp.components.account import field_error, field_label, password_box
from linkapp.state.account import AccountState


def sign_out_dialog() -> rx.Component:
    one = AccountState.confirm_session != ""
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(rx.cond(one, "Sign out this session?", "Sign out everywhere else?")),
            rx.alert_dialog.description(
                rx.cond(
                    one,
                    rx.text(AccountState.confirm_label, " will have to sign in again."),
                    rx.text("Every browser and app signed in to your account, except this one, will have to sign in again."),
                ),
                size="2",
            ),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray", id="cancel-sign-out")),
                rx.alert_dialog.action(rx.button("Sign out", color_scheme="red", on_click=AccountState.sign_out_session, id="confirm-sign-out")),
                justify="end",
                spacing="3",
                margin_top="1rem",
            ),
            max_width="440px",
            id="sign-out-dialog",
        ),
        open=AccountState.confirm_open,
        on_open_change=AccountState.set_confirm_open,
    )


def _delete_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.vstack(
                field_label("Your password", "delete-password"),
                password_box("delete-password", "password", "current-password", auto_focus=True),
                spacing="1",
                width="100%",
            ),
            rx.vstack(
                field_label(rx.fragment("Type ", rx.code(AccountState.username), " to confirm"), "delete-confirm"),
                rx.input(
                    id="delete-confirm",
                    name="confirm_username",
                    value=AccountState.delete_confirm,
                    on_change=AccountState.set_delete_confirm,
                    auto_complete="off",
                    auto_capitalize="none",
                    spell_check=False,
                    width="100%",
                ),
                spacing="1",
                width="100%",
            ),
            field_error(AccountState.delete_error, "delete-error"),
            rx.hstack(
                rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray", type="button", id="cancel-delete-account")),
                rx.button(
                    "Delete my account",
                    type="submit",
                    color_scheme="red",
                    disabled=~AccountState.delete_ready,
                    loading=AccountState.deleting,
                    id="confirm-delete-account",
                ),
                justify="end",
                spacing="3",
                width="100%",
                flex_wrap="wrap",
                margin_top="0.5rem",
            ),
            spacing="3",
            width="100%",
        ),
        on_submit=AccountState.delete_account,
    )


def delete_account_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Delete your account?"),
            rx.dialog.description(
                "Your links, their clicks, your API keys and your sessions are deleted, and your short links stop working. This cannot be undone.",
                size="2",
                color_scheme="gray",
                margin_bottom="1rem",
            ),
            _delete_form(),
            max_width="460px",
            id="delete-account-dialog",
        ),
        open=AccountState.delete_open,
        on_open_change=AccountState.set_delete_open,
    )
