"""What a link may point at, and the one spelling it is stored in."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from linkapp.core.config import settings
from linkapp.core.errors import ValidationFailed
from linkapp.models.link import MAX_URL_LENGTH

DEFAULT_PORTS = {"http": 80, "https": 443}


def normalize_url(url: str) -> str:
    """An absolute http(s) URL with scheme and host lower-cased and the default port dropped.

    Raises:
        ValidationFailed: for other schemes (`javascript:`, `data:`, `file:`...), no host,
            overlong or malformed URLs, and links to this service's own short URLs.
    """

    def fail(msg: str) -> ValidationFailed:
        return ValidationFailed(msg, field="url")

    url = (url or "").strip()
    if not url:
        raise fail("Enter the URL to shorten.")
    if len(url) > MAX_URL_LENGTH:
        raise fail(f"The URL is longer than {MAX_URL_LENGTH} characters.")
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        raise fail("The URL contains spaces or control characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise fail("The URL is malformed.") from exc
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise fail("Only http:// and https:// URLs can be shortened.")
    host = (parts.hostname or "").lower()
    if not host or parts.netloc.startswith(("@", ":")):
        raise fail("The URL needs a host, such as https://example.com/.")
    if "[" in parts.netloc:
        host = f"[{host}]"
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    if netloc == settings.host_netloc:
        raise fail("Links to this service's own short URLs are not allowed.")
    userinfo = parts.netloc.rpartition("@")[0]
    if userinfo:
        netloc = f"{userinfo}@{netloc}"
    normalized = urlunsplit((scheme, netloc, parts.path, parts.query, parts.fragment))
    if len(normalized) > MAX_URL_LENGTH:
        raise fail(f"The URL is longer than {MAX_URL_LENGTH} characters.")
    return normalized


def host_of(url: str) -> str:
    return urlsplit(url).hostname or url
