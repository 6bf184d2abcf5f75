"""The CSV exports an import understands, each recognized by its header row.

Every format maps its columns to the fields of a link (`RawLink`, text as found); what the text
must be is decided later, by the rules links are always created with. Header names are compared
without case, spaces, `_` or `-`, so `Long URL`, `long_url` and `longUrl` are one column.
Columns a format does not name are ignored.

Where the columns come from (learned from each project's code and documentation):

- **linkapp**: our own `GET /api/v1/links/export.csv`, or any of its columns as long as `url` is
  one (a list made by hand). Cells that a spreadsheet could run as a formula were written with a
  leading `'`; it is taken off again.
- **Bitly**: the Links page's export (`Title, Link, Custom link, Destination URL, Date created,
  Tags`), and the API's field names (`link`, `long_url`, `title`, `created_at`) that export
  scripts write. The short code is the custom back-half when there is one, else the Bitlink's.
- **Shlink**: the web client's export (`createdAt, domain, shortCode, shortUrl, longUrl, title,
  tags, visits`, tags joined by `|`), and shlink-importer's CSV (`Long URL, Tags, Domain, Short
  code, Title`).
- **YOURLS**: the `yourls_url` table's columns (`keyword, url, title, timestamp, ip, clicks`), as
  database exports and admin plugins write them, and the Import/Export plugin's
  `source, target, hits` (source is `/keyword/`).
- **Kutt**: Kutt has no CSV export of its own; its API's link objects (`address, target,
  description, expire_in, created_at, visit_count, link ...`) written out as CSV.
- **Dub**: the links export (`Short link, Destination URL, Clicks, Created at, Link ID, Updated
  at, Tags, Archived`); Dub's export has no title, so the title defaults to the URL's host.

Click counts (`clicks`, `visits`, `hits`, `total_clicks`) are never imported: Linkapp counts only
the clicks it saw.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from linkapp.core.csv_safe import FORMULA_STARTS

TAG_SEPARATORS = re.compile(r"[,|;]")  # no tag may hold one of them (services.links.service.TAG_RE)


def column_key(name: str) -> str:
    """A header cell as formats name it: lower-case letters and digits only (`Long URL` -> `longurl`)."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


@dataclass(frozen=True, slots=True)
class RawLink:
    """One row's link as the file has it, before any rule is applied.

    `None` means the format has no such column (an update then leaves that field alone); an
    empty string means the row left the cell empty."""

    row: int
    url: str
    title: str | None = None
    slug: str | None = None
    tags: list[str] | None = None
    expires_at: str | None = None
    max_clicks: str | None = None
    created_at: str | None = None
    link_id: str | None = None  # our own export's public id, to find the link again


@dataclass(frozen=True, slots=True)
class Format:
    """A known export: its name, the columns that identify it, and how a row becomes a `RawLink`."""

    name: str
    label: str
    required: tuple[frozenset[str], ...]  # each set: one of these columns must be present
    read: Callable[[Callable[..., str | None], int], RawLink]

    def matches(self, keys: set[str]) -> bool:
        return all(keys & choice for choice in self.required)


def _one_of(*names: str) -> frozenset[str]:
    return frozenset(names)


def _split_tags(cell: str | None) -> list[str] | None:
    if cell is None:
        return None
    return [tag.strip() for tag in TAG_SEPARATORS.split(cell) if tag.strip()]


def _code_of(short_url: str | None) -> str | None:
    """The short code of a short URL (`https://bit.ly/abc`, `bit.ly/abc` or just `abc`)."""
    short_url = (short_url or "").strip()
    if not short_url:
        return None
    if "/" not in short_url:
        return short_url
    if "://" not in short_url:
        short_url = "https://" + short_url
    return urlsplit(short_url).path.strip("/") or None


def _unquote_formula(cell: str | None) -> str | None:
    # Our export writes `'=x` for a cell `=x` (core/csv_safe.py); read it back as written.
    if cell and cell[0] == "'" and cell[1:2] in FORMULA_STARTS:
        return cell[1:]
    return cell


def _read_linkapp(cell: Callable[..., str | None], row: int) -> RawLink:
    def value(*names: str) -> str | None:
        return _unquote_formula(cell(*names))

    return RawLink(
        row=row,
        url=value("url") or "",
        title=value("title"),
        slug=value("slug"),
        tags=_split_tags(value("tags")),
        expires_at=value("expiresat"),
        max_clicks=value("maxclicks"),
        created_at=value("createdat"),
        link_id=value("id"),
    )


def _read_bitly(cell: Callable[..., str | None], row: int) -> RawLink:
    custom = (cell("customlink", "custombitlink", "custombitlinks") or "").split(",")[0]
    return RawLink(
        row=row,
        url=cell("destinationurl", "longurl") or "",
        title=cell("title"),
        slug=_code_of(custom) or _code_of(cell("link", "bitlink")),
        tags=_split_tags(cell("tags")),
        created_at=cell("datecreated", "createdat", "created"),
    )


def _read_shlink(cell: Callable[..., str | None], row: int) -> RawLink:
    return RawLink(
        row=row,
        url=cell("longurl") or "",
        title=cell("title"),
        slug=cell("shortcode"),
        tags=_split_tags(cell("tags")),
        expires_at=cell("validuntil"),
        max_clicks=cell("maxvisits"),
        created_at=cell("createdat", "datecreated"),
    )


def _read_dub(cell: Callable[..., str | None], row: int) -> RawLink:
    return RawLink(
        row=row,
        url=cell("destinationurl", "url") or "",
        title=cell("title"),
        slug=_code_of(cell("shortlink")),
        tags=_split_tags(cell("tags")),
        expires_at=cell("expiresat"),
        created_at=cell("createdat"),
    )


def _read_kutt(cell: Callable[..., str | None], row: int) -> RawLink:
    return RawLink(
        row=row,
        url=cell("target") or "",
        title=cell("description", "title"),
        slug=cell("address"),
        expires_at=cell("expirein"),
        created_at=cell("createdat"),
    )


def _read_yourls(cell: Callable[..., str | None], row: int) -> RawLink:
    return RawLink(
        row=row,
        url=cell("url", "target") or "",
        title=cell("title"),
        slug=(cell("keyword", "source") or "").strip().strip("/") or None,
        created_at=cell("timestamp"),
    )


# Tried in this order; the first whose required columns are all there wins.
FORMATS: tuple[Format, ...] = (
    Format("shlink", "Shlink", (_one_of("longurl"), _one_of("shortcode")), _read_shlink),
    Format("dub", "Dub", (_one_of("shortlink"), _one_of("destinationurl")), _read_dub),
    Format("bitly", "Bitly", (_one_of("destinationurl", "longurl"), _one_of("link", "bitlink")), _read_bitly),
    Format("kutt", "Kutt", (_one_of("target"), _one_of("address")), _read_kutt),
    Format("yourls", "YOURLS", (_one_of("keyword"), _one_of("url")), _read_yourls),
    Format("yourls", "YOURLS", (_one_of("source"), _one_of("target")), _read_yourls),
    # Ours last: any of our export's columns with `url` among them, so a list made by hand
    # (`url,title,tags`) imports too.
    Format("linkapp", "Linkapp", (_one_of("url"),), _read_linkapp),
)
KNOWN = "Linkapp, Bitly, Shlink, YOURLS, Kutt or Dub, or give it a `url` column"


def recognize(header: Sequence[str]) -> Format | None:
    """The format whose columns the header row has, or None."""
    keys = {column_key(name) for name in header}
    return next((fmt for fmt in FORMATS if fmt.matches(keys)), None)


def row_reader(fmt: Format, header: Sequence[str]) -> Callable[[Sequence[str], int], RawLink]:
    """A function turning one data row (and its number) into a `RawLink` of format `fmt`."""
    positions: dict[str, int] = {}
    for index, name in enumerate(header):
        positions.setdefault(column_key(name), index)

    def read(cells: Sequence[str], row: int) -> RawLink:
        def cell(*names: str) -> str | None:
            for name in names:
                index = positions.get(name)
                if index is not None:
                    return cells[index].strip() if index < len(cells) else ""
            return None

        return fmt.read(cell, row)

    return read
