"""/api/v1/ai: answers about a user's figures (Gemini), and the figures alone without AI."""

from __future__ import annotations

from datetime import date, datetime

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from linkapp.api.deps import CurrentUser, Db
from linkapp.models.facts import Facts
from linkapp.models.text import SafeText
from linkapp.services.analytics import facts as insight_facts
from linkapp.services.analytics import insights

router = APIRouter(prefix="/ai", tags=["ai"])

PROBLEM = {"content": {"application/problem+json": {}}}


class InsightRequest(BaseModel):
    prompt: SafeText = Field(min_length=1, max_length=2000)
    link_id: SafeText | None = None
    start: date | None = None
    end: date | None = None
    tz: SafeText | None = Field(default=None, max_length=64)


class InsightPublic(BaseModel):
    insight: insights.Insight
    model: str
    generated_at: datetime
    facts: Facts
    cached: bool = Field(description="True when this answer came from the cache of recent answers")


class FactsPublic(BaseModel):
    facts: Facts


@router.post(
    "/insights",
    response_model=InsightPublic,
    # Parts of the facts that mean nothing for the range are left out, not sent as null.
    response_model_exclude_unset=True,
    responses={
        429: {"description": "Too many AI requests (RATE_LIMIT_AI)", **PROBLEM},
        502: {"description": "The AI provider failed or answered something unreadable", **PROBLEM},
        503: {"description": "No AI configured, or the provider is rate limiting this server", **PROBLEM},
        504: {"description": "The AI provider did not answer in time", **PROBLEM},
    },
)
async def create_insight(body: InsightRequest, user: CurrentUser, db: Db) -> dict:
    """Answer a question about the user's clicks, grounded in the facts returned beside it."""
    return await insights.generate_insight(
        db=db, owner_id=user.id, prompt=body.prompt, link_id=body.link_id, start=body.start, end=body.end, tz=body.tz
    )


@router.get("/facts", response_model=FactsPublic, response_model_exclude_unset=True)
async def facts(
    user: CurrentUser,
    db: Db,
    link_id: str | None = Query(None, description="Public id of one link; all the user's links when absent"),
    start: date | None = Query(None, description="First day (YYYY-MM-DD), inclusive; default 29 days before end"),
    end: date | None = Query(None, description="Last day (YYYY-MM-DD), inclusive; default today in tz"),
    tz: str = Query("UTC", max_length=64, description="IANA time zone deciding which day and hour a click falls on"),
) -> dict:
    """The computed facts alone, no AI involved (works without GEMINI_API_KEY)."""
    return {"facts": await insight_facts.compute_facts(db=db, owner_id=user.id, link_id=link_id, start=start, end=end, tz=tz)}
