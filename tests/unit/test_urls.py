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
        ("http://203.0.113.9:8000/public-ip", "http://203.0.113.9:8000/public-ip"),
    ],
)
def test_normalize_url_lowercases_scheme_and_host_and_drops_default_port(given, stored):
    assert normalize_url(given) == stored


@pytest.mark.parametrize("url", ["HTTPS://Example.COM:443/X?y=Z", "http://[2001:db8::1]:80/", "https://a.example:444/p#f"])
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
        # Another port of the same host is as likely to be this service (the app's own port
        # behind its proxy) as anything else.
        "http://testserver:8080/x",
        "https://testserver:8443/x",
    ],
)
def test_normalize_url_refuses_links_to_this_service(url):
    assert settings.host_netloc == "testserver"
    with pytest.raises(ValidationFailed, match="this service"):
        normalize_url(url)


@pytest.mark.parametrize("url", ["http://testserver.example/x", "http://api.testserver/x", "http://testserver-two/x"])
def test_normalize_url_allows_other_hosts_that_look_alike(url):
    assert normalize_url(url) == url


@pytest.mark.parametrize(
    "url",
    [
        # loopback, as browsers read IPv4 (WHATWG URL): decimal, hex, octal, short forms, mixed
        "http://127.0.0.1:8000/x",
        "http://127.8.9.10/x",
        "http://2130706433:8000/x",
        "http://0x7f000001/x",
        "http://0X7F000001/x",
        "http://0x7f.1/x",
        "http://0177.0.0.1/x",
        "http://0177.0.0.01/x",
        "http://00000000177.0.0.1/x",
        "http://0x00000000000000000000000000000000000000000000000000000000000000007f000001/x",
        "http://127.1/x",
        "http://127.0.1/x",
        "http://127.0.0.1./x",
        "http://%31%32%37.0.0.1/x",
        "http://127%2e0.0.1/x",
        "http://\uff11\uff12\uff17\u3002\uff10\u3002\uff10\u3002\uff11/x",
        "https://user:pass@127.0.0.1/x",
        # loopback IPv6, and IPv4 loopback inside IPv6
        "http://[::1]/x",
        "http://[0:0:0:0:0:0:0:1]:8000/x",
        "http://[::ffff:127.0.0.1]/x",
        "http://[::ffff:7f00:1]/x",
        "http://[0:0:0:0:0:FFFF:127.0.0.1]/x",
        # unspecified: reaches this machine on most systems
        "http://0.0.0.0:8000/x",
        "http://0/x",
        "http://0x0/x",
        "http://0.1.2.3/x",
        "http://[::]/x",
        # link-local, the cloud metadata address among them
        "http://169.254.169.254/latest/meta-data/",
        "http://2852039166/latest/meta-data/",
        "http://[fe80::1]/x",
        "http://[fe80::1%25eth0]/x",
        "http://[::ffff:169.254.169.254]/x",
        # localhost by name
        "http://localhost/x",
        "http://LOCALHOST:8000/x",
        "http://localhost./x",
        "http://app.localhost/x",
        "http://a.b.LocalHost:3000/x",
        "http://\uff4c\uff4f\uff43\uff41\uff4c\uff48\uff4f\uff53\uff54/x",
        "http://local%68ost/x",
        "http://ip6-localhost/x",
    ],
)
def test_normalize_url_refuses_local_addresses_in_any_spelling(url):
    with pytest.raises(ValidationFailed, match="local addresses") as caught:
        normalize_url(url)
    assert caught.value.errors == [{"loc": ["body", "url"], "msg": caught.value.detail}]


PRIVATE_URLS = [
    "http://10.0.0.5/x",
    "http://10.1/x",
    "http://167772161/x",
    "http://172.16.0.1:8080/x",
    "http://172.31.255.255/x",
    "http://192.168.1.1/x",
    "http://0xc0.0xa8.1.1/x",
    "http://[fd12:3456::1]/x",
    "http://[fc00::1]/x",
    "http://[::ffff:10.0.0.1]/x",
]


@pytest.mark.parametrize("url", PRIVATE_URLS)
def test_normalize_url_allows_private_addresses_by_default(url):
    assert settings.BLOCK_PRIVATE_TARGETS is False
    assert normalize_url(url) == url


@pytest.mark.parametrize("url", PRIVATE_URLS)
def test_normalize_url_refuses_private_addresses_when_blocked(monkeypatch, url):
    monkeypatch.setattr(settings, "BLOCK_PRIVATE_TARGETS", True)
    with pytest.raises(ValidationFailed, match="private network"):
        normalize_url(url)


@pytest.mark.parametrize("block_private", [False, True])
@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/x",
        "http://203.0.113.9/x",
        "http://8.8.8.8/x",
        "http://134744072/x",
        "http://172.32.0.1/x",
        "http://[2001:db8::1]/x",
        "http://localhost.example/x",
        "http://mylocalhost/x",
        "http://intranet/x",
        "http://1.2.3.example/x",
    ],
)
def test_normalize_url_allows_public_addresses_and_names(monkeypatch, url, block_private):
    monkeypatch.setattr(settings, "BLOCK_PRIVATE_TARGETS", block_private)
    assert normalize_url(url) == url


@pytest.mark.parametrize("url", ["http://1.2.3.4.5/x", "http://256.0.0.1/x", "http://4294967296/x", "http://example.123/x", "http://1..2/x"])
def test_normalize_url_refuses_hosts_that_browsers_cannot_read(url):
    with pytest.raises(ValidationFailed, match="malformed"):
        normalize_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://go.example.com/x",
        "https://GO.Example.COM.:8443/x",
        "http://g%6f.example.com/x",
        "http://203.0.113.5/x",
        "http://3405803781/x",
        "http://[::ffff:203.0.113.5]/x",
        "http://[2001:db8::5]:8000/x",
        "http://testserver/x",
    ],
)
def test_normalize_url_refuses_hosts_listed_in_self_hosts(monkeypatch, url):
    monkeypatch.setattr(settings, "SELF_HOSTS", ["go.example.com", "203.0.113.5", "2001:db8::5"])
    with pytest.raises(ValidationFailed, match="this service"):
        normalize_url(url)


def test_normalize_url_allows_other_hosts_than_self_hosts(monkeypatch):
    monkeypatch.setattr(settings, "SELF_HOSTS", ["go.example.com", "203.0.113.5"])
    for url in ("http://api.go.example.com/x", "http://example.com/x", "http://203.0.113.6/x"):
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
