"""One JSON line per request, and the request id that ties a client's report to it.

A pure ASGI middleware around the app (pages, API, assets, 404s), inside the redirect: a tracked
redirect is a click, counted and stored as one, and a log line for each would cost the hot path
more than its own work. `X-Request-ID` is taken from the request when it looks like an id (a
proxy's), else made, and echoed on the answer. The line names the route's path template, never
the query string (it may hold tokens), and the client only as its anonymized network.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from linkapp.core.config import settings
from linkapp.core.net import client_ip, ip_prefix

log = logging.getLogger("linkapp.requests")
REQUEST_ID = b"x-request-id"
# What a proxy's id looks like: a uuid, a hex or base64url string; anything else is replaced.
GOOD_ID = re.compile(rb"[A-Za-z0-9._-]{1,128}")


def _request_id(scope: Scope) -> str:
    for key, value in scope["headers"]:
        if key == REQUEST_ID and GOOD_ID.fullmatch(value):
            return value.decode("ascii")
    return uuid.uuid4().hex


def _path_template(scope: Scope) -> str:
    """The matched route's path ("/api/v1/links/{link_id}"), else the path itself (pages, files).

    A route of an included router knows only its own part ("/links/{link_id}"): the segments of
    the path before it are the routers' prefixes, which hold no parameters here."""
    path = scope.get("path", "")
    template = getattr(scope.get("route"), "path", None)
    if not isinstance(template, str) or not template:
        return path
    if ":path}" in template:  # spans segments: only the top-level catch-all has one
        return template
    own = template.count("/")
    prefix = "/".join(path.split("/")[: path.count("/") - own + 1])
    return prefix + template


def _client(scope: Scope) -> str | None:
    peer = scope.get("client")
    forwarded = ", ".join(value.decode("latin-1") for key, value in scope["headers"] if key == b"x-forwarded-for") or None
    address = client_ip(peer[0] if peer else None, forwarded)
    return ip_prefix(address) if settings.ANONYMIZE_IP else address


class RequestLog:
    """ASGI middleware: `rx.App(api_transformer=[api, SecurityHeaders, RequestLog, ShortLinks])`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        started = time.perf_counter()
        status = 500  # what the client gets if the app fails before answering

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [(key, value) for key, value in message.get("headers", ()) if key.lower() != REQUEST_ID]
                message["headers"] = [*headers, (REQUEST_ID, request_id.encode("ascii"))]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if log.isEnabledFor(logging.INFO):
                log.info(
                    json.dumps(
                        {
                            "method": scope["method"],
                            "path": _path_template(scope),
                            "status": status,
                            "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                            "request_id": request_id,
                            "client": _client(scope),
                        },
                        separators=(",", ":"),
                    )
                )


def configure() -> None:
    """In production, the request lines go to standard error at INFO, one bare JSON line each."""
    if settings.ENV != "production" or log.handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
