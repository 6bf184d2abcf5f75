"""User agents for comparing two ways of judging one: the corpus's real agents, and mutations of
them that put crawler names, browser tokens, halves of names and stray characters anywhere."""

from __future__ import annotations

import random
import re
import string
from pathlib import Path

from crawlerdetect.providers.crawlers import data as CRAWLER_PATTERNS
from crawlerdetect.providers.exclusions import data as EXCLUSION_PATTERNS

CORPUS = Path(__file__).resolve().parent.parent / "data" / "user_agents.tsv"


def corpus_agents() -> list[str]:
    lines = CORPUS.read_text(encoding="utf-8").splitlines()
    return [line.split("\t", 2)[2] for line in lines if line.strip() and not line.startswith("#")]


def _tokens() -> list[str]:
    """crawlerdetect's patterns read as plain text (escapes and anchors dropped): crawler names
    and browser tokens, the pieces that decide verdicts."""
    return [re.sub(r"\\(.)", r"\1", pattern.removeprefix("^").removesuffix("$")) for pattern in (*CRAWLER_PATTERNS, *EXCLUSION_PATTERNS)]


def mutated_agents(count: int, *, seed: int) -> list[str]:
    """`count` ASCII agents of at most 512 characters, the same for the same seed."""
    rng = random.Random(seed)
    bases = corpus_agents()
    tokens = _tokens()
    agents = []
    for _ in range(count):
        agent = rng.choice(bases) if rng.random() < 0.8 else "".join(rng.choices(string.printable[:95], k=rng.randint(0, 60)))
        for _ in range(rng.randint(1, 4)):
            at, roll = rng.randint(0, len(agent)), rng.random()
            if roll < 0.3:
                agent = agent[:at] + rng.choice(tokens) + agent[at:]
            elif roll < 0.5:
                token = rng.choice(tokens)
                agent = agent[:at] + token[: rng.randint(1, len(token))] + agent[at:]
            elif roll < 0.65:
                agent = agent[:at] + "".join(rng.choices(string.printable[:95], k=rng.randint(1, 5))) + agent[at:]
            elif roll < 0.8:
                agent = agent[:at] + agent[at + rng.randint(1, 8) :]
            else:
                agent = agent[:at] + agent[at:].swapcase()
        agents.append(agent[:512])
    return agents
