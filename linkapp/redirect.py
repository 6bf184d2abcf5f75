"""The tracked redirect: answers GET/HEAD /{code} for short codes, passes all else on.

A FastAPI catch-all at /{code} would shadow every one-segment Reflex page, so this is an ASGI
middleware around the whole backend instead. It never waits for the database to write: the
click goes to the journal file just before the response and to the writer's queue after it. A
code that leads nowhere gets one of `visitor_pages` (404, 410), HTML or text as the client asks.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Receive, Scope, Send

from linkapp import visitor_pages
from linkapp.api.headers import REFERRER_POLICY
from linkapp.core import metrics, ratelimit
from linkapp.core.config import settings
from linkapp.core.net import client_ip
from linkapp.models.click import Click
from linkapp.services.clicks.recorder import recorder
from linkapp.services.links import redirects, reserved
from linkapp.services.links.scan_marker import without_scan_marker
from linkapp.services.links.urls import escape_non_ascii
from linkapp.services.visitors import bots
from linkapp.visitor_pages import NO_STORE, Page

CODE_RE = re.compile(r"/([A-Za-z0-9_-]{1,64})")
# Where browsers say a request is a prefetch or preview: the standard header, Chrome's older
# one, Safari's previews and Firefox's link prefetching.
PURPOSE_HEADERS = (b"sec-purpose", b"purpose", b"x-purpose", b"x-moz")
TEXT = (b"content-type", b"text/plain; charset=utf-8")


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


def _short_code(scope: Scope) -> str | None:
    """The short code a GET or HEAD asks for; None for every request the app answers instead."""
    if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
        return None
    match = CODE_RE.fullmatch(scope["path"])
    if match is None or reserved.is_reserved(match.group(1)):
        return None
    return match.group(1)


class Visit:
    """One request for a short code, as the redirect reads it, and the click it becomes.

    The request's own signs of a bot (HEAD, a prefetch) are free and read at once; the agent
    is judged only when a click limit asks `is_human`, and otherwise by the writer, off the
    request path. Slotted: one of these is made per redirect.
    """

    __slots__ = ("method", "ip", "user_agent", "referrer", "purpose", "bot_reason", "_judged")

    def __init__(self, scope: Scope) -> None:
        request_headers = _headers(scope)
        peer = scope.get("client")
        self.method: str = scope["method"]
        self.ip = client_ip(peer[0] if peer else None, request_headers.get(b"x-forwarded-for", ""))
        self.user_agent = request_headers.get(b"user-agent", "")
        self.referrer = request_headers.get(b"referer")
        self.purpose = " ".join(request_headers.get(name, "") for name in PURPOSE_HEADERS)
        self.bot_reason = bots.request_reason(self.method, self.purpose)
        self._judged = False

    def is_human(self) -> bool:
        """Whether a person sent this request, judging the agent too (once, on first call)."""
        if not self._judged:
            self._judged = True
            # On the loop, deliberately: bots reads at most 512 characters with linear-time
            # matchers (about 1 ms for the worst agent measured, 0.1 ms for a browser's, nothing
            # when cached). A thread would add its hop to every request and free the loop of
            # little: part of the judging is Python code, which holds the GIL anyway.
            self.bot_reason = self.bot_reason or bots.bot_reason(self.method, self.user_agent, self.purpose)
        return self.bot_reason is None

    def click(self, link_id: int, *, clicked_at: datetime, query: str) -> Click:
        """The click to record for a redirect to `link_id`.

        Args:
            link_id: the link the request resolved to.
            clicked_at: when the redirect decided, the same instant the link's expiry was checked at.
            query: the request's query string, non-ASCII bytes already escaped; its UTM
                parameters become the click's source, medium and campaign.
        """
        params = parse_qs(query) if query else {}
        return Click(
            link_id=link_id,
            clicked_at=clicked_at,
            ip_address=self.ip or None,
            user_agent=self.user_agent or None,
            referrer=self.referrer or None,
            source=params.get("utm_source", [None])[0],
            utm_medium=params.get("utm_medium", [None])[0],
            utm_campaign=params.get("utm_campaign", [None])[0],
            method=self.method,
            bot_reason=self.bot_reason,
        )


def _location(url: str, query: str) -> str:
    if not query or not settings.FORWARD_QUERY_PARAMS:
        return url
    query = without_scan_marker(query)  # a QR code's marker is ours, not the target's
    if not query:
        return url
    base, _, fragment = url.partition("#")
    joined = f"{base}{'&' if '?' in base else '?'}{query}"
    return f"{joined}#{fragment}" if fragment else joined


class ShortLinks:
    """ASGI middleware: `rx.App(api_transformer=[api, ShortLinks])`."""

    mounted: ShortLinks | None = None  # the one Reflex mounted, for `ahead_of`

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        ShortLinks.mounted = self

    @staticmethod
    def ahead_of(reflex_app: ASGIApp) -> ASGIApp:
        """Reflex's whole ASGI app, with the mounted ShortLinks answering short codes first.

        Reflex wraps what api_transformer mounts in its own layers (error pages, CORS, its
        contexts, a router and a mount): about a fifth of a redirect's cost under load, for
        nothing a redirect uses. Every other request goes through them as before.
        """

        async def short_links_first(scope: Scope, receive: Receive, send: Send) -> None:
            mounted = ShortLinks.mounted
            code = _short_code(scope) if mounted is not None else None
            if code is not None:
                await mounted.redirect(code, scope, send)
            else:
                await reflex_app(scope, receive, send)

        return short_links_first

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        code = _short_code(scope)
        if code is None:
            await self.app(scope, receive, send)
        else:
            await self.redirect(code, scope, send)

    async def redirect(self, code: str, scope: Scope, send: Send) -> None:
        """Answer a GET or HEAD of `code` (a request `_short_code` picked)."""
        visit = Visit(scope)
        # Limited before the lookup, so that guessing codes costs the same as using them.
        verdict = await ratelimit.check(settings.RATE_LIMIT_REDIRECT, "redirect", visit.ip)
        limit_headers = verdict.raw_headers()
        if not verdict.allowed:
            await _respond(send, 429, limit_headers + [(b"retry-after", str(verdict.reset_after).encode()), TEXT], b"Too many requests.", visit.method)
            metrics.count_redirect(429)
            return
        now = datetime.now(UTC)
        outcome, target = await redirects.visit(code, now=now, counted=visit.is_human)
        if outcome is redirects.Outcome.MISSING:
            # Unknown, deleted and disabled codes: answered here, not by the app's 404 page, so
            # that a script gets text too. Every one-segment page of the app is a reserved word.
            await _respond_page(send, visitor_pages.NOT_FOUND, scope, limit_headers, visit.method)
            metrics.count_redirect(404)
            return
        location, status = target.url, target.status
        if outcome is redirects.Outcome.GONE:
            if target.fallback_url is None:
                expired = target.expires_at is not None and target.expires_at <= now
                await _respond_page(send, visitor_pages.EXPIRED if expired else visitor_pages.USED_UP, scope, limit_headers, visit.method)
                metrics.count_redirect(410)
                return
            # Stored, but apart from the link's clicks; a bot keeps its own reason.
            location, status = target.fallback_url, 302
            visit.bot_reason = visit.bot_reason or bots.AFTER_EXPIRY

        # Raw non-ASCII bytes are escaped, so the query is forwarded and parsed byte for byte.
        query = escape_non_ascii(scope.get("query_string", b""))
        # Never cached, whatever the status: a browser that keeps a 301 stops asking, uncounted.
        headers = [(b"location", _location(location, query).encode("ascii")), *limit_headers, NO_STORE]
        click = visit.click(target.link_id, clicked_at=now, query=query)
        recorder.keep(click)  # on disk before the answer: a crash from here on loses no answered click
        await _respond(send, status, headers, b"", visit.method)
        metrics.count_redirect(status)
        # Queued only now, after the response went out, and exactly once.
        if not recorder.record_nowait(click):
            # Shielded: a client that hangs up now must not cancel the recording of its click.
            await asyncio.shield(recorder.record(click))


async def _respond(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes, method: str) -> None:
    headers = [*headers, REFERRER_POLICY, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if method == "HEAD" else body})


async def _respond_page(send: Send, page: Page, scope: Scope, headers: list[tuple[bytes, bytes]], method: str) -> None:
    page_headers, body = page.body_for(scope)
    await _respond(send, page.status, [*headers, *page_headers], body, method)
