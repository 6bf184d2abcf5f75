"""The QR code dialog: a link's code, and downloads as SVG or PNG."""

from __future__ import annotations

import reflex as rx

from linkapp.state.qr import PNG_SIZES, QrState


def qr_button(on_click: rx.event.EventSpec, **props) -> rx.Component:
    """The small button, icon and label, that opens a link's QR code."""
    return rx.button(rx.icon("qr-code", size=14), "QR code", on_click=on_click, variant="soft", size="1", **props)


def _downloads() -> rx.Component:
    return rx.hstack(
        rx.button(rx.icon("download", size=14), "SVG", on_click=QrState.download_svg, variant="soft", id="qr-download-svg"),
        rx.button(rx.icon("download", size=14), "PNG", on_click=QrState.download_png, variant="soft", id="qr-download-png"),
        rx.select.root(
            rx.select.trigger(id="qr-png-size", aria_label="PNG size"),
            rx.select.content(*[rx.select.item(f"{size} px", value=size) for size in PNG_SIZES]),
            value=QrState.png_size,
            on_change=QrState.set_png_size,
        ),
        align="center",
        spacing="2",
        flex_wrap="wrap",
    )


def qr_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("QR code"),
            rx.dialog.description(QrState.title, size="2", color_scheme="gray", id="qr-link-title", style={"word_break": "break-word"}),
            rx.vstack(
                rx.center(
                    rx.image(src=QrState.image, alt="QR code of " + QrState.short_url, width="240px", height="240px", id="qr-image"),
                    width="100%",
                    padding_y="0.5rem",
                ),
                rx.center(rx.code(QrState.short_url, id="qr-short-url", style={"word_break": "break-all"}), width="100%"),
                rx.text("Scans open the short link and count as source “qr”.", size="1", color_scheme="gray", text_align="center", width="100%"),
                _downloads(),
                rx.hstack(rx.dialog.close(rx.button("Done", variant="soft", color_scheme="gray", id="close-qr")), justify="end", width="100%"),
                spacing="3",
                width="100%",
            ),
            max_width="400px",
            id="qr-dialog",
        ),
        open=QrState.open,
        on_open_change=QrState.set_open,
    )
