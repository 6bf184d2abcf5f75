"""Keeping stored clicks honest: rebuild rollups from raw events, re-score bots when the rules
improve, and delete raw events past the retention period (rollups stay)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from datetime import timedelta

from sqlalchemy import bindparam, delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from linkapp.core.times import utcnow
from linkapp.models.event import LinkEvent
from linkapp.models.rollup import (
    DayRollup,
    DayVisitor,
    DimensionRollup,
    QuarterHourRollup,
)
from linkapp.services.accounts import audit, sessions
from linkapp.services.clicks import store as click_store
from linkapp.services.rollups import writes as rollup_writes
from linkapp.services.visitors import bots
from linkapp.services.webhooks import retention as webhook_retention

log = logging.getLogger(__name__)
CHUNK = 5_000
# The rebuild counts events in SQL: bigger chunks, fewer statements.
REBUILD_CHUNK = 100_000
# Reasons the user agent alone cannot tell again: keep them as they were recorded.
REQUEST_REASONS = {"head", "prefetch", "burst"}
ROLLUP_MODELS = (QuarterHourRollup, DayRollup, DimensionRollup, DayVisitor)
# PostgreSQL advisory lock taken by the purge: every worker runs the daily maintenance (each must
# forget its cached salts), but the deletes need doing once.
PURGE_LOCK = 0x6C696E6B  # "link"


async def _give_old_events_visitor_ids(db: AsyncSession) -> None:
    """Clicks stored before visitor ids get one per address and agent, as their first rollups had."""
    while True:
        rows = (
            await db.execute(select(LinkEvent.id, LinkEvent.ip_address, LinkEvent.user_agent).where(LinkEvent.visitor_id.is_(None)).limit(CHUNK))
        ).all()
        if not rows:
            return
        params = [
            {"event_id": event_id, "visitor": hashlib.sha256(f"{address or ''}|{agent or ''}".encode()).hexdigest()[:32]}
            for event_id, address, agent in rows
        ]
        table = LinkEvent.__table__
        await db.execute(update(table).where(table.c.id == bindparam("event_id")).values(visitor_id=bindparam("visitor")), params)


async def rebuild_rollups(db: AsyncSession) -> int:
    """Recompute every rollup from the raw events; returns how many events were counted.

    Runs in one transaction, so dashboards see the old figures or the new ones, never half."""
    for model in ROLLUP_MODELS:
        await db.execute(delete(model))
    await _give_old_events_visitor_ids(db)
    counted, last_id = 0, 0
    top = (await db.execute(select(func.max(LinkEvent.id)))).scalar_one() or 0
    while last_id < top:
        chunk = (LinkEvent.id > last_id) & (LinkEvent.id <= last_id + REBUILD_CHUNK)
        counted += (await db.execute(select(func.count()).where(chunk))).scalar_one()
        await rollup_writes.count_events(db, chunk)
        last_id += REBUILD_CHUNK
    await db.commit()
    return counted


async def rescore_bots(db: AsyncSession) -> int:
    """Apply the current bot rules to every stored click's user agent; returns how many changed.
    The rollups are rebuilt afterwards, so every figure follows the new verdicts."""
    changed, last_id = 0, 0
    while True:
        rows = (
            await db.execute(
                select(LinkEvent.id, LinkEvent.user_agent, LinkEvent.bot_reason).where(LinkEvent.id > last_id).order_by(LinkEvent.id).limit(CHUNK)
            )
        ).all()
        if not rows:
            break
        for event_id, user_agent, old_reason in rows:
            if old_reason in REQUEST_REASONS:
                continue
            new_reason = bots.bot_reason("GET", user_agent or "")
            if old_reason == bots.AFTER_EXPIRY:  # a person's visit after the link ended stays one
                new_reason = new_reason or old_reason
            if new_reason != old_reason:
                await db.execute(update(LinkEvent).where(LinkEvent.id == event_id).values(bot_reason=new_reason, is_bot=new_reason is not None))
                changed += 1
        last_id = rows[-1][0]
    await db.commit()
    if changed:
        await rebuild_rollups(db)
    return changed


async def daily(db: AsyncSession, retention_days: int) -> None:
    """What runs once a day: old visitor salts go, expired refresh tokens, audit events past their
    keeping, and raw clicks past the retention period."""
    await click_store.forget_old_salts(db)
    await sessions.prune(db)
    await audit.prune(db)
    await webhook_retention.purge(db)  # finished webhook events and delivery logs past WEBHOOK_LOG_DAYS
    await db.commit()
    await purge_old_clicks(db, retention_days)


async def purge_old_clicks(db: AsyncSession, retention_days: int) -> int:
    """Delete raw events (and per-day visitor ids) older than `retention_days`; rollups stay.
    Returns how many events were deleted (0 when another worker holds the purge)."""
    if retention_days <= 0:
        return 0
    cutoff = utcnow() - timedelta(days=retention_days)
    if db.bind.dialect.name == "postgresql" and not await db.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": PURGE_LOCK}):
        await db.rollback()
        log.info("another worker is purging old clicks; leaving it to that one")
        return 0
    result = await db.execute(delete(LinkEvent).where(LinkEvent.clicked_at < cutoff))
    await db.execute(delete(DayVisitor).where(DayVisitor.day < cutoff.date()))
    await click_store.forget_old_salts(db)
    await db.commit()
    log.info("deleted %d clicks older than %d days", result.rowcount, retention_days)
    return result.rowcount


async def _every_day() -> None:
    from linkapp import db as database
    from linkapp.core.config import settings

    while True:
        try:
            async with database.session() as db:
                await daily(db, settings.CLICK_RETENTION_DAYS)
        except Exception:  # a database blip must not end the schedule
            log.exception("daily maintenance failed; trying again in an hour")
            await asyncio.sleep(3600)
            continue
        await asyncio.sleep(86400)


@contextlib.asynccontextmanager
async def upkeep():
    """Lifespan task: warm the user-agent parsers in a thread (so the first clicks do not pay
    for it), then run the daily maintenance for as long as the app runs."""
    from linkapp.services.clicks import enrich

    asyncio.get_running_loop().run_in_executor(None, enrich.warm_up)
    task = asyncio.create_task(_every_day(), name="linkapp-daily-maintenance")
    try:
        yield
    finally:
        task.cancel()
