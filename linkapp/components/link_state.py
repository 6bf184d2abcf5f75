"""A link's status badge (the list, the link page) and the link page's state box: expiry, click
limit, redirect type and fallback, with the actions that bring an ended link back."""

from __future__ import annotations

import reflex as rx

from linkapp.components.blocks import panel
from linkapp.services.links.states import EXTEND_DAYS
from linkapp.state.link_detail import LinkDetailState
from linkapp.state.link_status import LinkStatusState

# status -> (label, colour); "active" is shown on the link page only.
STATUSES = {
    "active": ("active", "green"),
    "expired": ("expired", "orange"),
    "limit_reached": ("limit reached", "amber"),
    "disabled": ("disabled", "gray"),
}


def status_badge(status: rx.Var, *, show_active: bool = False, **props) -> rx.Component:
    """`status` as a small coloured badge; nothing for an active link unless `show_active`."""
    shown = STATUSES if show_active else {name: look for name, look in STATUSES.items() if name != "active"}
    badges = [(name, rx.badge(label, color_scheme=colour, size="1", data_status=name, **props)) for name, (label, colour) in shown.items()]
    return rx.match(status, *badges, rx.fragment())


def _error(field: str) -> rx.Component:
    return rx.cond(
        LinkStatusState.errors.contains(field),
        rx.text(LinkStatusState.errors[field], color_scheme="red", size="1", id=f"state-{field.replace('_', '-')}-error", role="alert"),
    )


def _row(label: str, value: rx.Component, *actions: rx.Component) -> rx.Component:
    return rx.hstack(
        rx.text(label, size="2", color_scheme="gray", min_width="7.5rem"),
        rx.box(value, flex="1", min_width="0"),
        *actions,
        align="center",
        spacing="3",
        flex_wrap="wrap",
        width="100%",
    )


def _extend() -> rx.Component:
    """+7 days, +30 days, or a chosen date and time (in the viewer's zone)."""
    return rx.cond(
        LinkDetailState.has_expiry,
        rx.vstack(
            rx.hstack(
                *[rx.button(f"+{days} days", on_click=LinkStatusState.extend_by(days), variant="soft", size="1", id=f"extend-{days}") for days in EXTEND_DAYS],
                rx.input(
                    type="datetime-local",
                    value=LinkStatusState.extend_to,
                    on_change=LinkStatusState.set_extend_to,
                    size="1",
                    aria_label="New expiry",
                    id="extend-to",
                ),
                rx.button("Set", on_click=LinkStatusState.extend_until, variant="soft", size="1", id="extend-to-apply"),
                spacing="2",
                align="center",
                flex_wrap="wrap",
            ),
            _error("expires_at"),
            spacing="1",
        ),
    )


def _raise_limit() -> rx.Component:
    return rx.cond(
        LinkDetailState.has_limit,
        rx.vstack(
            rx.hstack(
                rx.input(
                    type="number",
                    value=LinkStatusState.new_limit,
                    on_change=LinkStatusState.set_new_limit,
                    placeholder="New limit",
                    size="1",
                    width="7rem",
                    aria_label="New click limit",
                    id="new-limit",
                ),
                rx.button("Raise limit", on_click=LinkStatusState.raise_limit, variant="soft", size="1", id="raise-limit"),
                spacing="2",
                align="center",
            ),
            _error("max_clicks"),
            spacing="1",
        ),
    )


def _fallback() -> rx.Component:
    return rx.cond(
        LinkDetailState.fallback_url != "",
        rx.link(LinkDetailState.fallback_url, href=LinkDetailState.fallback_url, is_external=True, size="2", word_break="break-all", id="state-fallback"),
        rx.text("None: once it ends, visitors see a “link expired” page", size="2", color_scheme="gray", id="state-fallback"),
    )


def state_box() -> rx.Component:
    """The link page's box: what the link does now, and the ways to bring it back."""
    return panel(
        rx.hstack(
            rx.text("Status", weight="medium"),
            status_badge(LinkDetailState.status, show_active=True, id="link-status"),
            rx.spacer(),
            rx.cond(
                LinkDetailState.status == "disabled",
                rx.button(rx.icon("power", size=14), "Re-enable", on_click=LinkStatusState.re_enable, size="1", id="re-enable"),
            ),
            align="center",
            spacing="3",
            width="100%",
        ),
        _row("Expires", rx.text(LinkDetailState.expiry_label, size="2", id="state-expiry")),
        _extend(),
        _row("Click limit", rx.text(LinkDetailState.limit_label, size="2", id="state-limit")),
        _raise_limit(),
        _row("Redirect", rx.text(LinkDetailState.redirect_label, size="2", id="state-redirect")),
        _row("Fallback", _fallback()),
        _row(
            "After expiry",
            rx.text(
                LinkDetailState.expired_visits,
                rx.cond(LinkDetailState.expired_visits == 1, " visit", " visits"),
                " sent to the fallback in this range, not counted as clicks",
                size="2",
                id="expired-visits",
            ),
        ),
        spacing="3",
        id="link-state",
    )
