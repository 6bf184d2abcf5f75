"""The tracked redirect: answers GET/HEAD /{code} for known short codes, passes all else on.

A FastAPI catch-all at /{code} would shadow every one-segment Reflex page, so this is an ASGI
middleware around the whole backend instead. It never waits for the database to write: the
click is queued after the response has been sent.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Receive, Scope, Send

from linkapp.core import metrics, ratelimit
from linkapp.core.config import settings
from linkapp.core.net import client_ip
from linkapp.models.click import Click
from linkapp.services.clicks.recorder import recorder
from linkapp.services.links import redirects, reserved
from linkapp.services.links.urls import escape_non_ascii
from linkapp.services.visitors import bots

CODE_RE = re.compile(r"/([A-Za-z0-9_-]{1,64})")
NO_STORE = (b"cache-control", b"private, no-store")
# Where browsers say a request is a prefetch or preview: the standard header, Chrome's older
# one, Safari's previews and Firefox's link prefetching.
PURPOSE_HEADERS = (b"sec-purpose", b"purpose", b"x-purpose", b"x-moz")
GONE_BODY = b"This short link has expired or reached its click limit."


WANTED_HEADERS = frozenset((b"user-agent", b"x-forwarded-for", b"referer", *PURPOSE_HEADERS))


def _headers(scope: Scope) -> dict[bytes, str]:
    """The request headers the redirect reads, in one pass: the first line of each, except
    X-Forwarded-For, whose lines are one list (RFC 9110 5.3): our proxy appends to the last."""
    found: dict[bytes, str] = {}
    for key, value in scope["headers"]:
        if key not in WANTED_HEADERS:
            continue
        if key not in found:
            found[key] = value.decode("latin-1")
        elif key == b"x-forwarded-for":
            found[key] += ", " + value.decode("latin-1")
    return found


def _location(url: str, query: str) -> str:
    if not query or not settings.FORWARD_QUERY_PARAMS:
        return url
    base, _, fragment = url.partition("#")
    joined = f"{base}{'&' if '?' in base else '?'}{query}"
    return f"{joined}#{fragment}" if fragment else joined


class ShortLinks:
    """ASGI middleware: `rx.App(api_transformer=[api, ShortLinks])`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        match = CODE_RE.fullmatch(scope["path"])
        if match is None or reserved.is_reserved(match.group(1)):
            await self.app(scope, receive, send)
            return
        code = match.group(1)
        method = scope["method"]
        request_headers = _headers(scope)
        user_agent = request_headers.get(b"user-agent", "")
        purpose = " ".join(request_headers.get(name, "") for name in PURPOSE_HEADERS)
        # The request's own signs are free; the agent is judged here only when a click limit
        # depends on it, and otherwise by the writer, off the request path.
        reason = bots.request_reason(method, purpose)
        judged: list[str | None] = []

        def is_human() -> bool:
            if not judged:
                judged.append(reason or bots.bot_reason(method, user_agent, purpose))
            return judged[0] is None

        peer = scope.get("client")
        ip = client_ip(peer[0] if peer else None, request_headers.get(b"x-forwarded-for", ""))
        # Limited before the lookup, so that guessing codes costs the same as using them.
        verdict = await ratelimit.check(settings.RATE_LIMIT_REDIRECT, "redirect", ip)
        limit_headers = [(key.lower().encode(), value.encode()) for key, value in verdict.headers().items()]
        if not verdict.allowed:
            await _respond(send, 429, limit_headers + [(b"retry-after", str(verdict.reset_after).encode())], b"Too many requests.", method)
            metrics.count_redirect(429)
            return
        now = datetime.now(UTC)
        outcome, target = await redirects.visit(code, now=now, counted=is_human)
        if outcome is redirects.Outcome.MISSING:
            # Unknown, deleted and disabled codes fall through to the app's 404 page.
            metrics.count_redirect(404)
            await self.app(scope, receive, send)
            return
        if outcome is redirects.Outcome.GONE:
            await _respond(send, 410, limit_headers, GONE_BODY, method)
            metrics.count_redirect(410)
            return

        # Raw non-ASCII bytes are escaped, so the query is forwarded and parsed byte for byte.
        query = escape_non_ascii(scope.get("query_string", b""))
        headers = [(b"location", _location(target.url, query).encode("ascii")), *limit_headers]
        if target.status in (302, 307):
            headers.append(NO_STORE)
        await _respond(send, target.status, headers, b"", method)
        metrics.count_redirect(target.status)
        # Recorded only now, after the response went out, and exactly once.
        params = parse_qs(query) if query else {}
        click = Click(
            link_id=target.link_id,
            clicked_at=now,
            ip_address=ip or None,
            user_agent=user_agent or None,
            referrer=request_headers.get(b"referer") or None,
            source=params.get("utm_source", [None])[0],
            utm_medium=params.get("utm_medium", [None])[0],
            utm_campaign=params.get("utm_campaign", [None])[0],
            method=method,
            bot_reason=judged[0] if judged else reason,
        )
        if not recorder.record_nowait(click):
            # Shielded: a client that hangs up now must not cancel the recording of its click.
            await asyncio.shield(recorder.record(click))


async def _respond(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes, method: str) -> None:
    headers = [*headers, (b"content-length", str(len(body)).encode())]
    if body:
        headers.append((b"content-type", b"text/plain; charset=utf-8"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if method == "HEAD" else body})
