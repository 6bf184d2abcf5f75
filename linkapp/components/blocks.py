"""Small pieces several pages share: cards that stack their contents, stat cards, charts, notices,
error callouts and the copy button."""

from __future__ import annotations

import reflex as rx

# Charts here are read, not explored: no plotly toolbar, and they follow their card's width.
PLOT_CONFIG = {"displayModeBar": False, "responsive": True}


def panel(*children: rx.Component, spacing: str = "2", **props) -> rx.Component:
    """A full-width card whose children stack: a chart under its title, a list, a form."""
    return rx.card(rx.vstack(*children, spacing=spacing, width="100%"), width="100%", **props)


def chart(figure: rx.Var, *, chart_id: str) -> rx.Component:
    """A plotly figure (a state's computed var) as wide as its card."""
    return rx.plotly(data=figure, config=PLOT_CONFIG, use_resize_handler=True, width="100%", id=chart_id)


def error_callout(message: rx.Var, *, callout_id: str, **props) -> rx.Component:
    """A red callout saying `message`, there only while the message is not empty."""
    return rx.cond(message != "", rx.callout(message, icon="triangle-alert", color_scheme="red", id=callout_id, **props))


def copy_button(on_click: rx.EventHandler | rx.event.EventSpec, **props) -> rx.Component:
    """The small icon button beside a short URL that copies it."""
    return rx.icon_button(rx.icon("copy", size=14), on_click=on_click, variant="ghost", size="1", aria_label="Copy short URL", **props)


def stat_card(label: str, value, *, icon: str, hint=None, card_id: str = "") -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.icon(icon, size=16, color=rx.color("gray", 10)),
                rx.text(label, size="2", color_scheme="gray"),
                align="center",
                spacing="2",
            ),
            rx.heading(value, size="7", weight="bold", id=card_id, trim="both", max_width="100%", min_width="0"),
            *([rx.text(hint, size="1", color_scheme="gray", trim="both")] if hint is not None else []),
            spacing="2",
            align="start",
            min_width="0",
        ),
        width="100%",
        min_width="0",
    )


def notice(icon: str, title: str, text: str, action: rx.Component, *, notice_id: str, icon_color=None) -> rx.Component:
    """A centred message with one way forward: empty lists, missing links."""
    return rx.center(
        rx.vstack(
            rx.icon(icon, size=40, color=icon_color or rx.color("gray", 9)),
            rx.heading(title, size="5"),
            rx.text(text, color_scheme="gray", text_align="center"),
            action,
            align="center",
            spacing="3",
            padding_y="3rem",
        ),
        id=notice_id,
    )


STRENGTH_LABELS = ["Very weak", "Weak", "Fair", "Good", "Strong"]
STRENGTH_COLORS = ["red", "orange", "amber", "grass", "green"]


def strength_meter(rating: rx.Var, password: rx.Var, *, id_prefix: str = "") -> rx.Component:
    """A new password's strength as it is typed (`rating`: a `users.PasswordStrength` var) and,
    while too weak to be accepted, why; hidden while `password` is empty."""

    def by_score(values: list[str], default: str) -> rx.Var:
        return rx.match(rating.score, *enumerate(values), default)

    return rx.cond(
        password != "",
        rx.vstack(
            rx.progress(value=(rating.score + 1) * 20, max=100, color_scheme=by_score(STRENGTH_COLORS, "gray"), id=f"{id_prefix}strength-meter"),
            rx.text("Strength: ", by_score(STRENGTH_LABELS, ""), size="1", color_scheme="gray", id=f"{id_prefix}strength-label"),
            rx.cond(rating.feedback != "", rx.text(rating.feedback, size="1", color_scheme="orange", id=f"{id_prefix}strength-feedback", aria_live="polite")),
            spacing="1",
            width="100%",
        ),
    )
