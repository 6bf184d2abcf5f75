"""Country and city of a client address, from an optional MaxMind or DB-IP `.mmdb` file.

The file is GEOIP_DB_PATH; without one every lookup answers (None, None). It is opened on first
use and again whenever the setting points elsewhere, so tests and reloads need no restart.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, NamedTuple

import maxminddb

from linkapp.core.config import settings
from linkapp.core.net import parse_ip

log = logging.getLogger(__name__)

# The link_events column's width.
MAX_CITY = 128

_lock = threading.Lock()
_reader: maxminddb.Reader | None = None
_path: str | None = None


class Place(NamedTuple):
    country: str | None
    city: str | None


NOWHERE = Place(None, None)


def _database() -> maxminddb.Reader | None:
    global _reader, _path
    path = settings.GEOIP_DB_PATH or None
    if path == _path:
        return _reader
    with _lock:
        if path != _path:
            reader = None
            if path:
                try:
                    reader = maxminddb.open_database(path)
                except (OSError, ValueError, maxminddb.InvalidDatabaseError) as exc:
                    # Logged once per path: a missing file must not cost one error per click.
                    log.warning("GeoIP database %s cannot be read (%s); countries stay unknown", path, exc)
            # The old reader is dropped, not closed: a lookup in another thread may still use it.
            _reader, _path = reader, path
    return _reader


def reset() -> None:
    """Forget the open database, so the next lookup opens GEOIP_DB_PATH again."""
    global _reader, _path
    with _lock:
        _reader, _path = None, None


def _country(record: dict[str, Any]) -> str | None:
    value = record.get("country")
    if isinstance(value, dict):  # GeoIP2 and DB-IP: {"country": {"iso_code": "DE", ...}}
        value = value.get("iso_code")
    elif not isinstance(value, str) or len(value) != 2:
        value = record.get("country_code")  # flat shapes: {"country_code": "DE"}
    if isinstance(value, str) and len(value) == 2 and value.isalpha():
        return value.upper()
    return None


def _city(record: dict[str, Any]) -> str | None:
    value = record.get("city")
    if isinstance(value, dict):  # {"city": {"names": {"en": "Berlin", "de": "Berlin"}}}
        names = value.get("names")
        value = (names.get("en") or next(iter(names.values()), None)) if isinstance(names, dict) else None
    elif value is None:
        value = record.get("city_name")
    if isinstance(value, str) and value.strip():
        return value.strip()[:MAX_CITY]
    return None


def locate(address: str | None) -> Place:
    """Where a client address is, as far as the GeoIP database knows.

    Args:
        address: The raw client address (IPv4 or IPv6), before any anonymization.

    Returns:
        `Place(country, city)`: an ISO 3166 alpha-2 code and a city name (English when the
        database has it). Both None without a database, for private, loopback and other
        non-public addresses, and for addresses the database does not list.
    """
    if not address:
        return NOWHERE
    reader = _database()
    if reader is None:
        return NOWHERE
    ip = parse_ip(address)
    if ip is None or not ip.is_global:
        return NOWHERE
    try:
        record = reader.get(ip)
    except ValueError:  # an IPv6 address in an IPv4-only database
        return NOWHERE
    if not isinstance(record, dict):
        return NOWHERE
    return Place(_country(record), _city(record))
