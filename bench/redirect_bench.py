"""The redirect hot path in process: ShortLinks(api) answering a cached short code, against a
bare Starlette app answering the same 302.

Each request calls the ASGI callable directly with a minimal scope (no server, no network), then
gives the event loop one turn, as a server's socket read would. Requests vary the client address
and browser. Three measurements:

1. ShortLinks with the click writer stopped (clicks wait in the queue) against bare Starlette
   (and a hand-written ASGI 302, the floor), interleaved round by round: the hot path's own cost.
2. The writer alone draining what phase 1 queued: how fast the recorder stores clicks.
3. ShortLinks with the writer running in the same event loop, as in production: requests/s, and
   whether the queue stays short (the writer keeps up) or grows.

    .venv/bin/python bench/redirect_bench.py --quick
    .venv/bin/python bench/redirect_bench.py --clients 5000
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

# _common first: it fixes the settings before anything imports linkapp.
import _common
import analytics_data
from _common import table

DATABASE = "linkapp_bench_redirect"
TARGET_URL = "https://example.com/landing/page?campaign=spring"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--requests", type=int, default=5_000, help="requests per round and contender (default 5,000)")
    parser.add_argument("--rounds", type=int, default=4, help="interleaved rounds in phase 1 (default 4; 2 x rounds x requests must stay below CLICK_QUEUE_SIZE)")
    parser.add_argument("--live-seconds", type=float, default=20.0, help="how long phase 3 sends requests with the writer running (default 20)")
    parser.add_argument("--clients", type=int, default=512, help="distinct client addresses the requests come from (default 512)")
    parser.add_argument("--quick", action="store_true", help="2,000 requests x 3 rounds, 8 s live: under a minute")
    parser.add_argument("--keep", action="store_true", help=f"keep the database {DATABASE} afterwards")
    args = parser.parse_args()
    if args.quick:
        args.requests, args.rounds, args.live_seconds = 2_000, 3, 8.0
    return args


# --- apps and requests -----------------------------------------------------------------------------


def bare_starlette():
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    async def redirect(request):
        return Response(status_code=302, headers={"location": TARGET_URL, "cache-control": "private, no-store"})

    return Starlette(routes=[Route("/{code}", redirect)])


async def raw_asgi(scope, receive, send) -> None:
    """The least an ASGI app can do to answer a 302: the floor under both."""
    await send({"type": "http.response.start", "status": 302, "headers": [(b"location", TARGET_URL.encode()), (b"content-length", b"0")]})
    await send({"type": "http.response.body", "body": b""})


class WithoutLimiter:
    """Diagnostic only: ShortLinks with the rate limiter answered by a constant, to show its cost."""

    def __init__(self, app) -> None:
        from linkapp.core import ratelimit

        self.app, self.module = app, ratelimit
        self.verdict = ratelimit.Verdict(allowed=True, limit=1_000_000_000, remaining=999_999_999, reset_after=60)

    async def _allow(self, *_args) -> object:
        return self.verdict

    async def __call__(self, scope, receive, send) -> None:
        original, self.module.check = self.module.check, self._allow
        try:
            await self.app(scope, receive, send)
        finally:
            self.module.check = original


def scopes(code: str, count: int = 512) -> list[dict]:
    """Requests from `count` clients with everyday browsers (bots are 10% of real traffic, but the
    question here is the cost of a counted click)."""
    agents = [agent for _, agent in analytics_data.HUMAN_AGENTS]
    return [
        _common.get_scope(
            code,
            [
                (b"user-agent", agents[n % len(agents)].encode()),
                (b"accept", b"text/html,application/xhtml+xml"),
                (b"accept-language", b"en-US,en;q=0.9"),
                (b"referer", b"https://t.co/abc"),
            ],
            (f"198.51.{n // 250}.{n % 250 + 1}", 40000 + n),
        )
        for n in range(count)
    ]




class Statuses:
    def __init__(self) -> None:
        self.seen: dict[int, int] = {}
        self.slowest = 0.0  # the longest single request, with its turn of the loop

    async def send(self, message: dict) -> None:
        if message["type"] == "http.response.start":
            self.seen[message["status"]] = self.seen.get(message["status"], 0) + 1


async def drive(app, requests: list[dict], count: int, statuses: Statuses) -> float:
    """`count` requests one after the other; returns the seconds taken."""
    started = last = time.perf_counter()
    for index in range(count):
        await app(requests[index % len(requests)], _common.receive_nothing, statuses.send)
        await asyncio.sleep(0)  # the loop's turn between requests, as a server's read gives it
        now = time.perf_counter()
        statuses.slowest = max(statuses.slowest, now - last)
        last = now
    return now - started if count else 0.0


# --- phases ----------------------------------------------------------------------------------------


async def stored_clicks() -> int:
    from sqlalchemy import text

    from linkapp import db as database

    async with database.session() as db:
        return (await db.execute(text("SELECT count(*) FROM link_events"))).scalar_one()


async def main() -> None:
    args = parse_args()
    from linkapp import db as database
    from linkapp.api.app import api
    from linkapp.core.config import settings
    from linkapp.redirect import ShortLinks
    from linkapp.services.clicks.recorder import recorder

    print(f"redirect_bench: {_common.machine()}")
    # Two ShortLinks contenders queue clicks in phase 1, and the writer is not running then.
    if 2 * (args.rounds * args.requests + 500) >= settings.CLICK_QUEUE_SIZE:
        raise SystemExit(f"rounds x requests must stay below CLICK_QUEUE_SIZE ({settings.CLICK_QUEUE_SIZE:,})")
    url = _common.create_pg_database(DATABASE)
    try:
        await database.configure(_common.async_url(url))
        code = await _common.make_link("redirect", TARGET_URL)
        requests = scopes(code, args.clients)
        contenders = {
            "ShortLinks(api)": ShortLinks(api),
            "bare Starlette": bare_starlette(),
            "raw ASGI 302": raw_asgi,
            "ShortLinks, limiter stubbed (diagnostic)": WithoutLimiter(ShortLinks(api)),
        }
        statuses = {name: Statuses() for name in contenders}
        for name, app in contenders.items():  # warm-up: the link lookup is cached after this
            await drive(app, requests, 500, statuses[name])

        # Phase 1: the hot path alone (the writer is not started; clicks wait in the queue).
        seconds = {name: [] for name in contenders}
        for _ in range(args.rounds):
            for name, app in contenders.items():
                seconds[name].append(await drive(app, requests, args.requests, statuses[name]))
        rate = {name: args.requests / statistics.median(values) for name, values in seconds.items()}
        queued = recorder.queue.qsize()

        # Phase 2: the writer alone drains the queue.
        before = await stored_clicks()
        started = time.perf_counter()
        recorder.start()
        await recorder.flush()
        drain = time.perf_counter() - started
        drained = await stored_clicks() - before

        # Phase 3: requests with the writer running in the same loop.
        app = contenders["ShortLinks(api)"]
        live = Statuses()
        before = await stored_clicks()
        sent, depths, started = 0, [], time.perf_counter()
        while time.perf_counter() - started < args.live_seconds:
            await drive(app, requests, 1_000, live)
            sent += 1_000
            depths.append(recorder.queue.qsize())
        live_seconds = time.perf_counter() - started
        started = time.perf_counter()
        await recorder.flush()
        catch_up = time.perf_counter() - started
        written_live = await stored_clicks() - before
        await recorder.stop()
    finally:
        await database.get_engine().dispose()
        if not args.keep:
            _common.drop_pg_database(DATABASE)

    bare = rate["bare Starlette"]
    print()
    print(table(
        ["app (writer stopped)", "requests/s", "median s/round", "vs bare Starlette", "statuses"],
        [[name, f"{rate[name]:,.0f}", f"{statistics.median(seconds[name]):.3f}", f"{rate[name] / bare:.2f}x", str(statuses[name].seen)] for name in contenders],
    ))
    print(f"\n{args.rounds} interleaved rounds of {args.requests:,} sequential GETs of one cached code from {args.clients:,} clients; the ratio uses medians")
    print(f"\nWriter alone: {drained:,} of {queued:,} queued clicks stored in {drain:.1f} s = {drained / drain:,.0f} clicks/s")
    live_rate = sent / live_seconds
    growth = (depths[-1] - depths[0]) / live_seconds if len(depths) > 1 else 0.0
    print(
        f"With the writer running: {live_rate:,.0f} requests/s for {live_seconds:.0f} s ({live_rate / rate['ShortLinks(api)']:.2f}x of the writer-less rate, "
        f"{live_rate / bare:.2f}x bare Starlette); queue depth at the end {depths[-1]:,} (max {max(depths):,}), "
        f"growing {growth:,.0f}/s; {catch_up:.1f} s to catch up afterwards; {written_live:,} of {sent:,} clicks stored; statuses {live.seen}; "
        f"longest request (the loop busy writing) {live.slowest * 1000:.0f} ms, against {statuses['ShortLinks(api)'].slowest * 1000:.1f} ms without the writer"
    )
    if growth > 0 and depths[-1] > 2 * settings.CLICK_BATCH_SIZE:
        print(
            f"The writer does NOT keep up at this rate: the {settings.CLICK_QUEUE_SIZE:,}-click queue would fill in about "
            f"{(settings.CLICK_QUEUE_SIZE - depths[-1]) / growth:,.0f} s, after which requests wait for the writer (back-pressure)."
        )
    elif live_rate < 0.8 * rate["ShortLinks(api)"]:
        print(
            f"The queue stays within a couple of batches, but only because writing takes the event loop: "
            f"{live_rate:,.0f} requests/s instead of {rate['ShortLinks(api)']:,.0f}, and a request arriving "
            f"during a batch waits up to {live.slowest * 1000:.0f} ms."
        )
    else:
        print("The writer keeps up: the queue stays within a couple of batches.")


if __name__ == "__main__":
    asyncio.run(main())
