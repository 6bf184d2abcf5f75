"""One delivery attempt: a POST to the hook's checked address, cut at the timeout, redirects not
followed, and no more of the answer read than a few KiB (only its status matters).

Each hook has its own HTTP client, so connections are kept alive between its deliveries but
never shared between hooks (each connection is made for one name, in `Host` and SNI), and a
hook never has more connections than its deliveries in flight.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import httpx

from linkapp.models.webhook import MAX_ERROR
from linkapp.services.webhooks import guard

MAX_ANSWER = 64 * 1024  # bytes of an answer read before the connection is dropped
IDLE_CLIENT = 300.0  # seconds a hook's unused client keeps its connections
USER_AGENT = "Linkapp-Webhooks/1"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What an attempt came to: the receiver's status, or why there was none."""

    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _describe(exc: BaseException) -> str:
    text = str(exc).strip() or exc.__class__.__name__
    return text[:MAX_ERROR]


class Sender:
    """Sends attempts; `timeout` bounds each one whole (lookup, connection, request and answer).

    Args:
        timeout: Seconds an attempt may take before it counts as failed (10 in production).
        per_hook: Connections a hook's client may keep open (its deliveries in flight).
    """

    def __init__(self, *, timeout: float, per_hook: int) -> None:
        self.timeout = timeout
        self.per_hook = per_hook
        self._clients: dict[int, tuple[str, httpx.AsyncClient, float]] = {}
        self._retired: list[httpx.AsyncClient] = []

    def _client(self, hook_id: int, host: str) -> httpx.AsyncClient:
        entry = self._clients.get(hook_id)
        if entry is not None and entry[0] == host:
            client = entry[1]
        else:
            if entry is not None:  # the hook's URL changed: its old connections go
                self._retired.append(entry[1])
            client = httpx.AsyncClient(
                timeout=self.timeout,
                follow_redirects=False,
                # No proxy from the environment: it would connect to a name we have not checked.
                trust_env=False,
                limits=httpx.Limits(max_connections=self.per_hook, max_keepalive_connections=self.per_hook),
            )
        self._clients[hook_id] = (host, client, time.monotonic())
        return client

    async def send(self, hook_id: int, url: str, headers: dict[str, str], body: bytes) -> Outcome:
        """POST `body` to `url` for hook `hook_id`; never raises for anything the receiver or the network does."""
        started = time.perf_counter()
        status: int | None = None
        error: str | None = None
        try:
            async with asyncio.timeout(self.timeout):
                where = await guard.target(url)
                client = self._client(hook_id, where.host)
                extensions = {"sni_hostname": where.sni_hostname} if where.sni_hostname else {}
                request_headers = {**headers, "Host": where.host, "User-Agent": USER_AGENT, "Content-Type": "application/json"}
                async with client.stream("POST", where.url, content=body, headers=request_headers, extensions=extensions) as response:
                    status = response.status_code
                    read = 0
                    async for chunk in response.aiter_raw():
                        read += len(chunk)
                        if read > MAX_ANSWER:
                            break
        except TimeoutError:
            error = f"no answer within {self.timeout:g} s"
        except (guard.Refused, httpx.HTTPError, OSError) as exc:
            error = _describe(exc)
        if status is not None:  # the status came in time: it decides, whatever the rest of the answer did
            error = None if 200 <= status < 300 else f"answered {status}" + (" (redirects are not followed)" if 300 <= status < 400 else "")
        return Outcome(status_code=status, error=error, duration_ms=round((time.perf_counter() - started) * 1000))

    async def close_idle(self, older_than: float = IDLE_CLIENT) -> None:
        """Close the clients of hooks that sent nothing for `older_than` seconds."""
        cutoff = time.monotonic() - older_than
        retired, self._retired = self._retired, []
        for client in retired:
            await client.aclose()
        for hook_id, (_, client, used) in list(self._clients.items()):
            if used < cutoff:
                del self._clients[hook_id]
                await client.aclose()

    async def close(self) -> None:
        clients, self._clients = self._clients, {}
        retired, self._retired = self._retired, []
        for client in [*retired, *(entry[1] for entry in clients.values())]:
            await client.aclose()
