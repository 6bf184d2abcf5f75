"""What the webhooks page shows of a hook and of a delivery attempt: plain rows, in words, with
times in the viewer's zone (Reflex sends plain data to the browser)."""

from __future__ import annotations

from linkapp.models.webhook import DeliveryPublic, WebhookPublic
from linkapp.state.account_rows import format_moment


def status_tone(status: int | None) -> str:
    """Green for a 2xx answer, red for any other answer or none at all."""
    return "green" if status is not None and 200 <= status < 300 else "red"


def hook_row(hook: WebhookPublic, tz: str) -> dict:
    """One hook of the list: where it sends, what, and how its last delivery went."""
    if hook.last_delivery_at is None:
        last = "No deliveries yet"
    else:
        answer = str(hook.last_status) if hook.last_status is not None else "no answer"
        last = f"Last delivery {format_moment(hook.last_delivery_at, tz)}: {answer}"
    return {
        "id": hook.id,
        "url": hook.url,
        "events": list(hook.events),
        "description": hook.description,
        "disabled": hook.disabled,
        # The dispatcher's reason (failing for days); none when its owner turned it off.
        "disabled_reason": hook.disabled_reason or "",
        "last": last,
        "last_tone": "gray" if hook.last_delivery_at is None else status_tone(hook.last_status),
        "last_error": hook.last_error or "",
        "failing_since": format_moment(hook.failing_since, tz),
    }


def delivery_row(delivery: DeliveryPublic, tz: str) -> dict:
    """One attempt of the deliveries view: the event, which try, the answer or why there was none, when, how long."""
    return {
        "id": delivery.id,
        "event": delivery.event,
        "attempt": str(delivery.attempt),
        "status": str(delivery.status_code) if delivery.status_code is not None else "—",
        "tone": status_tone(delivery.status_code),
        "error": delivery.error or "",
        "when": format_moment(delivery.at, tz),
        "duration": f"{delivery.duration_ms} ms",
    }
