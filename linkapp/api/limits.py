"""Refuse request bodies over 1 MiB with 413 before anything parses them (the link import
alone takes files of up to 20 MiB)."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from linkapp.services.links.import_rows import MAX_IMPORT_BYTES

MAX_BODY_BYTES = 1024 * 1024
# (method, path) -> its own limit. The import's leaves room for a form's boundaries and part
# headers around the file; the route refuses a file over MAX_IMPORT_BYTES itself.
LARGER_BODIES = {("POST", "/api/v1/links/import"): MAX_IMPORT_BYTES + 64 * 1024}


class BodySizeLimit:
    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES, prefix: str = "/api/", larger: dict[tuple[str, str], int] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.prefix = prefix
        self.larger = LARGER_BODIES if larger is None else larger

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        max_bytes = self.larger.get((scope["method"], scope["path"]), self.max_bytes)
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None:
            if not length.isdigit() or int(length) > max_bytes:
                await self._refuse(send, max_bytes)
                return
            await self.app(scope, receive, send)
            return
        # No length given (chunked): read up to the limit, then replay what was read.
        chunks: list[Message] = []
        size = 0
        while True:
            message = await receive()
            chunks.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > max_bytes:
                await self._refuse(send, max_bytes)
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return chunks.pop(0) if chunks else await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, send: Send, max_bytes: int) -> None:
        body = json.dumps(
            {"type": "about:blank", "title": "Content Too Large", "status": 413, "detail": f"Request bodies are limited to {max_bytes} bytes."}
        ).encode()
        await send({"type": "http.response.start", "status": 413, "headers": [(b"content-type", b"application/problem+json"), (b"content-length", str(len(body)).encode()), (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})
