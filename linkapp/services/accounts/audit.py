"""The audit log: what happened to an account's security, for its owner to read.

`record` adds an event to the caller's session without committing, so the event lands in the
same transaction as what it reports (a rolled-back sign-in leaves no "signed in"). Addresses are
stored only as `net.ip_prefix` gives them, whatever ANONYMIZE_IP says: the log is there to let a
person recognize their own devices, and a /24 or /48 is enough for that.

Growth is bounded by `prune` (old events, and all but each account's newest ones), meant for the
daily upkeep: outsiders can add `sign_in_failed` events to any account, up to its sign-in limit.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from linkapp.core import ids, net
from linkapp.core.times import utcnow
from linkapp.models.audit import MAX_DETAIL, AuditEvent

EVENTS: tuple[str, ...] = (
    "registered",
    "signed_in",
    "sign_in_failed",
    "refresh_reused",
    "signed_out",
    "password_changed",
    "api_key_created",
    "api_key_revoked",
    "session_revoked",
    "link_deleted",
    "webhook_created",
    "webhook_deleted",
    "webhook_disabled",
)
RETENTION = timedelta(days=365)
KEEP_PER_USER = 1000
NEWEST_FIRST = (AuditEvent.at.desc(), AuditEvent.id.desc())


def record(db: AsyncSession, *, user_id: int, event: str, ip: str | None = None, detail: str = "") -> None:
    """Adds the event to `db` (no commit: it lands with the caller's own commit, atomically).

    Args:
        db: The session whose commit also writes what the event reports.
        user_id: The account the event concerns.
        event: One of `EVENTS`.
        ip: The client's address as `net.client_ip` gives it; only its prefix is stored.
        detail: What the event was about (a key's name, a link's id), cut to the column's width.

    Raises:
        ValueError: `event` is not one of `EVENTS` (a mistake in the caller, not the user's).
    """
    if event not in EVENTS:
        raise ValueError(f"unknown audit event {event!r}")
    db.add(AuditEvent(user_id=user_id, event=event, ip_prefix=net.ip_prefix(ip), detail=detail[:MAX_DETAIL]))


async def page(db: AsyncSession, *, user_id: int, limit: int, offset: int) -> tuple[list[AuditEvent], int]:
    """A page of the user's events, newest first, and how many there are in all."""
    total = (await db.execute(select(func.count()).select_from(AuditEvent).where(AuditEvent.user_id == user_id))).scalar_one()
    rows = await db.execute(
        select(AuditEvent).where(AuditEvent.user_id == user_id).order_by(*NEWEST_FIRST).limit(limit).offset(offset)
    )
    return list(rows.scalars()), total


def public(event: AuditEvent) -> dict:
    """The event as the API and the UI show it: `{id, at, event, ip_prefix, detail}`."""
    return {"id": ids.encode_audit_id(event.id), "at": event.at, "event": event.event, "ip_prefix": event.ip_prefix, "detail": event.detail}


async def prune(db: AsyncSession, *, now: datetime | None = None, keep: int = KEEP_PER_USER) -> int:
    """Forget events older than `RETENTION`, and all but each user's newest `keep`; the caller commits.

    Returns:
        How many events were deleted.
    """
    deleted = (await db.execute(delete(AuditEvent).where(AuditEvent.at < (now or utcnow()) - RETENTION))).rowcount
    crowded = await db.execute(select(AuditEvent.user_id).group_by(AuditEvent.user_id).having(func.count() > keep))
    for user_id in crowded.scalars().all():
        theirs = AuditEvent.user_id == user_id
        # The oldest event still kept: everything of theirs before it goes.
        edge = (await db.execute(select(AuditEvent.at, AuditEvent.id).where(theirs).order_by(*NEWEST_FIRST).offset(keep - 1).limit(1))).one()
        older = or_(AuditEvent.at < edge.at, and_(AuditEvent.at == edge.at, AuditEvent.id < edge.id))
        deleted += (await db.execute(delete(AuditEvent).where(theirs, older))).rowcount
    return deleted
