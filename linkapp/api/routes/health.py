"""/healthz: is the database answering?"""

from __future__ import annotations

import logging

from fastapi import APIRouter
from sqlalchemy import text

from linkapp import db as database
from linkapp.api.errors import problem

router = APIRouter(tags=["operations"])
log = logging.getLogger(__name__)


@router.get("/healthz")
async def healthz():
    try:
        async with database.session() as db:
            await db.execute(text("SELECT 1"))
    except Exception as exc:  # any failure to reach the database means unhealthy
        log.warning("health check failed: %s", exc.__class__.__name__)
        return problem(503, "The database is not answering.")
    return {"status": "ok"}
