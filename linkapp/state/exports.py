"""ExportState: the CSV downloads of the dashboard (the link list, clicks per link) and of a
link's page (its clicks in the chosen range).

The page holds no credential for the API's CSV routes, so the state writes the file with the
same services and hands it to the browser (`rx.download`, a data: URL over the websocket). A
file is built whole in memory, and base64 adds a third on the way: a file over
MAX_DOWNLOAD_BYTES is refused with a pointer to the API, which streams it. 100,000 links are
13-16 MB (about 100 MB held for a moment while it is sent); the handlers run in the background,
so the page stays usable while one is written.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime
from zoneinfo import ZoneInfo

import reflex as rx

from linkapp.core.errors import DomainError
from linkapp.services.analytics import exports
from linkapp.services.analytics import figures as analytics
from linkapp.services.links import export
from linkapp.state.auth import signed_in_user_id, viewer_time_zone
from linkapp.state.link_detail import LinkDetailState

MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
CSV = "text/csv"


class TooBig(Exception):
    """The file would be over MAX_DOWNLOAD_BYTES."""


async def _collect(chunks: AsyncIterator[str]) -> bytes:
    """The CSV's chunks as one UTF-8 file, or TooBig once it passes MAX_DOWNLOAD_BYTES."""
    parts, size = [], 0
    async for chunk in chunks:
        part = chunk.encode()
        size += len(part)
        if size > MAX_DOWNLOAD_BYTES:
            raise TooBig
        parts.append(part)
    return b"".join(parts)


def _too_big(api_path: str) -> rx.event.EventSpec:
    limit = MAX_DOWNLOAD_BYTES // (1024 * 1024)
    return rx.toast.error(f"That file would be over {limit} MB, too big for the browser this way: the API streams it ({api_path}).", duration=10_000)


def _today(tz: str) -> date:
    try:
        return datetime.now(ZoneInfo(tz)).date()
    except Exception:  # noqa: BLE001 - an odd browser zone: the server's day
        return date.today()


class ExportState(rx.State):
    """Which export is being written ("" when none): its button shows it."""

    busy: str = ""

    async def _start(self, kind: str) -> tuple[int, str] | None:
        """Mark `kind` busy; the user's id and time zone, or None when signed out or busy."""
        async with self:
            user_id = await signed_in_user_id(self)
            if user_id is None or self.busy:
                return None
            self.busy = kind
            return user_id, await viewer_time_zone(self)

    async def _done(self) -> None:
        async with self:
            self.busy = ""

    @rx.event(background=True)
    async def links_csv(self):
        """All of the user's links, as the API's links/export.csv has them."""
        if (started := await self._start("links")) is None:
            return
        user_id, tz = started
        try:
            body = await _collect(export.links_csv(owner_id=user_id))
        except TooBig:
            yield _too_big("GET /api/v1/links/export.csv")
            return
        finally:
            await self._done()
        yield rx.download(data=body, filename=f"links-{_today(tz)}.csv", mime_type=CSV)

    @rx.event(background=True)
    async def summary_csv(self):
        """Each link with its clicks over the dashboard's 30 days."""
        if (started := await self._start("summary")) is None:
            return
        user_id, tz = started
        try:
            try:
                days = analytics.day_range(None, None, tz)
            except DomainError:  # an odd browser zone: UTC days, as the dashboard falls back to
                days = analytics.day_range(None, None, "UTC")
            body = (await exports.summary_csv(owner_id=user_id, days=days)).encode()
        finally:
            await self._done()
        yield rx.download(data=body, filename=f"clicks-per-link-{days.start}-{days.end}.csv", mime_type=CSV)

    @rx.event(background=True)
    async def clicks_csv(self):
        """The open link's clicks in the range its page shows, bots included (with why)."""
        if (started := await self._start("clicks")) is None:
            return
        user_id, tz = started
        try:
            async with self:
                detail = await self.get_state(LinkDetailState)
                public_id, (start, end) = detail.public_id, detail.chosen_range(tz)
            days = analytics.day_range(start, end, tz)
            body = await _collect(await exports.link_clicks_csv(owner_id=user_id, public_id=public_id, days=days))
        except (ValueError, DomainError) as error:  # a half-typed custom range, a link gone meanwhile
            yield rx.toast.error(getattr(error, "detail", "Pick a start and an end day."))
            return
        except TooBig:
            yield _too_big(f"GET /api/v1/analytics/links/{public_id}/clicks.csv")
            return
        finally:
            await self._done()
        yield rx.download(data=body, filename=f"clicks-{public_id}-{days.start}-{days.end}.csv", mime_type=CSV)
