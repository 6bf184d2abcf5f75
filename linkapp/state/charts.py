"""Plotly figures built from the plain data states keep; readable in light and dark mode.

Every name a chart shows (source, referrer, country, city, device, browser, OS) goes through
`label`: visitors choose them, and plotly renders a subset of HTML in labels and hover text.
"""

from __future__ import annotations

import html

import plotly.graph_objects as go

ACCENT = "#6e56cf"
GRID = "rgba(128,128,128,0.18)"
FONT = {"family": "Inter, system-ui, sans-serif", "size": 12, "color": "#8b8d98"}


def _base(fig: go.Figure, *, height: int, show_axes: bool = True) -> go.Figure:
    fig.update_layout(
        height=height,
        margin={"l": 40 if show_axes else 0, "r": 12 if show_axes else 0, "t": 8, "b": 32 if show_axes else 0},
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        font=FONT,
        showlegend=False,
        hoverlabel={"font": {"family": FONT["family"]}},
    )
    fig.update_xaxes(showgrid=False, visible=show_axes, fixedrange=True)
    fig.update_yaxes(gridcolor=GRID, zeroline=False, visible=show_axes, rangemode="tozero", fixedrange=True)
    return fig


def label(name: object) -> str:
    """A breakdown's name as plotly text that shows exactly these characters and no markup.

    Plotly reads `<a href>`, `<b style>`, `<br>`... as tags and decodes only `&lt;`, `&gt;`,
    `&amp;` and numeric entities between them, so those three are escaped and quotes are not
    (plotly would show `&quot;` as written).

    Args:
        name: The value a breakdown row carries (None shows as an empty label).

    Returns:
        The escaped text.
    """
    return "" if name is None else html.escape(str(name), quote=False)


def _count_axis(values: list[int]) -> dict:
    """Whole-number ticks: small counts get one tick per click instead of 0.5 steps."""
    top = max(values, default=0)
    if top <= 5:
        return {"range": [0, max(top, 1) * 1.15], "dtick": 1, "tickformat": "d"}
    return {"rangemode": "tozero", "tickformat": ",d"}


def _clicks_over_time(daily: list[dict], *, height: int, **trace) -> go.Figure:
    """Clicks per day as a line filled down to zero, with whole-number ticks: both time charts."""
    clicks = [day["clicks"] for day in daily]
    fig = go.Figure(go.Scatter(x=[day["day"] for day in daily], y=clicks, fill="tozeroy", **trace))
    _base(fig, height=height)
    fig.update_yaxes(**_count_axis(clicks))
    return fig


def spark_figure(daily: list[dict]) -> go.Figure:
    """A small clicks-over-time area for the dashboard."""
    fig = _clicks_over_time(
        daily,
        height=140,
        mode="lines",
        line={"color": ACCENT, "width": 2, "shape": "spline", "smoothing": 0.6},
        fillcolor="rgba(110,86,207,0.15)",
        hovertemplate="%{x|%b %-d}: %{y} clicks<extra></extra>",
    )
    fig.update_yaxes(nticks=4)
    return fig


def clicks_line(daily: list[dict]) -> go.Figure:
    """Clicks per day, one marker a day."""
    fig = _clicks_over_time(
        daily,
        height=300,
        mode="lines+markers",
        line={"color": ACCENT, "width": 2.5},
        marker={"size": 6, "color": ACCENT},
        fillcolor="rgba(110,86,207,0.10)",
        hovertemplate="%{x|%a %b %-d}: %{y} clicks<extra></extra>",
    )
    fig.update_xaxes(tickformat="%b %-d")
    return fig


def source_bar(by_source: list[dict], key: str = "source") -> go.Figure:
    """Clicks by source (or any other key), largest on top."""
    rows = list(reversed(by_source[:10]))
    fig = go.Figure(
        go.Bar(
            x=[row["clicks"] for row in rows],
            y=[label(row[key]) for row in rows],
            orientation="h",
            width=0.6,
            marker={"color": ACCENT},
            hovertemplate="%{y}: %{x} clicks<extra></extra>",
            text=[row["clicks"] for row in rows],
            textposition="auto",
        )
    )
    _base(fig, height=max(140, 34 * len(rows) + 60))
    fig.update_xaxes(showgrid=True, gridcolor=GRID, **_count_axis([row["clicks"] for row in rows]))
    # Names such as "2024-05-01" or "42" would otherwise turn the axis into dates or numbers.
    fig.update_yaxes(showgrid=False, automargin=True, type="category")
    return fig


PALETTE = ["#6e56cf", "#3e63dd", "#12a594", "#e54d2e", "#ffb224", "#d6409f", "#8b8d98"]


def share_donut(rows: list[dict], key: str) -> go.Figure:
    """Shares of a few categories (devices): a donut, the rest folded into "other"."""
    top = rows[:5]
    rest = sum(row["clicks"] for row in rows[5:])
    labels = [label(row[key]) for row in top] + (["other"] if rest else [])
    values = [row["clicks"] for row in top] + ([rest] if rest else [])
    fig = go.Figure(
        go.Pie(
            labels=labels,
            values=values,
            hole=0.55,
            marker={"colors": PALETTE[: len(values)]},
            textinfo="percent",
            hovertemplate="%{label}: %{value} clicks<extra></extra>",
            sort=False,
        )
    )
    _base(fig, height=240, show_axes=False)
    fig.update_layout(showlegend=True, legend={"orientation": "h", "y": -0.05})
    return fig
