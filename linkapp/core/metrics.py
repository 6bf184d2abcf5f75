"""Prometheus metrics of the redirect and the click pipeline, in a registry of their own.

A dedicated registry keeps the text at /metrics to what we define (and lets tests read it).
When several workers serve one instance (with Redis), each counts in a shared directory and
/metrics adds them up (see core/workers).
"""

from __future__ import annotations

import os

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, generate_latest, multiprocess

from linkapp.core.workers import METRICS_DIR_ENV

registry = CollectorRegistry(auto_describe=True)

click_queue_depth = Gauge(
    "linkapp_click_queue_depth",
    "Clicks recorded but not yet stored: this process's queue, plus the shared stream's backlog with Redis.",
    registry=registry,
    # Workers: the latest view of a live one (with Redis, the backlog is one for all of them).
    multiprocess_mode="livemostrecent",
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
    """The metrics in Prometheus text format (every worker's, added up), and their content type."""
    if os.environ.get(METRICS_DIR_ENV):
        workers = CollectorRegistry()
        multiprocess.MultiProcessCollector(workers)
        return generate_latest(workers), CONTENT_TYPE_LATEST
    return generate_latest(registry), CONTENT_TYPE_LATEST


def process_ended() -> None:
    """A worker stopping: its gauges no longer count (its counters still do)."""
    if os.environ.get(METRICS_DIR_ENV):
        multiprocess.mark_process_dead(os.getpid())
