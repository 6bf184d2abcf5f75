"""services/visitors/referrers: a click's source is its utm_source, else the referring site by name, else none."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from linkapp.models.click import Click
from linkapp.services.clicks.enrich import enrich
from linkapp.services.visitors.referrers import click_source, site_name

CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"


@pytest.mark.parametrize(
    ("host", "name"),
    [
        ("twitter.com", "X/Twitter"),
        ("mobile.twitter.com", "X/Twitter"),
        ("x.com", "X/Twitter"),
        ("t.co", "X/Twitter"),
        ("google.com", "Google"),
        ("google.co.uk", "Google"),
        ("news.google.de", "Google"),
        ("facebook.com", "Facebook"),
        ("l.facebook.com", "Facebook"),
        ("m.facebook.com", "Facebook"),
        ("fb.com", "Facebook"),
        ("linkedin.com", "LinkedIn"),
        ("lnkd.in", "LinkedIn"),
        ("old.reddit.com", "Reddit"),
        ("youtu.be", "YouTube"),
        ("m.youtube.com", "YouTube"),
        ("l.instagram.com", "Instagram"),
        ("bing.com", "Bing"),
        ("duckduckgo.com", "DuckDuckGo"),
        ("news.ycombinator.com", "Hacker News"),
        ("github.com", "GitHub"),
        ("web.whatsapp.com", "WhatsApp"),
        ("t.me", "Telegram"),
        ("app.slack.com", "Slack"),
        ("discord.com", "Discord"),
        ("pin.it", "Pinterest"),
        ("tiktok.com", "TikTok"),
        ("en.m.wikipedia.org", "Wikipedia"),
    ],
)
def test_site_name_of_a_known_site_is_its_name_whatever_its_host(host, name):
    assert site_name(host) == name


@pytest.mark.parametrize(
    "host",
    [
        "mastodon.social",  # every Mastodon instance is a site of its own
        "blog.example.org",
        "ycombinator.com",  # only news.ycombinator.com is Hacker News
        "notgoogle.com",
        "fox.com",  # not x.com
        "googleblog",  # no label after "google"
        "gitlab.com",
    ],
)
def test_site_name_of_another_site_is_its_host(host):
    assert site_name(host) == host


def test_click_source_prefers_utm_source_then_referrer_then_none():
    assert click_source("newsletter", "twitter.com") == "newsletter"
    assert click_source("qr", "google.com") == "qr"  # a QR scan stays a QR scan
    assert click_source(None, "twitter.com") == "X/Twitter"
    assert click_source(None, None) is None


def _click(**fields) -> Click:
    return Click(link_id=1, clicked_at=datetime(2026, 1, 24, 10, tzinfo=UTC), ip_address="203.0.113.7", user_agent=CHROME, **fields)


@pytest.mark.parametrize(
    ("referrer", "utm_source", "source", "host"),
    [
        ("https://t.co/AbC123", None, "X/Twitter", "t.co"),
        ("https://www.google.co.uk/", None, "Google", "google.co.uk"),
        ("https://www.blog.example.org/post/1", None, "blog.example.org", "blog.example.org"),
        ("https://news.ycombinator.com/item?id=1", "hn-launch", "hn-launch", "news.ycombinator.com"),
        ("https://www.facebook.com/", "qr", "qr", "facebook.com"),
        (None, None, None, None),
        ("android-app://com.slack/", None, None, None),  # not a site: direct
    ],
)
def test_enriched_row_names_the_source_and_keeps_the_referrer_host(referrer, utm_source, source, host):
    row = enrich(_click(referrer=referrer, source=utm_source), salt="s")

    assert (row["source"], row["referrer_host"]) == (source, host)


def test_enriched_row_from_this_service_itself_is_direct():
    from linkapp.core.config import settings

    row = enrich(_click(referrer=f"{settings.HOST_URL}/abc"), salt="s")

    assert (row["source"], row["referrer_host"]) == (None, None)
