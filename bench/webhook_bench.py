"""Redirects of a link whose clicks a webhook wants, against the same redirects of a link no hook
wants: what `link.clicked` costs the hot path and the click writer, in process, on PostgreSQL.

The receiver is a minimal HTTP server in another process on loopback, answering 200 at once (or
after `--receiver-delay` ms): the fastest receiver there is, so the dispatcher works as hard as it
ever will. Both links belong to different owners; only the hooked one's owner has a hook.

A diagnostic: everything runs in this one process, the click writer included, which the app
runs in a process of its own. The redirect under load as deployed, hooked or not, is
`load_bench.py` (`--hook`).

1. **Redirects.** `ShortLinks(api)` answers cached codes, called directly as in
   `redirect_bench.py` phase 3, with the click writer running (and writing the hook's click events)
   and, in the hooked rounds, the dispatcher delivering in the same event loop. Rounds alternate
   (no hook, hook); the writer is flushed before each round, and the dispatcher runs only in the
   hooked rounds, with the backlog of the rounds before (so it never runs out of work). The ratio
   uses the median rates.
2. **Writer alone.** `click_store.store` of batches of clicks on the hooked link against batches
   on the other, alternating: what writing the outbox rows costs the writer.

    .venv/bin/python bench/webhook_bench.py --quick
    .venv/bin/python bench/webhook_bench.py --seconds 10 --rounds 4
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime

os.environ["WEBHOOK_ALLOW_PRIVATE"] = "true"  # the receiver is on loopback

# _common first: it fixes the settings before anything imports linkapp.
import _common
from _common import table
from redirect_bench import Statuses, drive, scopes

DATABASE = "linkapp_bench_webhooks"
TARGET_URL = "https://example.com/landing/page?campaign=spring"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 1)[1]
    )
    parser.add_argument("--seconds", type=float, default=2.0, help="seconds of requests per round and contender (default 2)")
    parser.add_argument("--rounds", type=int, default=12, help="alternating rounds (default 12: short and many, so other work falls on both alike)")
    parser.add_argument("--clients", type=int, default=512, help="distinct client addresses (default 512)")
    parser.add_argument("--batches", type=int, default=6, help="writer batches of 2,000 clicks per contender (default 6)")
    parser.add_argument("--receiver-delay", type=float, default=0.0, help="milliseconds the receiver waits before answering (default 0)")
    parser.add_argument("--rate", type=float, help="WEBHOOK_MAX_RATE for the dispatcher (default: the setting's)")
    parser.add_argument("--quick", action="store_true", help="1.5 s x 8 rounds, 3 writer batches: under a minute")
    parser.add_argument("--keep", action="store_true", help=f"keep the database {DATABASE} afterwards")
    parser.add_argument("--receiver", type=int, help=argparse.SUPPRESS)  # internal: run the receiver on this port
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.rounds, args.batches = 1.5, 8, 3
    return args


# --- the receiver (another process) ----------------------------------------------------------------


def serve(port: int, delay_ms: float) -> None:
    """A keep-alive HTTP/1.1 server that reads each request and answers 200."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")), 0)
                await reader.readexactly(length)
                if delay_ms:
                    await asyncio.sleep(delay_ms / 1000)
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        async with await asyncio.start_server(handle, "127.0.0.1", port) as server:
            await server.serve_forever()

    asyncio.run(main())


def start_receiver(delay_ms: float) -> tuple[subprocess.Popen, str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen([sys.executable, __file__, "--receiver", str(port), "--receiver-delay", str(delay_ms)])
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    return process, f"http://127.0.0.1:{port}/linkapp-hook"


# --- measurements ----------------------------------------------------------------------------------


async def outbox_counts() -> dict[str, int]:
    from sqlalchemy import text

    from linkapp import db as database

    async with database.session() as db:
        rows = (await db.execute(text("SELECT status, count(*) FROM webhook_deliveries GROUP BY status"))).all()
        batched = (await db.execute(text("SELECT coalesce(sum(events), 0) FROM webhook_click_batches"))).scalar_one()
    return {**{status: count for status, count in rows}, "waiting in click batches": batched}


async def add_hook(code: str, url: str) -> None:
    from linkapp import db as database
    from linkapp.core import ids
    from linkapp.models.link import Link
    from linkapp.services.webhooks import hooks

    async with database.session() as db:
        link = await db.get(Link, ids.decode_link_id(code))
        await hooks.create_hook(db=db, user_id=link.owner_id, url=url, events=["link.clicked"])


async def redirect_rounds(args, apps: dict[str, tuple[object, list[dict]]], dispatcher) -> tuple:
    """Requests/s of each contender per round, by the clock and per CPU-second of this process."""
    from linkapp.services.clicks.recorder import recorder

    rates: dict[str, list[float]] = {name: [] for name in apps}
    per_cpu: dict[str, list[float]] = {name: [] for name in apps}
    statuses = {name: Statuses() for name in apps}
    delivered, hooked_seconds = 0, 0.0
    for _ in range(args.rounds):
        for name, (app, requests) in apps.items():
            await recorder.flush()
            hooked = name == "hook on the link"
            if hooked:
                await dispatcher.start()
            await asyncio.sleep(0.3)  # the dispatcher's first claim and connection, not measured (both sides wait alike)
            sent_before = dispatcher.dispatcher.sent if hooked else 0
            sent, started, cpu = 0, time.perf_counter(), time.process_time()
            while time.perf_counter() - started < args.seconds:
                await drive(app, requests, 500, statuses[name])
                sent += 500
            seconds = time.perf_counter() - started
            rates[name].append(sent / seconds)
            per_cpu[name].append(sent / (time.process_time() - cpu))
            if hooked:
                delivered += dispatcher.dispatcher.sent - sent_before
                hooked_seconds += seconds
                await dispatcher.stop()
    return rates, per_cpu, statuses, delivered, hooked_seconds


async def writer_alone(args, plain_id: int, hooked_id: int) -> dict[str, float]:
    from linkapp.models.click import Click
    from linkapp.services.clicks import store as click_store

    agents = [agent for _, agent in __import__("analytics_data").HUMAN_AGENTS]

    def batch(link_id: int, round_: int) -> list[Click]:
        now = datetime.now(UTC)
        return [
            Click(link_id=link_id, clicked_at=now, ip_address=f"198.51.{n % 200}.{round_ % 250 + 1}", user_agent=agents[n % len(agents)], referrer="https://t.co/x")
            for n in range(2_000)
        ]

    seconds: dict[str, list[float]] = {"no hook": [], "hook on the link": []}
    for round_ in range(args.batches + 1):
        for name, link_id in (("no hook", plain_id), ("hook on the link", hooked_id)):
            clicks = batch(link_id, round_)
            started = time.perf_counter()
            await click_store.store(clicks)
            if round_:  # the first round warms up
                seconds[name].append(time.perf_counter() - started)
    return {name: 2_000 / statistics.median(values) for name, values in seconds.items()}


async def main() -> None:
    args = parse_args()
    from linkapp import db as database
    from linkapp.api.app import api
    from linkapp.core import ids
    from linkapp.core.config import settings
    from linkapp.redirect import ShortLinks
    from linkapp.services.clicks.recorder import recorder
    from linkapp.services.webhooks.dispatcher import Dispatcher
    from linkapp.services.webhooks.running import DispatcherThread

    print(f"webhook_bench: {_common.machine()}")
    receiver, hook_url = start_receiver(args.receiver_delay)
    url = _common.create_pg_database(DATABASE)
    try:
        await database.configure(_common.async_url(url))
        plain = await _common.make_link("plain", TARGET_URL)
        hooked = await _common.make_link("hooked", TARGET_URL)
        await add_hook(hooked, hook_url)
        app = ShortLinks(api)
        apps = {"no hook": (app, scopes(plain, args.clients)), "hook on the link": (app, scopes(hooked, args.clients))}
        recorder.start()
        for each, requests in apps.values():  # warm-up: lookups cached, parsers compiled
            await drive(each, requests, 500, Statuses())
        dispatcher = DispatcherThread(lambda: Dispatcher(rate=args.rate))  # as the app runs it

        rates, per_cpu, statuses, delivered, hooked_seconds = await redirect_rounds(args, apps, dispatcher)
        await recorder.flush()
        counts = await outbox_counts()
        writer = await writer_alone(args, ids.decode_link_id(plain), ids.decode_link_id(hooked))
        await recorder.stop()
    finally:
        receiver.terminate()
        await database.get_engine().dispose()
        if not args.keep:
            _common.drop_pg_database(DATABASE)

    median = {name: statistics.median(values) for name, values in rates.items()}
    cpu = {name: statistics.median(values) for name, values in per_cpu.items()}
    base, base_cpu = median["no hook"], cpu["no hook"]
    rate = settings.WEBHOOK_MAX_RATE if args.rate is None else args.rate
    ratio = median["hook on the link"] / median["no hook"]
    cpu_ratio = cpu["hook on the link"] / cpu["no hook"]
    print()
    print(table(
        ["redirects, writer running", "requests/s (median)", "vs no hook", "per CPU-second", "vs no hook", "statuses"],
        [
            [name, f"{median[name]:,.0f}", f"{median[name] / base:.2f}x", f"{cpu[name]:,.0f}", f"{cpu[name] / base_cpu:.2f}x", str(each.seen)]
            for name, each in statuses.items()
        ],
    ))
    print(
        f"\n{args.rounds} alternating rounds of {args.seconds:g} s of sequential GETs from {args.clients:,} clients "
        f"(rounds, requests/s: {'; '.join(name + ' ' + ' '.join(f'{rate:,.0f}' for rate in rates[name]) for name in rates)}). "
        f"Per CPU-second counts this process's CPU time, threads included: other work on the machine does not move it. "
        f"Deliveries while the hooked rounds ran: {delivered:,} ({delivered / hooked_seconds:,.0f}/s, WEBHOOK_MAX_RATE {rate:g}); "
        f"outbox at the end: {counts} (the rest waits in the outbox)"
    )
    print()
    print(table(
        ["click writer alone (store)", "clicks/s (median)", "vs no hook"],
        [[name, f"{rate:,.0f}", f"{rate / writer['no hook']:.2f}x"] for name, rate in writer.items()],
    ))
    print(
        f"\nRedirect rate with a hook on the link, everything in this one process: {ratio:.2f}x the rate without by the clock, "
        f"{cpu_ratio:.2f}x per CPU-second. Served as deployed (the writer in its own process), issue 13's target (>= 0.9x) "
        "is measured by load_bench.py --hook."
    )


if __name__ == "__main__":
    options = parse_args()
    if options.receiver:
        serve(options.receiver, options.receiver_delay)
    else:
        asyncio.run(main())
