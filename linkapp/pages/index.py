"""The landing page until the dashboard arrives."""

import reflex as rx


def index_page() -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.heading("Linkapp", size="8"),
            rx.text("Short links with click analytics you can trust."),
            rx.hstack(
                rx.link("API documentation", href="/docs", id="docs-link"),
                rx.text("·"),
                rx.link("Health", href="/healthz"),
            ),
            align="center",
            spacing="4",
        ),
        height="100vh",
    )
