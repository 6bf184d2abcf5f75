"""CSV that is safe to open in a spreadsheet: every CSV the app writes goes through `to_csv`.

Exported cells hold text that visitors chose (`?utm_source=...`) and that a spreadsheet would
otherwise run as a formula (`=cmd|' /C calc'!A0`, `@SUM(...)`) or split into a forged row.
Following OWASP's CSV-injection guidance, every cell is quoted (so commas, quotes and line breaks
stay inside it), a text cell whose first character could start a formula gets a leading single
quote, and rows end in CRLF as RFC 4180 has them. Numbers are written as numbers: a negative
count is never a visitor's text, and a numeric column must stay numeric.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date, datetime
from numbers import Number

# First characters a spreadsheet may read as the start of a formula: OWASP lists = + - @, tab
# and CR; LF joins them as the other line break.
FORMULA_STARTS = frozenset("=+-@\t\r\n")


def safe_cell(value: object) -> str:
    """The text of one cell, neutralized when a spreadsheet could run it.

    Args:
        value: None (an empty cell), a number, a date or datetime, or anything else (its str()).

    Returns:
        Numbers as Python writes them (``-1`` stays ``-1``), datetimes in ISO 8601 with UTC
        as ``Z``, and text as it is unless it starts with ``= + - @``, tab, CR or LF, which
        gets a single quote in front (``'=1+1``), the mark spreadsheets read as "this is text".
    """
    if value is None:
        return ""
    if isinstance(value, Number):  # bool included: True/False
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat().replace("+00:00", "Z")
    text = str(value)
    return "'" + text if text[:1] in FORMULA_STARTS else text


def to_csv(rows: Iterable[Iterable[object]]) -> str:
    """Rows as CSV text: every cell through `safe_cell`, all quoted, each row ending in CRLF.

    Args:
        rows: Rows of raw values (a header row of column names included); a stream may call
            this once per chunk and concatenate the results.

    Returns:
        The CSV text of `rows`.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerows([safe_cell(value) for value in row] for row in rows)
    return buffer.getvalue()
