"""The insights panel: ask a question about your figures; without AI, quick facts instead."""

from __future__ import annotations

import reflex as rx

from linkapp.components.blocks import error_callout, panel
from linkapp.state.insights import InsightsState


def _bullets(title: str, lines, list_id: str = "") -> rx.Component:
    return rx.cond(
        lines.length() > 0,
        rx.vstack(
            rx.text(title, weight="medium", size="2"),
            rx.el.ul(rx.foreach(lines, lambda line: rx.el.li(rx.text(line, size="2"))), style={"padding_left": "1.2rem", "margin": "0"}),
            spacing="1",
            width="100%",
            **({"id": list_id} if list_id else {}),
        ),
    )


def _quick_facts() -> rx.Component:
    return _bullets("Quick insights", InsightsState.quick, "quick-insights")


def _answer() -> rx.Component:
    return rx.cond(
        InsightsState.summary != "",
        rx.vstack(
            rx.text(InsightsState.summary, size="3", id="insight-summary"),
            _bullets("Highlights", InsightsState.highlights),
            _bullets("Suggestions", InsightsState.suggestions),
            rx.text("Model: ", InsightsState.model, size="1", color_scheme="gray"),
            spacing="3",
            width="100%",
            id="insight-answer",
        ),
    )


def _question_form(link: bool) -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.input(
                value=InsightsState.prompt,
                on_change=InsightsState.set_prompt,
                placeholder="Ask about your clicks, e.g. “Which day works best?”",
                aria_label="Question about your analytics",
                id="insight-prompt",
                name="prompt",
                flex="1",
                min_width="0",
            ),
            rx.button("Ask", type="submit", loading=InsightsState.loading, id="insight-ask"),
            width="100%",
            spacing="2",
        ),
        on_submit=InsightsState.ask(link),
        width="100%",
    )


def _not_configured() -> rx.Component:
    return rx.callout(
        "AI insights are not configured on this server (set GEMINI_API_KEY). Here is what the numbers say.",
        icon="info",
        size="1",
        color_scheme="gray",
        id="insights-not-configured",
    )


def insights_panel(link: bool = False) -> rx.Component:
    """Questions about all the user's links, or with `link` about the link on the page."""
    return panel(
        rx.hstack(rx.icon("sparkles", size=18, color=rx.color("accent", 9)), rx.heading("Insights", size="4"), align="center", spacing="2"),
        rx.cond(InsightsState.configured, _question_form(link), _not_configured()),
        error_callout(InsightsState.error, callout_id="insight-error", size="1"),
        _answer(),
        _quick_facts(),
        spacing="3",
        id="insights-panel",
    )
