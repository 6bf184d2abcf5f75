"""A click as the redirect saw it, on its way to the writer (in memory, a spool file or Redis).

It still carries the raw client address: the writer anonymizes it and derives the visitor id
before anything is stored.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime
from json.encoder import (
    encode_basestring_ascii as _ascii_string,  # JSON's own string escaping (in C)
)

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


class _ClickIds:
    """128 random bits as 32 hex digits, like uuid4().hex, cut from a pool of os.urandom bytes:
    one system call per 4,096 ids instead of one per redirect (secrets.token_hex's). The pool is
    dropped in a forked child, which must not hand out its parent's ids."""

    POOL = 16 * 4096

    def __init__(self) -> None:
        self._pool = b""
        self._at = 0
        os.register_at_fork(after_in_child=self._forget)

    def _forget(self) -> None:
        self._pool, self._at = b"", 0

    def __call__(self) -> str:
        if self._at >= len(self._pool):
            self._pool, self._at = os.urandom(self.POOL), 0
        start = self._at
        self._at = start + 16
        return self._pool[start : start + 16].hex()


new_click_id = _ClickIds()


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
    click_id: str = field(default_factory=new_click_id)
    # The journal segment that holds this click until it is safe elsewhere (services/clicks/journal).
    journal: object = field(default=None, init=False, repr=False, compare=False)
    _line: bytes | None = field(default=None, init=False, repr=False, compare=False)

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
        # Spelled out: asdict copies deeply, and this runs once per redirect (the journal line).
        return {
            "link_id": self.link_id,
            "clicked_at": self.clicked_at.isoformat(),
            "ip_address": self.ip_address,
            "user_agent": self.user_agent,
            "referrer": self.referrer,
            "source": self.source,
            "utm_medium": self.utm_medium,
            "utm_campaign": self.utm_campaign,
            "method": self.method,
            "bot_reason": self.bot_reason,
            "click_id": self.click_id,
        }

    def to_line(self) -> bytes:
        """The click as one JSON line, as the journal and the spool keep it; made once (the
        journal's line is also what the writer's process is sent)."""
        if self._line is None:
            # `to_dict` as json.dumps(separators=(",", ":")) writes it, byte for byte, without the
            # dict and the encoder's walk of it (a tenth of the redirect's own Python).
            q = _quoted
            self._line = (
                f'{{"link_id":{int(self.link_id)},"clicked_at":{q(self.clicked_at.isoformat())},"ip_address":{q(self.ip_address)},'
                f'"user_agent":{q(self.user_agent)},"referrer":{q(self.referrer)},"source":{q(self.source)},'
                f'"utm_medium":{q(self.utm_medium)},"utm_campaign":{q(self.utm_campaign)},"method":{q(self.method)},'
                f'"bot_reason":{q(self.bot_reason)},"click_id":{q(self.click_id)}}}\n'
            ).encode()
        return self._line

    @classmethod
    def from_dict(cls, data: dict) -> Click:
        return cls(**{**data, "clicked_at": datetime.fromisoformat(data["clicked_at"])})

    @classmethod
    def from_lines(cls, lines: bytes) -> list[Click]:
        """The clicks of `to_line` lines, as the writer's process is sent them: one JSON array
        parsed in one call (less than half the time of a parse per line). They keep no line."""
        text = lines.decode().rstrip("\n")
        if not text:
            return []
        found = json.loads(f"[{text.replace(chr(10), ',')}]")  # a line's JSON holds no raw line break
        fromisoformat = datetime.fromisoformat
        for data in found:
            data["clicked_at"] = fromisoformat(data["clicked_at"])
        return [cls(**data) for data in found]

    @classmethod
    def from_line(cls, line: bytes | str) -> Click:
        """The click a `to_line` line holds; it keeps that line, so sending it on (the stream's
        reader to the writer's process) does not encode it again."""
        click = cls.from_dict(json.loads(line))
        line = line.encode() if isinstance(line, str) else line
        click._line = line if line.endswith(b"\n") else line + b"\n"
        return click


def _quoted(value: str | None) -> str:
    return "null" if value is None else _ascii_string(value)
