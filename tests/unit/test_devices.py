"""services/devices: device class, browser and OS of a user agent."""

from __future__ import annotations

from linkapp.services.visitors import devices
from linkapp.services.visitors.devices import describe_agent

IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1"
EDGE = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80"
ANDROID_TABLET = "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"


def test_describe_agent_names_browser_and_os_families():
    assert describe_agent(IPHONE) == ("mobile", "Mobile Safari", "iOS")
    assert describe_agent(EDGE) == ("desktop", "Edge", "Windows")
    assert describe_agent(ANDROID_TABLET) == ("tablet", "Chrome", "Android")


def test_describe_agent_with_empty_agent_is_a_bot_of_unknown_make():
    assert describe_agent(None) == ("bot", None, None)
    assert describe_agent("") == ("bot", None, None)


def test_describe_agent_with_unknown_agent_is_other_and_unknown():
    assert describe_agent("Mozilla/5.0 (SomethingNew 1.0)") == ("other", None, None)


def test_describe_agent_with_bot_keeps_parser_families():
    agent = describe_agent("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)")
    assert agent.device == "bot"
    assert agent.browser == "Googlebot"


def test_describe_agent_is_cached_per_agent():
    devices._describe.cache_clear()
    describe_agent(EDGE)
    describe_agent(EDGE)
    assert devices._describe.cache_info().hits == 1
