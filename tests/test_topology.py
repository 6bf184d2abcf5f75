"""compose.yaml's topology without Docker: two instances started as the image starts them, on one
PostgreSQL and one Redis, migrated once, behind a small round-robin TCP balancer (Caddy's part).

They must answer as one service: traffic reaches both, a link edited through one redirects to
its new target on the other within a second, the second start reuses the first one's frontend
build, and `kill -9` of one instance under load, then its restart (compose restarts it), loses
no answered click.
"""

from __future__ import annotations

import asyncio
import itertools
import signal
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from linkapp.serve import REUSED
from tests import redis_server
from tests.live import BROWSER_UA, LiveServer, migrate, start_server
from tests.webhook_receiver import Receiver

pytestmark = [pytest.mark.stack, pytest.mark.skipif(bool(redis_server.missing()), reason=redis_server.missing() or "")]

ROOT = Path(__file__).resolve().parent.parent
TRACKED = ("reflex.lock/package.json", "reflex.lock/bun.lock")
LOAD = 400
CLICKS = 40  # clicks on the hooked link
KILL_AT = 120  # answers before the first instance is killed


class Balancer:
    """A round-robin TCP balancer, as small as the test needs: each connection goes to the next
    backend that accepts it (one that refuses is skipped), and bytes are copied both ways."""

    def __init__(self) -> None:
        self.backends: list[int] = []
        self.connections: Counter[int] = Counter()
        self._turn = itertools.count()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="balancer", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Balancer:
        self._thread.start()
        start = asyncio.start_server(self._serve, "127.0.0.1", 0)
        self._server = asyncio.run_coroutine_threadsafe(start, self._loop).result(5)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def __exit__(self, *exc_info) -> None:
        async def stop() -> None:
            self._server.close()
            for task in asyncio.all_tasks() - {asyncio.current_task()}:
                task.cancel()

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    async def _serve(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        for _ in range(len(self.backends)):
            port = self.backends[next(self._turn) % len(self.backends)]
            try:
                backend_reader, backend_writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                continue
            self.connections[port] += 1
            await asyncio.gather(_copy(client_reader, backend_writer), _copy(backend_reader, client_writer))
            return
        client_writer.close()


async def _copy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except OSError:
        pass
    finally:
        writer.close()


@dataclass
class Stack:
    balancer: Balancer
    first: LiveServer
    second: LiveServer
    database_url: str
    env: dict[str, str]
    tracked_before: dict[str, bytes]


@pytest.fixture(scope="module")
def stack(temp_databases, tmp_path_factory):
    database_url = temp_databases.postgresql()
    migrate(database_url)  # once, as compose's migrate service: the instances do not
    tracked_before = {name: (ROOT / name).read_bytes() for name in TRACKED}
    folder = tmp_path_factory.mktemp("topology")
    with redis_server.server_names() as names, Balancer() as balancer:
        env = {
            **names,
            # As in compose.yaml: the public address is the balancer's, which is the trusted proxy.
            "HOST_URL": balancer.url,
            "TRUSTED_PROXIES": "127.0.0.1",
            "RATE_LIMIT_REDIRECT": "1000000/minute",
            # A minute: longer than an edit may take to reach the other instance's cache.
            "LINK_CACHE_TTL": "60",
            # A dead instance's unstored clicks are taken over after a second, not a minute.
            "CLICK_CLAIM_IDLE": "1",
            # Several workers per instance as with Redis in production, but two: this machine has two cores.
            "GRANIAN_WORKERS": "2",
            "WEBHOOK_ALLOW_PRIVATE": "true",  # the test's receiver is on loopback
        }
        first = start_server(database_url, folder / "app1" / "server.log", extra_env=env, migrate_first=False)
        try:
            second = start_server(database_url, folder / "app2" / "server.log", extra_env=env, migrate_first=False)
            try:
                balancer.backends[:] = [first.port, second.port]
                yield Stack(balancer, first, second, database_url, env, tracked_before)
            finally:
                second.stop()
        finally:
            first.stop(signal.SIGKILL)


def _register(base_url: str) -> dict:
    with httpx.Client(base_url=base_url, timeout=10) as http:
        response = http.post("/api/v1/auth/register", json={"username": f"stack{time.monotonic_ns() % 10**8}", "password": "Corr3ct-Horse!"})
        assert response.status_code == 201, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _link(base_url: str, headers: dict, url: str) -> dict:
    response = httpx.post(f"{base_url}/api/v1/links", json={"url": url}, headers=headers, timeout=10)
    assert response.status_code == 201, response.text
    return response.json()


def _target(base_url: str, code: str) -> str:
    """Where /{code} redirects, asked on a connection of its own (so any worker may answer)."""
    response = httpx.get(f"{base_url}/{code}", headers={"User-Agent": BROWSER_UA}, timeout=10)
    assert response.status_code == 302, response.status_code
    return response.headers["location"]


def test_balancer_spreads_requests_over_both_instances(stack):
    headers = _register(stack.balancer.url)
    code = _link(stack.balancer.url, headers, "https://example.com/spread")["shortened_url"].rsplit("/", 1)[1]
    stack.balancer.connections.clear()
    for _ in range(20):
        assert _target(stack.balancer.url, code) == "https://example.com/spread"
        assert httpx.get(f"{stack.balancer.url}/", timeout=10).status_code == 200  # the UI, from either
    assert stack.balancer.connections[stack.first.port] >= 10
    assert stack.balancer.connections[stack.second.port] >= 10


def test_start_of_unchanged_app_reuses_build_and_leaves_tracked_files_alone(stack):
    """The second instance started from the same checkout after the first built the frontend:
    a restart of an unchanged app. It must not build again, nor rewrite tracked files."""
    assert REUSED in stack.second.log()
    assert "Creating Production Build" not in stack.second.log()
    for name, before in stack.tracked_before.items():
        assert (ROOT / name).read_bytes() == before, f"starting the app rewrote {name}"


def test_edit_through_one_instance_redirects_on_the_other_within_a_second(stack):
    headers = _register(stack.first.base_url)
    link = _link(stack.first.base_url, headers, "https://example.com/before")
    code = link["shortened_url"].rsplit("/", 1)[1]
    for _ in range(8):  # every worker of the second instance caches the old target
        assert _target(stack.second.base_url, code) == "https://example.com/before"

    edited = httpx.patch(f"{stack.first.base_url}/api/v1/links/{link['id']}", json={"url": "https://example.com/after"}, headers=headers, timeout=10)
    assert edited.status_code == 200, edited.text
    deadline = time.monotonic() + 1.0
    while _target(stack.second.base_url, code) != "https://example.com/after":
        assert time.monotonic() < deadline, "the other instance still redirects to the old target after a second"
    for _ in range(8):
        assert _target(stack.second.base_url, code) == "https://example.com/after"


async def test_each_event_reaches_a_hook_once_though_four_dispatchers_run(stack):
    """Every worker of both instances runs a dispatcher (4 here); they share one outbox, and each
    event is delivered by one of them, once: link events from either instance and the clicks
    taken from the shared stream by any writer."""
    receiver = Receiver().start()
    try:
        headers = _register(stack.balancer.url)
        made = httpx.post(
            f"{stack.first.base_url}/api/v1/webhooks",
            json={"url": receiver.url, "events": ["link.created", "link.updated", "link.clicked"]},
            headers=headers,
            timeout=10,
        )
        assert made.status_code == 201, made.text
        link = _link(stack.first.base_url, headers, "https://example.com/hooked")
        code = link["shortened_url"].rsplit("/", 1)[1]
        edited = httpx.patch(f"{stack.second.base_url}/api/v1/links/{link['id']}", json={"title": "Hooked"}, headers=headers, timeout=10)
        assert edited.status_code == 200, edited.text
        answered, outcomes = await _load(stack.balancer.url, code, CLICKS, concurrency=8, on_answer=lambda _: None)
        assert answered == {f"r{n}" for n in range(CLICKS)}, outcomes

        await receiver.wait_for(2 + CLICKS, timeout=15.0)
        await asyncio.sleep(2.0)  # time for any second delivery of the same event to show up
        events = [each.event for each in receiver.received]
        deliveries = [each.headers["linkapp-delivery"] for each in receiver.received]
        assert len(events) == 2 + CLICKS and len(set(deliveries)) == len(deliveries), Counter(deliveries).most_common(3)
        assert len({event["id"] for event in events}) == len(events)
        assert Counter(event["type"] for event in events) == {"link.created": 1, "link.updated": 1, "link.clicked": CLICKS}
        assert {event["data"]["source"] for event in events if event["type"] == "link.clicked"} == answered
    finally:
        receiver.stop()


def _stored(database_url: str, url: str) -> list[str]:
    """The utm_source of every click stored for the link to `url`, one entry per stored row."""
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            query = text("SELECT e.source FROM link_events e JOIN links l ON l.id = e.link_id WHERE l.url = :url")
            return [row.source for row in conn.execute(query, {"url": url})]
    finally:
        engine.dispose()


async def _load(base_url: str, code: str, count: int, *, concurrency: int, on_answer) -> tuple[set[str], Counter]:
    """GET /{code}?utm_source=r<n> for n < `count`, `concurrency` at once, as a browser.

    Returns the tags of the requests answered with the redirect (each such click must be stored
    under its tag) and how many requests ended each way; `on_answer(n)` runs after the n-th answer.
    """
    answered: set[str] = set()
    outcomes: Counter = Counter()
    gate = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base_url, timeout=15, limits=limits, headers={"User-Agent": BROWSER_UA}) as http:

        async def one(n: int) -> None:
            async with gate:
                try:
                    status = (await http.get(f"/{code}", params={"utm_source": f"r{n}"})).status_code
                except httpx.HTTPError as exc:
                    outcomes[exc.__class__.__name__] += 1
                    return
            outcomes[status] += 1
            if status == 302:
                answered.add(f"r{n}")
                on_answer(len(answered))

        await asyncio.gather(*(one(n) for n in range(count)))
    return answered, outcomes


@pytest.fixture(scope="module")
async def crash(stack):
    """Load through the balancer, `kill -9` of the first instance after KILL_AT answers, its
    restart (as compose's restart policy does) and the clicks stored once both have taken over
    what they can."""
    target = "https://example.com/crash"
    code = _link(stack.balancer.url, _register(stack.balancer.url), target)["shortened_url"].rsplit("/", 1)[1]
    stack.balancer.connections.clear()

    def kill_midway(answered: int) -> None:
        if answered == KILL_AT:
            stack.first.signal(signal.SIGKILL)

    answered, outcomes = await _load(stack.balancer.url, code, LOAD, concurrency=16, on_answer=kill_midway)
    connections = dict(stack.balancer.connections)
    exit_code = stack.first.wait(10)
    log_path = stack.first.log_path.with_name("restarted.log")  # same folder: same spool
    restarted = await asyncio.to_thread(start_server, stack.database_url, log_path, extra_env=stack.env, migrate_first=False)
    try:
        stack.balancer.backends[0] = restarted.port
        deadline = time.monotonic() + 20
        while not answered <= set(stored := await asyncio.to_thread(_stored, stack.database_url, target)) and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        yield {"code": code, "answered": answered, "outcomes": outcomes, "stored": stored, "connections": connections, "exit_code": exit_code}
    finally:
        restarted.stop()


def test_kill_9_of_one_instance_under_load_leaves_the_other_serving(stack, crash):
    outcomes, stored = crash["outcomes"], crash["stored"]
    assert crash["exit_code"] == -signal.SIGKILL
    # Requests in flight on the killed instance fail; every other one is answered by the survivor.
    assert set(outcomes) <= {302, "RemoteProtocolError", "ReadError", "WriteError", "ConnectError"}, outcomes
    assert outcomes[302] >= LOAD - 16 * 2, outcomes
    assert crash["connections"].get(stack.first.port) and crash["connections"].get(stack.second.port), crash["connections"]
    # Never a click stored twice (a request whose answer the kill cut off may be stored once).
    assert len(stored) == len(set(stored)), Counter(stored).most_common(3)
    assert _target(stack.balancer.url, crash["code"]) == "https://example.com/crash"


def test_kill_9_of_one_instance_under_load_loses_no_answered_click(crash):
    """Every redirect a client received has its click stored, under the tag of its request.

    With Redis it holds today (ten runs in ten): the same task that hands the answer over sends
    the click to the stream right after, and what a process has written to a socket survives
    its kill -9. A change that keeps clicks in memory for a while before they reach Redis (a
    batch every 100 ms, say) loses some here: 16 of 391 when tried.
    """
    lost = crash["answered"] - set(crash["stored"])
    assert not lost, f"{len(lost)} of {len(crash['answered'])} answered redirects have no stored click"
