"""Requests that the session cookie authenticates must come from the app's own pages.

The refresh cookie is `SameSite=Lax`: browsers keep it off cross-site POSTs, but not off POSTs
from a sibling site (another subdomain, or another port of the same host, is "same-site"), and
an older or unusual browser may not honour SameSite at all. Current browsers send `Origin` on
every POST, fetch or form, so a cookie-authenticated request whose `Origin` is not one of ours is
refused. A request without `Origin` (curl, scripts) passes: it holds the cookie itself, and no
page can make a browser POST without `Origin`.

The app's own origins are `settings.own_origins`: HOST_URL's, CORS_ORIGINS and Reflex's dev
server while one runs; the same ones its websocket accepts. SELF_HOSTS are not among them: they
are host names without scheme or port, meant to refuse link targets on any port, and trusting
every port and scheme of those hosts would let any other service there spend the cookie.
A request whose `Origin` equals its own scheme and `Host` is same-origin by definition and
passes too (the app opened at another address than HOST_URL's): a page elsewhere cannot make a
browser send that pair together with this site's cookie.
"""

from __future__ import annotations

from starlette.requests import Request

from linkapp.core.config import normalize_origin, settings
from linkapp.core.errors import Forbidden


def is_own_origin(origin: str) -> bool:
    """Whether an `Origin` header's value is one of the app's own origins.

    Origins compare by scheme, host (case-insensitive) and port, the default port dropped;
    `null` (sandboxed frames, some redirects) and anything that is not an origin never match.
    """
    given = normalize_origin(origin)
    return given is not None and given in {normalize_origin(own) for own in settings.own_origins}


def check_cookie_origin(request: Request) -> None:
    """Refuse a request sent from another site's page; call it when the refresh cookie, not a
    token in the body, is what authenticates the request.

    Raises:
        Forbidden: the request carries an `Origin` that is not one of the app's own.
    """
    host = request.headers.get("host")
    same = normalize_origin(f"{request.url.scheme}://{host}") if host else None
    for origin in request.headers.getlist("origin"):
        if not is_own_origin(origin) and (same is None or normalize_origin(origin) != same):
            raise Forbidden(
                f"Origin {origin[:200]!r} is not one of this app's origins (HOST_URL, CORS_ORIGINS): "
                "the session cookie is accepted only from the app's own pages."
            )
