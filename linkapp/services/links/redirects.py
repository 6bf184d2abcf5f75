"""Resolving a short code on the hot path: cached lookups and the max-clicks allowance."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from sqlalchemy import select

from linkapp import db as database
from linkapp.core import ids
from linkapp.core.config import settings
from linkapp.models.link import Link
from linkapp.services.links.allowance import allowance
from linkapp.services.links.urls import to_uri

NEGATIVE_TTL = 5.0
MAX_ENTRIES = 100_000


@dataclass(slots=True, frozen=True)
class Target:
    """What the redirect needs to know about a link, and nothing else."""

    link_id: int
    url: str
    status: int
    expires_at: datetime | None
    max_clicks: int | None
    disabled: bool
    fallback_url: str | None = None  # where GONE sends visitors instead of a 410


class Outcome(Enum):
    REDIRECT = "redirect"
    MISSING = "missing"  # unknown, deleted or disabled: 404
    GONE = "gone"  # expired or out of clicks: 410, or a 302 to the fallback URL


class LinkCache:
    """code -> Target (or None for unknown codes), with a TTL and invalidation by link id."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, Target | None]] = {}
        self._codes_by_link: dict[int, set[str]] = {}
        self._inflight: dict[str, asyncio.Future] = {}
        self._generation = 0

    def clear(self) -> None:
        self._entries.clear()
        self._codes_by_link.clear()
        self._inflight.clear()
        self._generation += 1

    def invalidate(self, link_id: int) -> None:
        for code in self._codes_by_link.pop(link_id, ()):
            self._entries.pop(code, None)
        # A code that did not exist a moment ago may exist now (a new slug or link).
        for code in [code for code, (_, target) in self._entries.items() if target is None]:
            del self._entries[code]
        # A load already under way may have read the old row: later requests must not join it.
        self._inflight.clear()
        self._generation += 1

    async def get(self, code: str) -> Target | None:
        entry = self._entries.get(code)
        if entry is not None and entry[0] > time.monotonic():
            return entry[1]
        pending = self._inflight.get(code)
        if pending is not None:  # many concurrent clicks on a cold code make one query
            return await asyncio.shield(pending)
        future = asyncio.get_running_loop().create_future()
        self._inflight[code] = future
        generation = self._generation
        try:
            target = await _load(code)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved: waiters, if any, re-raise it themselves
            raise
        finally:
            if self._inflight.get(code) is future:
                del self._inflight[code]
        future.set_result(target)
        if generation == self._generation:  # not invalidated while we were loading
            self._store(code, target)
        return target

    def _store(self, code: str, target: Target | None) -> None:
        if len(self._entries) >= MAX_ENTRIES:
            self.clear()
        ttl = settings.LINK_CACHE_TTL if target is not None else NEGATIVE_TTL
        self._entries[code] = (time.monotonic() + ttl, target)
        if target is not None:
            self._codes_by_link.setdefault(target.link_id, set()).add(code)


async def _load(code: str) -> Target | None:
    # Public ids exactly first, then custom slugs whatever their case.
    link_id = ids.decode_link_id(code)
    async with database.session() as db:
        link = await db.get(Link, link_id) if link_id is not None else None
        if link is None:
            link = (await db.execute(select(Link).where(Link.slug_key == code.lower()))).scalar_one_or_none()
    if link is None:
        return None
    return Target(
        link_id=link.id,
        url=to_uri(link.url),
        status=link.redirect_status or settings.REDIRECT_STATUS_CODE,
        expires_at=link.expires_at,
        max_clicks=link.max_clicks,
        disabled=link.disabled,
        fallback_url=to_uri(link.fallback_url) if link.fallback_url else None,
    )


cache = LinkCache()


def invalidate(link_id: int) -> None:
    """Call after a link changes or is deleted."""
    cache.invalidate(link_id)


async def visit(code: str, *, now: datetime, counted: bool | Callable[[], bool]) -> tuple[Outcome, Target | None]:
    """Decide what a request for `code` gets. `counted` is a human GET, which uses up the
    allowance of a link with `max_clicks`; bots and HEAD requests only look. It may be a
    function: it is then called only for links with a limit (telling bots apart costs time)."""
    target = await cache.get(code)
    if target is None or target.disabled:
        return Outcome.MISSING, target
    if target.expires_at is not None and target.expires_at <= now:
        return Outcome.GONE, target
    if target.max_clicks is not None:
        if counted if isinstance(counted, bool) else counted():
            if not await allowance.take(target.link_id, target.max_clicks):
                return Outcome.GONE, target
        elif await allowance.used(target.link_id) >= target.max_clicks:
            return Outcome.GONE, target
    return Outcome.REDIRECT, target
