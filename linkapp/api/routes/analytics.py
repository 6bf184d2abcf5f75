"""/api/v1/analytics: click figures per link and over all of a user's links."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Query
from fastapi.responses import Response, StreamingResponse

from linkapp.api.deps import CurrentUser, Db
from linkapp.models.analytics import AnalyticsSummaryPublic, LinkAnalyticsPublic
from linkapp.services.analytics import exports
from linkapp.services.analytics import figures as analytics

router = APIRouter(prefix="/analytics", tags=["analytics"])

START = Query(None, description="First day (YYYY-MM-DD), inclusive; default 29 days before end")
END = Query(None, description="Last day (YYYY-MM-DD), inclusive; default today in tz")
TZ = Query("UTC", max_length=64, description="IANA time zone deciding which day a click falls on")
BOTS = Query(False, description="Count bot clicks too (they are always listed under `bots`)")
TAG = Query(None, max_length=32, description="Only the links with this tag: their clicks added up, each visitor counted once")
CSV = "text/csv; charset=utf-8"


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "private, no-store"}


@router.get("/links/{link_id}", response_model=LinkAnalyticsPublic)
async def link_analytics(
    link_id: str, user: CurrentUser, db: Db, start: date | None = START, end: date | None = END, tz: str = TZ, include_bots: bool = BOTS
) -> dict:
    days = analytics.day_range(start, end, tz)
    return await analytics.link_analytics(db=db, owner_id=user.id, public_id=link_id, days=days, include_bots=include_bots)


@router.get("/links/{link_id}/clicks.csv", response_class=StreamingResponse, responses={200: {"content": {"text/csv": {}}}})
async def link_clicks_csv(link_id: str, user: CurrentUser, start: date | None = START, end: date | None = END, tz: str = TZ) -> StreamingResponse:
    """The link's raw clicks in the range as CSV, streamed; bots included with their reason."""
    days = analytics.day_range(start, end, tz)
    rows = await exports.link_clicks_csv(owner_id=user.id, public_id=link_id, days=days)
    return StreamingResponse(rows, media_type=CSV, headers=_attachment(f"clicks-{link_id}-{days.start}-{days.end}.csv"))


@router.get("/summary.csv", response_class=Response, responses={200: {"content": {"text/csv": {}}}})
async def summary_csv(user: CurrentUser, start: date | None = START, end: date | None = END, tz: str = TZ) -> Response:
    """Each of the user's links with its clicks in the range, as CSV."""
    days = analytics.day_range(start, end, tz)
    body = await exports.summary_csv(owner_id=user.id, days=days)
    return Response(body, media_type=CSV, headers=_attachment(f"links-{days.start}-{days.end}.csv"))


@router.get("", response_model=AnalyticsSummaryPublic)
async def summary(
    user: CurrentUser,
    db: Db,
    start: date | None = START,
    end: date | None = END,
    tz: str = TZ,
    include_bots: bool = BOTS,
    tag: str | None = TAG,
) -> dict:
    days = analytics.day_range(start, end, tz)
    return await analytics.summary(db=db, owner_id=user.id, days=days, include_bots=include_bots, tag=tag)
