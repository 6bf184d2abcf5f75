"""Where a click came from, by name: its source is its `utm_source`, else the referring site, else
none ("direct" in the figures), as privacy-first analytics (Plausible, Fathom) name sources.

A known site goes by its name whatever host of it sent the visitor (google.com, google.co.uk and
news.google.com are all "Google"; l.facebook.com and fb.com "Facebook"); any other by its host
without "www.", Mastodon instances included (each is its own site). Migration 0011 writes the
same rules out in SQL to name stored clicks: a site added here names new clicks only.
"""

from __future__ import annotations

from functools import lru_cache

# Known sites, in the order they are tried: a host is one of them when it is one of the domains
# or a subdomain of one. Google is matched apart (`_is_google`): it has a domain per country.
SITES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("X/Twitter", ("twitter.com", "x.com", "t.co")),
    ("Facebook", ("facebook.com", "fb.com", "fb.me", "messenger.com")),
    ("Instagram", ("instagram.com",)),
    ("LinkedIn", ("linkedin.com", "lnkd.in")),
    ("Reddit", ("reddit.com", "redd.it")),
    ("YouTube", ("youtube.com", "youtu.be")),
    ("TikTok", ("tiktok.com",)),
    ("Pinterest", ("pinterest.com", "pin.it")),
    ("Threads", ("threads.net", "threads.com")),
    ("Bluesky", ("bsky.app",)),
    ("Hacker News", ("news.ycombinator.com",)),
    ("GitHub", ("github.com",)),
    ("WhatsApp", ("whatsapp.com", "wa.me")),
    ("Telegram", ("telegram.org", "t.me")),
    ("Slack", ("slack.com",)),
    ("Discord", ("discord.com", "discordapp.com")),
    ("Microsoft Teams", ("teams.microsoft.com", "teams.live.com")),
    ("Bing", ("bing.com",)),
    ("DuckDuckGo", ("duckduckgo.com",)),
    ("Yahoo", ("yahoo.com",)),
    ("Yandex", ("yandex.ru", "yandex.com", "ya.ru")),
    ("Baidu", ("baidu.com",)),
    ("Ecosia", ("ecosia.org",)),
    ("Brave Search", ("search.brave.com",)),
    ("Wikipedia", ("wikipedia.org",)),
    ("ChatGPT", ("chatgpt.com", "chat.openai.com")),
    ("Perplexity", ("perplexity.ai",)),
    ("Medium", ("medium.com",)),
    ("Quora", ("quora.com",)),
)
GOOGLE = "Google"


def _is_google(host: str) -> bool:
    """google.com, google.co.uk, news.google.de...: a "google" label with something after it."""
    return "google" in host.split(".")[:-1]


@lru_cache(maxsize=8192)
def site_name(host: str) -> str:
    """The name a referring host goes by among sources.

    Args:
        host: The referrer's host as stored: lower-cased, without "www." (see `enrich.referrer_host`).

    Returns:
        The known site's name ("X/Twitter", "Google", "Hacker News"...), else `host` itself.
    """
    for name, domains in SITES:
        if any(host == domain or host.endswith("." + domain) for domain in domains):
            return name
    return GOOGLE if _is_google(host) else host


def click_source(utm_source: str | None, referrer_host: str | None) -> str | None:
    """A click's source: its `utm_source` as given (so a QR scan's "qr" stays "qr"), else the
    referring site's name, else None (counted as "direct")."""
    if utm_source:
        return utm_source
    return site_name(referrer_host) if referrer_host else None
