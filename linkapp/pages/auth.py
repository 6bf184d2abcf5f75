"""/login and /register: one card, inline validation from the same rules as the API."""

from __future__ import annotations

import reflex as rx

from linkapp import routes
from linkapp.components import blocks
from linkapp.components.layout import brand, color_mode_toggle
from linkapp.state.auth import AuthState


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
    """The password's strength as the visitor types and, while too weak to be accepted, why."""
    return blocks.strength_meter(AuthState.password_rating, AuthState.form_password)


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


def _input(field: str, *, auto_complete: str, **props) -> rx.Component:
    """The box for the form's `field` ("username" or "password"), bound to AuthState's value of it."""
    return rx.input(
        value=getattr(AuthState, f"form_{field}"),
        on_change=getattr(AuthState, f"set_form_{field}"),
        id=field,
        name=field,
        auto_complete=auto_complete,
        size="3",
        width="100%",
        **props,
    )


def _username_input() -> rx.Component:
    return _input("username", auto_complete="username", on_blur=AuthState.check_username, placeholder="your_name", auto_focus=True)


def _password_input(auto_complete: str, on_blur=None) -> rx.Component:
    return _input("password", auto_complete=auto_complete, type="password", on_blur=on_blur)


def _hint(text: str) -> rx.Component:
    return rx.text(text, size="1", color_scheme="gray")


def _password_errors() -> rx.Component:
    return rx.foreach(AuthState.password_errors, lambda msg: rx.text(msg, color_scheme="red", size="2", class_name="password-error", role="alert"))


def _form(*fields: rx.Component, submit_label: str, on_submit: rx.EventHandler) -> rx.Component:
    """The fields, then the form's own error and the submit button: both pages end the same way."""
    return rx.form(
        rx.vstack(
            *fields,
            _error_text(AuthState.form_error, "form-error"),
            rx.button(submit_label, type="submit", size="3", width="100%", loading=AuthState.submitting, id="submit"),
            spacing="3",
            width="100%",
        ),
        on_submit=on_submit,
        width="100%",
    )


def _switch_to(question: str, link_text: str, href: str, link_id: str) -> rx.Component:
    """The footer's way to the other page (sign in, or create an account)."""
    return rx.text(question, rx.link(link_text, href=href, id=link_id), size="2")


def login_page() -> rx.Component:
    return _card(
        "Sign in",
        "Welcome back. Your links are waiting.",
        _form(
            _field("Username", "username", _username_input()),
            _field("Password", "password", _password_input("current-password")),
            submit_label="Sign in",
            on_submit=AuthState.login,
        ),
        _switch_to("New here? ", "Create an account", routes.REGISTER, "to-register"),
    )


def register_page() -> rx.Component:
    return _card(
        "Create your account",
        "Short links with analytics you can trust.",
        _form(
            _field("Username", "username", _username_input(), _error_text(AuthState.username_error, "username-error")),
            _hint("3–20 letters, digits or _."),
            _field("Password", "password", _password_input("new-password", on_blur=AuthState.check_password), _password_errors()),
            strength_meter(),
            _hint("At least 8 characters with a lower-case and an upper-case letter, a digit and a symbol, and hard to guess: the meter says Good or Strong."),
            submit_label="Create account",
            on_submit=AuthState.register,
        ),
        _switch_to("Already have an account? ", "Sign in", routes.LOGIN, "to-login"),
    )
