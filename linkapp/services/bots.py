"""Which requests are not people: stored like every click, left out of every figure."""

from __future__ import annotations

from functools import lru_cache

from crawlerdetect import CrawlerDetect

_detector = CrawlerDetect()

PREFETCH_VALUES = ("prefetch", "prerender", "preview")


@lru_cache(maxsize=8192)
def is_bot_user_agent(user_agent: str) -> bool:
    """Crawlers, previewers, HTTP libraries, headless browsers and probes; an empty agent too."""
    if not user_agent.strip():
        return True
    return bool(_detector.isCrawler(user_agent))


def is_bot_request(method: str, user_agent: str, purpose: str = "") -> bool:
    """A HEAD request or a browser prefetch is not a visit, whatever the agent says."""
    if method == "HEAD":
        return True
    if purpose and any(value in purpose.lower() for value in PREFETCH_VALUES):
        return True
    return is_bot_user_agent(user_agent)
