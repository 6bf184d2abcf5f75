"""The shapes the API answers with for click figures (`services/analytics/figures.py` makes them).

A breakdown row is named by its dimension (`{"source": "newsletter", "clicks": 3}`), so each
dimension has its own small row type; rows come most clicks first, ties by name.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel
from pydantic import Field as PydanticField


class DayClicks(BaseModel):
    day: date
    clicks: int


class SourceClicks(BaseModel):
    source: str = PydanticField(description="The click's `utm_source` (`qr` for QR scans), else the referring site by name, else `direct`")
    clicks: int


class DeviceClicks(BaseModel):
    device: str = PydanticField(description="desktop, mobile, tablet, bot, other, or unknown")
    clicks: int


class BrowserClicks(BaseModel):
    browser: str
    clicks: int


class OsClicks(BaseModel):
    os: str
    clicks: int


class CountryClicks(BaseModel):
    country: str = PydanticField(description="ISO 3166-1 alpha-2 code, or unknown")
    clicks: int


class ReferrerClicks(BaseModel):
    referrer: str = PydanticField(description="The referring page's host, or direct")
    clicks: int


class BotClicks(BaseModel):
    reason: str = PydanticField(description="Why the request was taken for a bot's (crawler, preview, prefetch, burst…)")
    clicks: int


class Figures(BaseModel):
    """Clicks over a range of days, each day in the viewer's time zone."""

    total_clicks: int = PydanticField(description="People's clicks in the range (bots only with include_bots)")
    unique_visitors: int = PydanticField(description="Distinct visitors in the range, each counted once")
    clicks_per_day: list[DayClicks] = PydanticField(description="Every day of the range, oldest first, zeros included")
    clicks_by_source: list[SourceClicks]
    clicks_by_device: list[DeviceClicks]
    clicks_by_browser: list[BrowserClicks]
    clicks_by_os: list[OsClicks]
    clicks_by_country: list[CountryClicks]
    clicks_by_referrer: list[ReferrerClicks]
    expired_visits: int = PydanticField(description="Visits after expiry or the click limit, sent to the fallback URL; not in total_clicks")
    bots: list[BotClicks] = PydanticField(description="Bot requests by reason; never in total_clicks unless include_bots")
    start: date
    end: date
    tz: str
    include_bots: bool


class LinkAnalyticsPublic(Figures):
    id: str
    title: str
    url: str
    shortened_url: str


class LinkClicks(BaseModel):
    id: str
    title: str
    total_clicks: int = PydanticField(description="The link's clicks in the range")


class AnalyticsSummaryPublic(Figures):
    tag: str | None = PydanticField(description="The tag asked for (`?tag=`), as stored; null for all links")
    links: list[LinkClicks] = PydanticField(description="Each link counted, most clicks first")
