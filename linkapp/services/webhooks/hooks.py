"""A user's hooks: made (the secret shown once), listed, changed, deleted, tested, and their delivery log.

The REST routes and the UI's state call these same functions; another user's hook is as unknown as
a missing one. Making and deleting a hook is noted in its owner's audit log, naming the hook by its
id and host only: a receiver's path often holds a token of its own (Slack, Zapier).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from urllib.parse import urlsplit

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from linkapp.core import ids
from linkapp.core.errors import Conflict, NotFound, ValidationFailed
from linkapp.core.times import utcnow
from linkapp.models.text import text_problem
from linkapp.models.webhook import (
    MAX_DESCRIPTION,
    DeliveryPublic,
    EventQueued,
    Webhook,
    WebhookAttempt,
    WebhookClickBatch,
    WebhookCreated,
    WebhookDelivery,
    WebhookPublic,
    WebhookUpdate,
)
from linkapp.services.accounts import audit
from linkapp.services.webhooks import events, guard, outbox

SECRET_PREFIX = "whsec_"
MAX_HOOKS = 20  # per user: each click of theirs may be owed to every hook
NOT_FOUND = "No webhook with that id."


def described(hook_id: int, url: str) -> str:
    """How the audit log names a hook: its id and host, never its path (which may hold a token)."""
    return f"{ids.encode_webhook_id(hook_id)} ({urlsplit(url).hostname or '?'})"


def event_names(hook: Webhook) -> list[str]:
    return hook.events.split(",") if hook.events else []


def to_public(hook: Webhook) -> WebhookPublic:
    """The hook as the API and the UI show it (never its secret)."""
    return WebhookPublic(
        id=ids.encode_webhook_id(hook.id),
        url=hook.url,
        events=event_names(hook),
        description=hook.description,
        disabled=hook.disabled,
        disabled_reason=hook.disabled_reason,
        created_at=hook.created_at,
        updated_at=hook.updated_at,
        last_status=hook.last_status,
        last_error=hook.last_error,
        last_delivery_at=hook.last_delivery_at,
        failing_since=hook.failing_since,
    )


def _check_events(names: Sequence[str] | None) -> str:
    chosen = sorted({(name or "").strip() for name in names or []})
    unknown = [name for name in chosen if name not in events.EVENTS]
    if unknown or not chosen:
        raise ValidationFailed(f"Choose one or more of: {', '.join(events.EVENTS)}.", field="events")
    return ",".join(chosen)


def _check_description(description: str | None) -> str:
    description = " ".join((description or "").split())
    problem = text_problem(description, name="The description")
    if problem:
        raise ValidationFailed(problem, field="description")
    if len(description) > MAX_DESCRIPTION:
        raise ValidationFailed(f"A description is at most {MAX_DESCRIPTION} characters.", field="description")
    return description


async def _check_url(url: str | None) -> str:
    url = (url or "").strip()
    problem = text_problem(url, name="The URL")  # the UI calls here without the API's request model
    if problem:
        raise ValidationFailed(problem, field="url")
    try:
        await guard.check(url)
    except guard.Refused as exc:
        raise ValidationFailed(str(exc), field="url") from exc
    return url


def _changed() -> None:
    # The dispatchers of this process read the hooks again (the click writer reads them every batch).
    outbox.bell.ring(None)


async def create_hook(
    *, db: AsyncSession, user_id: int, url: str, events: Sequence[str], description: str = "", ip: str | None = None
) -> WebhookCreated:
    """A new hook for the user (noted in their audit log from `ip`); the returned `secret` is the only time it is shown.

    Raises:
        ValidationFailed: a URL that is not http(s) to a public address (unless WEBHOOK_ALLOW_PRIVATE),
            no or unknown events, a description too long, or MAX_HOOKS reached.
    """
    names = _check_events(events)
    description = _check_description(description)
    url = await _check_url(url)
    count = (await db.execute(select(func.count()).select_from(Webhook).where(Webhook.user_id == user_id))).scalar_one()
    if count >= MAX_HOOKS:
        raise ValidationFailed(f"An account has at most {MAX_HOOKS} webhooks; delete one first.", field="url")
    hook = Webhook(user_id=user_id, url=url, events=names, description=description, secret=SECRET_PREFIX + secrets.token_urlsafe(32))
    db.add(hook)
    await db.flush()
    audit.record(db, user_id=user_id, event="webhook_created", ip=ip, detail=described(hook.id, url))
    await db.commit()
    _changed()
    return WebhookCreated(**to_public(hook).model_dump(), secret=hook.secret)


async def list_hooks(*, db: AsyncSession, user_id: int, limit: int, offset: int) -> tuple[list[Webhook], int]:
    """A page of the user's hooks, newest first, and how many there are."""
    total = (await db.execute(select(func.count()).select_from(Webhook).where(Webhook.user_id == user_id))).scalar_one()
    newest_first = (Webhook.created_at.desc(), Webhook.id.desc())
    rows = await db.execute(select(Webhook).where(Webhook.user_id == user_id).order_by(*newest_first).limit(limit).offset(offset))
    return list(rows.scalars()), total


async def get_hook(*, db: AsyncSession, user_id: int, public_id: str) -> Webhook:
    """The user's hook by public id; NotFound for another user's as for a missing one."""
    hook_id = ids.decode_webhook_id(public_id)
    hook = await db.get(Webhook, hook_id) if hook_id is not None else None
    if hook is None or hook.user_id != user_id:
        raise NotFound(NOT_FOUND)
    return hook


async def update_hook(*, db: AsyncSession, user_id: int, public_id: str, hook_in: WebhookUpdate) -> Webhook:
    """Change the fields sent in `hook_in`. Enabling a hook again gives it a fresh start (no longer failing)."""
    hook = await get_hook(db=db, user_id=user_id, public_id=public_id)
    sent = hook_in.model_fields_set
    for required in ("url", "events", "disabled"):
        if required in sent and getattr(hook_in, required) is None:
            raise ValidationFailed(f"{required} cannot be null.", field=required)
    if "events" in sent:
        hook.events = _check_events(hook_in.events)
    if "description" in sent:
        hook.description = _check_description(hook_in.description)
    if "url" in sent:
        hook.url = await _check_url(hook_in.url)
    if "disabled" in sent and bool(hook_in.disabled) != hook.disabled:
        hook.disabled = bool(hook_in.disabled)
        hook.disabled_reason = None
        if not hook.disabled:
            hook.failing_since = None
    hook.updated_at = utcnow()
    await db.commit()
    _changed()
    return hook


async def delete_hook(*, db: AsyncSession, user_id: int, public_id: str, ip: str | None = None) -> None:
    """Delete the user's hook with the events it was still owed and its log (noted in their audit log from `ip`)."""
    hook = await get_hook(db=db, user_id=user_id, public_id=public_id)
    await db.execute(delete(WebhookDelivery).where(WebhookDelivery.hook_id == hook.id))
    await db.execute(delete(WebhookClickBatch).where(WebhookClickBatch.hook_id == hook.id))
    await db.delete(hook)  # its attempts go with it (ON DELETE CASCADE)
    audit.record(db, user_id=user_id, event="webhook_deleted", ip=ip, detail=described(hook.id, hook.url))
    await db.commit()
    _changed()


async def send_test(*, db: AsyncSession, user_id: int, public_id: str) -> EventQueued:
    """Owe the hook a `ping` event, whatever events it wants; Conflict while it is disabled."""
    hook = await get_hook(db=db, user_id=user_id, public_id=public_id)
    if hook.disabled:
        raise Conflict("The webhook is disabled: enable it to send it a test event.")
    event_id = outbox.add(db, [hook.id], events.PING, {"webhook_id": ids.encode_webhook_id(hook.id)})
    await db.commit()
    return EventQueued(id=event_id, type=events.PING)


def attempt_public(attempt: WebhookAttempt) -> DeliveryPublic:
    return DeliveryPublic(
        id=ids.encode_delivery_id(attempt.id),
        event=attempt.event_type,
        event_id=attempt.event_id,
        attempt=attempt.attempt,
        status_code=attempt.status_code,
        error=attempt.error,
        at=attempt.at,
        duration_ms=attempt.duration_ms,
    )


async def list_deliveries(*, db: AsyncSession, user_id: int, public_id: str, limit: int, offset: int) -> tuple[list[DeliveryPublic], int]:
    """A page of the hook's delivery attempts, newest first, and how many are kept (WEBHOOK_LOG_DAYS)."""
    hook = await get_hook(db=db, user_id=user_id, public_id=public_id)
    theirs = WebhookAttempt.hook_id == hook.id
    total = (await db.execute(select(func.count()).select_from(WebhookAttempt).where(theirs))).scalar_one()
    rows = await db.execute(select(WebhookAttempt).where(theirs).order_by(WebhookAttempt.at.desc(), WebhookAttempt.id.desc()).limit(limit).offset(offset))
    return [attempt_public(attempt) for attempt in rows.scalars()], total
