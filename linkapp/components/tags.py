"""Tags where links are shown: badges on rows and on a link page, the dashboard's tag picker,
and the filter chip that says which tag the list is narrowed to."""

from __future__ import annotations

import reflex as rx

from linkapp.state.links import ALL_TAGS, LinksState
from linkapp.state.tags import LinkTagsState, TagsState

# A badge that is a button: no button look of its own, the badge is the look.
BARE_BUTTON = {"background": "none", "border": "none", "padding": "0", "cursor": "pointer", "line_height": "0"}


def tag_badge(tag: rx.Var | str, size: str = "1") -> rx.Component:
    """A tag as a small pill."""
    return rx.badge(rx.icon("tag", size=11), tag, variant="soft", color_scheme="indigo", radius="full", size=size, class_name="tag-badge")


def row_tags(tags: rx.Var) -> rx.Component:
    """A link row's tags; clicking one narrows the list (and the totals) to that tag."""
    tags = tags.to(list[str])
    return rx.cond(
        tags.length() > 0,
        rx.hstack(
            rx.foreach(
                tags,
                lambda tag: rx.el.button(
                    tag_badge(tag),
                    on_click=LinksState.filter_tag(tag),
                    type="button",
                    title="Show only links tagged " + tag,
                    aria_label="Show only links tagged " + tag,
                    class_name="tag-filter",
                    style=BARE_BUTTON,
                ),
            ),
            spacing="1",
            flex_wrap="wrap",
        ),
    )


def active_tag() -> rx.Component:
    """Which tag the list is narrowed to, with the way back to every link."""
    return rx.cond(
        LinksState.tag != "",
        rx.badge(
            rx.icon("tag", size=12),
            LinksState.tag,
            rx.icon_button(rx.icon("x", size=12), on_click=LinksState.clear_tag, variant="ghost", size="1", aria_label="Show every link again", id="clear-tag"),
            variant="surface",
            color_scheme="indigo",
            radius="full",
            size="2",
            id="tag-filter",
        ),
    )


def tag_picker() -> rx.Component:
    """The dashboard's choice of tag (its totals, chart and list follow it) and the way to manage
    tags; there once the user has tags."""
    return rx.cond(
        LinksState.tag_names.length() > 0,
        rx.hstack(
            rx.select.root(
                rx.select.trigger(placeholder="All links", id="tag-picker", aria_label="Show the figures and links of one tag"),
                rx.select.content(
                    rx.select.item("All links", value=ALL_TAGS),
                    rx.select.separator(),
                    rx.foreach(LinksState.tag_names, lambda tag: rx.select.item(tag, value=tag)),
                ),
                value=LinksState.tag_choice,
                on_change=LinksState.pick_tag,
            ),
            rx.button(rx.icon("tags", size=16), "Manage tags", variant="soft", color_scheme="gray", on_click=TagsState.show, id="manage-tags"),
            spacing="2",
            align="center",
        ),
    )


def link_page_tags() -> rx.Component:
    """A link page's tags, each leading to the dashboard narrowed to it."""
    return rx.hstack(
        rx.foreach(
            LinkTagsState.tags,
            lambda item: rx.link(tag_badge(item["tag"]), href=item["href"], class_name="link-tag", aria_label="All links tagged " + item["tag"].to(str)),
        ),
        spacing="1",
        flex_wrap="wrap",
        on_mount=LinkTagsState.load,
        id="link-tags",
    )
