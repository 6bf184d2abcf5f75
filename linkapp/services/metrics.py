"""Prometheus metrics of the redirect and the click pipeline, in a registry of their own.

A dedicated registry keeps the text at /metrics to what we define (and lets tests read it);
each server process counts for itself, so scrape every worker when several run.
"""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, generate_latest

registry = CollectorRegistry(auto_describe=True)

click_queue_depth = Gauge(
    "linkapp_click_queue_depth",
    "Clicks recorded but not yet stored: this process's queue, plus the shared stream's backlog with Redis.",
    registry=registry,
)
click_queue_full = Counter(
    "linkapp_click_queue_full",
    "Times a click had to wait because the click queue was full (back-pressure, never a drop).",
    registry=registry,
)
clicks_stored = Counter("linkapp_clicks_stored", "Clicks newly written to the database.", registry=registry)
click_store_failures = Counter(
    "linkapp_click_store_failures", "Attempts to write a batch of clicks that failed (each is retried).", registry=registry
)
clicks_spooled = Counter(
    "linkapp_clicks_spooled", "Clicks written to the local spool file because the database was unreachable.", registry=registry
)
clicks_rejected = Counter(
    "linkapp_clicks_rejected", "Clicks the database refused as data (kept in SPOOL_DIR/rejected, not retried).", registry=registry
)
clicks_replayed = Counter("linkapp_clicks_replayed", "Clicks read back from the spool and stored.", registry=registry)
redirects = Counter("linkapp_redirects", "Short-link requests answered, by HTTP status.", ["status"], registry=registry)


_redirects_by_status: dict[int, object] = {}


def count_redirect(status: int) -> None:
    """Count one short-link request answered with `status` (302, 404, 410, 429...)."""
    child = _redirects_by_status.get(status)
    if child is None:  # looking the labelled child up each time cost the redirect ~10 us
        child = _redirects_by_status[status] = redirects.labels(status=str(status))
    child.inc()


def render() -> tuple[bytes, str]:
    """The registry in Prometheus text format, and its content type."""
    return generate_latest(registry), CONTENT_TYPE_LATEST
