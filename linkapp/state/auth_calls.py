"""The page's own calls to /api/v1/auth: how the web UI signs in without a script-readable secret.

The UI's long-lived credential is the API's refresh cookie (HttpOnly, Path=/api/v1/auth): only an
HTTP answer can set such a cookie, so the page signs in, renews and signs out with fetch, and
hands the state nothing but the answer: a 15-minute access token at most. Every call takes one
browser-wide lock (Web Locks): two tabs never present the same refresh token at once, so
rotation never looks like reuse.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import urlsplit

AUTH_PATH = "/api/v1/auth"
LOCK_NAME = "linkapp-session"
# The cookie the UI used to keep its session in, readable by scripts: browsers drop it on sight.
LEGACY_COOKIE = "linkapp_session"
UNREACHABLE = "Could not reach Linkapp. Check your connection and try again."

_CALL = (
    "(async (url, body) => {"
    f'document.cookie = "{LEGACY_COOKIE}=; Max-Age=0; path=/";'
    "const call = async () => {"
    "try {"
    'const init = {method: "POST", credentials: "include", headers: {"Content-Type": "application/json"}};'
    "if (body !== null) { init.body = JSON.stringify(body); }"
    "const r = await fetch(url, init);"
    "let data = null; try { data = await r.json(); } catch (e) {}"
    'return {status: r.status, body: data, retry_after: r.headers.get("Retry-After")};'
    "} catch (e) { return {status: 0, body: null, retry_after: null}; }"
    "};"
    f'return navigator.locks ? navigator.locks.request("{LOCK_NAME}", call) : call();'
    "})"
)


def api_base(origin: str, host: str) -> str:
    """Where the page reaches the API: its own origin ("") when the page and the websocket share
    one (production), else the websocket's host (Reflex's dev server serves the page elsewhere).

    Args:
        origin: The page's origin, as the websocket's Origin header gave it.
        host: The websocket's Host header: the backend as the browser reaches it.
    """
    page = urlsplit(origin)
    if not origin or not host or page.netloc.lower() == host.lower():
        return ""
    return f"{page.scheme or 'http'}://{host}"


def call_script(base: str, action: str, body: dict | None = None) -> str:
    """The JavaScript that POSTs `body` to /api/v1/auth/`action` and resolves to the answer,
    `{status, body, retry_after}` (status 0: the server could not be reached)."""
    return f"{_CALL}({json.dumps(f'{base}{AUTH_PATH}/{action}')}, {json.dumps(body)})"


@dataclass(frozen=True, slots=True)
class Answer:
    """What the API answered a call of the page's."""

    status: int
    body: dict
    retry_after: str | None = None

    @classmethod
    def of(cls, result: object) -> Answer:
        """The answer as the callback received it; anything malformed reads as "unreachable"."""
        if not isinstance(result, dict):
            return cls(0, {})
        body = result.get("body")
        status = result.get("status")
        return cls(status if isinstance(status, int) else 0, body if isinstance(body, dict) else {}, result.get("retry_after"))

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def access_token(self) -> str:
        token = self.body.get("access_token")
        return token if self.ok and isinstance(token, str) else ""

    def message(self) -> str:
        """What to tell a person about a refusal, in the API's own words."""
        if self.status == 0:
            return UNREACHABLE
        if self.status == 429:
            return f"Too many attempts. Try again in {self.retry_after or 'a few'} seconds."
        detail = self.body.get("detail")
        return detail if isinstance(detail, str) and detail else f"Something went wrong ({self.status}). Try again."

    def field_errors(self) -> list[tuple[str, str]]:
        """A 422's errors as (field, message), the field being the last part of `loc`."""
        errors = self.body.get("errors") if self.status == 422 else None
        found = []
        for item in errors if isinstance(errors, list) else []:
            if isinstance(item, dict) and isinstance(item.get("msg"), str):
                loc = item.get("loc") or [""]
                found.append((str(loc[-1]) if isinstance(loc, list) and loc else "", item["msg"]))
        return found
