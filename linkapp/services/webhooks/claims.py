"""The dispatcher's database work: which hooks to serve, taking due events, noting each attempt.

A dispatcher takes (claims) an event by leasing its outbox row: it writes its own name and a time
until which no other dispatcher may take the row. On PostgreSQL the rows are picked with
`FOR UPDATE SKIP LOCKED`, so dispatchers of several workers or instances taking at the same moment
each get other rows and never wait for one another; SQLite has one writer at a time, which makes
the same UPDATE just as exclusive. A dispatcher that dies holding rows loses them when the lease
ends: another takes them then (the receiver may see such an event twice: `Linkapp-Delivery`
tells it so). A claim that finds fewer due events than it wants first moves the hook's oldest
batch of waiting click events into the outbox (see `outbox.move_click_batches`).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import TextClause, bindparam, false, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from linkapp.core.times import UTCDateTime
from linkapp.models.webhook import MAX_ERROR, Webhook, WebhookAttempt, WebhookDelivery
from linkapp.services.accounts import audit
from linkapp.services.webhooks import hooks, outbox
from linkapp.services.webhooks.schedule import DISABLE_AFTER, GIVE_UP_AFTER
from linkapp.services.webhooks.sender import Outcome


@dataclass(frozen=True, slots=True)
class Hook:
    id: int
    user_id: int
    url: str
    secret: str


@dataclass(frozen=True, slots=True)
class Claimed:
    id: int
    hook_id: int
    event_id: str
    event_type: str
    payload: str
    attempts: int
    created_at: datetime


async def enabled_hooks(db: AsyncSession, hook_ids: Collection[int] | None = None) -> list[Hook]:
    """The enabled hooks (among `hook_ids`, when given), with what sending to them needs."""
    query = select(Webhook.id, Webhook.user_id, Webhook.url, Webhook.secret).where(Webhook.disabled == false())
    if hook_ids is not None:
        if not hook_ids:
            return []
        query = query.where(Webhook.id.in_(list(hook_ids)))
    return [Hook(*row) for row in (await db.execute(query.order_by(Webhook.id))).all()]


def _claim_statement(for_update: str) -> TextClause:
    # Written out once: the dispatcher runs it for every few deliveries.
    return (
        text(
            "UPDATE webhook_deliveries SET lease_until = :until, lease_owner = :owner WHERE id IN ("
            " SELECT id FROM webhook_deliveries"
            " WHERE hook_id = :hook AND status = 'pending' AND next_attempt_at <= :now AND created_at > :oldest"
            " AND (lease_until IS NULL OR lease_until < :now)"
            " AND EXISTS (SELECT 1 FROM webhooks WHERE webhooks.id = :hook AND NOT webhooks.disabled)"
            f" ORDER BY hook_id, status, id LIMIT :limit{for_update})"  # the order of the queue's index
            " RETURNING id, hook_id, event_id, event_type, payload, attempts, created_at"
        )
        .bindparams(bindparam("until", type_=UTCDateTime()), bindparam("now", type_=UTCDateTime()), bindparam("oldest", type_=UTCDateTime()))
        .columns(created_at=UTCDateTime())
    )


_CLAIM = {"postgresql": _claim_statement(" FOR UPDATE SKIP LOCKED"), "sqlite": _claim_statement("")}


async def claim(db: AsyncSession, hook_id: int, limit: int, *, owner: str, now: datetime, lease: timedelta) -> list[Claimed]:
    """Lease up to `limit` of the (enabled) hook's due events to `owner`, oldest first, and commit."""
    params = {"until": now + lease, "owner": owner, "hook": hook_id, "now": now, "oldest": now - GIVE_UP_AFTER, "limit": limit}
    rows = (await db.execute(_CLAIM[db.bind.dialect.name], params)).all()
    # Too few due in the outbox: move the hook's oldest waiting click events there, and take again.
    if len(rows) < limit and await outbox.move_click_batches(db, hook_id, now=now, oldest=params["oldest"]):
        rows += (await db.execute(_CLAIM[db.bind.dialect.name], {**params, "limit": limit - len(rows)})).all()
    await db.commit()
    return sorted((Claimed(*row) for row in rows), key=lambda row: row.id)


@dataclass(frozen=True, slots=True)
class Note:
    """An attempt's outcome on its way to the database; `retry_at` None after a failure gives the event up."""

    hook: Hook
    row: Claimed
    outcome: Outcome
    at: datetime
    retry_at: datetime | None


async def note(db: AsyncSession, notes: Sequence[Note], *, owner: str) -> list[Hook]:
    """Write a batch of attempts in one transaction: each in its hook's log, on its outbox row
    (delivered, to retry, or given up), and on the hook (last status, failing since; disabled after
    failing for DISABLE_AFTER, which its owner's audit log records). Commits.

    Returns:
        The hooks this batch disabled.
    """
    await db.execute(
        insert(WebhookAttempt.__table__),
        [
            {
                "hook_id": each.hook.id, "delivery_id": each.row.id, "event_id": each.row.event_id, "event_type": each.row.event_type,
                "attempt": each.row.attempts + 1, "status_code": each.outcome.status_code, "error": each.outcome.error,
                "at": each.at, "duration_ms": each.outcome.duration_ms,
            }
            for each in notes
        ],
    )
    table = WebhookDelivery.__table__
    # Only while the row is still ours: had the lease run out, another dispatcher owns its fate.
    ours = update(table).where(table.c.id == bindparam("row_id"), table.c.lease_owner == owner)
    released = {"attempts": bindparam("tries"), "lease_until": None, "lease_owner": None}
    kinds = (
        (lambda each: each.outcome.ok, {"status": "delivered", "finished_at": bindparam("at_")}),
        (lambda each: not each.outcome.ok and each.retry_at is None, {"status": "failed", "finished_at": bindparam("at_")}),
        (lambda each: not each.outcome.ok and each.retry_at is not None, {"next_attempt_at": bindparam("retry")}),
    )
    for belongs, changes in kinds:
        params = [{"row_id": each.row.id, "tries": each.row.attempts + 1, "at_": each.at, "retry": each.retry_at} for each in notes if belongs(each)]
        if params:
            await db.execute(ours.values(**released, **changes), params)
    by_hook: dict[int, list[Note]] = {}
    for each in notes:
        by_hook.setdefault(each.hook.id, []).append(each)
    disabled = []
    for hook_id, theirs in by_hook.items():
        if await _note_on_hook(db, hook_id, theirs):
            disabled.append(theirs[-1].hook)
    await db.commit()
    return disabled


async def _note_on_hook(db: AsyncSession, hook_id: int, theirs: list[Note]) -> bool:
    """The hook's last status and since when it fails; True when that disables it."""
    last = theirs[-1]
    since, succeeded = None, False
    for each in theirs:  # failing since the first failure after the last success
        if each.outcome.ok:
            since, succeeded = None, True
        elif since is None:
            since = each.at
    failing_since = None if last.outcome.ok else since if succeeded else func.coalesce(Webhook.failing_since, since)
    await db.execute(
        update(Webhook)
        .where(Webhook.id == hook_id)
        .values(last_status=last.outcome.status_code, last_error=last.outcome.error, last_delivery_at=last.at, failing_since=failing_since)
    )
    if last.outcome.ok:
        return False
    reason = f"Every delivery failed for {DISABLE_AFTER.days} days (last: {last.outcome.error})"[:MAX_ERROR]
    result = await db.execute(
        update(Webhook)
        .where(Webhook.id == hook_id, Webhook.disabled == false(), Webhook.failing_since <= last.at - DISABLE_AFTER)
        .values(disabled=True, disabled_reason=reason, updated_at=last.at)
    )
    if not result.rowcount:
        return False
    audit.record(db, user_id=last.hook.user_id, event="webhook_disabled", detail=hooks.described(hook_id, last.hook.url))
    return True


async def release(db: AsyncSession, owner: str) -> int:
    """Give back the rows `owner` still holds (a dispatcher stopping), so another can take them at once."""
    table = WebhookDelivery.__table__
    result = await db.execute(
        update(table).where(table.c.lease_owner == owner, table.c.status == "pending").values(lease_until=None, lease_owner=None)
    )
    await db.commit()
    return result.rowcount

