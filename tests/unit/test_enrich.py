"""services/enrich: the stored row of a click, its anonymized address, visitor id, referrer and bursts."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime

import pytest

from linkapp.core.config import settings
from linkapp.models.click import Click
from linkapp.services.clicks.enrich import (
    anonymize_ip,
    enrich,
    referrer_host,
    visitor_id,
    warm_up,
)
from linkapp.services.visitors import bots, devices

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
ROW_KEYS = {
    "click_id", "link_id", "clicked_at", "source", "utm_medium", "utm_campaign", "ip_address", "user_agent",
    "visitor_id", "referrer_host", "device", "browser", "os", "country", "city", "is_bot", "bot_reason",
}


@pytest.fixture(autouse=True)
def no_geoip(monkeypatch):
    monkeypatch.setattr(settings, "GEOIP_DB_PATH", None)
    monkeypatch.setattr(settings, "ANONYMIZE_IP", True)


@pytest.fixture
def own_host(monkeypatch):
    # host_netloc is a cached property: replace the cached value, not HOST_URL.
    monkeypatch.setitem(settings.__dict__, "host_netloc", "go.example.com")


def click(**fields) -> Click:
    defaults = {"link_id": 1, "clicked_at": T0, "ip_address": "198.51.100.77", "user_agent": CHROME}
    return Click(**{**defaults, **fields})


# anonymize_ip


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("198.51.100.77", "198.51.100.0"),
        (" 198.51.100.77 ", "198.51.100.0"),
        ("2001:db8:abcd:12:1:2:3:4", "2001:db8:abcd::"),
        ("2001:DB8:ABCD:FFFF::1", "2001:db8:abcd::"),
        ("::ffff:198.51.100.77", "198.51.100.0"),
        ("fe80::1:2:3:4%eth0", "fe80::"),
        ("0.0.0.0", "0.0.0.0"),
        ("255.255.255.255", "255.255.255.0"),
    ],
)
def test_anonymize_ip_keeps_only_the_network(address, expected):
    assert anonymize_ip(address) == expected


@pytest.mark.parametrize(
    "address", [None, "", "not-an-ip", "999.1.1.1", "198.51.100", "2001:db8::g", "198.051.100.7", "198.51.100.256", "1.2.3.4.5", "+1.2.3.4", "١.2.3.4"]
)
def test_anonymize_ip_with_invalid_address_is_none(address):
    assert anonymize_ip(address) is None


def test_anonymize_ip_with_anonymization_off_keeps_the_address(monkeypatch):
    monkeypatch.setattr(settings, "ANONYMIZE_IP", False)
    assert anonymize_ip("198.51.100.77") == "198.51.100.77"
    assert anonymize_ip("2001:DB8:0:0::1") == "2001:db8::1"
    assert anonymize_ip("::ffff:198.51.100.77") == "198.51.100.77"
    assert anonymize_ip("nonsense") is None


# visitor_id


def test_visitor_id_with_same_salt_and_inputs_is_equal():
    assert visitor_id("day-1", "198.51.100.77", CHROME) == visitor_id("day-1", "198.51.100.77", CHROME)


def test_visitor_id_with_another_day_salt_differs():
    assert visitor_id("day-1", "198.51.100.77", CHROME) != visitor_id("day-2", "198.51.100.77", CHROME)


def test_visitor_id_with_another_address_or_agent_differs():
    base = visitor_id("day-1", "198.51.100.77", CHROME)
    assert visitor_id("day-1", "198.51.100.78", CHROME) != base
    assert visitor_id("day-1", "198.51.100.77", CHROME + " Edg/124") != base


@pytest.mark.parametrize("salt", ["day-1", "s" * 64, "é" * 40, "x" * 65, secrets.token_hex(32)])
def test_visitor_id_is_the_hmac_sha256_of_address_and_agent(salt):
    # The ids of a day must not change across an upgrade: a visitor would be counted twice.
    expected = hmac.new(salt.encode(), f"198.51.100.77|{CHROME}".encode(), hashlib.sha256).hexdigest()[:32]
    assert visitor_id(salt, "198.51.100.77", CHROME) == expected
    assert visitor_id(salt, None, None) == hmac.new(salt.encode(), b"|", hashlib.sha256).hexdigest()[:32]


def test_visitor_id_is_32_hex_characters_without_the_address():
    vid = visitor_id("day-1", "198.51.100.77", CHROME)
    assert len(vid) == 32 and int(vid, 16) >= 0
    assert "198.51" not in vid


# referrer_host


@pytest.mark.parametrize(
    ("referrer", "expected"),
    [
        ("https://www.Example.com/path?q=1", "example.com"),
        ("http://news.ycombinator.com/item?id=1", "news.ycombinator.com"),
        ("https://t.co/abc", "t.co"),
        ("https://l.facebook.com/l.php?u=x", "l.facebook.com"),
        ("https://EXAMPLE.com.:8443/", "example.com"),
        ("https://user:secret@example.org/", "example.org"),
        ("https://www.com/", "www.com"),
        ("http://203.0.113.9/page", "203.0.113.9"),
    ],
)
def test_referrer_host_is_lowercase_host_without_www(referrer, expected):
    assert referrer_host(referrer) == expected


@pytest.mark.parametrize(
    "referrer",
    [None, "", "   ", "not a url", "/relative/path", "android-app://com.google.android.gm/", "ftp://example.com/",
     "javascript:alert(1)", "http://[::1", "http://example.com:99999/", "https://exa mple.com/", "https:///nohost"],
)
def test_referrer_host_with_missing_or_invalid_referrer_is_none(referrer):
    assert referrer_host(referrer) is None


@pytest.mark.usefixtures("own_host")
@pytest.mark.parametrize(
    "referrer",
    ["https://go.example.com/abc", "http://GO.example.com/", "https://www.go.example.com/x", "https://go.example.com:443/"],
)
def test_referrer_host_with_own_host_is_none(referrer):
    assert referrer_host(referrer) is None


@pytest.mark.usefixtures("own_host")
def test_referrer_host_with_own_host_on_another_port_or_subdomain_is_kept():
    assert referrer_host("http://go.example.com:8080/") == "go.example.com"
    assert referrer_host("https://blog.go.example.com/") == "blog.go.example.com"


# enrich


def test_enrich_returns_exactly_the_link_events_columns():
    row = enrich(click(referrer="https://www.reddit.com/r/python/", source="newsletter"), salt="s")
    assert set(row) == ROW_KEYS
    assert row["referrer_host"] == "reddit.com"
    assert row["source"] == "newsletter"
    assert (row["device"], row["browser"], row["os"]) == ("desktop", "Chrome", "Windows")
    assert (row["country"], row["city"]) == (None, None)
    assert row["is_bot"] is False and row["bot_reason"] is None
    assert row["visitor_id"] == visitor_id("s", "198.51.100.77", CHROME)


@pytest.mark.parametrize("address", ["198.51.100.77", "2001:db8:abcd:12:1:2:3:4", "::ffff:198.51.100.77"])
def test_enrich_with_anonymization_leaves_no_raw_address_in_the_row(address):
    row = enrich(click(ip_address=address), salt="s")
    raw = address.rsplit(":", 1)[-1] if "." in address else address
    assert row["ip_address"] not in (None, address, raw)
    assert all(raw not in str(value) for value in row.values())


def test_enrich_with_anonymization_off_stores_the_address(monkeypatch):
    monkeypatch.setattr(settings, "ANONYMIZE_IP", False)
    assert enrich(click(), salt="s")["ip_address"] == "198.51.100.77"


@pytest.mark.parametrize(("recorded", "expected"), [("head", "head"), ("prefetch", "prefetch"), ("preview", "preview")])
def test_enrich_keeps_the_reason_the_redirect_recorded(recorded, expected):
    row = enrich(click(bot_reason=recorded), salt="s")
    assert row["bot_reason"] == expected and row["is_bot"] is True


def test_enrich_with_coarse_bot_reason_refines_it_from_the_agent():
    googlebot = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
    row = enrich(click(user_agent=googlebot, bot_reason="bot"), salt="s")
    assert (row["bot_reason"], row["device"], row["is_bot"]) == ("crawler", "bot", True)


def test_enrich_with_no_recorded_reason_judges_the_agent():
    row = enrich(click(user_agent="curl/8.5.0"), salt="s")
    assert (row["bot_reason"], row["is_bot"]) == ("http_client", True)
    assert enrich(click(user_agent=None), salt="s")["bot_reason"] == "empty_ua"


def test_enrich_strips_control_characters_from_the_visitors_text():
    row = enrich(
        click(source="\r=cmd|' /C calc'!A0", utm_medium="\tx", utm_campaign="spring\r\nsale\x1b[31m\u202e", user_agent=CHROME + "\r\nX-Forged: 1"),
        salt="s",
    )

    assert (row["source"], row["utm_medium"], row["utm_campaign"]) == ("=cmd|' /C calc'!A0", "x", "spring  sale[31m")
    assert row["user_agent"] == CHROME + "  X-Forged: 1"
    assert (row["browser"], row["os"]) == ("Chrome", "Windows")
    text = "".join(value for value in row.values() if isinstance(value, str))
    assert not any(ord(char) < 0x20 or 0x7F <= ord(char) <= 0x9F or char == "\u202e" for char in text)


def test_enrich_with_nothing_but_control_characters_stores_none():
    row = enrich(click(source="\r\n", utm_medium="\t", utm_campaign="\x7f"), salt="s")
    assert (row["source"], row["utm_medium"], row["utm_campaign"]) == (None, None, None)


def test_enrich_keeps_the_visitor_id_of_the_raw_agent():
    raw = CHROME + "\t"
    assert enrich(click(user_agent=raw), salt="s")["visitor_id"] == visitor_id("s", "198.51.100.77", raw)


def test_warm_up_leaves_the_agent_parsers_ready():
    bots._classify.cache_clear()
    devices._describe.cache_clear()
    warm_up()
    assert bots._classify.cache_info().currsize >= 1
    assert devices._describe.cache_info().currsize == 1
