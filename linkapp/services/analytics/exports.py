"""CSV exports: a link's raw clicks (streamed in chunks) and the all-links summary.

Nothing here holds a raw client address while anonymization is on: what is exported is what
was stored, and the writer stores only the anonymized network. Every CSV goes through
`core.csv_safe.to_csv`, which keeps visitors' text from running as a spreadsheet formula."""

from __future__ import annotations

from collections.abc import AsyncIterator

from sqlalchemy import select

from linkapp import db as database
from linkapp.core.csv_safe import to_csv
from linkapp.models.event import LinkEvent
from linkapp.services.analytics import figures as analytics
from linkapp.services.links import service as link_service

CHUNK = 2_000
CLICK_COLUMNS = (
    "clicked_at", "source", "utm_medium", "utm_campaign", "referrer_host", "device", "browser", "os",
    "country", "city", "ip_address", "visitor_id", "user_agent", "is_bot", "bot_reason",
)
SUMMARY_COLUMNS = ("id", "title", "shortened_url", "clicks")


async def link_clicks_csv(*, owner_id: int, public_id: str, days: analytics.DayRange) -> AsyncIterator[str]:
    """The link's clicks in the range, oldest first, bots included (with their reason).

    The link is checked before the first byte is sent, so a stranger's id is a clean 404."""
    async with database.session() as db:
        link = await link_service.get_link(db=db, owner_id=owner_id, public_id=public_id)

    async def rows() -> AsyncIterator[str]:
        yield to_csv([CLICK_COLUMNS])
        last_id = 0
        while True:
            async with database.session() as db:  # a short session per chunk: no transaction held open
                query = (
                    select(LinkEvent)
                    .where(LinkEvent.link_id == link.id, LinkEvent.clicked_at >= days.utc_start, LinkEvent.clicked_at < days.utc_end, LinkEvent.id > last_id)
                    .order_by(LinkEvent.id)
                    .limit(CHUNK)
                )
                events = (await db.execute(query)).scalars().all()
            if not events:
                return
            yield to_csv([getattr(event, column) for column in CLICK_COLUMNS] for event in events)
            last_id = events[-1].id

    return rows()


async def summary_csv(*, owner_id: int, days: analytics.DayRange) -> str:
    """Every link of the owner's with its clicks in the range, as the summary counts them."""
    async with database.session() as db:
        figures = await analytics.summary(db=db, owner_id=owner_id, days=days)
        links = {link.id: link for link in await link_service.to_public(db, (await link_service.list_links(db=db, owner_id=owner_id, limit=10_000))[0])}
    rows = [SUMMARY_COLUMNS]
    rows += [[row["id"], row["title"], links[row["id"]].shortened_url if row["id"] in links else "", row["total_clicks"]] for row in figures["links"]]
    return to_csv(rows)
