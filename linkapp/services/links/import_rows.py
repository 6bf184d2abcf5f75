"""An import file read and checked without the database: its format, its rows, and each row
held to the rules every link is created with (`service`'s URL, slug, tag, title, expiry and
click-limit rules). Everything here is plain CPU work, run in a worker thread."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from linkapp.core import ids
from linkapp.core.errors import DomainError, ValidationFailed
from linkapp.services.links import import_formats
from linkapp.services.links import service as link_service
from linkapp.services.links.import_formats import Format, RawLink
from linkapp.services.links.urls import normalize_url

MAX_IMPORT_BYTES = 20 * 1024 * 1024
MAX_ROWS = 100_000
DELIMITERS = ",;\t"
ID_LETTERS = frozenset(ids.ALPHABET)
# What other exports write dates as, besides ISO 8601 (which `fromisoformat` reads).
DATE_FORMATS = ("%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y", "%b %d, %Y %H:%M", "%b %d, %Y", "%d %b %Y", "%Y/%m/%d %H:%M:%S")


@dataclass(frozen=True, slots=True)
class ValidLink:
    """A row that passed every rule: what the link will be."""

    row: int
    url: str
    title: str
    slug: str | None
    tags: list[str] | None  # None: the file has no tags column
    expires_at: datetime | None
    max_clicks: int | None
    created_at: datetime
    link_id: int | None  # the link our own export named, if the id is a link's
    # Link fields the file carries: an update changes those and leaves the others alone.
    given: frozenset[str]


@dataclass(frozen=True, slots=True)
class RowFailure:
    row: int
    msg: str


@dataclass(frozen=True, slots=True)
class ImportFile:
    """A CSV file whose header row names a known format, with its number of links."""

    text: str
    delimiter: str
    format: Format
    total: int

    def batches(self, size: int) -> Iterator[list[RawLink]]:
        """The file's rows in lists of `size`, as `RawLink`s numbered as a spreadsheet shows them."""
        records = _records(self.text, self.delimiter)
        _, header = _header(records)
        read = import_formats.row_reader(self.format, header)
        batch: list[RawLink] = []
        for number, cells in records:
            batch.append(read(cells, number))
            if len(batch) == size:
                yield batch
                batch = []
        if batch:
            yield batch


def _records(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells) of every row with something in it; the first row is row 1."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    number = 0
    try:
        for number, cells in enumerate(reader, start=1):  # noqa: B007 - read in the except clause
            if any(cell.strip() for cell in cells):
                yield number, cells
    except csv.Error as exc:
        raise ValidationFailed(f"Row {number + 1} is not CSV we can read: {exc}.", field="file") from exc


def _header(records: Iterator[tuple[int, list[str]]]) -> tuple[int, list[str]]:
    first = next(records, None)
    if first is None:
        raise ValidationFailed("The file is empty.", field="file")
    return first


def read_import_file(data: bytes) -> ImportFile:
    """Check an uploaded file and count its links; the rows themselves are checked as they import.

    Raises:
        ValidationFailed: the file is over 20 MiB, not UTF-8 text, not CSV, has a header row
            of no known format, no rows, or more than 100,000 of them.
    """
    if len(data) > MAX_IMPORT_BYTES:
        raise ValidationFailed(f"An import file is at most {MAX_IMPORT_BYTES // (1024 * 1024)} MiB.", field="file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationFailed("The file is not UTF-8 text; save it as “CSV UTF-8” and try again.", field="file") from exc
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    delimiter = max(DELIMITERS, key=first_line.count)
    records = _records(text, delimiter)
    _, header = _header(records)
    fmt = import_formats.recognize(header)
    if fmt is None:
        shown = ", ".join(name.strip() for name in header[:8])[:200]
        raise ValidationFailed(f"The header row ({shown}) is not one we know: export from {import_formats.KNOWN}.", field="file")
    total = 0
    for total, _ in enumerate(records, start=1):  # noqa: B007 - counting
        if total > MAX_ROWS:
            raise ValidationFailed(f"An import takes at most {MAX_ROWS:,} links; split the file.", field="file")
    if not total:
        raise ValidationFailed("The file has a header row but no links.", field="file")
    return ImportFile(text=text, delimiter=delimiter, format=fmt, total=total)


def parse_time(text: str) -> datetime | None:
    """A date and time as exports write them (ISO 8601, Unix seconds, a few spelled-out forms),
    in UTC; a time without an offset is taken as UTC. None when it cannot be read."""
    text = text.strip()
    if text.isdigit():
        seconds = int(text)
        try:
            return datetime.fromtimestamp(seconds / 1000 if seconds > 10**11 else seconds, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        for pattern in DATE_FORMATS:
            try:
                moment = datetime.strptime(text, pattern)
                break
            except ValueError:
                continue
        else:
            return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        return None


def check_row(raw: RawLink, *, now: datetime) -> ValidLink | RowFailure:
    """The link a row makes, or why it makes none (in the words link creation uses)."""
    try:
        url = normalize_url(raw.url)
        slug = link_service.check_slug_shape(raw.slug) if raw.slug else None
        # A code spelt like a generated id would be shadowed by that link (service._check_slug_free);
        # only the ids' own letters can spell one, and hashids is slow to say no.
        if slug and ID_LETTERS.issuperset(slug.lower()) and ids.decode_link_id(slug.lower()) is not None:
            return RowFailure(raw.row, f"The short code “{slug}” is taken.")
        tags = link_service.normalize_tags(raw.tags) if raw.tags is not None else None
        title = link_service.check_title(raw.title, url)
        expires_at = None
        if raw.expires_at:
            moment = parse_time(raw.expires_at)
            if moment is None:
                return RowFailure(raw.row, f"The expiry “{raw.expires_at[:40]}” is not a date and time we can read.")
            expires_at = link_service.check_expiry(moment)
        max_clicks = None
        if raw.max_clicks:
            if not raw.max_clicks.isdigit():
                return RowFailure(raw.row, f"max_clicks must be a whole number, not “{raw.max_clicks[:20]}”.")
            max_clicks = link_service.check_max_clicks(int(raw.max_clicks))
    except DomainError as exc:
        return RowFailure(raw.row, exc.detail)
    created_at = parse_time(raw.created_at) if raw.created_at else None
    given = frozenset(
        name for name, value in (("title", raw.title), ("tags", raw.tags), ("expires_at", raw.expires_at), ("max_clicks", raw.max_clicks)) if value is not None
    )
    return ValidLink(
        row=raw.row,
        url=url,
        title=title,
        slug=slug,
        tags=tags,
        expires_at=expires_at,
        max_clicks=max_clicks,
        # The original creation time, when the file has one that is not in the future.
        created_at=created_at if created_at is not None and created_at <= now else now,
        link_id=ids.decode_link_id(raw.link_id) if raw.link_id else None,
        given=given,
    )
