"""Create/edit dialog and the delete confirmation; errors show under the field they concern."""

from __future__ import annotations

import reflex as rx

from linkapp.state.link_form import LinkFormState


def _error(field: str) -> rx.Component:
    return rx.cond(
        LinkFormState.errors.contains(field),
        rx.text(LinkFormState.errors[field], color_scheme="red", size="1", id=f"{field}-error", role="alert"),
    )


def _field(label: str, field: str, *, placeholder: str = "", input_type: str = "text", hint: str = "") -> rx.Component:
    input_id = f"link-{field.replace('_', '-')}"
    return rx.vstack(
        rx.el.label(label, html_for=input_id, style={"font_size": "13px", "font_weight": "500"}),
        rx.input(
            id=input_id,
            name=field,
            type=input_type,
            value=getattr(LinkFormState, field),
            on_change=lambda value: LinkFormState.set_field(field, value),
            placeholder=placeholder,
            width="100%",
        ),
        *([rx.text(hint, size="1", color_scheme="gray")] if hint else []),
        _error(field),
        spacing="1",
        width="100%",
    )


def link_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(rx.cond(LinkFormState.editing, "Edit link", "New link")),
            rx.dialog.description("Where should the short link go?", size="2", color_scheme="gray", margin_bottom="1rem"),
            rx.form(
                rx.vstack(
                    _field("Destination URL", "url", placeholder="https://example.com/a/long/page"),
                    _field("Title", "title", placeholder="Defaults to the site's name"),
                    _field("Custom short code", "slug", placeholder="spring-sale", hint="Optional. 3–64 letters, digits, - or _."),
                    _field("Tags", "tags", placeholder="campaign, newsletter", hint="Optional, comma-separated."),
                    rx.grid(
                        _field("Expires", "expires_at", input_type="datetime-local"),
                        _field("Click limit", "max_clicks", input_type="number", placeholder="No limit"),
                        columns=rx.breakpoints(initial="1", sm="2"),
                        spacing="3",
                        width="100%",
                    ),
                    rx.vstack(
                        rx.el.label("Redirect type", html_for="link-redirect-status", style={"font_size": "13px", "font_weight": "500"}),
                        rx.select.root(
                            rx.select.trigger(id="link-redirect-status", width="100%"),
                            rx.select.content(
                                rx.select.item("Default", value="default"),
                                rx.select.item("302 Found (temporary)", value="302"),
                                rx.select.item("301 Moved Permanently", value="301"),
                                rx.select.item("307 Temporary Redirect", value="307"),
                                rx.select.item("308 Permanent Redirect", value="308"),
                            ),
                            value=LinkFormState.redirect_status,
                            on_change=lambda value: LinkFormState.set_field("redirect_status", value),
                            name="redirect_status",
                        ),
                        _error("redirect_status"),
                        spacing="1",
                        width="100%",
                    ),
                    rx.cond(
                        LinkFormState.editing,
                        rx.el.label(
                            rx.hstack(
                                rx.switch(checked=LinkFormState.disabled, on_change=LinkFormState.set_disabled, id="link-disabled", name="disabled"),
                                rx.text("Disabled (the short link answers 404)", size="2"),
                                align="center",
                                spacing="2",
                            ),
                        ),
                    ),
                    rx.cond(LinkFormState.form_error != "", rx.callout(LinkFormState.form_error, icon="triangle-alert", color_scheme="red", size="1", id="link-form-error")),
                    rx.hstack(
                        rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray", type="button", id="cancel-link")),
                        rx.button(rx.cond(LinkFormState.editing, "Save changes", "Create link"), type="submit", loading=LinkFormState.saving, id="save-link"),
                        justify="end",
                        spacing="3",
                        width="100%",
                        margin_top="0.5rem",
                    ),
                    spacing="3",
                    width="100%",
                ),
                on_submit=LinkFormState.save,
            ),
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
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Keep it", variant="soft", color_scheme="gray", id="cancel-delete")),
                rx.alert_dialog.action(rx.button("Delete", color_scheme="red", on_click=LinkFormState.delete, id="confirm-delete")),
                justify="end",
                spacing="3",
                margin_top="1rem",
            ),
            max_width="440px",
            id="delete-dialog",
        ),
        open=LinkFormState.delete_open,
        on_open_change=LinkFormState.set_delete_open,
    )
