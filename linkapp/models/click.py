"""A click as the redirect saw it, on its way to the writer (in memory, a spool file or Redis).

It still carries the raw client address: the writer anonymizes it and derives the visitor id
before anything is stored.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass, field
from datetime import datetime

MAX_TEXT = 255
# Only an agent's first 512 characters are stored, and judged (visitors.bots, devices): real
# agents are shorter (the longest in tests/data/user_agents.tsv has 330), every pattern's cost
# grows with the length, and the verdict cache holds 8,192 agents, so about 4 MB at most.
MAX_USER_AGENT = 512


def _clip(value: str | None, limit: int) -> str | None:
    # PostgreSQL text cannot hold NUL: one "?utm_source=%00" would fail every retry of its batch.
    if value and "\x00" in value:
        value = value.replace("\x00", "")
    return value[:limit] if value else None


@dataclass(slots=True)
class Click:
    link_id: int
    clicked_at: datetime
    ip_address: str | None = None
    user_agent: str | None = None
    referrer: str | None = None
    source: str | None = None  # utm_source
    utm_medium: str | None = None
    utm_campaign: str | None = None
    method: str = "GET"
    # Why the redirect already knew this was not a person (HEAD, prefetch, a bot's agent...).
    bot_reason: str | None = None
    # 128 random bits as 32 hex digits, like uuid4().hex, at a fifth of the cost on the redirect.
    click_id: str = field(default_factory=lambda: secrets.token_hex(16))

    def __post_init__(self) -> None:
        self.user_agent = _clip(self.user_agent, MAX_USER_AGENT)
        self.referrer = _clip(self.referrer, 2048)
        self.source = _clip(self.source, MAX_TEXT)
        self.utm_medium = _clip(self.utm_medium, MAX_TEXT)
        self.utm_campaign = _clip(self.utm_campaign, MAX_TEXT)

    @property
    def is_bot(self) -> bool:
        return self.bot_reason is not None

    def to_dict(self) -> dict:
        data = asdict(self)
        data["clicked_at"] = self.clicked_at.isoformat()
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Click:
        return cls(**{**data, "clicked_at": datetime.fromisoformat(data["clicked_at"])})
