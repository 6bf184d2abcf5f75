"""What a link may point at, and the one spelling it is stored in."""

from __future__ import annotations

from urllib.parse import quote, quote_from_bytes, urlsplit, urlunsplit

from linkapp.core.config import settings
from linkapp.core.errors import ValidationFailed
from linkapp.models.link import MAX_URL_LENGTH
from linkapp.services.links.hosts import is_local, is_own, is_private, read_host

DEFAULT_PORTS = {"http": 80, "https": 443}
# Everything printable in ASCII stays as it is; only other characters are percent-escaped.
_PRINTABLE_ASCII = "".join(chr(code) for code in range(33, 127))


def normalize_url(url: str) -> str:
    """An absolute http(s) URL with scheme and host lower-cased and the default port dropped.

    Raises:
        ValidationFailed: for other schemes (`javascript:`, `data:`, `file:`...), no host,
            overlong or malformed URLs, links to local addresses in any spelling
            (`localhost`, `127.1`, `2130706433`, `[::1]`, `169.254.169.254`...), to this
            service's own hosts (`HOST_URL`'s and `SELF_HOSTS`), and with
            `BLOCK_PRIVATE_TARGETS` to private networks.
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
    if "\\" in parts.netloc:
        # Browsers read `\` as `/`: `http://a.example\@b.example/` goes to a.example, not b.example.
        raise fail("The URL is malformed.")
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise fail("Only http:// and https:// URLs can be shortened.")
    host = (parts.hostname or "").lower()
    if not host or parts.netloc.startswith(("@", ":")):
        raise fail("The URL needs a host, such as https://example.com/.")
    if "[" in parts.netloc:
        host = f"[{host}]"
    refusal = _target_refusal(host)
    if refusal:
        raise fail(refusal)
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    userinfo = parts.netloc.rpartition("@")[0]
    if userinfo:
        netloc = f"{userinfo}@{netloc}"
    normalized = urlunsplit((scheme, netloc, parts.path, parts.query, parts.fragment))
    if len(normalized) > MAX_URL_LENGTH:
        raise fail(f"The URL is longer than {MAX_URL_LENGTH} characters.")
    return normalized


def _target_refusal(host: str) -> str | None:
    """Why a link may not lead to `host`: back to the visitor's machine or to this service.

    A link to the shortener itself turns one visit into many (a self-loop spends a `max_clicks`
    allowance at once); a link to a local address reaches whatever listens on the machine that
    follows it, a visitor's browser or a fetcher on our own server. Any port counts: the app's
    own port behind its proxy is this service too."""
    try:
        target = read_host(host)
    except ValueError:
        return "The URL is malformed."
    if is_local(target):
        return "Links to local addresses (localhost, 127.0.0.1, [::1], 0.0.0.0, 169.254.x.x, fe80::) are not allowed."
    if is_own(target, own_hosts=settings.self_hosts):
        return "Links back to this service are not allowed."
    if settings.BLOCK_PRIVATE_TARGETS and is_private(target):
        return "Links to private network addresses (10.x, 172.16-31.x, 192.168.x, fc00::/7) are not allowed here."
    return None


def to_uri(url: str) -> str:
    """The ASCII spelling of a stored URL, for a `Location` header.

    Header values are ASCII: the host goes to IDNA (`bücher.de` -> `xn--bcher-kva.de`) and other
    non-ASCII characters to UTF-8 percent-escapes (`/wiki/Café` -> `/wiki/Caf%C3%A9`)."""
    if url.isascii():
        return url
    parts = urlsplit(url)
    userinfo, at, hostport = parts.netloc.rpartition("@")
    host, sep, port = hostport.rpartition(":")
    if not sep or "]" in port:
        host, sep, port = hostport, "", ""
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        host = escape_non_ascii(host)  # browsers percent-decode a host before IDNA
    netloc = f"{escape_non_ascii(userinfo)}{at}{host}{sep}{port}"
    return urlunsplit((parts.scheme, netloc, *(escape_non_ascii(part) for part in (parts.path, parts.query, parts.fragment))))


def escape_non_ascii(text: str | bytes) -> str:
    """`text` with every character (or byte) outside printable ASCII percent-escaped."""
    if isinstance(text, bytes):
        return quote_from_bytes(text, safe=_PRINTABLE_ASCII)
    return quote(text, safe=_PRINTABLE_ASCII)


def host_of(url: str) -> str:
    return urlsplit(url).hostname or url
