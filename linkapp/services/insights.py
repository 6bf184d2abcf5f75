"""AI insights about a user's figures (Gemini through google-genai)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from linkapp.core.config import settings
from linkapp.core.errors import ServiceUnavailable

NOT_CONFIGURED = "AI insights are not configured on this server (set GEMINI_API_KEY)."


def is_configured() -> bool:
    return bool(settings.GEMINI_API_KEY)


async def generate_insight(
    *, db: AsyncSession, owner_id: int, prompt: str, link_id: str | None, start: date | None, end: date | None, tz: str | None
) -> dict:
    """An answer to `prompt` grounded in the user's figures; 503 while no AI is configured."""
    if not is_configured():
        raise ServiceUnavailable(NOT_CONFIGURED)
    # The Gemini call lands with the AI insights issue; until then a configured key is refused plainly.
    raise ServiceUnavailable("AI insights are not available in this version yet.")
