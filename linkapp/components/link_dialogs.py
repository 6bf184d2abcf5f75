"""Create/edit dialog and the delete confirmation; errors show under the field they concern."""

from __future__ import annotations

import reflex as rx

from linkapp.components.blocks import error_callout
from linkapp.state.link_form import LinkFormState

REDIRECT_CHOICES = [
    ("Default", "default"),
    ("302 Found (temporary)", "302"),
    ("301 Moved Permanently", "301"),
    ("307 Temporary Redirect", "307"),
    ("308 Permanent Redirect", "308"),
]

# Browsers are told never to cache any of them, so every visit is counted whichever is chosen.
REDIRECT_HINT = (
    "301 and 308 say the move is permanent: search engines index the destination in place of the short link "
    "and credit it with the links to the short link. 302 and 307 are temporary: search engines keep the short link. "
    "Browsers never cache either, so every visit is counted."
)

SLUG_HINT = "Optional: leave it empty for an automatic code. 3–64 letters, digits, - or _."


def _label(text: str, input_id: str) -> rx.Component:
    return rx.el.label(text, html_for=input_id, style={"font_size": "13px", "font_weight": "500"})


def _error(field: str) -> rx.Component:
    return rx.cond(
        LinkFormState.errors.contains(field),
        rx.text(LinkFormState.errors[field], color_scheme="red", size="1", id=f"{field}-error", role="alert"),
    )


def _labelled(label: str, input_id: str, control: rx.Component, field: str, hint: str = "") -> rx.Component:
    """A control with its label above and, below, its hint and the error for `field`."""
    return rx.vstack(
        _label(label, input_id),
        control,
        *([rx.text(hint, size="1", color_scheme="gray")] if hint else []),
        _error(field),
        spacing="1",
        width="100%",
    )


def _field(label: str, field: str, *, placeholder: str = "", input_type: str = "text", hint: str = "") -> rx.Component:
    input_id = f"link-{field.replace('_', '-')}"
    control = rx.input(
        id=input_id,
        name=field,
        type=input_type,
        value=getattr(LinkFormState, field),
        on_change=lambda value: LinkFormState.set_field(field, value),
        placeholder=placeholder,
        width="100%",
    )
    return _labelled(label, input_id, control, field, hint)


def _automatic_code() -> rx.Component:
    """An edited link's generated code, shown as what it is, and the way to a custom one."""
    return rx.vstack(
        rx.text("Short code", style={"font_size": "13px", "font_weight": "500"}),
        rx.hstack(
            rx.text("Automatic: ", rx.code(LinkFormState.automatic_code, id="link-automatic-code"), size="2", id="link-slug-automatic"),
            rx.button("Set a custom code", on_click=LinkFormState.use_custom_code, type="button", variant="ghost", size="1", id="link-slug-customize"),
            align="center",
            spacing="3",
            flex_wrap="wrap",
        ),
        spacing="1",
        width="100%",
    )


def _short_code() -> rx.Component:
    """A new link: an optional custom code. An edited one: its automatic code, or its custom code
    with the way back to the automatic one."""
    back = rx.cond(
        LinkFormState.editing,
        rx.button(
            "Use the automatic code ", LinkFormState.automatic_code, " instead",
            on_click=LinkFormState.use_automatic_code, type="button", variant="ghost", size="1", id="link-slug-automatic-use",
        ),
    )
    custom = rx.vstack(
        _field("Custom short code", "slug", placeholder="e.g. spring-sale", hint=SLUG_HINT),
        back,
        spacing="1",
        align="start",
        width="100%",
    )
    return rx.cond(LinkFormState.shows_slug_field, custom, _automatic_code())


def _limits() -> rx.Component:
    """Expiry and click limit side by side (stacked on a phone)."""
    return rx.grid(
        _field("Expires", "expires_at", input_type="datetime-local"),
        _field("Click limit", "max_clicks", input_type="number", placeholder="No limit"),
        columns=rx.breakpoints(initial="1", sm="2"),
        spacing="3",
        width="100%",
    )


def _redirect_status() -> rx.Component:
    control = rx.select.root(
        rx.select.trigger(id="link-redirect-status", width="100%"),
        rx.select.content(*[rx.select.item(label, value=value) for label, value in REDIRECT_CHOICES]),
        value=LinkFormState.redirect_status,
        on_change=lambda value: LinkFormState.set_field("redirect_status", value),
        name="redirect_status",
    )
    return _labelled("Redirect type", "link-redirect-status", control, "redirect_status", REDIRECT_HINT)


def _disabled_switch() -> rx.Component:
    """Only an existing link can be disabled."""
    return rx.cond(
        LinkFormState.editing,
        rx.el.label(
            rx.hstack(
                rx.switch(checked=LinkFormState.disabled, on_change=LinkFormState.set_disabled, id="link-disabled", name="disabled"),
                rx.text("Disabled (the short link answers 404)", size="2"),
                align="center",
                spacing="2",
            ),
        ),
    )


def _actions(*buttons: rx.Component, **props) -> rx.Component:
    """A dialog's buttons, in a row at its bottom right."""
    return rx.hstack(*buttons, justify="end", spacing="3", **props)


def _link_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            _field("Destination URL", "url", placeholder="https://example.com/a/long/page"),
            _field("Title", "title", placeholder="Defaults to the site's name"),
            _short_code(),
            _field("Tags", "tags", placeholder="campaign, newsletter", hint="Optional, comma-separated."),
            _limits(),
            _field(
                "Fallback URL",
                "fallback_url",
                placeholder="https://example.com/offer-ended",
                hint="Optional. Where visitors go once the link expires or reaches its click limit, instead of a “link expired” page.",
            ),
            _redirect_status(),
            _disabled_switch(),
            error_callout(LinkFormState.form_error, callout_id="link-form-error", size="1"),
            _actions(
                rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray", type="button", id="cancel-link")),
                rx.button(rx.cond(LinkFormState.editing, "Save changes", "Create link"), type="submit", loading=LinkFormState.saving, id="save-link"),
                width="100%",
                margin_top="0.5rem",
            ),
            spacing="3",
            width="100%",
        ),
        on_submit=LinkFormState.save,
    )


def link_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(rx.cond(LinkFormState.editing, "Edit link", "New link")),
            rx.dialog.description("Where should the short link go?", size="2", color_scheme="gray", margin_bottom="1rem"),
            _link_form(),
            max_width="520px",
            id="link-dialog",
        ),
        open=LinkFormState.open,
        on_open_change=LinkFormState.set_open,
    )


def delete_dialog() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title("Delete this link?"),
            rx.alert_dialog.description(
                rx.text("“", LinkFormState.delete_title, "” and its click history will be deleted. Its short URL will stop working."),
                size="2",
            ),
            _actions(
                rx.alert_dialog.cancel(rx.button("Keep it", variant="soft", color_scheme="gray", id="cancel-delete")),
                rx.alert_dialog.action(rx.button("Delete", color_scheme="red", on_click=LinkFormState.delete, id="confirm-delete")),
                margin_top="1rem",
            ),
            max_width="440px",
            id="delete-dialog",
        ),
        open=LinkFormState.delete_open,
        on_open_change=LinkFormState.set_delete_open,
    )
