"""The pages the redirect shows visitors when there is nowhere to send them: an unknown code (404),
an expired link and a used-up one (410).

Written once, as bytes, when the module loads: the redirect only picks one. Each is a small HTML
page in the app's colours (light or dark as the visitor's system prefers) with its stylesheet
inline and allowed by its hash, nothing else loaded or run; or plain text for clients that do not
ask for HTML. Neither may be cached: a link brought back must work on the next visit.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from functools import lru_cache
from html import escape

from starlette.types import Scope

from linkapp.api.headers import LOCKED_DOWN

# Radix's slate and violet, as the app's theme (rxconfig.py) uses them.
STYLE = """
:root{color-scheme:light dark;--bg:#f9f9fb;--card:#fff;--text:#1c2024;--muted:#60646c;--border:#e0e1e6;--accent:#6e56cf;--code:#5746af}
@media (prefers-color-scheme:dark){:root{--bg:#111113;--card:#18191b;--text:#edeef0;--muted:#b0b4ba;--border:#2e3135;--accent:#8e7ae6;--code:#baa7ff}}
*{box-sizing:border-box}
body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;padding:1.5rem;background:var(--bg);color:var(--text);
font:16px/1.5 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,"Helvetica Neue",system-ui,sans-serif}
main{width:100%;max-width:27rem;padding:2.5rem 2rem;text-align:center;background:var(--card);border:1px solid var(--border);border-radius:12px}
.brand{display:inline-flex;align-items:center;gap:.5rem;color:var(--text);font-size:1.25rem;font-weight:700;text-decoration:none}
.brand svg{color:var(--accent)}
a:focus-visible{outline:2px solid var(--accent);outline-offset:2px;border-radius:4px}
.status{margin:1.75rem 0 0;font-size:3.5rem;font-weight:700;line-height:1;color:var(--code)}
h1{margin:.75rem 0 .5rem;font-size:1.3rem;line-height:1.3}
p{margin:0;color:var(--muted)}
"""
# Lucide's "link-2", the icon of the app's brand.
LOGO = (
    '<svg width="24" height="24" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" '
    'stroke-linejoin="round" aria-hidden="true"><path d="M9 17H7A5 5 0 0 1 7 7h2"/><path d="M15 7h2a5 5 0 1 1 0 10h-2"/>'
    '<line x1="8" x2="16" y1="12" y2="12"/></svg>'
)
STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
# Only the inline stylesheet; no script, image, font or form. The redirect's answers pass outside
# SecurityHeaders, so the page brings its own policy.
POLICY = f"default-src 'none'; style-src 'sha256-{STYLE_HASH}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
NO_STORE = (b"cache-control", b"private, no-store")
VARY = (b"vary", b"Accept")
# Both forms carry what SecurityHeaders gives the app's answers (the redirect adds Referrer-Policy),
# are never cached, and depend on the Accept header.
COMMON = ((b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"), NO_STORE, VARY)
HTML_HEADERS = ((b"content-type", b"text/html; charset=utf-8"), (b"content-security-policy", POLICY.encode()), *COMMON)
TEXT_HEADERS = ((b"content-type", b"text/plain; charset=utf-8"), (b"content-security-policy", LOCKED_DOWN), *COMMON)
HTML_TYPES = (b"text/html", b"application/xhtml+xml")


@dataclass(frozen=True, slots=True)
class Page:
    """One answer in both forms, ready to send."""

    status: int
    html: bytes
    text: bytes

    def body_for(self, scope: Scope) -> tuple[list[tuple[bytes, bytes]], bytes]:
        """The headers and body for this request: HTML when its Accept header asks for HTML."""
        if wants_html(scope):
            return list(HTML_HEADERS), self.html
        return list(TEXT_HEADERS), self.text


def render(status: int, heading: str, message: str, text: str) -> Page:
    """A page with the app's brand, the status code, a heading and one sentence; `text` for the rest."""
    html = (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n<meta name="robots" content="noindex">\n'
        f"<title>{escape(heading)} · Linkapp</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n"
        f'<a class="brand" href="/">{LOGO}<span>Linkapp</span></a>\n'
        f'<p class="status">{status}</p>\n<h1 id="visitor-heading">{escape(heading)}</h1>\n<p id="visitor-message">{escape(message)}</p>\n'
        "</main>\n</body>\n</html>\n"
    )
    return Page(status, html.encode(), f"{text}\n".encode())


def wants_html(scope: Scope) -> bool:
    """Whether the request's Accept header names HTML (browsers do); `*/*` alone does not."""
    for key, value in scope["headers"]:
        if key == b"accept":
            return _accepts_html(value)
    return False


@lru_cache(maxsize=256)
def _accepts_html(accept: bytes) -> bool:
    for media_range in accept.lower().split(b","):
        media, *params = (part.strip() for part in media_range.split(b";"))
        if media in HTML_TYPES and not any(param.replace(b" ", b"") in (b"q=0", b"q=0.0", b"q=0.00", b"q=0.000") for param in params):
            return True
    return False


NOT_FOUND = render(
    404,
    "Nothing here",
    "This short link does not exist, or it was deleted or switched off. Check the address for typos.",
    "Not found: there is no short link at this address.",
)
EXPIRED = render(
    410,
    "This link has expired",
    "The short link you followed worked until a set time, which has passed. Ask whoever shared it for a new one.",
    "Gone: this short link has expired.",
)
USED_UP = render(
    410,
    "This link has reached its limit",
    "The short link you followed could be opened a set number of times, and all of them are used. Ask whoever shared it for a new one.",
    "Gone: this short link has reached its click limit.",
)
