"""/login and /register: one card, inline validation from the same rules as the API."""

from __future__ import annotations

import reflex as rx

from linkapp import routes
from linkapp.components.layout import brand, color_mode_toggle
from linkapp.state.auth import AuthState

STRENGTH_LABELS = ["Very weak", "Weak", "Fair", "Good", "Strong"]
STRENGTH_COLORS = ["red", "orange", "amber", "grass", "green"]


def _field(label: str, input_id: str, control: rx.Component, error=None) -> rx.Component:
    return rx.vstack(
        rx.el.label(label, html_for=input_id, style={"font_size": "14px", "font_weight": "500"}),
        control,
        *([error] if error is not None else []),
        spacing="1",
        width="100%",
    )


def _error_text(message, error_id: str) -> rx.Component:
    return rx.cond(
        message != "",
        rx.text(message, color_scheme="red", size="2", id=error_id, role="alert"),
    )


def strength_meter() -> rx.Component:
    return rx.cond(
        AuthState.form_password != "",
        rx.vstack(
            rx.progress(value=(AuthState.strength + 1) * 20, max=100, color_scheme=rx.match(AuthState.strength, *[(i, c) for i, c in enumerate(STRENGTH_COLORS)], "gray"), id="strength-meter"),
            rx.text(
                "Strength: ",
                rx.match(AuthState.strength, *[(i, label) for i, label in enumerate(STRENGTH_LABELS)], ""),
                size="1",
                color_scheme="gray",
                id="strength-label",
            ),
            spacing="1",
            width="100%",
        ),
    )


def _card(title: str, subtitle: str, form: rx.Component, footer: rx.Component) -> rx.Component:
    return rx.box(
        rx.hstack(rx.spacer(), color_mode_toggle(), padding="1rem", width="100%"),
        rx.center(
            rx.card(
                rx.vstack(
                    brand(),
                    rx.heading(title, size="6", margin_top="0.5rem"),
                    rx.text(subtitle, color_scheme="gray", size="2"),
                    form,
                    rx.divider(),
                    footer,
                    spacing="4",
                    width="100%",
                ),
                size="4",
                width="100%",
                max_width="420px",
            ),
            padding_x="1rem",
            padding_bottom="4rem",
        ),
        min_height="100vh",
        background=rx.color("gray", 2),
    )


def _username_input() -> rx.Component:
    return rx.input(
        value=AuthState.form_username,
        on_change=AuthState.set_form_username,
        on_blur=AuthState.check_username,
        id="username",
        name="username",
        auto_complete="username",
        placeholder="your_name",
        size="3",
        width="100%",
        auto_focus=True,
    )


def _password_input(autocomplete: str, on_blur=None) -> rx.Component:
    return rx.input(
        type="password",
        value=AuthState.form_password,
        on_change=AuthState.set_form_password,
        on_blur=on_blur,
        id="password",
        name="password",
        auto_complete=autocomplete,
        size="3",
        width="100%",
    )


def _submit(label: str) -> rx.Component:
    return rx.button(label, type="submit", size="3", width="100%", loading=AuthState.submitting, id="submit")


def login_page() -> rx.Component:
    form = rx.form(
        rx.vstack(
            _field("Username", "username", _username_input()),
            _field("Password", "password", _password_input("current-password")),
            _error_text(AuthState.form_error, "form-error"),
            _submit("Sign in"),
            spacing="3",
            width="100%",
        ),
        on_submit=AuthState.login,
        width="100%",
    )
    footer = rx.text("New here? ", rx.link("Create an account", href=routes.REGISTER, id="to-register"), size="2")
    return _card("Sign in", "Welcome back. Your links are waiting.", form, footer)


def register_page() -> rx.Component:
    form = rx.form(
        rx.vstack(
            _field("Username", "username", _username_input(), _error_text(AuthState.username_error, "username-error")),
            rx.text("3–20 letters, digits or _.", size="1", color_scheme="gray"),
            _field(
                "Password",
                "password",
                _password_input("new-password", on_blur=AuthState.check_password),
                rx.foreach(AuthState.password_errors, lambda msg: rx.text(msg, color_scheme="red", size="2", class_name="password-error", role="alert")),
            ),
            strength_meter(),
            rx.text("At least 8 characters with a lower-case and an upper-case letter, a digit and a symbol.", size="1", color_scheme="gray"),
            _error_text(AuthState.form_error, "form-error"),
            _submit("Create account"),
            spacing="3",
            width="100%",
        ),
        on_submit=AuthState.register,
        width="100%",
    )
    footer = rx.text("Already have an account? ", rx.link("Sign in", href=routes.LOGIN, id="to-login"), size="2")
    return _card("Create your account", "Short links with analytics you can trust.", form, footer)
