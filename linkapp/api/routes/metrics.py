"""/metrics: Prometheus text format, for scrapers."""

from __future__ import annotations

from fastapi import APIRouter, Response

from linkapp.services import metrics

router = APIRouter(tags=["operations"])


@router.get("/metrics", include_in_schema=False)
async def prometheus_metrics() -> Response:
    """The app's metrics in Prometheus text format."""
    body, content_type = metrics.render()
    return Response(body, media_type=content_type)
