"""The words short codes may never take because the app answers them itself."""

from __future__ import annotations

# Everything the app serves at the root: pages, the API, FastAPI's docs, Reflex's own endpoints,
# static files. A short code equal to one of these (in any case) would shadow it or be shadowed.
RESERVED_WORDS = frozenset(
    {
        "api", "docs", "redoc", "openapi.json", "login", "logout", "register", "signup", "signin",
        "links", "link", "analytics", "settings", "account", "dashboard", "admin", "auth",
        "ping", "healthz", "health", "metrics", "assets", "static", "public", "_next", "404",
        "_event", "_upload", "_health", "_all_routes", "auth-codespace", "backend",
        "favicon.ico", "robots.txt", "sitemap.xml", "manifest.json", "index", "index.html",
    }
)


def is_reserved(code: str) -> bool:
    """Whether `code` (in any case) is a path the app answers itself."""
    return code.lower() in RESERVED_WORDS
