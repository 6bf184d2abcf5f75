"""core/csv_safe: every exported cell quoted, formula starts neutralized, numbers left alone."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest

from linkapp.core.csv_safe import safe_cell, to_csv


def parsed(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ("\r=1+1", "'\r=1+1"),
        ("\n=1+1", "'\n=1+1"),
        ("\tx", "'\tx"),
        ("@SUM(1)", "'@SUM(1)"),
        ("+1", "'+1"),
        ("-1", "'-1"),  # a visitor's "-1" is text, and text is never run
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
    ],
)
def test_safe_cell_with_formula_start_gets_a_quote_mark(text, expected):
    assert safe_cell(text) == expected


@pytest.mark.parametrize("text", ["newsletter", "a=b", "x-1", "", " =1", "'already", "直接"])
def test_safe_cell_with_plain_text_keeps_it(text):
    assert safe_cell(text) == text


@pytest.mark.parametrize(("number", "expected"), [(-1, "-1"), (0, "0"), (12, "12"), (-2.5, "-2.5"), (True, "True")])
def test_safe_cell_with_number_keeps_it_numeric(number, expected):
    assert safe_cell(number) == expected


def test_safe_cell_writes_none_empty_and_times_in_iso_8601():
    assert safe_cell(None) == ""
    assert safe_cell(datetime(2026, 2, 3, 4, 5, 6, tzinfo=UTC)) == "2026-02-03T04:05:06Z"
    assert safe_cell(date(2026, 2, 3)) == "2026-02-03"


def test_to_csv_quotes_every_cell_and_ends_rows_in_crlf():
    text = to_csv([["source", "clicks"], ["news", 3], [None, -1]])

    assert text == '"source","clicks"\r\n"news","3"\r\n"","-1"\r\n'


def test_to_csv_keeps_quotes_and_line_breaks_inside_their_cell():
    rows = [["id", "note"], ["a", 'say "hi"\r\n=HYPERLINK("https://evil")'], ["b", "line one\nline two"]]

    text = to_csv(rows)

    assert parsed(text) == rows
    assert '"say ""hi""' in text  # quotes doubled, as RFC 4180 has them


def test_to_csv_with_visitor_row_break_stays_one_row():
    text = to_csv([["source"], ["\r=cmd|' /C calc'!A0"], ["news"]])

    assert parsed(text) == [["source"], ["'\r=cmd|' /C calc'!A0"], ["news"]]
