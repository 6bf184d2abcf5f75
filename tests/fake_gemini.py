"""A local stand-in for Gemini's REST API, so no test ever reaches Google.

It speaks the wire protocol google-genai uses: `POST /{version}/models/{model}:generateContent`
with the key in `x-goog-api-key`, answers `{"candidates": [{"content": {"parts": [{"text"}]}}],
"usageMetadata": ...}`, and fails the way Google does (`{"error": {"code", "message", "status"}}`).
It records every request and can be told to fail, to answer slowly, or to answer anything.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

GENERATE = re.compile(r"^/(?P<version>v\d+(?:alpha|beta)?\d*)/models/(?P<model>[^/:]+):generateContent$")
STATUSES = {
    400: "INVALID_ARGUMENT",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
DEFAULT_ANSWER = {
    "summary": "Clicks are steady.",
    "highlights": ["Most clicks came from direct visits."],
    "suggestions": ["Share the link where your audience is."],
}


@dataclass
class RecordedRequest:
    method: str
    path: str
    version: str | None
    model: str | None
    headers: dict[str, str]
    raw: str
    body: dict | None = field(default=None)

    @property
    def system_instruction(self) -> str:
        parts = (self.body or {}).get("systemInstruction", {}).get("parts", [])
        return "".join(part.get("text", "") for part in parts)

    @property
    def user_parts(self) -> list[str]:
        return [part.get("text", "") for content in (self.body or {}).get("contents", []) for part in content.get("parts", [])]


class FakeGemini:
    """A real HTTP server on 127.0.0.1 (free port) in a background thread."""

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self._released = threading.Event()
        self.reset()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-gemini", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeGemini:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._released.set()
        self._server.shutdown()
        self._server.server_close()

    def reset(self) -> None:
        """Back to answering DEFAULT_ANSWER at once; forget recorded requests."""
        self.requests.clear()
        self.delay = 0.0
        self._error: tuple[int, str, str, dict] | None = None
        self._response: dict | None = None
        self.answer(DEFAULT_ANSWER)

    def answer(self, payload: dict | str) -> None:
        """The model's text from now on: a dict is sent as its JSON, like structured output."""
        self._text = payload if isinstance(payload, str) else json.dumps(payload)
        self._response = None
        self._error = None

    def respond(self, body: dict) -> None:
        """Answer with exactly this generateContent response body (e.g. a blocked prompt)."""
        self._response = body
        self._error = None

    def fail(self, code: int, message: str = "Something failed.", *, details: list | None = None, headers: dict | None = None) -> None:
        """Answer every request with Google's error JSON and this HTTP status."""
        body = {"error": {"code": code, "message": message, "status": STATUSES.get(code, "UNKNOWN")}}
        if details is not None:
            body["error"]["details"] = details
        self._error = (code, json.dumps(body), STATUSES.get(code, "UNKNOWN"), headers or {})

    def slow(self, seconds: float) -> None:
        """Wait this long before answering (cut short when the server stops)."""
        self.delay = seconds

    def _reply(self, request: RecordedRequest) -> tuple[int, str, dict]:
        if self._released.wait(self.delay) and self.delay:
            return 503, json.dumps({"error": {"code": 503, "message": "shutting down", "status": "UNAVAILABLE"}}), {}
        if request.model is None:
            return 404, _error(404, f"Unknown path {request.path}"), {}
        if not request.headers.get("x-goog-api-key"):
            return 403, _error(403, "Method doesn't allow unregistered callers. Please use an API key."), {}
        if request.body is None or not request.body.get("contents"):
            return 400, _error(400, "* GenerateContentRequest.contents: contents is not specified"), {}
        if self._error is not None:
            code, body, _, headers = self._error
            return code, body, headers
        if self._response is not None:
            return 200, json.dumps(self._response), {}
        prompt_tokens = max(1, len(request.raw) // 4)
        output_tokens = max(1, len(self._text) // 4)
        return 200, json.dumps({
            "candidates": [{"content": {"parts": [{"text": self._text}], "role": "model"}, "finishReason": "STOP", "index": 0}],
            "usageMetadata": {"promptTokenCount": prompt_tokens, "candidatesTokenCount": output_tokens, "totalTokenCount": prompt_tokens + output_tokens},
            "modelVersion": request.model,
            "responseId": f"fake-{len(self.requests)}",
        }), {}


def _error(code: int, message: str) -> str:
    return json.dumps({"error": {"code": code, "message": message, "status": STATUSES.get(code, "UNKNOWN")}})


def _handler(fake: FakeGemini) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            raw = self.rfile.read(int(self.headers.get("content-length") or 0)).decode()
            match = GENERATE.match(self.path.split("?", 1)[0])
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = None
            request = RecordedRequest(
                method="POST",
                path=self.path,
                version=match["version"] if match else None,
                model=match["model"] if match else None,
                headers={name.lower(): value for name, value in self.headers.items()},
                raw=raw,
                body=body,
            )
            fake.requests.append(request)
            status, payload, headers = fake._reply(request)
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                for name, value in headers.items():
                    self.send_header(name, value)
                data = payload.encode()
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting
                pass

        def log_message(self, *args) -> None:  # keep test output quiet
            pass

    return Handler
