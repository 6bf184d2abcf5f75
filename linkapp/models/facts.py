"""The shape of the facts an AI insight is grounded in (`services/analytics/facts.py` makes them).

Some parts exist only when they mean something: `link` for one link, `links` for all of them,
`trend` when a previous period exists, `peaks` when there were clicks, `clicks_per_day` up to
92 days, a `top_<breakdown>` when it has rows. The API leaves out what is absent (no nulls).
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydanticField
from pydantic.json_schema import SkipJsonSchema

from linkapp.models.analytics import DayClicks

# A part that is left out when it means nothing (never sent as null): the OpenAPI document shows
# its own type, not required, rather than "or null".
Absent = SkipJsonSchema[None]


def _no_null_defaults(schema: dict) -> None:
    for field in schema.get("properties", {}).values():
        if "default" in field and field["default"] is None:
            del field["default"]


class FactsLink(BaseModel):
    id: str
    title: str
    url: str


class Period(BaseModel):
    start: date
    end: date
    tz: str
    days: int


class Totals(BaseModel):
    clicks: int
    unique_visitors: int
    average_per_day: float


class Trend(BaseModel):
    """The range against the period of the same length just before it."""

    previous_start: date
    previous_end: date
    previous_clicks: int
    change: int
    change_pct: float | None = PydanticField(description="null when the previous period had no clicks")
    direction: Literal["up", "down", "flat"]


class RankedLink(BaseModel):
    id: str
    title: str
    url: str | None
    clicks: int


class RankedLinks(BaseModel):
    count: int
    with_clicks: int
    best: list[RankedLink] = PydanticField(description="Most clicks (at least one), up to 3")
    worst: list[RankedLink] = PydanticField(description="Fewest clicks, up to 3, none of the best")


class SourceShare(BaseModel):
    source: str
    clicks: int
    share_pct: float


class DeviceShare(BaseModel):
    device: str
    clicks: int
    share_pct: float


class BrowserShare(BaseModel):
    browser: str
    clicks: int
    share_pct: float


class OsShare(BaseModel):
    os: str
    clicks: int
    share_pct: float


class CountryShare(BaseModel):
    country: str
    clicks: int
    share_pct: float


class ReferrerShare(BaseModel):
    referrer: str
    clicks: int
    share_pct: float


class WeekdayClicks(BaseModel):
    weekday: str
    clicks: int


class HourClicks(BaseModel):
    hour: int
    clicks: int


class Peaks(BaseModel):
    """The busiest day, weekday and hour (the earliest wins a tie)."""

    day: DayClicks
    weekday: WeekdayClicks
    hour: HourClicks


class Anomaly(BaseModel):
    day: date
    clicks: int
    median: float
    kind: Literal["spike", "drop"]


class Facts(BaseModel):
    model_config = ConfigDict(json_schema_extra=_no_null_defaults)

    scope: Literal["link", "all_links"]
    link: FactsLink | Absent = None
    period: Period
    totals: Totals
    trend: Trend | Absent = None
    links: RankedLinks | Absent = None
    top_sources: list[SourceShare]
    top_devices: list[DeviceShare] | Absent = None
    top_browsers: list[BrowserShare] | Absent = None
    top_os: list[OsShare] | Absent = None
    top_countries: list[CountryShare] | Absent = None
    top_referrers: list[ReferrerShare] | Absent = None
    peaks: Peaks | Absent = None
    clicks_by_weekday: dict[str, int] = PydanticField(description="Monday to Sunday")
    clicks_by_hour: list[int] = PydanticField(description="24 counts: clicks_by_hour[i] is local hour i")
    clicks_per_day: list[DayClicks] | Absent = None
    anomalies: list[Anomaly]
