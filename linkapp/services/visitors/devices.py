"""Device class, browser and operating system of a user agent (ua-parser), cached per agent."""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

from ua_parser import parse

from linkapp.services.visitors import bots
from linkapp.services.visitors.matching import AnyOf

DESKTOP = "desktop"
MOBILE = "mobile"
TABLET = "tablet"
# Every bot's device class is the bots' generic reason, "bot": one name, defined there.
BOT = bots.BOT
OTHER = "other"
DEVICES = (DESKTOP, MOBILE, TABLET, BOT, OTHER)

# The link_events columns' widths.
MAX_FAMILY = 64

# Televisions, consoles, cars' screens: people, but neither phones nor computers. On RE2, as
# every agent pattern (see `matching`): Python's re took up to 2 ms on 512 made-up characters.
_OTHER = AnyOf(
    [r"smart-?tv|hbbtv|appletv|\bcrkey/|\btv safari|web0s|netcast|bravia|\broku\b|playstation|xbox|nintendo|"
     r"\baft[a-z]{1,3}\b|googletv|android tv|\btizen[^;)]*\btv\b"],
    ignore_case=True,
)
_TABLET = AnyOf(
    [r"ipad|tablet|\bkindle|\bsilk/|playbook|\bsm-[tpx]\d|\bgt-p\d|\bnexus (?:7|9|10)\b|\bxoom|lenovo tb|\btb-\w|mipad|"
     r"\bkf[a-z]{2,6}\b|matepad|\bbah\d|\bscm-|\bags\d"],
    ignore_case=True,
)
_MOBILE = AnyOf(
    [r"iphone|ipod|\bmobile\b|mobile safari|windows phone|iemobile|blackberry|\bbb10\b|opera mini|kaios|\bmobi\b"],
    ignore_case=True,
)
_DESKTOP_OS = frozenset(
    {"Windows", "Mac OS X", "Linux", "Ubuntu", "Fedora", "Debian", "Chrome OS", "ChromeOS", "FreeBSD",
     "OpenBSD", "NetBSD", "Solaris", "Arch Linux", "Linux Mint", "Gentoo", "Red Hat", "SUSE"}
)
_DESKTOP = AnyOf([r"windows nt|macintosh|\bx11\b|\bcros\b|linux x86_64|linux i686"], ignore_case=True)


class Agent(NamedTuple):
    device: str
    browser: str | None
    os: str | None


def _family(value: str | None) -> str | None:
    # ua-parser answers "Other" when it knows nothing; the figures call that unknown.
    if not value or value == "Other":
        return None
    return value[:MAX_FAMILY]


def _device_class(user_agent: str, os_family: str | None, device_family: str | None) -> str:
    if _OTHER.search(user_agent):
        return OTHER
    if device_family == "iPad" or _TABLET.search(user_agent):
        return TABLET
    # Android phones say "Mobile"; Android tablets, by Google's convention, do not.
    if "android" in user_agent.lower() and not _MOBILE.search(user_agent):
        return TABLET
    if device_family in ("iPhone", "iPod") or _MOBILE.search(user_agent) or os_family in ("iOS", "Android"):
        return MOBILE
    if os_family in _DESKTOP_OS or _DESKTOP.search(user_agent):
        return DESKTOP
    return OTHER


@lru_cache(maxsize=8192)
def _describe(user_agent: str) -> Agent:
    result = parse(user_agent)
    browser = _family(result.user_agent.family if result.user_agent else None)
    os_family = _family(result.os.family if result.os else None)
    if bots.user_agent_reason(user_agent) is not None:
        return Agent(BOT, browser, os_family)
    device_family = result.device.family if result.device else None
    return Agent(_device_class(user_agent, os_family, device_family), browser, os_family)


def describe_agent(user_agent: str | None) -> Agent:
    """The device class, browser family and OS family of a user agent.

    Like the bot verdict, read from the agent's first `bots.MAX_USER_AGENT` characters.

    Args:
        user_agent: The User-Agent header, possibly empty or None, of any length.

    Returns:
        `Agent(device, browser, os)`: device is one of `desktop`, `mobile`, `tablet`, `bot`
        (any agent `bots.user_agent_reason` flags, an empty one included) or `other` (TVs,
        consoles, unknown); browser and os are ua-parser's family names ("Chrome Mobile",
        "Mac OS X"...), None when unknown.
    """
    return _describe((user_agent or "")[: bots.MAX_USER_AGENT])
