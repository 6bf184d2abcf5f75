"""The daily purge: the outbox and the delivery log keep WEBHOOK_LOG_DAYS of finished work.

Events still pending past the retry window are given up first (a hook disabled for days holds
its events until then). Rows of hooks that are gone (an account closed: its hooks go by cascade,
the outbox has no foreign key) go too, and so do click events still waiting in
`webhook_click_batches` past the retry window.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from linkapp.core.config import settings
from linkapp.core.times import utcnow
from linkapp.models.webhook import Webhook, WebhookAttempt, WebhookClickBatch, WebhookDelivery
from linkapp.services.webhooks.schedule import GIVE_UP_AFTER


async def purge(db: AsyncSession, *, now: datetime | None = None, days: int | None = None) -> int:
    """Give up stale events, delete finished ones and attempts older than `days` (WEBHOOK_LOG_DAYS); the caller commits.

    Returns:
        How many outbox rows and attempts were deleted.
    """
    now = now or utcnow()
    cutoff = now - timedelta(days=settings.WEBHOOK_LOG_DAYS if days is None else days)
    table = WebhookDelivery.__table__
    stale = (table.c.status == "pending") & (table.c.created_at <= now - GIVE_UP_AFTER)
    await db.execute(update(table).where(stale).values(status="failed", finished_at=now, lease_owner=None, lease_until=None))
    deleted = (await db.execute(delete(table).where(table.c.status.in_(("delivered", "failed")), table.c.finished_at < cutoff))).rowcount
    orphaned = ~exists(select(Webhook.id).where(Webhook.id == table.c.hook_id))
    deleted += (await db.execute(delete(table).where(orphaned))).rowcount
    batches = WebhookClickBatch.__table__
    # Click events still waiting past the retry window are given up with the rest.
    gone = ~exists(select(Webhook.id).where(Webhook.id == batches.c.hook_id))
    deleted += (await db.execute(delete(batches).where((batches.c.created_at <= now - GIVE_UP_AFTER) | gone))).rowcount
    deleted += (await db.execute(delete(WebhookAttempt).where(WebhookAttempt.at < cutoff))).rowcount
    return deleted
