"""The frame around every signed-in page: a top bar and a centred, responsive body."""

from __future__ import annotations

import reflex as rx

from linkapp import routes
from linkapp.components.api_keys import api_keys_dialog
from linkapp.state.api_keys import ApiKeysState
from linkapp.state.auth import KEEP_ALIVE_MS, AuthState


def brand() -> rx.Component:
    return rx.link(
        rx.hstack(
            rx.icon("link-2", size=22, color=rx.color("accent", 10)),
            rx.heading("Linkapp", size="5", weight="bold"),
            align="center",
            spacing="2",
        ),
        href=routes.INDEX,
        underline="none",
        color_scheme="gray",
        high_contrast=True,
        id="brand",
    )


def color_mode_toggle() -> rx.Component:
    return rx.icon_button(
        rx.color_mode_cond(light=rx.icon("moon", size=18), dark=rx.icon("sun", size=18)),
        on_click=rx.toggle_color_mode,
        variant="ghost",
        color_scheme="gray",
        aria_label="Toggle dark mode",
        id="color-mode",
    )


def user_menu() -> rx.Component:
    return rx.menu.root(
        rx.menu.trigger(
            rx.button(
                rx.icon("circle-user", size=18),
                rx.text(AuthState.username, display=["none", "inline"]),
                rx.icon("chevron-down", size=14),
                variant="soft",
                color_scheme="gray",
                id="user-menu",
                aria_label="Account",
            )
        ),
        rx.menu.content(
            rx.menu.item(rx.icon("key-round", size=14), "API keys", on_click=ApiKeysState.show, id="api-keys"),
            rx.menu.item(rx.icon("shield-check", size=14), "Security", on_click=rx.redirect(routes.SECURITY), id="security"),
            rx.menu.item(rx.icon("webhook", size=14), "Webhooks", on_click=rx.redirect(routes.WEBHOOKS), id="webhooks"),
            rx.menu.separator(),
            rx.menu.item(rx.icon("log-out", size=14), "Sign out", on_click=AuthState.logout, id="sign-out"),
        ),
    )


def top_bar() -> rx.Component:
    return rx.box(
        rx.hstack(
            brand(),
            rx.spacer(),
            color_mode_toggle(),
            rx.cond(AuthState.signed_in, user_menu()),
            api_keys_dialog(),
            align="center",
            spacing="3",
            max_width="1200px",
            margin_x="auto",
            padding_x=["1rem", "1.5rem"],
            height="60px",
        ),
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        background=rx.color("gray", 1),
        position="sticky",
        top="0",
        z_index="10",
        width="100%",
    )


def keep_alive() -> rx.Component:
    """A hidden clock that ticks every KEEP_ALIVE_MS: the state renews the tab's access token in time."""
    return rx.moment(interval=KEEP_ALIVE_MS, format="X", on_change=AuthState.keep_alive, display="none", id="keep-alive")


def checking_session() -> rx.Component:
    """What a signed-in page shows until the tab is known to be signed in: nothing of the page
    (a signed-out visitor goes to the sign-in page without seeing it)."""
    return rx.center(rx.spinner(size="3"), padding_y="6rem", id="checking-session", aria_label="Loading")


def page_frame(*children: rx.Component, **props) -> rx.Component:
    """The frame of a page for signed-in people: its content once AuthState knows the tab is
    signed in (the page's `require_login` renews the session from the cookie first)."""
    return rx.box(
        top_bar(),
        keep_alive(),
        rx.box(
            rx.cond(AuthState.signed_in, rx.fragment(*children), checking_session()),
            max_width="1200px",
            margin_x="auto",
            padding_x=["0.75rem", "1.5rem"],
            padding_y=["1rem", "2rem"],
            width="100%",
            **props,
        ),
        min_height="100vh",
        background=rx.color("gray", 2),
    )


def settings_page(title: str, intro: str, loaded: rx.Var, *sections: rx.Component, dialogs: tuple[rx.Component, ...] = (), page_id: str) -> rx.Component:
    """A page of the user menu (Security, Webhooks): a heading, its sections once `loaded`, its dialogs."""
    return page_frame(
        rx.cond(
            loaded,
            rx.vstack(
                rx.vstack(rx.heading(title, size="7"), rx.text(intro, color_scheme="gray", size="2"), spacing="1"),
                *sections,
                spacing="5",
                width="100%",
                max_width="880px",
                margin_x="auto",
                id=page_id,
            ),
            rx.center(rx.spinner(size="3"), padding_y="4rem"),
        ),
        *dialogs,
    )
