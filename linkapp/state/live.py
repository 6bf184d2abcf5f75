"""Keeping an open page current: a background task per tab wakes when new clicks are stored."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from linkapp.services.clicks.feed import feed

MAX_WATCH_SECONDS = 4 * 3600
POLL_TIMEOUT = 15.0


async def _always_connected(_token: str) -> bool:
    return True


# Whether a tab's websocket is still open. The app owns the websocket layer and hands its check
# over at start-up (`use_connection_check`); without an app (tests) every tab counts as open.
_tab_connected: Callable[[str], Awaitable[bool]] = _always_connected


def use_connection_check(check: Callable[[str], Awaitable[bool]]) -> None:
    """Called once by the app module: `check(token)` says whether that tab is still connected."""
    global _tab_connected
    _tab_connected = check


async def tab_is_open(token: str) -> bool:
    """Whether the tab behind `token` still has its websocket open (for other states' background tasks)."""
    return await _tab_connected(token)


def loading(state) -> None:
    """Call as a page starts reading its figures: its watch then knows which news they include."""
    state._loaded_version = feed.version


async def watch(state, on_page, reload) -> None:
    """Call `reload` (inside `async with state`) whenever clicks are stored, while the tab is
    open and `on_page(path)` holds. The state must have `_watching` and `_loaded_version`
    backend vars (see `loading`)."""
    started = time.monotonic()
    token = state.router.session.client_token
    async with state:
        # Clicks stored between the page's load and this task's start count too. (Counted in
        # another worker, the number differs: one reload too many, none missed.)
        version = state._loaded_version
    while time.monotonic() - started < MAX_WATCH_SECONDS:
        new_version = await feed.wait(version, POLL_TIMEOUT)
        if not await _tab_connected(token):
            break
        async with state:
            if not on_page(state.router.url.path) or not state._watching:
                break
            if new_version != version:
                await reload()
        version = new_version
    async with state:
        state._watching = False
