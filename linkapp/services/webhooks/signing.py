"""The `Linkapp-Signature` header: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`,
keyed by the hook's secret. The time is signed too, so a receiver can refuse an old delivery
replayed at it; `verify` is what a receiver does (the README shows it in five lines)."""

from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "Linkapp-Signature"
SCHEME = "v1"
# How old a signature a receiver should still accept (seconds).
TOLERANCE = 300


def signature(secret: str, body: bytes, timestamp: int) -> str:
    """The hex HMAC-SHA256 of `"<timestamp>.<body>"` keyed by `secret`."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def header(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The value of `Linkapp-Signature` for `body` sent at `timestamp` (now by default)."""
    moment = int(time.time()) if timestamp is None else timestamp
    return f"t={moment},{SCHEME}={signature(secret, body, moment)}"


def verify(secret: str, body: bytes, value: str, *, now: float | None = None, tolerance: int = TOLERANCE) -> bool:
    """Whether `value` (a `Linkapp-Signature` header) signs `body` with `secret` within `tolerance` seconds of `now`."""
    parts = dict(item.split("=", 1) for item in value.split(",") if "=" in item)
    try:
        moment = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - moment) > tolerance:
        return False
    return hmac.compare_digest(parts.get(SCHEME, ""), signature(secret, body, moment))
