"""The import dialog: a CSV file exported by Linkapp or another shortener, a progress bar that
follows the import as it runs, then the report with the rows that failed and why."""

from __future__ import annotations

import reflex as rx

from linkapp.components.blocks import error_callout
from linkapp.services.links.import_rows import MAX_IMPORT_BYTES
from linkapp.state.imports import FORMAT_NAMES, LIMITS, UPLOAD_ID, ImportState

MODES = (
    (
        "skip",
        "Skip them",
        "A row whose short code you have already (or, without a code, the same URL and title) is left out: importing a file twice creates nothing twice.",
    ),
    ("update", "Update them", "Such a row changes that link: its URL, and its title, tags, expiry and click limit where the file has them. Short codes stay."),
)


def import_button() -> rx.Component:
    """The dashboard's Import button; while an import runs it says how far it is. As it appears
    (the page is signed in by then), an import under way shows its progress again."""
    return rx.button(
        rx.cond(ImportState.running, rx.spinner(size="1"), rx.icon("upload", size=16)),
        rx.cond(ImportState.running, "Importing " + ImportState.percent.to(str) + "%", "Import"),
        on_click=ImportState.show,
        on_mount=ImportState.resume,
        variant="soft",
        id="import-links",
    )


def _dropzone() -> rx.Component:
    chosen = rx.selected_files(UPLOAD_ID)
    return rx.upload.root(
        rx.vstack(
            rx.icon("file-up", size=28, color=rx.color("gray", 10)),
            rx.cond(
                chosen.length() > 0,
                rx.text(chosen[0], weight="medium", id="import-chosen", style={"word_break": "break-all"}),
                rx.text("Drop a CSV file here, or click to choose one", weight="medium"),
            ),
            rx.text(LIMITS, size="1", color_scheme="gray"),
            align="center",
            spacing="2",
            padding="1.25rem",
            text_align="center",
        ),
        id=UPLOAD_ID,
        multiple=False,
        max_files=1,
        max_size=MAX_IMPORT_BYTES,
        accept={"text/csv": [".csv"]},
        on_drop_rejected=ImportState.refused,
        border=f"1px dashed {rx.color('gray', 8)}",
        border_radius="var(--radius-3)",
        cursor="pointer",
        width="100%",
        drag_active_style={"border_color": rx.color("accent", 9), "background": rx.color("accent", 3)},
    )


def _mode_card(value: str, title: str, text: str) -> rx.Component:
    return rx.radio_cards.item(
        rx.vstack(rx.text(title, weight="medium"), rx.text(text, size="1", color_scheme="gray"), spacing="1", align="start", width="100%"),
        value=value,
        id=f"import-mode-{value}",
    )


def _mode_choice() -> rx.Component:
    return rx.vstack(
        rx.text("Links you already have", size="2", weight="medium"),
        rx.radio_cards.root(
            *[_mode_card(*mode) for mode in MODES],
            value=ImportState.mode,
            on_value_change=ImportState.set_mode,
            columns=rx.breakpoints(initial="1", sm="2"),
            spacing="2",
            width="100%",
        ),
        spacing="1",
        width="100%",
    )


def _error() -> rx.Component:
    """Why the file was refused, while that file (or none) is the one chosen."""
    chosen = rx.selected_files(UPLOAD_ID)
    about_the_chosen_file = (chosen.length() == 0) | (chosen[0] == ImportState.error_file)
    return rx.cond(about_the_chosen_file, error_callout(ImportState.error, callout_id="import-error", width="100%"))


def _form() -> rx.Component:
    return rx.vstack(
        rx.box(_dropzone(), id="import-drop", width="100%"),
        _mode_choice(),
        _error(),
        rx.cond(
            ImportState.last_summary != "",
            rx.hstack(
                rx.text(ImportState.last_summary, size="1", color_scheme="gray", id="import-last"),
                rx.button("See its report", on_click=ImportState.show_last, variant="ghost", size="1", id="import-last-report"),
                align="center",
                spacing="2",
                flex_wrap="wrap",
            ),
        ),
        rx.hstack(
            rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray", id="cancel-import")),
            rx.button(
                "Start import",
                on_click=ImportState.upload(rx.upload_files_chunk(upload_id=UPLOAD_ID)),
                disabled=rx.selected_files(UPLOAD_ID).length() == 0,
                loading=ImportState.uploading,
                id="start-import",
            ),
            justify="end",
            spacing="2",
            width="100%",
        ),
        spacing="3",
        width="100%",
    )


def _progress() -> rx.Component:
    return rx.vstack(
        rx.text("Importing ", rx.text.strong(ImportState.filename), " (", ImportState.format_label, ")", size="2", style={"word_break": "break-all"}),
        rx.progress(
            value=ImportState.processed, max=rx.cond(ImportState.total > 0, ImportState.total, 1), size="3", id="import-progress", aria_label="Import progress"
        ),
        rx.text(ImportState.progress_label, size="2", color_scheme="gray", id="import-progress-label", aria_live="polite"),
        rx.text("You may close this dialog: the import goes on, and the Import button shows how far it is.", size="1", color_scheme="gray"),
        rx.hstack(rx.dialog.close(rx.button("Close", variant="soft", color_scheme="gray", id="close-import")), justify="end", width="100%"),
        spacing="3",
        width="100%",
        id="import-running",
    )


def _count(label: str, value: rx.Var, count_id: str) -> rx.Component:
    return rx.card(
        rx.vstack(rx.text(label, size="1", color_scheme="gray"), rx.heading(value, size="5", id=count_id), spacing="1", align="start"),
        width="100%",
    )


def _failed_row(error: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(error["row"], white_space="nowrap"),
        rx.table.cell(rx.text(error["msg"], size="2")),
        class_name="import-error-row",
    )


def _failed_rows() -> rx.Component:
    return rx.vstack(
        rx.text("Rows not imported", size="2", weight="medium"),
        rx.box(
            rx.table.root(
                rx.table.header(rx.table.row(rx.table.column_header_cell("Row", width="4rem"), rx.table.column_header_cell("Why"))),
                rx.table.body(rx.foreach(ImportState.errors, _failed_row)),
                size="1",
                width="100%",
            ),
            max_height="240px",
            overflow_y="auto",
            width="100%",
            border=f"1px solid {rx.color('gray', 5)}",
            border_radius="var(--radius-2)",
            id="import-errors",
        ),
        rx.cond(
            ImportState.unlisted_errors > 0,
            rx.text("…and ", ImportState.unlisted_errors, " more; the first 1,000 are listed.", size="1", color_scheme="gray", id="import-unlisted"),
        ),
        rx.text("Rows are numbered as a spreadsheet shows them: the header row is row 1.", size="1", color_scheme="gray"),
        spacing="2",
        width="100%",
    )


def _report() -> rx.Component:
    return rx.vstack(
        rx.cond(
            ImportState.status == "done",
            rx.callout(ImportState.outcome, icon="circle-check", color_scheme="green", width="100%", id="import-done"),
            rx.callout(ImportState.outcome, icon="triangle-alert", color_scheme="red", width="100%", id="import-stopped"),
        ),
        rx.grid(
            _count("Created", ImportState.created, "import-created"),
            _count("Updated", ImportState.updated, "import-updated"),
            _count("Skipped", ImportState.skipped, "import-skipped"),
            _count("Failed", ImportState.failed, "import-failed"),
            columns=rx.breakpoints(initial="2", sm="4"),
            spacing="2",
            width="100%",
        ),
        rx.cond(ImportState.errors.length() > 0, _failed_rows()),
        rx.hstack(
            rx.button("Import another file", on_click=ImportState.another, variant="soft", color_scheme="gray", id="import-another"),
            rx.dialog.close(rx.button("Done", id="close-import-report")),
            justify="end",
            spacing="2",
            width="100%",
            flex_wrap="wrap",
        ),
        spacing="3",
        width="100%",
        id="import-report",
    )


def import_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Import links"),
            rx.dialog.description(
                f"A CSV file exported by {FORMAT_NAMES} (its header row tells which), or a list of your own with a url column.",
                size="2",
                color_scheme="gray",
                margin_bottom="0.75rem",
            ),
            rx.cond(ImportState.finished, _report(), rx.cond(ImportState.running, _progress(), _form())),
            max_width="620px",
            id="import-dialog",
        ),
        open=ImportState.open,
        on_open_change=ImportState.set_open,
    )
