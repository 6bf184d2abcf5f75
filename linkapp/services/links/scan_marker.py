"""The marker a QR code adds to a short URL, so that its scans count with source `qr`.

Apart from `qr.py` (which renders codes) because the redirect reads it on every forwarded query
and must not import the renderer. The marker is a plain `utm_source`, which the redirect already
records as a click's source; it is ours, though, so the target never receives it.
"""

from __future__ import annotations

QR_SOURCE = "qr"
SCAN_MARKER = f"utm_source={QR_SOURCE}"


def with_scan_marker(short_url: str) -> str:
    """The URL a QR code of `short_url` encodes (short URLs carry no query of their own)."""
    return f"{short_url}?{SCAN_MARKER}"


def without_scan_marker(query: str) -> str:
    """`query` less the scan marker, for forwarding to a link's target.

    Args:
        query: a short URL's query string, as the redirect received it.

    Returns:
        The same parameters in the same order, without any `utm_source=qr`.
    """
    if SCAN_MARKER not in query:
        return query
    return "&".join(part for part in query.split("&") if part != SCAN_MARKER)
