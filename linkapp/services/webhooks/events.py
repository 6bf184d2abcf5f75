"""What an event is on the wire: `{id, type, created_at, data}` as compact JSON, built once when
the event is written and sent as is by every attempt (the signature covers these exact bytes)."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from json.encoder import encode_basestring as _quoted  # JSON's own string escaping (in C)

LINK_CREATED = "link.created"
LINK_UPDATED = "link.updated"
LINK_DELETED = "link.deleted"
LINK_CLICKED = "link.clicked"
PING = "ping"
EVENTS: tuple[str, ...] = (LINK_CREATED, LINK_UPDATED, LINK_DELETED, LINK_CLICKED, PING)
ID_PREFIX = "evt_"
# What a click event tells of the click: never an address, a visitor id or a raw user agent.
CLICK_FIELDS = ("source", "referrer_host", "country", "device", "browser", "os", "is_bot", "bot_reason")


def new_event_id() -> str:
    """A fresh event id (`evt_` and 32 hex digits): `Linkapp-Delivery`, the same on every retry."""
    return ID_PREFIX + secrets.token_hex(16)


def click_event_id(click_id: str | None) -> str:
    """The event id of a click: derived from the click's own id, so a replayed batch owes no hook the same click twice."""
    return ID_PREFIX + click_id if click_id else new_event_id()


def rfc3339(moment: datetime) -> str:
    """`2026-01-24T10:00:00.123456Z`: UTC, as the API writes times."""
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    return moment.isoformat()[:-6] + "Z"  # without its "+00:00"


def body(event_id: str, event_type: str, created_at: datetime | str, data: dict) -> str:
    """The JSON body of an event, as every attempt sends it."""
    when = created_at if isinstance(created_at, str) else rfc3339(created_at)
    return json.dumps({"id": event_id, "type": event_type, "created_at": when, "data": data}, separators=(",", ":"), ensure_ascii=False)


def click_data(row: dict, link_code: str) -> dict:
    """The `data` of a `link.clicked` event from a stored click (the writer's enriched row).

    Args:
        row: The link_events row as the click writer built it.
        link_code: The link's public id.
    """
    return {"link_id": link_code, "clicked_at": rfc3339(row["clicked_at"]), **{field: row.get(field) for field in CLICK_FIELDS}}


def _text(value: str | None) -> str:
    return "null" if value is None else _quoted(value)


_tails: dict[tuple, str] = {}


def _click_tail(values: tuple) -> str:
    # A few hundred combinations of source, referrer, place, device... make most clicks: made once each.
    tail = _tails.get(values)
    if tail is None:
        if len(_tails) >= 4096:
            _tails.clear()
        tail = _tails[values] = ",".join(
            f'"{field}":{("true" if value else "false") if field == "is_bot" else _text(value)}' for field, value in zip(CLICK_FIELDS, values, strict=True)
        )
    return tail


def click_body(event_id: str, created_at: str, row: dict, link_code: str) -> str:
    """`body(event_id, LINK_CLICKED, created_at, click_data(row, link_code))`, the same JSON made
    several times faster: the click writer makes one for every click a hook wants. Ids and times
    are ours (no character to escape); the visitor's text goes through JSON's escaping."""
    tail = _click_tail(tuple(row.get(field) for field in CLICK_FIELDS))
    return (
        f'{{"id":"{event_id}","type":"{LINK_CLICKED}","created_at":"{created_at}","data":{{"link_id":"{link_code}",'
        f'"clicked_at":"{rfc3339(row["clicked_at"])}",{tail}}}}}'
    )
