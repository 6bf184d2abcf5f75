"""services/visitors/crawlers: crawlerdetect's verdicts, from its own lists, on RE2."""

from __future__ import annotations

import re

import pytest
from crawlerdetect import CrawlerDetect

from linkapp.services.visitors import crawlers
from tests.unit.agent_samples import corpus_agents, mutated_agents

REFERENCE = CrawlerDetect()


@pytest.mark.parametrize("user_agent", corpus_agents())
def test_is_crawler_with_corpus_agent_agrees_with_crawlerdetect(user_agent):
    assert crawlers.is_crawler(user_agent) == REFERENCE.is_crawler(user_agent)


def test_is_crawler_with_mutated_agents_agrees_with_crawlerdetect():
    agents = mutated_agents(1500, seed=3)
    disagreements = [agent for agent in agents if crawlers.is_crawler(agent) != REFERENCE.is_crawler(agent)]
    assert disagreements == []
    # The sample must hold both verdicts in number, or agreeing would prove little.
    assert 300 < sum(map(crawlers.is_crawler, agents)) < 1200


@pytest.mark.parametrize("user_agent", ["", "   ", "Safari/537.36 Chrome/124.0", "Mozilla/5.0 (X11; Linux x86_64)"])
def test_is_crawler_with_nothing_left_after_exclusions_is_false(user_agent):
    assert crawlers.is_crawler(user_agent) is False


def test_crawler_patterns_never_match_empty_text():
    # crawlerdetect reads an empty first match as "no crawler"; "any pattern matches" is the same
    # verdict only while no pattern can match nothing.
    assert [pattern for pattern in crawlers.CRAWLER_PATTERNS if re.search(pattern, "", re.IGNORECASE)] == []


def test_crawler_patterns_left_to_python_re_start_with_a_literal_name():
    # RE2 refuses lookarounds (today only `Yandex(?!Search)`); Python's re runs those, cheaply
    # only while each starts with a name it can look for. A new one that does not must be read.
    for pattern in crawlers.CRAWLERS.backtracking:
        assert re.match(r"[A-Za-z0-9 ]{4}", pattern), pattern
