"""When a failed delivery is tried again, when an event is given up, when a hook is disabled, and
how many deliveries a process may start each second (`Budget`).

Exponential backoff with jitter: the first retry comes 10 to 20 s after the first failure, each
wait then three times longer, up to 3 to 6 hours: about 14 attempts in the first 24 hours. An event
is tried for 3 days; a hook whose deliveries have all failed for 3 days is disabled (its owner sees
why, and enables it again when the receiver is fixed).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import timedelta

FIRST_RETRY = 20.0
FACTOR = 3.0
LONGEST = 6 * 3600.0
GIVE_UP_AFTER = timedelta(days=3)
DISABLE_AFTER = timedelta(days=3)

Backoff = Callable[[int], float]


def retry_delay(attempts: int, rng: Callable[[], float] = random.random) -> float:
    """Seconds to wait before the next try of an event that failed `attempts` times (1 or more).

    The wait is drawn from the upper half of its step ("equal jitter"): retries of events that
    failed together spread out, and none comes back sooner than half its step.
    """
    step = min(FIRST_RETRY * FACTOR ** max(attempts - 1, 0), LONGEST)
    return step * (0.5 + 0.5 * rng())


class Budget:
    """A token bucket: `rate` starts a second on average, `burst` at once; no limit when rate is 0."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = max(burst, 1.0)
        self._tokens = self.burst
        self._at = time.monotonic()

    def available(self) -> int:
        if not self.rate:
            return 1_000_000
        now = time.monotonic()
        self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
        self._at = now
        return int(self._tokens)

    def spend(self, count: int) -> None:
        if self.rate:
            self._tokens -= count

    def wait(self, count: int) -> float:
        """Seconds until `count` starts are allowed."""
        return 0.0 if not self.rate else max((min(count, self.burst) - self._tokens) / self.rate, 0.0)
