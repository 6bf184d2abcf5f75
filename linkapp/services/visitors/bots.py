"""Which requests are not people, and why: stored like every click, left out of every figure."""

from __future__ import annotations

from functools import lru_cache

from linkapp.models.click import MAX_USER_AGENT
from linkapp.services.visitors import crawlers
from linkapp.services.visitors.bot_patterns import UA_REASONS

HEAD = "head"
PREFETCH = "prefetch"
PREVIEW = "preview"
AI_CRAWLER = "ai_crawler"
CRAWLER = "crawler"
HTTP_CLIENT = "http_client"
HEADLESS = "headless"
MONITOR = "monitor"
EMPTY_UA = "empty_ua"
BURST = "burst"
BOT = "bot"
# Not a bot: a person sent to the fallback URL of an expired or used-up link. Left out of every
# figure the way bots are (bot_reason says why a stored click is not counted), and reported apart
# as `expired_visits`, never among the bots. The agent is still judged: a bot keeps its own reason.
AFTER_EXPIRY = "after_expiry"
# Every value bot_reason may hold, request-level ones first.
REASONS = (HEAD, PREFETCH, PREVIEW, AI_CRAWLER, CRAWLER, HTTP_CLIENT, HEADLESS, MONITOR, EMPTY_UA, BURST, BOT, AFTER_EXPIRY)

PREFETCH_VALUES = ("prefetch", "prerender", "preview")


@lru_cache(maxsize=8192)
def _classify(user_agent: str) -> str | None:
    if not user_agent.strip():
        return EMPTY_UA
    lowered = user_agent.lower()
    for reason, patterns in UA_REASONS:
        if patterns.search(lowered):
            return reason
    return BOT if crawlers.is_crawler(user_agent) else None


def user_agent_reason(user_agent: str | None) -> str | None:
    """Why an agent is not a person, judged by the agent alone; cached per agent.

    Judged by its first `MAX_USER_AGENT` characters, in time linear in them (RE2): about 1 ms
    for the costliest agents measured, 0.1 ms for a browser's, so the redirect can afford it on
    its event loop (bench/agent_bench.py).

    Args:
        user_agent: The User-Agent header, possibly empty or None, of any length.

    Returns:
        One of `preview`, `ai_crawler`, `monitor`, `crawler`, `headless`, `http_client`,
        `empty_ua`, `bot` (anything else crawlerdetect knows), or None for a browser.
    """
    return _classify((user_agent or "")[:MAX_USER_AGENT])


def is_bot_user_agent(user_agent: str | None) -> bool:
    """Crawlers, previewers, HTTP libraries, headless browsers and probes; an empty agent too."""
    return user_agent_reason(user_agent) is not None


def is_prefetch(purpose: str | None) -> bool:
    """Whether Sec-Purpose, Purpose, X-Purpose or X-Moz (joined) announce a prefetch or preview."""
    if not purpose:
        return False
    lowered = purpose.lower()
    return any(value in lowered for value in PREFETCH_VALUES)


def is_bot_request(method: str, user_agent: str | None, purpose: str = "") -> bool:
    """A HEAD request or a browser prefetch is not a visit, whatever the agent says."""
    return bot_reason(method, user_agent, purpose) is not None


def bot_reason(method: str, user_agent: str | None, purpose: str = "") -> str | None:
    """Why a request is not a person, or None for a visit; cheap enough for the redirect.

    Args:
        method: The HTTP method.
        user_agent: The User-Agent header.
        purpose: The Sec-Purpose, Purpose, X-Purpose and X-Moz values, joined.

    Returns:
        `head`, `prefetch`, or the agent's reason (see `user_agent_reason`); None for a visit.
        `burst` is never returned here: it needs the click history the writer keeps.
    """
    return request_reason(method, purpose) or user_agent_reason(user_agent)


def request_reason(method: str, purpose: str = "") -> str | None:
    """What the request itself says (HEAD, a prefetch), without looking at the agent: constant
    time, so the redirect can always afford it."""
    if method.upper() == "HEAD":
        return HEAD
    if is_prefetch(purpose):
        return PREFETCH
    return None
