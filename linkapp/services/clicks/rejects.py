"""Clicks the database refuses outright (not for being down): found, set aside, never retried.

Retrying such a click cannot help, and it would hold up every click queued after it. The batch
is halved until the refused clicks are alone; the rest is stored, and those are written to
SPOOL_DIR/rejected/ (not replayed; kept for a person to look at) and counted in a metric.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import psycopg.errors
from sqlalchemy import exc as sa_exc

from linkapp.core import metrics
from linkapp.models.click import Click
from linkapp.services.clicks import spool

log = logging.getLogger(__name__)
REJECTED_DIR = "rejected"


class RefusedElsewhere(Exception):
    """The database refused a batch's data in the writer's process (store_process.StoreRefused)."""


def refused(exc: BaseException) -> bool:
    """True when the database refused the data itself (a bad value, a broken constraint), here or
    in the writer's process."""
    original = getattr(exc, "orig", None) or exc
    return isinstance(original, (psycopg.errors.DataError, psycopg.errors.IntegrityError, RefusedElsewhere)) or isinstance(
        exc, (sa_exc.DataError, sa_exc.IntegrityError)
    )


async def store_around(batch: list[Click], store: Callable[[list[Click]], Awaitable[int]], error: BaseException) -> int:
    """Store what `store` accepts of a batch it refused as a whole; set the rest aside.

    Returns how many clicks were newly stored. Any other failure (the database going away)
    is raised, and the caller retries the whole batch: stored clicks are skipped by click id.
    """
    if len(batch) == 1:
        await set_aside(batch, error)
        return 0
    stored = 0
    middle = len(batch) // 2
    for half in (batch[:middle], batch[middle:]):
        try:
            stored += await store(half)
        except Exception as exc:  # noqa: BLE001 - sorted below
            if not refused(exc):
                raise
            stored += await store_around(half, store, exc)
    return stored


async def set_aside(clicks: list[Click], error: BaseException) -> None:
    metrics.clicks_rejected.inc(len(clicks))
    reason = str(getattr(error, "orig", None) or error).splitlines()[0][:300]
    try:
        path = await spool.write(clicks, spool.spool_dir() / REJECTED_DIR)
    except OSError:
        spool.log_lost(clicks, when=f"refused by the database ({reason})")
        return
    log.error("the database refused %d clicks (%s); kept in %s", len(clicks), reason, path)
