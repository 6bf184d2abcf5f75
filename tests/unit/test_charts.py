"""state/charts: visitors' names (sources, referrers, cities, browsers) reach plotly as text, never markup.

Plotly renders a subset of HTML (<a href>, <b style>, <br>...) in tick labels, legends and hover
labels, and decodes only &lt; &gt; &amp; and numeric entities in the text between tags; so a
label escaped that way is shown as the visitor typed it and runs nothing.
"""

from __future__ import annotations

import pytest

from linkapp.state.charts import share_donut, source_bar

LINK = '<a href="https://evil.example">x</a>'
STYLED = '<b style="font-size:80px">big</b>'


def _rows(key: str, *names: str) -> list[dict]:
    return [{key: name, "clicks": len(names) - number} for number, name in enumerate(names)]


def _hover_labels(figure) -> list[str]:
    """The hover text plotly would show for each bar: the template with %{y} and %{x} filled in."""
    trace = figure.data[0]
    return [trace.hovertemplate.replace("%{y}", label).replace("%{x}", str(count)) for label, count in zip(trace.y, trace.x, strict=True)]


@pytest.mark.parametrize("key", ["source", "referrer", "country", "browser", "os"])
def test_source_bar_with_markup_in_a_name_shows_it_as_text(key):
    figure = source_bar(_rows(key, LINK, STYLED, "AT&T"), key)

    labels = list(figure.data[0].y)
    assert not any("<a" in label or "<b" in label for label in labels)
    assert set(labels) == {"&lt;a href=\"https://evil.example\"&gt;x&lt;/a&gt;", "&lt;b style=\"font-size:80px\"&gt;big&lt;/b&gt;", "AT&amp;T"}


def test_source_bar_hover_text_carries_no_markup_from_a_name():
    figure = source_bar(_rows("source", LINK, "news"))

    hovers = _hover_labels(figure)
    assert not any("<a" in text for text in hovers)
    assert "&lt;a href=\"https://evil.example\"&gt;x&lt;/a&gt;: 2 clicks<extra></extra>" in hovers


def test_source_bar_with_numeric_or_date_names_keeps_a_category_axis():
    # Plotly would guess a number or date axis from names like these and misplace the bars.
    figure = source_bar(_rows("source", "2024-05-01", "42", "7"))

    assert figure.layout.yaxis.type == "category"


def test_share_donut_with_markup_in_a_name_shows_it_as_text():
    rows = _rows("device", LINK, "desktop", "mobile", "tablet", "bot", "tv", "console")

    figure = share_donut(rows, "device")

    labels = list(figure.data[0].labels)
    assert "&lt;a href=\"https://evil.example\"&gt;x&lt;/a&gt;" in labels and "other" in labels
    assert not any("<a" in label for label in labels)
    assert "%{label}" in figure.data[0].hovertemplate


def test_charts_with_missing_name_show_an_empty_label():
    assert list(source_bar([{"source": None, "clicks": 1}]).data[0].y) == [""]
