"""The "Manage tags" dialog: each tag with its count, renamed or removed on every link at once."""

from __future__ import annotations

import reflex as rx

from linkapp.components.tags import tag_badge
from linkapp.state.tags import TagsState


def _tag_line(item: rx.Var) -> rx.Component:
    return rx.hstack(
        tag_badge(item["tag"], size="2"),
        rx.text(item["label"], size="2", color_scheme="gray"),
        rx.spacer(),
        rx.icon_button(
            rx.icon("pencil", size=14), on_click=TagsState.start_rename(item["tag"]), variant="soft", size="1", aria_label="Rename tag", class_name="rename-tag"
        ),
        rx.icon_button(
            rx.icon("trash-2", size=14),
            on_click=TagsState.ask_remove(item["tag"]),
            variant="soft",
            size="1",
            color_scheme="red",
            aria_label="Remove tag from every link",
            class_name="remove-tag",
        ),
        align="center",
        spacing="2",
        width="100%",
    )


def _rename_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.hstack(
                rx.input(
                    name="name",
                    value=TagsState.new_name,
                    on_change=TagsState.set_new_name,
                    id="tag-name",
                    aria_label="New name of the tag",
                    auto_focus=True,
                    max_length=64,
                    width="100%",
                ),
                rx.button("Rename", type="submit", loading=TagsState.saving, id="save-tag"),
                rx.button("Cancel", type="button", variant="soft", color_scheme="gray", on_click=TagsState.cancel_rename, id="cancel-rename"),
                spacing="2",
                width="100%",
            ),
            rx.cond(TagsState.name_error != "", rx.text(TagsState.name_error, color_scheme="red", size="1", id="tag-name-error", role="alert")),
            rx.text("Renamed on every link; a link that already has the new name keeps it once.", size="1", color_scheme="gray"),
            spacing="1",
            width="100%",
        ),
        on_submit=TagsState.rename,
        width="100%",
    )


def _remove_confirmation(item: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.text("Remove “", item["tag"], "” from ", item["label"], "? The links stay.", size="2"),
        rx.spacer(),
        rx.button("Keep", variant="soft", color_scheme="gray", size="1", on_click=TagsState.cancel_remove, id="cancel-remove-tag"),
        rx.button("Remove", color_scheme="red", size="1", on_click=TagsState.remove, id="confirm-remove-tag"),
        align="center",
        spacing="2",
        width="100%",
        flex_wrap="wrap",
    )


def _tag_row(item: rx.Var) -> rx.Component:
    return rx.box(
        rx.cond(
            TagsState.renaming == item["tag"],
            _rename_form(),
            rx.cond(TagsState.removing == item["tag"], _remove_confirmation(item), _tag_line(item)),
        ),
        class_name="tag-row",
        data_tag=item["tag"],
        width="100%",
        padding_y="0.4rem",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
    )


def tags_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Manage tags"),
            rx.dialog.description("Rename a tag or remove it, on all of your links at once.", size="2", color_scheme="gray", margin_bottom="0.75rem"),
            rx.cond(
                TagsState.tags.length() > 0,
                rx.vstack(rx.foreach(TagsState.tags, _tag_row), spacing="0", width="100%", max_height="60vh", overflow_y="auto"),
                rx.text("No tags yet: add some when you create or edit a link.", size="2", color_scheme="gray", id="no-tags"),
            ),
            rx.hstack(
                rx.dialog.close(rx.button("Done", variant="soft", color_scheme="gray", id="close-tags")),
                justify="end",
                margin_top="1rem",
            ),
            max_width="520px",
            id="tags-dialog",
        ),
        open=TagsState.open,
        on_open_change=TagsState.set_open,
    )
