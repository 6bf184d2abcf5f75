"""Plotly figures built from the plain data states keep; readable in light and dark mode.

Every name a chart shows (source, referrer, country, city, device, browser, OS) goes through
`label`: visitors choose them, and plotly renders a subset of HTML in labels and hover text.
"""

from __future__ import annotations

import html
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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


def mark_today(daily: list[dict], tz: str) -> list[dict]:
    """`daily` (rows of {day, clicks}) with `today: True` on the row of today in `tz`, if any."""
    try:
        today = datetime.now(ZoneInfo(tz)).date().isoformat()
    except (ValueError, ZoneInfoNotFoundError):  # an odd browser zone: no day is marked
        return daily
    return [{**row, "today": True} if str(row["day"]) == today else row for row in daily]


def _day_label(row: dict) -> str:
    return "Today" if row.get("today") else date.fromisoformat(str(row["day"])).strftime("%a %b %-d")


def _clicks_per_day(daily: list[dict], *, height: int) -> go.Figure:
    """Clicks per day as bars, one a day (a line would draw values between days that no day had),
    with whole-number ticks; today's bar, still filling up, is hatched and labelled."""
    clicks = [row["clicks"] for row in daily]
    today = [bool(row.get("today")) for row in daily]
    fig = go.Figure(
        go.Bar(
            x=[row["day"] for row in daily],
            y=clicks,
            customdata=[_day_label(row) for row in daily],
            marker={
                "color": ACCENT,
                # Light stripes over the accent: visible on a light and a dark page alike.
                "pattern": {"shape": ["/" if is_today else "" for is_today in today], "fgcolor": "rgba(255,255,255,0.6)", "fillmode": "overlay"},
            },
            hovertemplate="%{customdata}: %{y} clicks<extra></extra>",
        )
    )
    _base(fig, height=height)
    fig.update_layout(bargap=0.2, margin={"t": 24})
    fig.update_xaxes(tickformat="%b %-d")
    fig.update_yaxes(**_count_axis(clicks))
    for row in daily:
        if row.get("today"):
            fig.add_annotation(
                x=row["day"], y=row["clicks"], text="Today", showarrow=False, yanchor="bottom", yshift=2, font={**FONT, "color": ACCENT}, name="today"
            )
    return fig


def spark_figure(daily: list[dict]) -> go.Figure:
    """The dashboard's small clicks-per-day chart."""
    fig = _clicks_per_day(daily, height=160)
    fig.update_yaxes(nticks=4)
    return fig


def daily_bars(daily: list[dict]) -> go.Figure:
    """The link page's clicks per day."""
    return _clicks_per_day(daily, height=300)


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
