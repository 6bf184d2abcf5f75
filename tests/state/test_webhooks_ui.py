"""WebhooksState: the webhooks page's list, new/edit form, secret shown once, switch, test event, deletion and deliveries."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from linkapp import db as database
from linkapp.core.config import settings
from linkapp.core.times import utcnow
from linkapp.models.webhook import Webhook, WebhookAttempt, WebhookDelivery
from linkapp.services.webhooks import hooks
from linkapp.state.webhooks import TEST_QUEUED, WebhooksState
from tests.state.conftest import Tab, make_member, signed_in_tab
from tests.webhook_receiver import webhooks_on  # noqa: F401 - a fixture

RECEIVER = "http://127.0.0.1:9/hooks/linkapp"
# UTC+14: a day and an hour that differ from UTC's for most of the day.
FAR_EAST = "Pacific/Kiritimati"


async def _webhooks_page(member, tz: str = "UTC") -> Tab:
    """A tab on the webhooks page, signed in as `member`, its zone learnt from the browser."""
    return await _visit(await signed_in_tab(member.session_token, "/settings/webhooks"), tz)


async def _visit(tab: Tab, tz: str = "UTC") -> Tab:
    """The page (again) on `tab`, as its on_load does it."""
    sent = await tab.fire(WebhooksState.load)
    assert "set_tz_and_load" in str(sent.events[0].payload)  # the page asks the browser its zone first
    await tab.fire(WebhooksState.set_tz_and_load, tz)
    assert tab[WebhooksState].loaded
    return tab


async def _create(tab: Tab, url: str = RECEIVER, events: tuple[str, ...] = ("link.created",), description: str = "") -> str:
    """Fill in and submit the new webhook form; returns the secret it showed."""
    await tab.fire(WebhooksState.open_create)
    for name in events:
        await tab.fire(WebhooksState.toggle_event, name, True)
    await tab.fire(WebhooksState.save, {"url": url, "description": description})
    return tab[WebhooksState].secret


async def _stored(member) -> list[Webhook]:
    async with database.session() as db:
        return list((await db.execute(select(Webhook).where(Webhook.user_id == member.user_id))).scalars())


async def test_new_hook_shows_its_secret_once_then_lists_it(member, webhooks_on):  # noqa: F811
    tab = await _webhooks_page(member)
    assert tab[WebhooksState].hooks == []

    secret = await _create(tab, events=("link.clicked", "link.created"), description="CRM sync")

    state = tab[WebhooksState]
    assert secret.startswith(hooks.SECRET_PREFIX) and state.secret_open and not state.form_open
    assert secret == (await _stored(member))[0].secret  # the one deliveries are signed with
    (row,) = state.hooks
    assert (row["url"], row["events"], row["description"]) == (RECEIVER, ["link.clicked", "link.created"], "CRM sync")
    assert (row["disabled"], row["failing_since"], row["last"]) == (False, "", "No deliveries yet")
    copied = await tab.fire(WebhooksState.copy_secret)
    assert ("success", "Secret copied") in copied.toasts and secret in str(copied.events[0].payload)

    # Closed, it is gone: neither the dialog nor a new visit shows it again.
    await tab.fire(WebhooksState.set_secret_open, False)
    assert tab[WebhooksState].secret == ""
    await _visit(tab)
    assert tab[WebhooksState].hooks and secret not in str(tab[WebhooksState].dict())


async def test_refusals_show_at_their_field_and_save_nothing(member, monkeypatch, webhooks_on):  # noqa: F811
    monkeypatch.setattr(settings, "WEBHOOK_ALLOW_PRIVATE", False)
    tab = await _webhooks_page(member)

    await _create(tab, url="http://127.0.0.1:8000/hook")
    state = tab[WebhooksState]
    assert "public addresses" in state.url_error and state.form_open and state.secret == ""

    await tab.fire(WebhooksState.toggle_event, "link.created", False)
    await tab.fire(WebhooksState.save, {"url": "https://hooks.example.com/x", "description": ""})
    assert "Choose one or more" in state.events_error and state.url_error == ""
    await tab.fire(WebhooksState.toggle_event, "ping", True)
    assert state.events_error == ""  # choosing one clears it
    await tab.fire(WebhooksState.save, {"url": "https://hooks.example.com/x", "description": "x" * 201})
    assert "200" in state.description_error
    assert await _stored(member) == []


async def test_editing_changes_events_description_and_url(member, webhooks_on):  # noqa: F811
    tab = await _webhooks_page(member)
    await _create(tab, description="old")
    hook_id = tab[WebhooksState].hooks[0]["id"]

    await tab.fire(WebhooksState.open_edit, hook_id)
    state = tab[WebhooksState]
    assert (state.url, state.events, state.description) == (RECEIVER, ["link.created"], "old")
    await tab.fire(WebhooksState.toggle_event, "link.deleted", True)
    sent = await tab.fire(WebhooksState.save, {"url": RECEIVER + "/v2", "description": "new"})

    assert ("success", "Webhook saved") in sent.toasts and not state.form_open
    (row,) = state.hooks
    assert (row["url"], row["events"], row["description"]) == (RECEIVER + "/v2", ["link.created", "link.deleted"], "new")


async def test_a_disabled_hook_refuses_a_test_event_until_enabled(member, webhooks_on):  # noqa: F811
    tab = await _webhooks_page(member)
    await _create(tab)
    hook_id = tab[WebhooksState].hooks[0]["id"]

    await tab.fire(WebhooksState.set_enabled, hook_id, False)
    assert tab[WebhooksState].hooks[0]["disabled"]
    refused = await tab.fire(WebhooksState.send_test, hook_id)
    assert refused.toasts[0][0] == "error" and "disabled" in refused.toasts[0][1]

    await tab.fire(WebhooksState.set_enabled, hook_id, True)
    sent = await tab.fire(WebhooksState.send_test, hook_id)

    assert not tab[WebhooksState].hooks[0]["disabled"]
    assert ("success", TEST_QUEUED) in sent.toasts
    async with database.session() as db:
        owed = (await db.execute(select(WebhookDelivery.event_type))).scalars().all()
    assert owed == ["ping"]


async def test_failing_and_disabled_hooks_say_since_when_and_why(member, webhooks_on):  # noqa: F811
    tab = await _webhooks_page(member)
    await _create(tab)
    failing_since = datetime(2026, 1, 24, 11, 30, tzinfo=ZoneInfo("UTC"))
    async with database.session() as db:
        hook = (await db.execute(select(Webhook).where(Webhook.user_id == member.user_id))).scalar_one()
        hook.failing_since, hook.last_status, hook.last_delivery_at = failing_since, 503, failing_since + timedelta(days=3)
        hook.disabled, hook.disabled_reason = True, "Failing for 3 days"
        await db.commit()

    row = (await _visit(tab, FAR_EAST))[WebhooksState].hooks[0]

    assert row["failing_since"] == "Jan 25, 2026, 01:30"  # the viewer's zone, not UTC's
    assert (row["last"], row["last_tone"]) == ("Last delivery Jan 28, 2026, 01:30: 503", "red")
    assert (row["disabled"], row["disabled_reason"]) == (True, "Failing for 3 days")


async def test_deliveries_are_paged_newest_first_in_the_viewers_zone(member, webhooks_on):  # noqa: F811
    tab = await _webhooks_page(member, FAR_EAST)
    await _create(tab)
    hook = (await _stored(member))[0]
    start = utcnow() - timedelta(hours=1)
    async with database.session() as db:
        for n in range(25):
            status, error = (500, None) if n % 2 else (None, "timed out")
            db.add(
                WebhookAttempt(
                    hook_id=hook.id, delivery_id=n, event_id=f"evt_{n:032x}", event_type="ping", attempt=n + 1,
                    status_code=status, error=error, at=start + timedelta(minutes=n), duration_ms=10 * n,
                )
            )  # fmt: skip
        await db.commit()
    hook_id = tab[WebhooksState].hooks[0]["id"]

    await tab.fire(WebhooksState.show_deliveries, hook_id, RECEIVER)

    state = tab[WebhooksState]
    assert state.deliveries_open and len(state.deliveries) == 20 and state.deliveries_label == "1–20 of 25"
    newest = state.deliveries[0]
    assert (newest["event"], newest["attempt"], newest["status"], newest["error"], newest["duration"]) == ("ping", "25", "—", "timed out", "240 ms")
    assert state.deliveries[1]["status"] == "500" and state.deliveries[1]["tone"] == "red"
    shown = datetime.strptime(newest["when"], "%b %d, %Y, %H:%M").replace(tzinfo=ZoneInfo(FAR_EAST))
    assert abs(shown - (start + timedelta(minutes=24))) < timedelta(minutes=1)
    await tab.fire(WebhooksState.older_deliveries)
    assert [row["attempt"] for row in state.deliveries] == ["5", "4", "3", "2", "1"] and not state.has_older_deliveries
    await tab.fire(WebhooksState.newer_deliveries)
    assert state.deliveries[0]["attempt"] == "25"


async def test_deleting_after_confirming_removes_the_hook(member, webhooks_on):  # noqa: F811
    tab = await _webhooks_page(member)
    await _create(tab)
    hook_id = tab[WebhooksState].hooks[0]["id"]

    await tab.fire(WebhooksState.ask_delete, hook_id, RECEIVER)
    assert tab[WebhooksState].delete_open and (await _stored(member))
    sent = await tab.fire(WebhooksState.delete)

    assert ("success", "Webhook deleted") in sent.toasts
    assert tab[WebhooksState].hooks == [] and await _stored(member) == []


async def test_another_users_hook_is_unknown(member, webhooks_on):  # noqa: F811
    owner_tab = await _webhooks_page(member)
    await _create(owner_tab)
    hook_id = owner_tab[WebhooksState].hooks[0]["id"]
    stranger = await _webhooks_page(await make_member())

    for handler, args in ((WebhooksState.send_test, (hook_id,)), (WebhooksState.set_enabled, (hook_id, False))):
        sent = await stranger.fire(handler, *args)
        assert sent.toasts == [("error", hooks.NOT_FOUND)]
    await stranger.fire(WebhooksState.show_deliveries, hook_id, RECEIVER)
    assert not stranger[WebhooksState].deliveries_open
    assert not (await _stored(member))[0].disabled
