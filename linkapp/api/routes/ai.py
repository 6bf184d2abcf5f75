"""/api/v1/ai/insights: answers about a user's figures."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter
from pydantic import BaseModel, Field

from linkapp.api.deps import CurrentUser, Db
from linkapp.services import insights

router = APIRouter(prefix="/ai", tags=["ai"])


class InsightRequest(BaseModel):
    prompt: str = Field(min_length=1, max_length=2000)
    link_id: str | None = None
    start: date | None = None
    end: date | None = None
    tz: str | None = Field(default=None, max_length=64)


@router.post("/insights")
async def create_insight(body: InsightRequest, user: CurrentUser, db: Db) -> dict:
    return await insights.generate_insight(
        db=db, owner_id=user.id, prompt=body.prompt, link_id=body.link_id, start=body.start, end=body.end, tz=body.tz
    )
