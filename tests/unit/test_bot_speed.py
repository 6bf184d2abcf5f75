"""Long User-Agents cost what their first 512 characters cost: only those are judged, cached and
handed to any matcher or parser (issue 11, finding 3). Times are in bench/agent_bench.py."""

from __future__ import annotations

import pytest

from linkapp.redirect import Visit
from linkapp.services.visitors import bots, crawlers, devices, matching

# The contract (README): an agent's first 512 characters are judged and stored, no more.
JUDGED = 512
CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
# A browser's agent padded past the judged part: what comes after 512 characters is not read.
PADDED = (CHROME + " " + "lorem ipsum " * 50)[:JUDGED]


def test_user_agent_reason_with_bot_token_past_512_characters_is_a_person():
    assert bots.user_agent_reason(PADDED + " Googlebot/2.1") is None
    assert bots.user_agent_reason(PADDED[:-20] + " Googlebot/2.1") == bots.CRAWLER


@pytest.mark.parametrize("start", ["curl/8.5.0 ", CHROME, "Mozilla/5.0 (compatible; Googlebot/2.1) ", "x"])
def test_user_agent_reason_with_100_kb_agent_is_that_of_its_first_512_characters(start):
    agent = (start + "abcdefgh" * 12_800)[:100_000]
    assert bots.user_agent_reason(agent) == bots.user_agent_reason(agent[:JUDGED])
    assert devices.describe_agent(agent) == devices.describe_agent(agent[:JUDGED])


def test_user_agent_reason_caches_long_agents_by_their_judged_part():
    bots._classify.cache_clear()
    bots.user_agent_reason(PADDED + "a" * 100_000)
    bots.user_agent_reason(PADDED + "b" * 100_000)
    info = bots._classify.cache_info()
    assert (info.misses, info.hits) == (1, 1)


def test_judging_a_100_kb_agent_hands_no_matcher_or_parser_more_than_512_characters(monkeypatch):
    seen: list[int] = []
    search, parse = matching.AnyOf.search, devices.parse

    def spy_search(self, text):
        seen.append(len(text))
        return search(self, text)

    def spy_parse(text):
        seen.append(len(text))
        return parse(text)

    class SpyExclusions:
        def __init__(self, pattern):
            self.pattern = pattern

        def sub(self, replacement, text):
            seen.append(len(text))
            return self.pattern.sub(replacement, text)

    monkeypatch.setattr(matching.AnyOf, "search", spy_search)
    monkeypatch.setattr(devices, "parse", spy_parse)
    monkeypatch.setattr(crawlers, "_EXCLUSIONS", SpyExclusions(crawlers._EXCLUSIONS))
    bots._classify.cache_clear()
    devices._describe.cache_clear()
    agent = ("Mozilla/5.0 (SomethingNew) " + "qwertzuiop" * 10_000)[:100_000]
    bots.bot_reason("GET", agent)
    devices.describe_agent(agent)
    assert seen and max(seen) <= JUDGED


def _scope(user_agent: str) -> dict:
    return {"type": "http", "method": "GET", "path": "/abc", "headers": [(b"user-agent", user_agent.encode())], "client": ("198.51.100.7", 1)}


def test_visit_is_human_with_100_kb_agent_judges_its_start():
    assert Visit(_scope("curl/8.5.0 " + "a" * 100_000)).is_human() is False
    assert Visit(_scope(PADDED + " Googlebot/2.1" + "a" * 100_000)).is_human() is True


def test_click_stores_the_agent_as_far_as_it_was_judged():
    from datetime import UTC, datetime

    from linkapp.models.click import Click

    click = Click(link_id=1, clicked_at=datetime.now(UTC), user_agent="a" * 2000)
    assert click.user_agent == "a" * JUDGED
