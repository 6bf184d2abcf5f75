"""The security page's sections: sessions, change password, activity and the danger zone."""

from __future__ import annotations

import reflex as rx

from linkapp.components.blocks import error_callout, panel, strength_meter
from linkapp.state.account import AccountState

# The address column gives way on a phone; the event's detail already sits under its name.
WIDE_ONLY = ["none", "table-cell"]
# The icons `state.account_rows.DEVICES` names: rx.match needs each one written out.
DEVICE_ICONS = ("monitor", "smartphone", "tablet", "terminal", "monitor-smartphone")
EVENT_NAME = {"weight": "medium", "size": "2"}
PASSWORD_HINT = "At least 8 characters with a lower-case and an upper-case letter, a digit and a symbol; the meter says Good or Strong."
ELLIPSIS = {"overflow": "hidden", "text_overflow": "ellipsis", "white_space": "nowrap"}


def _section(
    icon: str, title: str, description: str, *children: rx.Component, action: rx.Component | None = None, tint: str = "accent", **props
) -> rx.Component:
    """A card with a titled header (and an action at its right), a line saying what it is for, then its contents."""
    return panel(
        rx.hstack(
            rx.hstack(rx.icon(icon, size=18, color=rx.color(tint, 10)), rx.heading(title, size="4"), align="center", spacing="2"),
            rx.spacer(),
            *([action] if action is not None else []),
            align="center",
            flex_wrap="wrap",
            spacing="2",
            width="100%",
        ),
        rx.text(description, size="2", color_scheme="gray"),
        *children,
        spacing="3",
        size="3",
        **props,
    )


def field_label(text, input_id: str) -> rx.Component:
    """A field's label, tied to its input by id (clicking it focuses the input; screen readers read it)."""
    return rx.el.label(text, html_for=input_id, style={"font_size": "14px", "font_weight": "500"})


def field_error(message: rx.Var, error_id: str) -> rx.Component:
    """A field's error, under it, there only while there is one."""
    return rx.cond(message != "", rx.text(message, color_scheme="red", size="2", id=error_id, role="alert"))


def password_box(input_id: str, name: str, auto_complete: str, **props) -> rx.Component:
    """A password input whose value reaches the state with its form's submit (`name`), unless bound."""
    return rx.input(id=input_id, name=name, type="password", auto_complete=auto_complete, width="100%", **props)


# Sessions.


def _device_icon(row: rx.Var) -> rx.Component:
    icons = [(name, rx.icon(name, size=20)) for name in DEVICE_ICONS]
    return rx.center(
        rx.match(row["icon"], *icons, rx.icon("circle-help", size=20)),
        width="40px",
        height="40px",
        flex_shrink="0",
        border_radius="var(--radius-3)",
        background=rx.color("accent", 3),
        color=rx.color("accent", 11),
    )


def _session_row(row: rx.Var) -> rx.Component:
    return rx.hstack(
        _device_icon(row),
        rx.vstack(
            rx.hstack(
                rx.text(row["browser"], weight="medium"),
                rx.cond(row["current"], rx.badge("This browser", color_scheme="green", variant="soft", class_name="this-browser")),
                align="center",
                spacing="2",
                flex_wrap="wrap",
            ),
            rx.text(row["device"], " · ", row["address"], size="1", color_scheme="gray"),
            # Each phrase whole: a narrow screen breaks the line between them, not inside a date.
            rx.text(
                rx.el.span("Last active ", row["last_active"], " ·", white_space="nowrap"),
                " ",
                rx.el.span("Signed in ", row["signed_in"], white_space="nowrap"),
                size="1",
                color_scheme="gray",
            ),
            spacing="1",
            min_width="0",
            flex="1",
        ),
        rx.cond(
            row["current"],
            rx.fragment(),
            rx.button(
                "Sign out",
                on_click=AccountState.ask_sign_out(row["id"], row["label"]),
                variant="soft",
                color_scheme="red",
                size="1",
                class_name="revoke-session",
                flex_shrink="0",
            ),
        ),
        align="center",
        spacing="3",
        width="100%",
        padding_y="0.75rem",
        border_top=f"1px solid {rx.color('gray', 4)}",
        class_name="session-row",
        data_current=row["current"].to(str),
    )


def sessions_section() -> rx.Component:
    everywhere_else = rx.button(
        rx.icon("log-out", size=14),
        "Sign out everywhere else",
        on_click=AccountState.ask_sign_out("", ""),
        disabled=AccountState.other_sessions == 0,
        variant="soft",
        color_scheme="gray",
        size="2",
        id="sign-out-others",
    )
    return _section(
        "monitor-smartphone",
        "Sessions",
        "The browsers and apps signed in to your account. Sign out any you do not recognize.",
        rx.vstack(rx.foreach(AccountState.session_rows, _session_row), spacing="0", width="100%", id="session-list"),
        action=everywhere_else,
        id="sessions",
    )


# Change password.


def _new_password_error(message: rx.Var) -> rx.Component:
    return rx.text(message, color_scheme="red", size="2", class_name="new-password-error", role="alert")


def _password_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            # For password managers: which account the new password belongs to.
            rx.el.input(type="text", name="username", value=AccountState.username, auto_complete="username", read_only=True, hidden=True),
            rx.vstack(
                field_label("Current password", "current-password"),
                password_box("current-password", "current_password", "current-password"),
                field_error(AccountState.current_password_error, "current-password-error"),
                spacing="1",
                width="100%",
            ),
            rx.vstack(
                field_label("New password", "new-password"),
                password_box("new-password", "new_password", "new-password", value=AccountState.new_password, on_change=AccountState.set_new_password),
                rx.foreach(AccountState.new_password_errors, _new_password_error),
                strength_meter(AccountState.new_password_rating, AccountState.new_password, id_prefix="new-"),
                rx.text(PASSWORD_HINT, size="1", color_scheme="gray"),
                spacing="1",
                width="100%",
            ),
            error_callout(AccountState.password_error, callout_id="password-form-error", size="1"),
            rx.button("Change password", type="submit", loading=AccountState.changing_password, id="change-password"),
            spacing="3",
            width="100%",
            max_width="420px",
        ),
        on_submit=AccountState.change_password,
        width="100%",
    )


def password_section() -> rx.Component:
    return _section(
        "key-round",
        "Change password",
        "Changing it signs out every other session. Your API keys keep working.",
        _password_form(),
        id="password",
    )


# Activity.


def _event_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.vstack(
                rx.cond(
                    row["tone"] == "red",
                    rx.hstack(rx.icon("triangle-alert", size=14), rx.text(row["what"], **EVENT_NAME), align="center", spacing="1", color=rx.color("red", 11)),
                    rx.text(row["what"], **EVENT_NAME),
                ),
                rx.cond(row["detail"] != "", rx.text(row["detail"], size="1", color_scheme="gray", style=ELLIPSIS, max_width="100%")),
                spacing="0",
                min_width="0",
            ),
            max_width=rx.breakpoints(initial="170px", sm="360px"),
        ),
        rx.table.cell(rx.text(row["when"], size="2", white_space="nowrap")),
        rx.table.cell(rx.text(row["address"], size="2", color_scheme="gray", white_space="nowrap"), display=WIDE_ONLY),
        class_name="activity-row",
    )


def _pager_button(*children, **props) -> rx.Component:
    return rx.button(*children, variant="soft", size="1", **props)


def _pager() -> rx.Component:
    return rx.hstack(
        rx.text(AccountState.activity_label, size="2", color_scheme="gray", id="activity-range"),
        rx.spacer(),
        _pager_button(
            rx.icon("chevron-left", size=14), "Newer", on_click=AccountState.newer_activity, disabled=AccountState.activity_page == 0, id="activity-newer"
        ),
        _pager_button("Older", rx.icon("chevron-right", size=14), on_click=AccountState.older_activity, disabled=~AccountState.has_older, id="activity-older"),
        align="center",
        spacing="2",
        width="100%",
    )


def activity_section() -> rx.Component:
    return _section(
        "scroll-text",
        "Activity",
        "What happened to your account's security, newest first. Addresses are shown only as their network.",
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    rx.table.column_header_cell("Event"),
                    rx.table.column_header_cell("When"),
                    rx.table.column_header_cell("Address", display=WIDE_ONLY),
                )
            ),
            rx.table.body(rx.foreach(AccountState.activity, _event_row)),
            size="1",
            width="100%",
            id="activity-table",
        ),
        _pager(),
        id="activity",
    )


# Delete account.


def danger_zone() -> rx.Component:
    return _section(
        "triangle-alert",
        "Delete account",
        "Your links stop working at once, and their clicks, your API keys and your sessions are deleted with the account. This cannot be undone.",
        rx.button("Delete account…", on_click=AccountState.set_delete_open(True), color_scheme="red", variant="solid", id="delete-account", align_self="start"),
        tint="red",
        id="danger-zone",
        style={"box_shadow": f"inset 0 0 0 1px {rx.color('red', 7)}"},
    )
