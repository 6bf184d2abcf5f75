"""Webhooks without a database: the retry schedule, the signature and which addresses a hook may reach."""

from __future__ import annotations

import ipaddress

import pytest

from linkapp.services.webhooks import guard, schedule, signing


@pytest.mark.parametrize("draw", [0.0, 0.5, 0.999])
def test_retries_start_within_30_seconds_grow_and_go_on_past_a_day(draw):
    waits = [schedule.retry_delay(attempts, rng=lambda: draw) for attempts in range(1, 40)]
    elapsed, last_try = 0.0, 0.0
    for wait in waits:
        elapsed += wait
        if elapsed > schedule.GIVE_UP_AFTER.total_seconds():
            break
        last_try = elapsed

    assert waits[0] <= 30
    assert all(later >= earlier for earlier, later in zip(waits, waits[1:], strict=False))
    assert last_try >= 24 * 3600  # still trying after a day (the event is given up after 3)
    assert max(waits) <= schedule.LONGEST


def test_jitter_spreads_retries_of_events_that_failed_together():
    assert schedule.retry_delay(3, rng=lambda: 0.0) < schedule.retry_delay(3, rng=lambda: 0.9)


def test_signature_covers_time_and_body_and_expires():
    body = b'{"id":"evt_1","type":"ping"}'
    value = signing.header("whsec_k", body, timestamp=1_800_000_000)

    assert value.startswith("t=1800000000,v1=") and len(value.split("v1=")[1]) == 64
    assert signing.verify("whsec_k", body, value, now=1_800_000_100)
    assert not signing.verify("whsec_k", body, value, now=1_800_000_000 + signing.TOLERANCE + 1)
    assert not signing.verify("whsec_k", body + b" ", value, now=1_800_000_000)
    assert not signing.verify("whsec_other", body, value, now=1_800_000_000)
    assert not signing.verify("whsec_k", body, value.replace("t=1800000000", "t=1800000001"), now=1_800_000_000)
    assert not signing.verify("whsec_k", body, "garbage", now=1_800_000_000)


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"), ("::1", "loopback"), ("::ffff:127.0.0.1", "loopback"), ("10.0.0.8", "private"),
        ("172.16.5.4", "private"), ("192.168.1.1", "private"), ("fd00::1", "private"), ("100.64.0.1", "private"),
        ("169.254.169.254", "link-local"), ("fe80::1", "link-local"), ("0.0.0.0", "unspecified"), ("::", "unspecified"),
        ("224.0.0.251", "multicast"), ("ff02::1", "multicast"),
    ],
)
def test_local_addresses_are_refused(address, kind):
    assert kind in guard.refusal(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses_are_allowed(address):
    assert guard.refusal(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize("url", ["ftp://example.com/", "https://", "https://u:p@example.com/", "example.com/hook", "https://example.com/" + "x" * 2048])
def test_urls_a_hook_cannot_use(url):
    with pytest.raises(guard.Refused):
        guard.parse(url)


@pytest.mark.parametrize("source", [None, "newsletter", 'quote " and \\ backslash', "naïve ☃ \u2028"])
def test_a_click_event_is_the_json_of_its_data(source):
    import json
    from datetime import UTC, datetime

    from linkapp.services.webhooks import events

    row = {
        "click_id": "c" * 32, "link_id": 7, "clicked_at": datetime(2026, 1, 24, 10, 0, 0, 123456, tzinfo=UTC), "source": source,
        "referrer_host": "t.co", "country": None, "device": "mobile", "browser": "Mobile Safari", "os": "iOS", "is_bot": True,
        "bot_reason": "burst", "ip_address": "203.0.113.0", "user_agent": "Mozilla/5.0", "visitor_id": "v" * 32,
    }
    fast = events.click_body("evt_" + "c" * 32, "2026-01-24T10:00:01Z", row, "abc123")

    assert json.loads(fast) == json.loads(events.body("evt_" + "c" * 32, events.LINK_CLICKED, "2026-01-24T10:00:01Z", events.click_data(row, "abc123")))
    assert json.loads(fast)["data"]["source"] == source
    assert "203.0.113" not in fast and "Mozilla" not in fast and "v" * 32 not in fast
