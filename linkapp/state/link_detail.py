"""LinkDetailState: one link's details and charts for a chosen range, in the viewer's time zone."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import plotly.graph_objects as go
import reflex as rx

from linkapp import db as database
from linkapp.core.errors import DomainError, NotFound
from linkapp.models.link import LinkPublic
from linkapp.services.analytics import figures as analytics
from linkapp.services.links import service as link_service
from linkapp.state.auth import learn_time_zone, signed_in_user_id, use_time_zone, viewer_time_zone
from linkapp.state.charts import daily_bars, mark_today, share_donut, source_bar
from linkapp.state.links import format_day
from linkapp.state.live import loading, watch

RANGES = {"7": 7, "30": 30, "90": 90}
REDIRECT_NAMES = {301: "301 Moved Permanently", 302: "302 Found (temporary)", 307: "307 Temporary Redirect", 308: "308 Permanent Redirect"}


def _public_id_from(path: str) -> str:
    parts = [part for part in path.split("/") if part]
    return parts[1] if len(parts) >= 2 and parts[0] == "links" else ""


def _moment_label(moment: datetime, tz: str) -> str:
    return f"{format_day(moment, tz)}, {moment.astimezone(ZoneInfo(tz)).strftime('%H:%M')}"


def state_box(link: LinkPublic, tz: str) -> dict:
    """What the link page's state box shows of `link`, as text in the viewer's zone."""
    return {
        "status": link.status,
        "has_expiry": link.expires_at is not None,
        "expiry_label": _moment_label(link.expires_at, tz) if link.expires_at else "Never",
        "has_limit": link.max_clicks is not None,
        "limit_label": f"{link.clicks_used or 0:,} of {link.max_clicks:,} clicks used" if link.max_clicks is not None else "No limit",
        "redirect_label": REDIRECT_NAMES.get(link.redirect_status, str(link.redirect_status)),
        "fallback_url": link.fallback_url or "",
    }


class LinkDetailState(rx.State):
    public_id: str = ""
    not_found: bool = False
    loaded: bool = False
    title: str = ""
    url: str = ""
    shortened_url: str = ""
    created: str = ""
    all_time_clicks: int = 0
    status_note: str = ""
    status: str = "active"
    has_expiry: bool = False
    expiry_label: str = ""
    has_limit: bool = False
    limit_label: str = ""
    redirect_label: str = ""
    fallback_url: str = ""
    expired_visits: int = 0
    range_choice: str = "30"
    custom_start: str = ""
    custom_end: str = ""
    range_error: str = ""
    range_label: str = ""
    total_clicks: int = 0
    unique_visitors: int = 0
    daily: list[dict] = []
    by_source: list[dict] = []
    by_device: list[dict] = []
    by_browser: list[dict] = []
    by_os: list[dict] = []
    by_country: list[dict] = []
    by_referrer: list[dict] = []
    bots: list[dict] = []
    bot_total: int = 0
    _watching: bool = False
    _loaded_version: int = 0

    @rx.var
    def clicks_fig(self) -> go.Figure:
        return daily_bars(self.daily)

    @rx.var
    def source_fig(self) -> go.Figure:
        return source_bar(self.by_source)

    @rx.var
    def device_fig(self) -> go.Figure:
        return share_donut(self.by_device, "device")

    @rx.var
    def country_fig(self) -> go.Figure:
        return source_bar(self.by_country, "country")

    @rx.var
    def browser_fig(self) -> go.Figure:
        return source_bar(self.by_browser, "browser")

    @rx.var
    def os_fig(self) -> go.Figure:
        return source_bar(self.by_os, "os")

    @rx.var
    def referrer_fig(self) -> go.Figure:
        return source_bar(self.by_referrer, "referrer")

    @rx.var
    def clicks_per_visitor(self) -> str:
        return f"{self.total_clicks / self.unique_visitors:.1f}" if self.unique_visitors else "–"

    @rx.event
    def start(self):
        self.public_id = _public_id_from(self.router.url.path)
        self.loaded, self.not_found = False, False
        return learn_time_zone(LinkDetailState.set_tz_and_load)

    @rx.event
    async def set_tz_and_load(self, tz: str):
        await use_time_zone(self, tz)
        await self._reload()
        if not self._watching and not self.not_found:
            self._watching = True
            return LinkDetailState.watch_clicks

    def chosen_range(self, tz: str) -> tuple[date | None, date | None]:
        if self.range_choice == "custom":
            return date.fromisoformat(self.custom_start), date.fromisoformat(self.custom_end)
        today = datetime.now(ZoneInfo(tz)).date()
        return today - timedelta(days=RANGES.get(self.range_choice, 30) - 1), today

    async def _reload(self) -> None:
        loading(self)
        user_id = await signed_in_user_id(self)
        if user_id is None or not self.public_id:
            self.not_found = not self.public_id
            return
        tz = await viewer_time_zone(self)
        try:
            start, end = self.chosen_range(tz)
            days = analytics.day_range(start, end, tz)
        except (ValueError, DomainError) as error:
            self.range_error = getattr(error, "detail", "Pick a start and an end day.")
            return
        try:
            async with database.session() as db:
                public = await link_service.get_public_link(db=db, owner_id=user_id, public_id=self.public_id)
                figures = await analytics.link_analytics(db=db, owner_id=user_id, public_id=self.public_id, days=days)
        except NotFound:
            self.not_found, self.loaded = True, True
            return
        self.range_error = ""
        self.title, self.url, self.shortened_url = public.title, public.url, public.shortened_url
        self.created = format_day(public.created_at, tz)
        self.all_time_clicks = public.total_clicks
        self.status_note = "Disabled" if public.disabled else ""
        for name, value in state_box(public, tz).items():
            setattr(self, name, value)
        self.expired_visits = figures["expired_visits"]
        self.total_clicks = figures["total_clicks"]
        self.unique_visitors = figures["unique_visitors"]
        self.daily = mark_today(figures["clicks_per_day"], tz)
        self.by_source = figures["clicks_by_source"]
        self.by_device = figures["clicks_by_device"]
        self.by_browser = figures["clicks_by_browser"]
        self.by_os = figures["clicks_by_os"]
        self.by_country = figures["clicks_by_country"]
        self.by_referrer = figures["clicks_by_referrer"]
        self.bots = figures["bots"]
        self.bot_total = sum(row["clicks"] for row in figures["bots"])
        first, last = (format_day(datetime.combine(day, datetime.min.time(), days.tz), tz) for day in (days.start, days.end))
        self.range_label = f"{first} – {last} · {tz}"
        self.loaded = True

    @rx.event
    async def set_range(self, choice: str | list[str]):
        self.range_choice = choice if isinstance(choice, str) else (choice[0] if choice else "30")
        if choice == "custom":
            if not self.custom_start:
                today = datetime.now(ZoneInfo(await viewer_time_zone(self))).date()
                self.custom_start, self.custom_end = (today - timedelta(days=13)).isoformat(), today.isoformat()
        await self._reload()

    @rx.event
    def set_custom_start(self, value: str):
        self.custom_start = value

    @rx.event
    def set_custom_end(self, value: str):
        self.custom_end = value

    @rx.event
    async def apply_custom(self):
        self.range_choice = "custom"
        await self._reload()

    @rx.event
    async def set_tz(self, tz: str):
        """The time zone picked on the page: the viewer's zone until a page asks the browser again."""
        await use_time_zone(self, tz)
        await self._reload()

    @rx.event(background=True)
    async def watch_clicks(self):
        async with self:
            public_id = self.public_id
        await watch(self, lambda path: _public_id_from(path) == public_id, self._reload)

    @rx.event
    def copy(self):
        return [rx.set_clipboard(self.shortened_url), rx.toast.success("Short URL copied", duration=2000)]
