"""LinksState: the dashboard's link table and totals, kept live as clicks arrive."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import plotly.graph_objects as go
import reflex as rx

from linkapp import db as database
from linkapp.core.errors import DomainError
from linkapp.services.analytics import figures as analytics
from linkapp.services.links import service as link_service
from linkapp.services.links import tags as link_tags
from linkapp.services.links.listing import DEFAULT_SORT
from linkapp.state.auth import learn_time_zone, signed_in_user_id, use_time_zone, viewer_time_zone
from linkapp.state.charts import mark_today, spark_figure
from linkapp.state.live import loading, watch

PAGE_SIZE = 10
# The tag picker's choice for "every link": no tag can be spelt "*".
ALL_TAGS = "*"
# The order a column sorts in on its first click: most clicks and newest first, titles A to Z.
FIRST_SORT = {"created": "-created", "clicks": "-clicks", "title": "title"}


def format_day(moment: datetime | None, tz: str) -> str:
    if moment is None:
        return ""
    try:
        zone = ZoneInfo(tz)
    except Exception:  # noqa: BLE001 - an odd browser zone falls back to UTC
        zone = ZoneInfo("UTC")
    return moment.astimezone(zone).strftime("%b %-d, %Y")


def link_row(link, tz: str) -> dict:
    """What one table row shows; plain data so Reflex can send it to the browser."""
    return {
        "id": link.id,
        "title": link.title,
        "url": link.url,
        "shortened_url": link.shortened_url,
        "short": link.shortened_url.split("://", 1)[-1],
        "total_clicks": link.total_clicks,
        "created": format_day(link.created_at, tz),
        "disabled": link.disabled,
        "status": link.status,
        "tags": list(link.tags),
    }


class LinksState(rx.State):
    """The signed-in user's links (a page of them), search, sorting, and the totals above the
    table; a chosen tag narrows the table and the totals alike."""

    rows: list[dict] = []
    total: int = 0
    page: int = 0
    query: str = ""
    sort: str = DEFAULT_SORT
    tag: str = ""
    tag_names: list[str] = []
    loaded: bool = False
    load_error: str = ""
    clicks_today: int = 0
    clicks_7d: int = 0
    clicks_30d: int = 0
    top_link_title: str = ""
    top_link_id: str = ""
    top_link_clicks: int = 0
    daily: list[dict] = []
    _watching: bool = False
    _loaded_version: int = 0

    @rx.var
    def page_count(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))

    @rx.var
    def page_label(self) -> str:
        if not self.total:
            return ""
        first = self.page * PAGE_SIZE + 1
        return f"{first}–{min(self.total, first + PAGE_SIZE - 1)} of {self.total}"

    @rx.var
    def spark(self) -> go.Figure:
        return spark_figure(self.daily)

    @rx.var
    def tag_choice(self) -> str:
        return self.tag or ALL_TAGS

    @rx.event
    def start(self):
        """on_load: learn the browser's time zone, then load; `/?tag=` opens on one tag's links."""
        asked = self.router.url.query_parameters.get("tag")
        if asked is not None:
            self.tag, self.page = link_tags.tag_key(asked) or "", 0
        return learn_time_zone(LinksState.set_tz_and_load)

    @rx.event
    async def set_tz_and_load(self, tz: str):
        await use_time_zone(self, tz)
        await self._reload()
        if not self._watching:
            self._watching = True
            return LinksState.watch_clicks

    async def _reload(self) -> None:
        loading(self)
        user_id = await signed_in_user_id(self)
        if user_id is None:
            return
        tz = await viewer_time_zone(self)
        try:
            days = analytics.day_range(None, None, tz)
        except DomainError:
            tz = await use_time_zone(self, "UTC")
            days = analytics.day_range(None, None, tz)
        async with database.session() as db:
            self.tag_names = [found.tag for found in await link_tags.list_tags(db=db, owner_id=user_id)]
            if self.tag not in self.tag_names:  # renamed or removed meanwhile
                self.tag = ""
            asked = dict(db=db, owner_id=user_id, limit=PAGE_SIZE, q=self.query or None, tag=self.tag or None, sort=self.sort)
            links, total = await link_service.list_links(**asked, offset=self.page * PAGE_SIZE)
            if not links and self.page > 0 and total:
                self.page = (total - 1) // PAGE_SIZE
                links, total = await link_service.list_links(**asked, offset=self.page * PAGE_SIZE)
            public = await link_service.to_public(db, links)
            summary = await analytics.summary(db=db, owner_id=user_id, days=days, tag=self.tag or None)
        self.rows = [link_row(link, tz) for link in public]
        self.total = total
        per_day = summary["clicks_per_day"]
        self.daily = mark_today(per_day, tz)
        self.clicks_today = per_day[-1]["clicks"] if per_day else 0
        self.clicks_7d = sum(day["clicks"] for day in per_day[-7:])
        self.clicks_30d = summary["total_clicks"]
        top = summary["links"][0] if summary["links"] and summary["links"][0]["total_clicks"] else None
        self.top_link_title = top["title"] if top else ""
        self.top_link_id = top["id"] if top else ""
        self.top_link_clicks = top["total_clicks"] if top else 0
        self.loaded = True

    @rx.event
    async def reload(self):
        await self._reload()

    @rx.event
    async def search(self, value: str):
        self.query = value[:200]
        self.page = 0
        await self._reload()

    @rx.event
    async def sort_by(self, column: str):
        """A column header's click: sort by it, or the other way round if it already sorts."""
        first = FIRST_SORT.get(column)
        if first is None:
            return
        self.sort = ("-" + column if self.sort == column else column) if self.sort.lstrip("-") == column else first
        self.page = 0
        await self._reload()

    async def _show_tag(self, tag: str) -> None:
        """Only the links with `tag` ("": every link), in the table and the totals."""
        self.tag, self.page = tag, 0
        await self._reload()

    @rx.event
    async def filter_tag(self, tag: str):
        await self._show_tag(tag)

    @rx.event
    async def pick_tag(self, choice: str):
        """The tag picker's choice: a tag, or every link."""
        await self._show_tag("" if choice == ALL_TAGS else choice)

    @rx.event
    async def clear_tag(self):
        await self._show_tag("")

    @rx.event
    async def next_page(self):
        if self.page + 1 < self.page_count:
            self.page += 1
            await self._reload()

    @rx.event
    async def previous_page(self):
        if self.page > 0:
            self.page -= 1
            await self._reload()

    @rx.event(background=True)
    async def watch_clicks(self):
        await watch(self, lambda path: path in ("/", ""), self._reload)

    @rx.event
    def copy(self, url: str):
        return [rx.set_clipboard(url), rx.toast.success("Short URL copied", duration=2000)]
