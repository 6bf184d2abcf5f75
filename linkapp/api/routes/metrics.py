"""/metrics: Prometheus text format, for scrapers (with METRICS_TOKEN set, only those holding it)."""

from __future__ import annotations

import asyncio
import hmac

from fastapi import APIRouter, Request, Response

from linkapp.core import metrics
from linkapp.core.config import settings
from linkapp.core.errors import Forbidden, NotAuthenticated

router = APIRouter(tags=["operations"])


@router.get("/metrics", include_in_schema=False)
async def prometheus_metrics(request: Request) -> Response:
    """The app's metrics in Prometheus text format."""
    if settings.METRICS_TOKEN:
        given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), settings.METRICS_TOKEN.encode()):
            raise NotAuthenticated("Metrics need the METRICS_TOKEN as a Bearer token.")
    elif settings.ENV == "production":
        # 403, not 401: no credential can help until the operator sets one; not 404, since the
        # route exists and the answer should say what to change.
        raise Forbidden("Metrics are not public in production: set METRICS_TOKEN and scrape with it as a Bearer token.")
    # With several workers this reads each worker's files: off the event loop.
    body, content_type = await asyncio.to_thread(metrics.render)
    return Response(body, media_type=content_type)
