"""services/visitors/matching: many patterns searched on RE2, with Python's re's answers."""

from __future__ import annotations

import re

import pytest

from linkapp.services.visitors import bot_patterns, devices, matching
from linkapp.services.visitors.matching import AnyOf
from tests.unit.agent_samples import mutated_agents

# Every pattern set that judges agents, with the case it is matched in.
PATTERN_SETS = {
    **{f"bots:{reason}": (patterns, str.lower) for reason, patterns in bot_patterns.UA_REASONS},
    "devices:other": (devices._OTHER, str), "devices:tablet": (devices._TABLET, str),
    "devices:mobile": (devices._MOBILE, str), "devices:desktop": (devices._DESKTOP, str),
}


@pytest.mark.parametrize("name", PATTERN_SETS)
def test_search_with_app_patterns_agrees_with_python_re_on_ascii_agents(name):
    patterns, case = PATTERN_SETS[name]
    reference = re.compile("|".join(patterns.patterns), re.IGNORECASE if patterns.ignore_case else 0)
    agents = [case(agent) for agent in mutated_agents(1500, seed=5)]
    disagreements = [agent for agent in agents if patterns.search(agent) != bool(reference.search(agent))]
    assert disagreements == []


@pytest.mark.parametrize("name", PATTERN_SETS)
def test_app_patterns_all_run_on_re2(name):
    # Python's re backtracks: none of our own patterns may need it.
    assert PATTERN_SETS[name][0].backtracking == ()


def test_search_with_pattern_re2_refuses_uses_python_re_for_it():
    patterns = AnyOf([r"Yandex(?!Search)", r"googlebot"], ignore_case=True)
    assert patterns.backtracking == ("Yandex(?!Search)",)
    assert patterns.search("yandexbrowser/1.0") is True
    assert patterns.search("YandexSearch/1.0") is False
    assert patterns.search("Googlebot/2.1") is True


def test_search_with_more_patterns_than_a_group_finds_the_last():
    patterns = AnyOf([f"name{number}x" for number in range(matching.GROUP_SIZE * 2 + 1)])
    assert patterns.search(f"... name{matching.GROUP_SIZE * 2}x ...") is True
    assert patterns.search("name0") is False


@pytest.mark.parametrize(("ignore_case", "expected"), [(False, False), (True, True)])
def test_search_ignore_case(ignore_case, expected):
    assert AnyOf([r"\bcurl/"], ignore_case=ignore_case).search("CURL/8.5") is expected


def test_search_with_lone_surrogate_does_not_raise():
    assert AnyOf([r"bot"]).search("\udcff bot") is True
