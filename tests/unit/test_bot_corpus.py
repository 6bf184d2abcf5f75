"""services/bots and services/devices against a corpus of real user agents (tests/data/user_agents.tsv),
plus the request-level reasons (HEAD, prefetch) no agent string can show."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from linkapp.services.visitors import bots
from linkapp.services.visitors.bots import bot_reason, is_bot_user_agent, user_agent_reason
from linkapp.services.visitors.devices import DEVICES, describe_agent

CORPUS = Path(__file__).resolve().parent.parent / "data" / "user_agents.tsv"
HUMAN = "human"
# The reasons an agent string alone can earn; head, prefetch and burst need the request.
AGENT_REASONS = (bots.PREVIEW, bots.AI_CRAWLER, bots.CRAWLER, bots.HTTP_CLIENT, bots.HEADLESS, bots.MONITOR, bots.BOT)
CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


def _load_corpus() -> list[tuple[int, str, str, str]]:
    rows = []
    for number, line in enumerate(CORPUS.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        reason, device, user_agent = line.split("\t", 2)
        rows.append((number, reason, device, user_agent))
    return rows


ROWS = _load_corpus()
PARAMS = [pytest.param(reason, device, agent, id=f"line{number}-{reason}") for number, reason, device, agent in ROWS]


@pytest.mark.parametrize(("reason", "device", "user_agent"), PARAMS)
def test_user_agent_reason_matches_corpus(reason, device, user_agent):
    assert (user_agent_reason(user_agent) or HUMAN) == reason


@pytest.mark.parametrize(("reason", "device", "user_agent"), PARAMS)
def test_describe_agent_device_matches_corpus(reason, device, user_agent):
    assert describe_agent(user_agent).device == device


def test_corpus_has_at_least_sixty_humans_and_a_hundred_bots():
    counts = Counter(reason for _, reason, _, _ in ROWS)
    assert counts[HUMAN] >= 60
    assert sum(count for reason, count in counts.items() if reason != HUMAN) >= 100


@pytest.mark.parametrize("reason", AGENT_REASONS)
def test_corpus_covers_every_agent_reason(reason):
    counts = Counter(reason for _, reason, _, _ in ROWS)
    assert counts[reason] >= (10 if reason not in (bots.HEADLESS, bots.BOT) else 5)


def test_corpus_covers_every_human_device():
    devices = Counter(device for _, reason, device, _ in ROWS if reason == HUMAN)
    assert devices["desktop"] >= 20 and devices["mobile"] >= 20
    assert devices["tablet"] >= 8 and devices["other"] >= 3


def test_corpus_rows_are_well_formed_and_unique():
    assert {reason for _, reason, _, _ in ROWS} <= {HUMAN, *AGENT_REASONS}
    assert {device for _, _, device, _ in ROWS} <= set(DEVICES)
    agents = [agent for _, _, _, agent in ROWS]
    assert all(agent == agent.strip() and "\t" not in agent for agent in agents)
    assert len(agents) == len(set(agents))


def test_bot_reason_with_head_is_head_whatever_the_agent():
    assert bot_reason("HEAD", CHROME) == bots.HEAD
    assert bot_reason("HEAD", GOOGLEBOT) == bots.HEAD
    assert bot_reason("HEAD", "") == bots.HEAD


@pytest.mark.parametrize("purpose", ["prefetch", "Prefetch", "prefetch;anonymous-client-ip", "prerender", " preview", "  prefetch"])
def test_bot_reason_with_prefetch_purpose_is_prefetch(purpose):
    assert bot_reason("GET", CHROME, purpose) == bots.PREFETCH


@pytest.mark.parametrize("purpose", ["", "   ", "navigate"])
def test_bot_reason_with_browser_get_is_none(purpose):
    assert bot_reason("GET", CHROME, purpose) is None


@pytest.mark.parametrize("user_agent", [None, "", " ", "\t"])
def test_bot_reason_with_empty_agent_is_empty_ua(user_agent):
    assert bot_reason("GET", user_agent) == bots.EMPTY_UA
    assert is_bot_user_agent(user_agent) is True


@pytest.mark.parametrize(
    "user_agent",
    [
        # iMessage names three previewers at once, one of them a "bot".
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 (KHTML, like Gecko) Version/9.0.1 Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0",
        "TelegramBot (like TwitterBot)",
        "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
        "Mastodon/4.2.8 (http.rb/5.1.1; +https://mastodon.social/)",
    ],
)
def test_bot_reason_with_preview_agent_naming_a_bot_or_library_is_preview(user_agent):
    assert bot_reason("GET", user_agent) == bots.PREVIEW


def test_bot_reason_with_monitor_running_headless_chrome_is_monitor():
    agent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/121.0.6167.57 Safari/537.36 Checkly, https://www.checklyhq.com"
    assert bot_reason("GET", agent) == bots.MONITOR


def test_bot_reason_with_long_agent_is_judged_by_its_start():
    assert bot_reason("GET", "curl/8.5.0 " + "x" * 10_000) == bots.HTTP_CLIENT
    assert bot_reason("GET", CHROME + " " + "x" * 10_000) is None


def test_user_agent_reason_is_cached_per_agent():
    bots._classify.cache_clear()
    user_agent_reason(CHROME)
    user_agent_reason(CHROME)
    assert bots._classify.cache_info().hits == 1
