"""The shared click queue when REDIS_URL is set: a Redis stream read through a consumer group.

Any instance adds clicks; every instance's writer reads batches with XREADGROUP, stores them
and only then acknowledges (and deletes) them. An entry holds the clicks a process added at
once (one under light load, dozens under heavy): one XADD for a crowd of redirects. Entries a
dead instance had read but not stored stay pending, and any live writer takes them over with
XAUTOCLAIM once they have been idle for CLICK_CLAIM_IDLE seconds. A click may so be stored
twice; the store keeps it once by click id.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable

from redis.asyncio import BlockingConnectionPool, Redis
from redis.exceptions import RedisError, ResponseError

from linkapp.core import retry
from linkapp.core.coalesce import Coalescer
from linkapp.core.config import settings
from linkapp.models.click import Click

log = logging.getLogger(__name__)

GROUP = "linkapp-writers"
FIELD = "click"  # an entry of one click as JSON (earlier versions)
FIELD_MANY = "clicks"  # an entry of clicks as journal lines (Click.to_line)
MAX_ENTRY = 200  # clicks in one entry at most
MAX_CONNECTIONS = 32
MAX_BLOCK = 2.0  # seconds one XREADGROUP may wait: well under the socket timeout


def _id_key(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


class ClickStream:
    """One instance's handle on the shared stream: producer and consumer."""

    def __init__(self, url: str, *, stream: str | None = None, group: str | None = None, consumer: str | None = None, claim_idle: float | None = None) -> None:
        # Blocking pool: a burst of redirects waits for a connection instead of opening hundreds.
        self._pool = BlockingConnectionPool.from_url(
            url, max_connections=MAX_CONNECTIONS, timeout=10, socket_connect_timeout=5, socket_timeout=10, decode_responses=True
        )
        self.redis = Redis(connection_pool=self._pool)
        self.stream = stream or settings.CLICK_STREAM
        self.group = group or GROUP  # one group per stream: every instance reads through it
        self.consumer = consumer or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.claim_idle = claim_idle if claim_idle is not None else settings.CLICK_CLAIM_IDLE
        self.backlog = 0  # the stream's length when last seen
        self._group_ready = False
        self._claim_cursor = "0-0"
        self._next_claim = 0.0
        self._adding: tuple[asyncio.AbstractEventLoop, Coalescer[Click, str]] | None = None
        self._entry_size = 1.0  # clicks per entry added of late
        self._read_size = 1.0  # clicks per entry read of late

    async def ensure_group(self) -> None:
        """Create the consumer group (and the stream) unless another instance did."""
        if self._group_ready:
            return
        try:
            # From "0": clicks added before any writer existed are read too.
            await self.redis.xgroup_create(self.stream, self.group, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._group_ready = True

    async def add(self, click: Click) -> str:
        """Append `click`, with the clicks other requests of this process are adding meanwhile
        (one entry for them all, see `coalesce`); returns its entry's id."""
        return await self.add_soon(click)

    def add_soon(self, click: Click) -> asyncio.Future[str]:
        """`add` as a future (no task for the caller to await)."""
        return self._adder().enqueue(click)

    async def adds_done(self) -> None:
        """Wait until every click added so far is in the stream (or failed to get there)."""
        if self._adding is not None and self._adding[0] is asyncio.get_running_loop():
            await self._adding[1].idle()

    def _adder(self) -> Coalescer[Click, str]:
        if self._adding is None or self._adding[0] is not asyncio.get_running_loop():
            self._adding = (asyncio.get_running_loop(), Coalescer(self.add_many, max_items=MAX_ENTRY))
        return self._adding[1]

    async def add_many(self, clicks: list[Click]) -> list[str]:
        """Append `clicks` as one entry (their journal lines); returns its id once per click."""
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.xadd(self.stream, {FIELD_MANY: b"".join(click.to_line() for click in clicks)})
            pipe.xlen(self.stream)
            entry_id, entries = await pipe.execute()
        self._entry_size += (len(clicks) - self._entry_size) * 0.1
        self.backlog = round(entries * self._entry_size)
        return [entry_id] * len(clicks)

    async def length(self) -> int:
        """About how many clicks are not yet stored (read or not), over all instances: the
        entries times the clicks an entry held of late."""
        self.backlog = round(await self.redis.xlen(self.stream) * self._entry_size)
        return self.backlog

    async def read(self, count: int, block: float | None = None) -> list[tuple[str, Click]]:
        """Up to `count` entries: a dead consumer's stale ones first, else new ones.

        Args:
            count: the most entries to return.
            block: seconds to wait for new entries when there are none; None returns at once.
        """
        await self.ensure_group()
        entries = await self._claim(count)
        if not entries:
            reply = await self.redis.xreadgroup(
                self.group, self.consumer, {self.stream: ">"}, count=count, block=None if block is None else max(1, int(block * 1000))
            )
            entries = reply[0][1] if reply else []
        return await self._decode(entries)

    async def _claim(self, count: int) -> list:
        if self._claim_cursor == "0-0" and time.monotonic() < self._next_claim:
            return []
        cursor, entries, *_ = await self.redis.xautoclaim(
            self.stream, self.group, self.consumer, int(self.claim_idle * 1000), start_id=self._claim_cursor, count=count
        )
        self._claim_cursor = cursor
        if cursor == "0-0":  # scanned the whole pending list: look again in a while
            self._next_claim = time.monotonic() + max(self.claim_idle / 2, 0.05)
        if entries:
            log.info("took over %d clicks a stopped writer had left unstored", len(entries))
        return entries

    async def _decode(self, entries: list) -> list[tuple[str, Click]]:
        clicks, broken = [], []
        for entry_id, fields in entries:
            if FIELD_MANY in fields:
                lines = fields[FIELD_MANY].splitlines()
                self._read_size += (len(lines) - self._read_size) * 0.1
                kept = len(clicks)
                for line in lines:
                    try:
                        clicks.append((entry_id, Click.from_line(line)))
                    except (KeyError, TypeError, ValueError):
                        # Retrying cannot fix it: logged whole and dropped; the entry's other clicks are kept.
                        log.error("click stream entry %s holds a line that is not a click; dropped: %r", entry_id, line)
                if len(clicks) == kept:  # nothing in it to store: acknowledged now, or it would come back
                    broken.append(entry_id)
                continue
            try:  # an entry of one click, as earlier versions added them
                clicks.append((entry_id, Click.from_dict(json.loads(fields[FIELD]))))
            except (KeyError, TypeError, ValueError):
                # Retrying cannot fix it: log it whole, then drop it so it does not block the group.
                log.error("click stream entry %s is not a click; dropped: %r", entry_id, fields)
                broken.append(entry_id)
        if broken:
            await self.ack(broken)
        return clicks

    def entries_for(self, clicks: int) -> int:
        """How many entries to read for about `clicks` clicks (entries hold more under load)."""
        return max(1, round(clicks / max(self._read_size, 1.0)))

    async def ack(self, entry_ids: list[str]) -> None:
        """Mark entries stored and remove them: the stream holds only clicks still to store."""
        entry_ids = list(dict.fromkeys(entry_ids))  # an entry holds several clicks
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.xack(self.stream, self.group, *entry_ids)
            pipe.xdel(self.stream, *entry_ids)
            await pipe.execute()

    async def stored(self, entry_id: str) -> bool:
        """Whether every entry up to `entry_id` has been stored by some writer."""
        await self.ensure_group()
        groups = await self.redis.xinfo_groups(self.stream)
        last = next((group["last-delivered-id"] for group in groups if group["name"] == self.group), "0-0")
        if _id_key(last) < _id_key(entry_id):
            return False
        return not await self.redis.xpending_range(self.stream, self.group, min="-", max=entry_id, count=1)

    async def wait_stored(self, entry_id: str) -> None:
        """Wait until every entry up to `entry_id` has been stored by some writer."""
        while not await self.stored(entry_id):
            await asyncio.sleep(0.02)

    async def wait_for_room(self, maxsize: int, stopping: asyncio.Event) -> None:
        """Wait while the stream holds `maxsize` entries or more (back-pressure), or until `stopping`."""
        with contextlib.suppress(RedisError, OSError):  # Redis gone: nothing to wait for
            while not stopping.is_set() and await self.length() >= maxsize:
                await asyncio.sleep(0.1)

    async def run(self, write: Callable[[list[Click]], Awaitable[bool]], stopping: asyncio.Event, *, batch_size: int, interval: float) -> None:
        """Read, store through `write` and acknowledge, until `stopping` is set.

        `write` returns False when it gave up (stopping while the database is down): those
        entries stay pending, for a live writer to claim.
        """
        attempt = 0
        while not stopping.is_set():
            try:
                entries = await self.read(self.entries_for(batch_size), block=min(interval, MAX_BLOCK))
                if entries and len(entries) < batch_size and not stopping.is_set():
                    await _wait(stopping, interval)  # let a burst gather into one transaction
                    entries += await self.read(self.entries_for(batch_size - len(entries)))
                await self.length()
                attempt = 0
            except (RedisError, OSError) as exc:
                delay = retry.delay(attempt)
                attempt += 1
                log.warning("reading the click stream failed (%s); retrying in %.1fs", exc, delay)
                await _wait(stopping, delay)
                continue
            if not entries:
                continue
            if not await write([click for _, click in entries]):
                return
            try:
                await self.ack([entry_id for entry_id, _ in entries])
            except (RedisError, OSError) as exc:
                # Stored but still pending: claimed and stored again later, which the store ignores.
                log.warning("acknowledging %d stored clicks failed: %s", len(entries), exc)

    async def retire(self) -> None:
        """Leave the group if nothing is pending for this consumer (else a live writer claims it)."""
        try:
            pending = await self.redis.xpending_range(self.stream, self.group, min="-", max="+", count=1, consumername=self.consumer)
            if not pending:
                await self.redis.xgroup_delconsumer(self.stream, self.group, self.consumer)
        except (RedisError, OSError) as exc:
            log.warning("could not leave the click stream group: %s", exc)

    async def close(self) -> None:
        """Close this handle's connections (a later call reconnects)."""
        await self.redis.aclose()
        await self._pool.aclose()


async def _wait(event: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(event.wait(), seconds)
    except TimeoutError:
        pass
