"""Never-seen long User-Agents against a browser's, in process: what judging an agent costs,
alone and inside a redirect on a link with a click limit (the only redirect that judges the
agent before it answers; every other click is judged by the writer).

Every call gets an agent made for it, so no cache answers: what an attacker sending a new agent
each time costs. Times are the CPU time of this thread (`time.thread_time`), which is what the
redirects' event loop spends, and other work on the machine does not inflate them. Contenders
alternate call by call. Shapes of agent (each made fresh, of the length asked):

- `browser, never seen`: an everyday browser agent with a new version number (the baseline);
- `letters`: random ASCII letters (long words are what backtracking patterns choke on);
- `tokens`: `Mozilla/5.0 (` repeated, a random word among its first 400 characters;
- `padded browser`: a browser agent followed by random words;
- `crawler names, cut`: names from crawlerdetect's list, each missing its last letter
  (many partial matches alive at once: the worst input found for a DFA).

    .venv/bin/python bench/agent_bench.py --quick
    .venv/bin/python bench/agent_bench.py --lengths 256,512,1024,2048 --no-redirect
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import string
import time
from collections.abc import Callable

# _common first: it fixes the settings before anything imports linkapp.
import _common
from _common import Samples, ms, table

TARGET_URL = "https://example.com/landing"
BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.{}.{} Safari/537.36"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 1)[1]
    )
    parser.add_argument("--samples", type=int, default=200, help="calls per contender in the classification table (default 200)")
    parser.add_argument("--requests", type=int, default=300, help="redirects per contender (default 300)")
    parser.add_argument("--lengths", default="2048", help="agent lengths to classify, comma-separated (default 2048)")
    parser.add_argument("--no-redirect", action="store_true", help="classification only")
    parser.add_argument("--quick", action="store_true", help="40 calls and 60 redirects per contender")
    args = parser.parse_args()
    if args.quick:
        args.samples, args.requests = 40, 60
    args.lengths = [int(value) for value in args.lengths.split(",")]
    return args


# --- agents ------------------------------------------------------------------------------------


def _crawler_names() -> list[str]:
    from crawlerdetect.providers.crawlers import data

    plain = (re.sub(r"\\(.)", r"\1", pattern) for pattern in data if not re.search(r"[\[\]*+?{}().|^$]", re.sub(r"\\.", "", pattern)))
    return [name for name in plain if len(name) > 3]


def shapes(length: int, rng: random.Random) -> dict[str, Callable[[], str]]:
    """Makers of never-seen agents of `length` characters, one per shape."""
    names = _crawler_names()

    def letters() -> str:
        return "".join(rng.choices(string.ascii_letters, k=length))

    def tokens() -> str:
        body = "Mozilla/5.0 (" * (length // 13 + 1)
        # Within the first 400 characters: past the part that is judged, it would change nothing.
        cut = rng.randrange(0, min(length, 400) - 12)
        return (body[:cut] + "".join(rng.choices(string.ascii_lowercase, k=12)) + body[cut:])[:length]

    def padded() -> str:
        words = " ".join("".join(rng.choices(string.ascii_lowercase, k=rng.randint(3, 9))) for _ in range(length // 4))
        return (browser() + " " + words)[:length]

    def cut_names() -> str:
        out: list[str] = []
        size = 0
        while size < length:
            name = rng.choice(names)[:-1]
            out.append(name)
            size += len(name)
        return "".join(out)[:length]

    return {"letters": letters, "tokens": tokens, "padded browser": padded, "crawler names, cut": cut_names}


_versions = iter(range(10**9))


def browser() -> str:
    """An everyday browser agent never seen before (a new build number each call)."""
    number = next(_versions)
    return BROWSER.format(number // 1000, number % 1000)


# --- classification ----------------------------------------------------------------------------


def cpu(fn: Callable[[], object]) -> float:
    start = time.thread_time()
    fn()
    return time.thread_time() - start


def classify(args: argparse.Namespace) -> None:
    from linkapp.services.visitors import bots, devices

    rng = random.Random(11)
    makers: dict[str, Callable[[], str]] = {"browser, never seen": browser}
    for length in args.lengths:
        for name, maker in shapes(length, rng).items():
            makers[f"{name}, {length:,} chars"] = maker
    # Compile and warm up every matcher once (the app does this at start-up).
    for maker in makers.values():
        bots.bot_reason("GET", maker())
        devices.describe_agent(maker())
    judged = {name: Samples() for name in makers}
    described = {name: Samples() for name in makers}
    for _ in range(args.samples):
        for name, maker in makers.items():
            agent = maker()
            judged[name].times.append(cpu(lambda agent=agent: bots.bot_reason("GET", agent)))
            # A different agent again: devices asks bots too, whose cache would answer.
            agent = maker()
            described[name].times.append(cpu(lambda agent=agent: devices.describe_agent(agent)))
    base = judged["browser, never seen"].median
    rows = [
        [name, ms(judged[name].median), ms(judged[name].p95), ms(max(judged[name].times)), f"{judged[name].median / base:.1f}x",
         ms(described[name].median), ms(described[name].p95)]
        for name in makers
    ]
    print(table(["never-seen agent", "bot_reason ms", "p95", "max", "vs browser", "describe_agent ms", "p95"], rows))
    print(f"\n{args.samples} calls per contender, CPU ms of this thread; bot_reason is what a redirect on a link with a click limit calls,")
    print("describe_agent what the writer calls (device, browser, OS, and the bot verdict again)")


# --- redirect ----------------------------------------------------------------------------------


def scope(code: str, agent: str, n: int) -> dict:
    headers = [(b"user-agent", agent.encode("latin-1")), (b"accept", b"text/html")]
    return _common.get_scope(code, headers, (f"198.51.{n // 250 % 250}.{n % 250 + 1}", 40000))


async def redirect(args: argparse.Namespace) -> None:
    from linkapp import db as database
    from linkapp.api.app import api
    from linkapp.redirect import ShortLinks

    await database.configure(_common.async_url(_common.create_sqlite_database()))
    try:
        code = await _common.make_link("agents", TARGET_URL, max_clicks=1_000_000_000)
        app = ShortLinks(api)
        statuses: dict[int, int] = {}

        async def send(message: dict) -> None:
            if message["type"] == "http.response.start":
                statuses[message["status"]] = statuses.get(message["status"], 0) + 1

        rng = random.Random(12)
        length = max(args.lengths)
        everyday = browser()
        makers: dict[str, Callable[[], str]] = {"browser (seen before)": lambda: everyday, "browser, never seen": browser}
        for name, maker in shapes(length, rng).items():
            makers[f"{name}, {length:,} chars, never seen"] = maker
        cpu_times = {name: Samples() for name in makers}
        wall = {name: Samples() for name in makers}
        count = 0
        for round_ in range(args.requests + 5):  # 5 rounds of warm-up: the link lookup and allowance are cached after them
            for name, maker in makers.items():
                request = scope(code, maker(), count)
                count += 1
                started, started_cpu = time.perf_counter(), time.thread_time()
                await app(request, _common.receive_nothing, send)
                spent, spent_cpu = time.perf_counter() - started, time.thread_time() - started_cpu
                await asyncio.sleep(0)  # the loop's turn between requests, as a server's read gives it
                if round_ >= 5:
                    cpu_times[name].times.append(spent_cpu)
                    wall[name].times.append(spent)
    finally:
        await database.get_engine().dispose()
    base = cpu_times["browser (seen before)"].median
    rows = [
        [name, ms(cpu_times[name].median), ms(cpu_times[name].p95), ms(max(cpu_times[name].times)), f"+{ms(cpu_times[name].median - base)}",
         f"{cpu_times[name].median / base:.1f}x", ms(wall[name].median)]
        for name in makers
    ]
    print(table(["redirect, link with max_clicks", "CPU ms", "p95", "max", "vs browser", "ratio", "wall ms"], rows))
    print(f"\n{args.requests} GETs per contender, interleaved, ShortLinks(api) called directly (SQLite, writer stopped); statuses {statuses}")


async def main() -> None:
    args = parse_args()
    print(f"agent_bench: {_common.machine()}\n")
    classify(args)
    if not args.no_redirect:
        print()
        await redirect(args)


if __name__ == "__main__":
    asyncio.run(main())
