"""All of a user's links as CSV, streamed in chunks; `imports` reads the same columns back.

Every cell goes through `core.csv_safe.to_csv`, like every CSV the app writes: a title such as
`=HYPERLINK(...)` reaches a spreadsheet as text (`'=HYPERLINK(...)`), and the import takes the
quote off again."""

from __future__ import annotations

from collections.abc import AsyncIterator

from sqlalchemy import select

from linkapp import db as database
from linkapp.core.csv_safe import to_csv
from linkapp.models.link import Link
from linkapp.services.links import service as link_service

CHUNK = 2_000
LINK_COLUMNS = ("id", "short_url", "url", "title", "slug", "tags", "created_at", "expires_at", "max_clicks", "total_clicks")
TAG_SEPARATOR = ", "


async def links_csv(*, owner_id: int) -> AsyncIterator[str]:
    """The owner's links, oldest first, with their tags and all-time human clicks: a header row,
    then one chunk of CSV text per CHUNK links, each read in a short session of its own."""
    yield to_csv([LINK_COLUMNS])
    last_id = 0
    while True:
        async with database.session() as db:
            query = select(Link).where(Link.owner_id == owner_id, Link.id > last_id).order_by(Link.id).limit(CHUNK)
            links = list((await db.execute(query)).scalars())
            rows = await link_service.to_public(db, links)
        if not links:
            return
        yield to_csv(
            [
                link.id, link.shortened_url, link.url, link.title, link.slug, TAG_SEPARATOR.join(link.tags),
                link.created_at, link.expires_at, link.max_clicks, link.total_clicks,
            ]
            for link in rows
        )
        last_id = links[-1].id
