"""/api/v1/analytics: click figures per link and over all of a user's links."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Query

from linkapp.api.deps import CurrentUser, Db
from linkapp.services import analytics

router = APIRouter(prefix="/analytics", tags=["analytics"])

START = Query(None, description="First day (YYYY-MM-DD), inclusive; default 29 days before end")
END = Query(None, description="Last day (YYYY-MM-DD), inclusive; default today in tz")
TZ = Query("UTC", max_length=64, description="IANA time zone deciding which day a click falls on")


@router.get("/links/{link_id}")
async def link_analytics(link_id: str, user: CurrentUser, db: Db, start: date | None = START, end: date | None = END, tz: str = TZ) -> dict:
    days = analytics.day_range(start, end, tz)
    return await analytics.link_analytics(db=db, owner_id=user.id, public_id=link_id, days=days)


@router.get("")
async def summary(user: CurrentUser, db: Db, start: date | None = START, end: date | None = END, tz: str = TZ) -> dict:
    days = analytics.day_range(start, end, tz)
    return await analytics.summary(db=db, owner_id=user.id, days=days)
