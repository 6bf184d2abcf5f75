"""normalize_url: what a link may point at, and the one spelling it is stored in."""

from __future__ import annotations

import pytest

from linkapp.core.config import settings
from linkapp.core.errors import ValidationFailed
from linkapp.services.links.urls import escape_non_ascii, host_of, normalize_url, to_uri


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("HTTPS://Example.COM/Path/To?Q=Upper#Frag", "https://example.com/Path/To?Q=Upper#Frag"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("http://example.com:443/a", "http://example.com:443/a"),
        ("https://example.com:80/a", "https://example.com:80/a"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("http://example.com:/a", "http://example.com/a"),
        ("http://example.com", "http://example.com"),
        ("  https://example.com/trimmed  ", "https://example.com/trimmed"),
        ("https://[2001:DB8::1]:443/v6", "https://[2001:db8::1]/v6"),
        ("http://[2001:db8::1]:8080/v6", "http://[2001:db8::1]:8080/v6"),
        ("https://User:Secret@Example.com:443/", "https://User:Secret@example.com/"),
        ("https://B\u00fccher.DE/caf\u00e9", "https://b\u00fccher.de/caf\u00e9"),
        ("https://example.com/a%20b?x=%2F", "https://example.com/a%20b?x=%2F"),
        ("http://127.0.0.1:8000/local", "http://127.0.0.1:8000/local"),
    ],
)
def test_normalize_url_lowercases_scheme_and_host_and_drops_default_port(given, stored):
    assert normalize_url(given) == stored


@pytest.mark.parametrize("url", ["HTTPS://Example.COM:443/X?y=Z", "http://[::1]:80/", "https://a.example:444/p#f"])
def test_normalize_url_is_idempotent(url):
    once = normalize_url(url)
    assert normalize_url(once) == once


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JAVASCRIPT://example.com/%0Aalert(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "file:///etc/passwd",
        "ftp://example.com/",
        "ws://example.com/socket",
        "mailto:a@example.com",
        "tel:+123456",
        "example.com",
        "www.example.com/path",
        "/relative/path",
        "//example.com/no-scheme",
    ],
)
def test_normalize_url_refuses_other_schemes(url):
    with pytest.raises(ValidationFailed) as caught:
        normalize_url(url)
    assert caught.value.errors == [{"loc": ["body", "url"], "msg": caught.value.detail}]


@pytest.mark.parametrize("url", ["http://", "https://", "https:///path", "http://:80/", "http://@/", "http://user@:8080/", "https:example.com"])
def test_normalize_url_refuses_urls_without_host(url):
    with pytest.raises(ValidationFailed, match="host"):
        normalize_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://exa mple.com/",
        "https://example.com/with space",
        "https://example.com/\ttab",
        "https://example.com/new\nline",
        "https://example.com/\x00nul",
        "https://example.com/\x7fdel",
        "https://example.com/\u00a0nbsp",
    ],
)
def test_normalize_url_refuses_spaces_and_control_characters(url):
    with pytest.raises(ValidationFailed, match="spaces or control"):
        normalize_url(url)


@pytest.mark.parametrize("url", ["https://example.com:99999/", "https://example.com:port/", "http://[::1/", "http://a.example\\@b.example/"])
def test_normalize_url_refuses_malformed_urls(url):
    with pytest.raises(ValidationFailed, match="malformed"):
        normalize_url(url)


def test_normalize_url_refuses_urls_over_2048_characters():
    base = "https://example.com/"
    assert len(normalize_url(base + "a" * (2048 - len(base)))) == 2048
    with pytest.raises(ValidationFailed, match="2048"):
        normalize_url(base + "a" * (2049 - len(base)))


def test_normalize_url_accepts_limit_length_url_with_default_port():
    # A default port is dropped, never added: a URL within the limit stays within it.
    url = "https://example.com:443/" + "a" * (2048 - len("https://example.com:443/"))
    assert len(normalize_url(url)) < 2048


@pytest.mark.parametrize(
    "url",
    [
        "http://testserver/abc123",
        "https://testserver/abc123",
        "HTTP://TESTSERVER/",
        "http://testserver:80/x",
        "http://someone@testserver/x",
        "http://testserver./x",
        "http://test%73erver/x",
        "http://\uff54\uff45\uff53\uff54\uff53\uff45\uff52\uff56\uff45\uff52/x",
    ],
)
def test_normalize_url_refuses_links_to_this_service(url):
    assert settings.host_netloc == "testserver"
    with pytest.raises(ValidationFailed, match="this service"):
        normalize_url(url)


@pytest.mark.parametrize("url", ["http://testserver:8080/x", "http://testserver.example/x", "http://api.testserver/x"])
def test_normalize_url_allows_other_hosts_that_look_alike(url):
    assert normalize_url(url) == url


@pytest.mark.parametrize(
    ("url", "host"),
    [("https://docs.python.org/3/", "docs.python.org"), ("http://user@Example.com:8080/", "example.com"), ("not a url", "not a url")],
)
def test_host_of_returns_the_lowercased_host(url, host):
    assert host_of(url) == host


@pytest.mark.parametrize(
    ("url", "uri"),
    [
        ("https://example.com/a%20b?x=1#f", "https://example.com/a%20b?x=1#f"),
        ("https://de.wikipedia.org/wiki/Caf\u00e9?q=\u00fc#\u00c4", "https://de.wikipedia.org/wiki/Caf%C3%A9?q=%C3%BC#%C3%84"),
        ("https://b\u00fccher.de:8080/", "https://xn--bcher-kva.de:8080/"),
        ("https://j\u00fcrgen@b\u00fccher.de/", "https://j%C3%BCrgen@xn--bcher-kva.de/"),
        ("http://[::1]:8080/\u00fc", "http://[::1]:8080/%C3%BC"),
    ],
)
def test_to_uri_spells_stored_url_in_ascii(url, uri):
    assert to_uri(url) == uri
    assert to_uri(url).isascii()


def test_escape_non_ascii_keeps_ascii_and_escapes_raw_bytes():
    assert escape_non_ascii(b"utm_source=caf\xc3\xa9&a=%41") == "utm_source=caf%C3%A9&a=%41"
    assert escape_non_ascii("\u00fc/?#&=") == "%C3%BC/?#&="
