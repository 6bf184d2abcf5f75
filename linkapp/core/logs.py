"""Log lines for failures that repeat on every request: one line per interval, not thousands."""

from __future__ import annotations

import logging
import math
import time


class Throttled:
    """A warning given at most once every `every` seconds."""

    def __init__(self, logger: logging.Logger, every: float) -> None:
        self.logger = logger
        self.every = every
        self._last = -math.inf

    def warning(self, message: str, *args: object) -> None:
        now = time.monotonic()
        if now - self._last >= self.every:
            self._last = now
            self.logger.warning(message, *args)

    def reset(self) -> None:
        """The next warning is given at once (a fresh start, or a test)."""
        self._last = -math.inf
