"""The outbox: events owed to hooks, added to the caller's session so they land (or vanish) with the
change they announce, and the bell that wakes this process's dispatchers once that commits.

Link changes call `enqueue`, which asks the database which of the owner's hooks want the event:
exact, and one small query per change. The click writer calls `enqueue_clicks` for each batch it
stores; `subscribers` reads the hooks that want `link.clicked` in the batch's transaction (one
small query: a hook made on any worker gets every click stored after it) and keeps each link's
owner (which never changes). A batch whose links no hook wants costs that query; one that some
hook wants costs a `webhook_click_batches` row per hook and
CLICK_BATCH_EVENTS clicks. The dispatcher moves those events into the outbox, a row each, only
as it comes to them (`move_click_batches`): a busy link's hook that lags hours behind holds its
backlog in a few thousand rows rather than millions, and the click writer keeps its pace.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import Select, TextClause, bindparam, delete, event, false, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from linkapp import db as database
from linkapp.core import ids
from linkapp.core.times import UTCDateTime, utcnow
from linkapp.models.link import Link
from linkapp.models.webhook import Webhook, WebhookClickBatch, WebhookDelivery
from linkapp.services.webhooks import events

EventData = Mapping | BaseModel | Callable[[], Awaitable[Mapping | BaseModel]]
MAX_KNOWN_OWNERS = 100_000
CLICK_BATCH_EVENTS = 250  # click events per webhook_click_batches row at most
_RUNG = "linkapp.webhooks.rung"  # session.info key: hooks owed events once the session commits


class Bell:
    """Wakes the dispatchers of this process; rung from any thread (the click writer has its own)."""

    def __init__(self) -> None:
        self._listeners: dict[object, tuple[asyncio.AbstractEventLoop, Callable[[frozenset[int] | None], None]]] = {}
        self._lock = threading.Lock()

    def listen(self, callback: Callable[[frozenset[int] | None], None]) -> Callable[[], None]:
        """Call `callback` on this loop with the hooks owed new events (None: hooks changed); returns the way to stop."""
        token = object()
        with self._lock:
            self._listeners[token] = (asyncio.get_running_loop(), callback)

        def stop() -> None:
            with self._lock:
                self._listeners.pop(token, None)

        return stop

    def ring(self, hook_ids: Iterable[int] | None = None) -> None:
        which = None if hook_ids is None else frozenset(hook_ids)
        with self._lock:
            listeners = list(self._listeners.values())
        for loop, callback in listeners:
            try:
                loop.call_soon_threadsafe(callback, which)
            except RuntimeError:  # that loop is closed: its dispatcher is gone
                pass


bell = Bell()


def _committed(session) -> None:
    hook_ids = session.info.pop(_RUNG, None)
    if hook_ids:
        bell.ring(hook_ids)


def ring_after_commit(db: AsyncSession, hook_ids: Iterable[int]) -> None:
    """Wake the dispatchers for `hook_ids` once `db` commits (a rollback wakes nobody for them)."""
    session = db.sync_session
    pending = session.info.get(_RUNG)
    if pending is None:
        pending = session.info[_RUNG] = set()
        event.listen(session, "after_commit", _committed, once=True)
    pending.update(hook_ids)


def add(db: AsyncSession, hook_ids: Iterable[int], event_type: str, data: Mapping, *, event_id: str | None = None) -> str:
    """Owe `hook_ids` one event (no commit: it lands with the caller's). Returns the event's id."""
    hook_ids = list(hook_ids)
    event_id = event_id or events.new_event_id()
    now = utcnow()
    payload = events.body(event_id, event_type, now, dict(data))
    db.add_all(
        WebhookDelivery(hook_id=hook_id, event_id=event_id, event_type=event_type, payload=payload, created_at=now, next_attempt_at=now)
        for hook_id in hook_ids
    )
    ring_after_commit(db, hook_ids)
    return event_id


def _wanting(event_type: str) -> Select:
    """(id, user_id, events) of the enabled hooks that may want `event_type`; `_wants` decides."""
    return select(Webhook.id, Webhook.user_id, Webhook.events).where(Webhook.disabled == false(), Webhook.events.contains(event_type)).order_by(Webhook.id)


def _wants(names: str, event_type: str) -> bool:
    return event_type in names.split(",")  # a hook's events, stored comma-separated


async def hooks_wanting(db: AsyncSession, user_id: int, event_type: str) -> list[int]:
    """The enabled hooks of `user_id` that want `event_type` (asked once for a whole batch of changes)."""
    rows = (await db.execute(_wanting(event_type).where(Webhook.user_id == user_id))).all()
    return [hook_id for hook_id, _, names in rows if _wants(names, event_type)]


async def add_many(db: AsyncSession, hook_ids: Sequence[int], event_type: str, items: Sequence[Mapping]) -> None:
    """`add` for many events at once (an import's links, a renamed tag's): each of `items` is the
    `data` of an event of its own, owed to every hook of `hook_ids`, in the caller's transaction.
    One executemany, which psycopg pipelines (`add`'s ORM object per row was too slow for the
    thousands a batch of an import owes)."""
    if not hook_ids or not items:
        return
    now = utcnow()
    fixed = {"event_type": event_type, "created_at": now, "next_attempt_at": now, "status": "pending", "attempts": 0}
    rows = []
    for data in items:
        event_id = events.new_event_id()
        payload = events.body(event_id, event_type, now, dict(data))
        rows.extend({"hook_id": hook_id, "event_id": event_id, "payload": payload, **fixed} for hook_id in hook_ids)
    await db.execute(insert(WebhookDelivery.__table__), rows)
    ring_after_commit(db, hook_ids)


async def enqueue(db: AsyncSession, user_id: int, event_type: str, data: EventData) -> str | None:
    """Owe the event to each enabled hook of `user_id` that wants it, in the caller's transaction.

    Args:
        db: The session whose commit also writes what the event announces.
        user_id: Whose hooks.
        event_type: One of `events.EVENTS`.
        data: The event's `data`: a dict or model, or an async function returning one, called
            only when some hook wants the event (a link's public shape costs queries).

    Returns:
        The event's id, or None when no hook wants it.
    """
    wanted = await hooks_wanting(db, user_id, event_type)
    if not wanted:
        return None
    if callable(data):
        data = await data()
    if isinstance(data, BaseModel):
        data = data.model_dump(mode="json")
    return add(db, wanted, event_type, data)


class Subscribers:
    """Which hooks want the clicks of which links, for the click writer.

    The hooks are read in each batch's own transaction (one small query): a hook made on any
    worker or instance gets every click stored after it exists. A cache of them here missed the
    clicks of a hook's first seconds on every other worker. The owners of links (which never
    change) are kept.
    """

    def __init__(self) -> None:
        self._owners: dict[int, int] = {}

    def reset(self) -> None:
        """Forget the links' owners (tests, or a restored database)."""
        self._owners = {}

    async def for_links(self, db: AsyncSession, link_ids: set[int]) -> dict[int, tuple[int, ...]]:
        """The hooks that want clicks of each of `link_ids` (links no hook wants are left out)."""
        rows = (await db.execute(_WANTING_CLICKS)).all()
        hooks_by_owner: dict[int, list[int]] = {}
        for hook_id, user_id, names in rows:
            if _wants(names, events.LINK_CLICKED):
                hooks_by_owner.setdefault(user_id, []).append(hook_id)
        if not hooks_by_owner:
            return {}
        unknown = [link_id for link_id in link_ids if link_id not in self._owners]
        if unknown:
            if len(self._owners) + len(unknown) > MAX_KNOWN_OWNERS:
                self._owners = {}
            found = await db.execute(select(Link.id, Link.owner_id).where(Link.id.in_(unknown)))
            self._owners.update({link_id: owner_id for link_id, owner_id in found.all()})
        wanted = {}
        for link_id in link_ids:
            hooks = hooks_by_owner.get(self._owners.get(link_id, -1))
            if hooks:
                wanted[link_id] = tuple(hooks)
        return wanted


_WANTING_CLICKS = _wanting(events.LINK_CLICKED)


subscribers = Subscribers()


async def enqueue_clicks(db: AsyncSession, rows: list[dict]) -> int:
    """Owe each stored click to the hooks that want its link's clicks, in the batch's transaction.

    The events go to `webhook_click_batches`, a row per hook and CLICK_BATCH_EVENTS events, not to
    the outbox: the dispatcher moves them there as it comes to them (`move_click_batches`).

    Args:
        db: The click writer's session for the batch.
        rows: The batch's link_events rows, as the writer stored them.

    Returns:
        How many events were owed (a replayed click is owed again here, and skipped on the move).
    """
    wanted = await subscribers.for_links(db, {row["link_id"] for row in rows})
    if not wanted:
        return 0
    now = utcnow()
    created = events.rfc3339(now)
    codes = {link_id: ids.encode_link_id(link_id) for link_id in wanted}
    lines: dict[int, list[str]] = {}
    for row in rows:
        hook_ids = wanted.get(row["link_id"])
        if hook_ids:
            event_id = events.click_event_id(row.get("click_id"))
            # JSON text holds no raw tab or line break: the line splits back unambiguously.
            line = f"{event_id}\t{events.click_body(event_id, created, row, codes[row['link_id']])}"
            for hook_id in hook_ids:
                lines.setdefault(hook_id, []).append(line)
    batches = [
        {"hook_id": hook_id, "created_at": now, "events": len(theirs[i : i + CLICK_BATCH_EVENTS]), "lines": "\n".join(theirs[i : i + CLICK_BATCH_EVENTS])}
        for hook_id, theirs in lines.items()
        for i in range(0, len(theirs), CLICK_BATCH_EVENTS)
    ]
    await db.execute(insert(WebhookClickBatch.__table__), batches)
    ring_after_commit(db, lines)
    return sum(len(theirs) for theirs in lines.values())


def _move_statement(for_update: str) -> TextClause:
    return (
        text(
            "SELECT id, created_at, lines FROM webhook_click_batches WHERE hook_id = :hook AND created_at > :oldest"
            f" ORDER BY hook_id, id LIMIT :limit{for_update}"
        )
        .bindparams(bindparam("oldest", type_=UTCDateTime()))
        .columns(created_at=UTCDateTime())
    )


_MOVE = {"postgresql": _move_statement(" FOR UPDATE SKIP LOCKED"), "sqlite": _move_statement("")}


async def move_click_batches(db: AsyncSession, hook_id: int, *, now: datetime, oldest: datetime, limit: int = 1) -> int:
    """Move the oldest `limit` click batches of the hook into the outbox, each event a row of its
    own, in the caller's transaction. On PostgreSQL a batch another dispatcher is moving is
    skipped, and an event already owed (a replayed click batch) is not owed twice.

    Args:
        hook_id: Whose batches.
        now: When the moved events fall due.
        oldest: Batches written before this are past the retry window: the daily purge drops them.
        limit: How many batches at most.

    Returns:
        How many events were moved.
    """
    taken = (await db.execute(_MOVE[db.bind.dialect.name], {"hook": hook_id, "oldest": oldest, "limit": limit})).all()
    if not taken:
        return 0
    owed = []
    for _, created_at, lines in taken:
        for line in lines.split("\n"):
            event_id, _, payload = line.partition("\t")
            owed.append({"hook_id": hook_id, "event_id": event_id, "payload": payload, "created_at": created_at})
    table = WebhookDelivery.__table__
    statement = database.insert_for(db.bind.dialect.name, table).on_conflict_do_nothing(index_elements=["hook_id", "event_id"])
    fixed = {"event_type": events.LINK_CLICKED, "next_attempt_at": now, "status": "pending", "attempts": 0}
    await db.execute(statement, [{**row, **fixed} for row in owed])
    batches = WebhookClickBatch.__table__
    await db.execute(delete(batches).where(batches.c.id.in_([batch_id for batch_id, _, _ in taken])))
    return len(owed)
