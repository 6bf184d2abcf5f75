"""The page for unknown paths (and unknown short codes)."""

import reflex as rx

from linkapp import routes
from linkapp.components.layout import brand


def not_found_page() -> rx.Component:
    return rx.center(
        rx.vstack(
            brand(),
            rx.heading("404", size="9", color=rx.color("accent", 9)),
            rx.heading("Nothing here", size="5"),
            rx.text("This short link does not exist, was deleted, or the page moved.", color_scheme="gray", text_align="center"),
            rx.link(rx.button("Go to Linkapp"), href=routes.INDEX, id="home-link"),
            align="center",
            spacing="3",
            padding="2rem",
        ),
        min_height="100vh",
        background=rx.color("gray", 2),
        id="not-found",
    )
