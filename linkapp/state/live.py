"""Keeping an open page current: a background task per tab wakes when new clicks are stored."""

from __future__ import annotations

import time

from linkapp.services.clicks.feed import feed

MAX_WATCH_SECONDS = 4 * 3600
POLL_TIMEOUT = 15.0


async def tab_connected(token: str) -> bool:
    """Whether the browser tab behind `token` still has its websocket open, on any worker (with
    Redis, a tab's socket may live in another worker than the task watching for it)."""
    from linkapp.linkapp import app

    manager = getattr(getattr(app, "event_namespace", None), "_token_manager", None)
    if manager is None:  # no websocket layer (tests): treat as connected
        return True
    return await manager.is_token_connected(token)


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
        if not await tab_connected(token):
            break
        async with state:
            if not on_page(state.router.url.path) or not state._watching:
                break
            if new_version != version:
                await reload()
        version = new_version
    async with state:
        state._watching = False
