"""Security headers on every answer of the UI and the API.

A pure ASGI middleware around FastAPI, and so around the Reflex app mounted beneath it: pages,
static assets, the API, /healthz, /docs and the 404 page all pass through it, while the redirect
(the outer middleware) answers before it and adds only Referrer-Policy. Websockets and lifespan
pass untouched.

HTML pages get a Content-Security-Policy that allows the page's own inline scripts (React
Router's hydration data, Reflex's color-mode script) by their hashes, read from the HTML as it
is served (a body, or a file sent by path) and cached. Everything else gets a policy under which
nothing runs or loads, should it be opened as a document (an SVG, a JSON answer).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import logging
import re
import zlib
from collections.abc import Iterable
from urllib.parse import urlsplit

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from linkapp.core.config import settings

log = logging.getLogger(__name__)

REFERRER_POLICY = (b"referrer-policy", b"strict-origin-when-cross-origin")
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")
CSP = b"content-security-policy"
ALWAYS = (b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"), REFERRER_POLICY
LOCKED_DOWN = b"default-src 'none'; frame-ancestors 'none'"
COMMON_DIRECTIVES = "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
# Pages longer than this are not read to the end for their scripts (ours are ~20 KB).
MAX_HELD_BYTES = 2 * 1024 * 1024
INLINE_SCRIPT = re.compile(rb"<script\b([^>]*)>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)
SRC_ATTRIBUTE = re.compile(rb"(?:^|\s)src\s*=", re.IGNORECASE)


def page_policy(socket_origin: str) -> str:
    """The policy of the app's pages, with `{scripts}` left for the page's inline script hashes."""
    return "; ".join(
        (
            "default-src 'self'",
            # Reflex's client runs rx.call_script code (set_clipboard, ...) through eval.
            "script-src 'self' 'unsafe-eval'{scripts}",
            # Emotion, Radix and Plotly write <style> elements and style attributes at run time.
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            # The event websocket: some browsers do not let 'self' cover ws:/wss:.
            f"connect-src 'self' {socket_origin}",
            COMMON_DIRECTIVES,
        )
    )


DOCS_PATHS = ("/docs", "/redoc")
# /docs and /redoc load Swagger UI and ReDoc from the app (api/docs.py) and start them with an
# inline script; ReDoc writes its styles inline, runs its search in a worker made from a blob
# and shows a logo from its site.
DOCS_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'{scripts}",
        "style-src 'self' 'unsafe-inline'",
        # ReDoc's "powered by" logo; offline it simply does not show.
        "img-src 'self' data: https://cdn.redoc.ly",
        "worker-src 'self' blob:",
        "connect-src 'self'",
        COMMON_DIRECTIVES,
    )
)


def _socket_origin(host_url: str) -> str:
    parts = urlsplit(host_url)
    return f"{'wss' if parts.scheme == 'https' else 'ws'}://{parts.netloc}"


@functools.lru_cache(maxsize=32)
def script_sources(html: bytes, encoding: bytes = b"") -> str:
    """The CSP sources that allow exactly the inline scripts of `html`: one 'sha256-…' each.

    Args:
        html: the page as sent, compressed as `encoding` says (gzip or none).
        encoding: the response's Content-Encoding.
    """
    try:
        if encoding == b"gzip":
            # A decompressor, not gzip.decompress: a HEAD's empty body or a page cut at
            # MAX_HELD_BYTES is not a whole gzip stream.
            html = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(html)
        elif encoding not in (b"", b"identity"):
            raise ValueError("not gzip")
    except (ValueError, zlib.error):
        log.warning("cannot read the scripts of a %s-encoded page: it gets a policy without them", encoding.decode("latin-1"))
        return ""
    sources = []
    for attributes, script in INLINE_SCRIPT.findall(html):
        if SRC_ATTRIBUTE.search(attributes):
            continue
        # Browsers hash the text after the parser has turned CRLF and CR into LF.
        script = script.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        digest = base64.b64encode(hashlib.sha256(script).digest()).decode()
        if f"'sha256-{digest}'" not in sources:
            sources.append(f"'sha256-{digest}'")
    return " ".join(sources)


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> bytes:
    return next((value for key, value in headers if key.lower() == name), b"")


def _add_missing(headers: list[tuple[bytes, bytes]], extra: Iterable[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """`headers` plus those of `extra` it does not set itself (a route may set its own)."""
    present = {key.lower() for key, _ in headers}
    return [*headers, *(header for header in extra if header[0] not in present)]


class SecurityHeaders:
    """ASGI middleware around the whole backend: `rx.App(api_transformer=[api, SecurityHeaders, ShortLinks])`.

    Outside FastAPI, not inside it: FastAPI answers an unexpected error's 500 from its outermost
    layer, past every middleware added to it."""

    def __init__(self, app: ASGIApp, docs_paths: Iterable[str | None] = DOCS_PATHS) -> None:
        self.app = app
        self.docs_paths = frozenset(path for path in docs_paths if path)
        self.always = (*ALWAYS, HSTS) if settings.secure_cookies else ALWAYS
        self.page_policy = page_policy(_socket_origin(settings.HOST_URL))
        self._file_scripts: dict[tuple[str, bytes], str] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = DOCS_POLICY if scope["path"] in self.docs_paths else self.page_policy
        held: list[Message] = []  # an HTML page's start and body, until its scripts are known
        held_bytes = 0

        async def send_secured(message: Message) -> None:
            nonlocal held_bytes
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                if message["status"] == 304:
                    # No policy: a browser would lay it over the one it stored with the page.
                    message["headers"] = _add_missing(headers, self.always)
                elif _header(headers, b"content-type").startswith(b"text/html"):
                    held.append(message)
                    return
                else:
                    message["headers"] = _add_missing(headers, (*self.always, (CSP, LOCKED_DOWN)))
            elif held:
                held.append(message)
                held_bytes += len(message.get("body", b""))
                finished = message["type"] == "http.response.pathsend" or not message.get("more_body", False)
                if not (finished or held_bytes > MAX_HELD_BYTES):
                    return
                await self._send_page(held, policy, send)
                held.clear()
                return
            await send(message)

        await self.app(scope, receive, send_secured)

    async def _send_page(self, held: list[Message], policy: str, send: Send) -> None:
        start, rest = held[0], held[1:]
        headers = list(start.get("headers", ()))
        encoding = _header(headers, b"content-encoding").lower()
        if rest and rest[-1]["type"] == "http.response.pathsend":
            scripts = await self._scripts_of_file(rest[-1]["path"], _header(headers, b"etag"), encoding)
        else:
            scripts = script_sources(b"".join(message.get("body", b"") for message in rest), encoding)
        csp = policy.format(scripts=f" {scripts}" if scripts else "").encode()
        start["headers"] = _add_missing(headers, (*self.always, (CSP, csp)))
        await send(start)
        for message in rest:
            await send(message)

    async def _scripts_of_file(self, path: str, etag: bytes, encoding: bytes) -> str:
        """script_sources of a page the server sends from a file, read once per file and version."""
        key = (path, etag)
        if key not in self._file_scripts:
            if len(self._file_scripts) > 256:
                self._file_scripts.clear()
            self._file_scripts[key] = script_sources(await anyio.Path(path).read_bytes(), encoding)
        return self._file_scripts[key]
