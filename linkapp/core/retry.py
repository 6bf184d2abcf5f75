"""How long to wait before trying again: one schedule for the app's retry loops."""

from __future__ import annotations

# Quick at first (a blip), then every 5 s at most (an outage); the loops never give up on their own.
DELAYS = (0.2, 0.5, 1.0, 2.0, 5.0)


def delay(attempt: int, delays: tuple[float, ...] = DELAYS) -> float:
    """The pause before retry number `attempt` (0 for the first), in seconds."""
    return delays[min(attempt, len(delays) - 1)]
