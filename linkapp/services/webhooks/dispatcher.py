"""The dispatcher: delivers the outbox, one event per POST, for as long as the app runs.

It sleeps until the bell rings (events committed in this process, a hook changed) or a retry falls
due, and otherwise looks every `idle` seconds for what other instances wrote: it never polls the
database in a loop. Awake, it takes each hook's due events oldest first, at most `per_hook` in
flight per hook, so a slow or failing receiver backs up its own queue and no other hook's.

A POST with its bookkeeping costs Python as much as dozens of redirects. The app runs the
dispatcher in the click writer's process (see `linkapp.lifespan`), off the redirects'
interpreter, but on the same cores: a process starts at most `rate` deliveries a second
(WEBHOOK_MAX_RATE), so that a busy link's clicks cannot take the redirects' time. What is over the rate waits in the outbox, which is
durable; hooks take turns. Room freed is refilled by one claim, outcomes are written a few per
transaction.

Order: per hook, first attempts start in the order the events were written, up to `per_hook` at a
time (per instance); a failed event is retried later while newer ones go ahead. Receivers must not
rely on arrival order: each event carries its `created_at` (and a link its `updated_at`).
Delivery is at least once: `Linkapp-Delivery` is the event's id on every retry, for receivers to
drop an event they have already handled.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from linkapp import db as database
from linkapp.core import retry
from linkapp.core.config import settings
from linkapp.core.times import utcnow
from linkapp.services.webhooks import claims, outbox, schedule, signing
from linkapp.services.webhooks.sender import Outcome, Sender

log = logging.getLogger(__name__)

TIMEOUT = 10.0  # seconds a receiver has to answer
PER_HOOK = 4  # deliveries in flight per hook (per instance)
IDLE = 15.0  # seconds between looks for events written by other instances
LEASE = timedelta(seconds=60)  # longer than an attempt can take
STOP_GRACE = 3.0  # seconds a stopping dispatcher lets deliveries in flight finish
GATHER = 0.05  # seconds freed room gathers before it is refilled (one claim for several deliveries)
NOTE_EVERY = 0.2  # seconds outcomes gather before they are written (one transaction for many)
HOOKS_TTL = 5.0  # seconds a hook's URL and secret are reused before they are read again
REREAD_AFTER = 1.0  # seconds at least between reads of the hooks for ids not known yet
MAX_NOTES = 200  # outcomes written in one transaction at most


class Dispatcher:
    """Claims, sends and notes deliveries; every knob can be passed in (tests make retries quick).

    Args:
        timeout: Seconds an attempt may take in all.
        per_hook: Deliveries in flight per hook.
        rate: Deliveries this process starts a second at most (WEBHOOK_MAX_RATE; 0 for no limit).
        backoff: Seconds before the next try of an event that failed n times.
        idle: Seconds between looks for work nobody rang for.
        now: The clock.
    """

    def __init__(
        self,
        *,
        timeout: float = TIMEOUT,
        per_hook: int = PER_HOOK,
        rate: float | None = None,
        backoff: schedule.Backoff = schedule.retry_delay,
        idle: float = IDLE,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.owner = secrets.token_hex(8)
        self.per_hook = per_hook
        self.backoff = backoff
        self.idle = idle
        self.now = now
        self.lease = max(LEASE, timedelta(seconds=3 * timeout))
        self.sender = Sender(timeout=timeout, per_hook=per_hook)
        rate = settings.WEBHOOK_MAX_RATE if rate is None else rate
        self.budget = schedule.Budget(rate, burst=max(rate / 4, per_hook))
        self.sent = 0  # attempts made, for tests and benchmarks
        self._in_flight: Counter[int] = Counter()
        self._tasks: set[asyncio.Task] = set()
        self._notes: list[claims.Note] = []
        self._noted = asyncio.Event()
        self._wake = asyncio.Event()
        self._rung: set[int] = set()
        self._look_everywhere = True
        self._turn = 0
        self._known: dict[int, claims.Hook] = {}
        self._hooks_read = self._hooks_until = 0.0
        self._waits: list[float] = []  # seconds until work falls due (a retry, the budget)
        self._refill: asyncio.TimerHandle | None = None
        self._stopping = False
        self._task: asyncio.Task | None = None
        self._writer: asyncio.Task | None = None
        self._stop_listening: Callable[[], None] | None = None

    # --- waking -------------------------------------------------------------------------------

    def _heard(self, hook_ids: frozenset[int] | None) -> None:
        if hook_ids is None:
            self._look_everywhere = True
        else:
            self._rung.update(hook_ids)
        self._wake.set()

    def _room_freed(self, hook_id: int) -> None:
        # Refilled a moment later, so that one claim takes the room several deliveries freed.
        self._rung.add(hook_id)
        if self._refill is None:
            self._refill = asyncio.get_running_loop().call_later(GATHER, self._refilled)

    def _refilled(self) -> None:
        self._refill = None
        self._wake.set()

    async def _sleep(self, seconds: float) -> bool:
        """Wait for the bell (or a stop) for at most `seconds`; False when the time ran out."""
        try:
            await asyncio.wait_for(self._wake.wait(), seconds)
        except TimeoutError:
            return False
        return True

    # --- the loop -----------------------------------------------------------------------------

    def start(self) -> None:
        """Start on the running loop; idempotent."""
        if self._task is None or self._task.done():
            self._stopping = False
            self._stop_listening = outbox.bell.listen(self._heard)
            self._task = asyncio.create_task(self._run(), name="linkapp-webhook-dispatcher")
            self._writer = asyncio.create_task(self._write_notes(), name="linkapp-webhook-notes")

    async def _run(self) -> None:
        # Never cancelled in the middle of a database write: a stop is noticed between steps.
        failures = 0
        while not self._stopping:
            self._wake.clear()
            try:
                await self._take_work()
                failures = 0
            except Exception:  # the database away: try again, slower each time
                delay = retry.delay(failures)
                failures += 1
                log.warning("webhook dispatcher could not read the outbox; retrying in %.1fs", delay, exc_info=failures == 1)
                self._look_everywhere = True
                await self._sleep(delay)
                continue
            if self._stopping:
                return
            await self.sender.close_idle()
            waits, self._waits = self._waits, []
            seconds = min([self.idle, *waits])
            if not await self._sleep(seconds) and seconds == self.idle:
                self._look_everywhere = True  # nobody rang for a while: what did other instances write?

    async def _take_work(self) -> None:
        everywhere, rung = self._look_everywhere, self._rung
        self._look_everywhere, self._rung = False, set()
        if not everywhere and not rung:
            return
        if self.budget.available() < 1:  # nothing may start yet: no need to ask the database
            self._look_everywhere, self._rung = everywhere, rung
            self._waits.append(self.budget.wait(1))
            return
        async with database.session() as db:
            hooks = await self._hooks(db, everywhere, rung)
            self._turn += 1  # hooks take turns at the budget
            start = self._turn % len(hooks) if hooks else 0
            hooks = hooks[start:] + hooks[:start]
            for index, hook in enumerate(hooks):
                if self._stopping:
                    return
                room = self.per_hook - self._in_flight[hook.id]
                if room <= 0:
                    continue  # a delivery of this hook ends soon and rings for it
                allowed = self.budget.available()
                if allowed < min(room, self.per_hook, self.budget.burst) or (allowed < self.per_hook and self._in_flight):
                    # At the rate: claim once a hook's whole room may start, one claim for several.
                    self._rung.update(each.id for each in hooks[index:])
                    self._waits.append(self.budget.wait(self.per_hook))
                    return
                rows = await claims.claim(db, hook.id, min(room, allowed), owner=self.owner, now=self.now(), lease=self.lease)
                self.budget.spend(len(rows))
                for row in rows:
                    self._in_flight[hook.id] += 1
                    task = asyncio.create_task(self._deliver(hook, row), name=f"linkapp-webhook-{row.event_id}")
                    self._tasks.add(task)
                    task.add_done_callback(self._tasks.discard)

    async def _hooks(self, db, everywhere: bool, rung: set[int]) -> list[claims.Hook]:
        """The enabled hooks to serve, as read at most HOOKS_TTL seconds ago (at once after a change
        here; claims skip a hook disabled elsewhere meanwhile)."""
        now = time.monotonic()
        unknown = {hook_id for hook_id in rung if hook_id not in self._known}
        since = now - self._hooks_read
        if everywhere or now >= self._hooks_until or (unknown and since > REREAD_AFTER):
            self._known = {hook.id: hook for hook in await claims.enabled_hooks(db)}
            self._hooks_read, self._hooks_until = now, now + HOOKS_TTL
        elif unknown:
            # A hook made since the last read (on another worker, a moment ago): its events must
            # not wait for the next idle look. Asked again once a re-read is allowed.
            self._rung.update(unknown)
            self._waits.append(REREAD_AFTER - since)
        wanted = self._known if everywhere else rung
        return [self._known[hook_id] for hook_id in sorted(wanted) if hook_id in self._known]

    async def _deliver(self, hook: claims.Hook, row: claims.Claimed) -> None:
        try:
            body = row.payload.encode()
            headers = {
                "Linkapp-Event": row.event_type,
                "Linkapp-Delivery": row.event_id,
                signing.HEADER: signing.header(hook.secret, body, int(self.now().timestamp())),
            }
            outcome = await self.sender.send(hook.id, hook.url, headers, body)
            self.sent += 1
            self._note(hook, row, outcome)
        except Exception:  # noqa: BLE001 - the lease runs out and the event is tried again
            log.exception("webhook delivery %s to hook %d failed unexpectedly", row.event_id, hook.id)
        finally:
            self._in_flight[hook.id] -= 1
            if self._in_flight[hook.id] <= 0:
                del self._in_flight[hook.id]
            self._room_freed(hook.id)

    # --- noting outcomes ----------------------------------------------------------------------

    def _note(self, hook: claims.Hook, row: claims.Claimed, outcome: Outcome) -> None:
        now = self.now()
        retry_at = None
        if not outcome.ok:
            retry_at = now + timedelta(seconds=self.backoff(row.attempts + 1))
            if retry_at - row.created_at > schedule.GIVE_UP_AFTER:
                retry_at = None
                log.warning("webhook event %s given up for %s after %d attempts", row.event_id, urlsplit(hook.url).hostname, row.attempts + 1)
            else:
                self._waits.append((retry_at - now).total_seconds())
        self._notes.append(claims.Note(hook=hook, row=row, outcome=outcome, at=now, retry_at=retry_at))
        self._noted.set()

    async def _write_notes(self) -> None:
        """Write outcomes a few at a time; kept and written again while the database fails."""
        failures = 0
        # `stop` writes what is left, once the deliveries in flight have ended.
        while not self._stopping:
            await self._noted.wait()
            if self._stopping:
                return
            if len(self._notes) < MAX_NOTES:
                await asyncio.sleep(NOTE_EVERY)  # let a few more finish: one transaction for all
            self._noted.clear()
            try:
                await self._flush_notes()
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception:
                delay = retry.delay(failures)
                failures += 1
                log.warning("webhook dispatcher could not note %d outcomes; retrying in %.1fs", len(self._notes), delay, exc_info=failures == 1)
                self._noted.set()
                await asyncio.sleep(delay)

    async def _flush_notes(self) -> None:
        while self._notes:
            batch = self._notes[:MAX_NOTES]
            async with database.session() as db:
                disabled = await claims.note(db, batch, owner=self.owner)
            del self._notes[: len(batch)]
            for hook in disabled:
                log.warning("webhook %d (%s) disabled: failing for %d days", hook.id, urlsplit(hook.url).hostname, schedule.DISABLE_AFTER.days)
            if self._waits:
                self._wake.set()  # a retry may fall due before the current sleep ends

    # --- stopping -----------------------------------------------------------------------------

    async def stop(self, grace: float = STOP_GRACE) -> None:
        """Stop taking work, let deliveries in flight finish for `grace` seconds, note what they
        came to, and give back the rest (another dispatcher, or this app after a restart, takes it)."""
        if self._stop_listening is not None:
            self._stop_listening()
            self._stop_listening = None
        self._stopping = True
        self._wake.set()
        if self._refill is not None:
            self._refill.cancel()
            self._refill = None
        if self._task is not None:
            _, running = await asyncio.wait({self._task}, timeout=grace + STOP_GRACE)
            for task in running:  # stuck on a database that does not answer
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            self._task = None
        if self._tasks:
            _, late = await asyncio.wait(set(self._tasks), timeout=grace)
            for task in late:  # still waiting for their receivers: given back below
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        if self._writer is not None:
            self._noted.set()
            _, running = await asyncio.wait({self._writer}, timeout=STOP_GRACE)
            for task in running:  # waiting to retry a database that does not answer
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            self._writer = None
        try:
            async with asyncio.timeout(STOP_GRACE):
                await self._flush_notes()
                async with database.session() as db:
                    given_back = await claims.release(db, self.owner)
            if given_back:
                log.info("webhook dispatcher gave back %d events", given_back)
        except Exception:  # noqa: BLE001 - the leases run out on their own
            log.warning("webhook dispatcher could not note its last outcomes or give back its events; they are tried again when their lease ends")
        await self.sender.close()

