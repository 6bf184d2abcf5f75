"""Public ids: numeric database ids never leave the server, hashids stand in for them."""

from __future__ import annotations

from functools import lru_cache

from hashids import Hashids

from linkapp.core.config import settings

# Lower-case only, so a public id and a custom slug can be compared case-insensitively.
ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


@lru_cache(maxsize=4)
def _codec(namespace: str) -> Hashids:
    return Hashids(salt=f"{settings.HASHID_SALT}:{namespace}", min_length=settings.HASHID_MIN_LENGTH, alphabet=ALPHABET)


def encode_link_id(link_id: int) -> str:
    return _codec("link").encode(link_id)


def decode_link_id(public_id: str) -> int | None:
    """The link id behind a public id, or None unless `public_id` is exactly its canonical form."""
    return _decode("link", public_id)


def encode_user_id(user_id: int) -> str:
    return _codec("user").encode(user_id)


def decode_user_id(public_id: str) -> int | None:
    return _decode("user", public_id)


def encode_key_id(key_id: int) -> str:
    return _codec("key").encode(key_id)


def decode_key_id(public_id: str) -> int | None:
    return _decode("key", public_id)


def _decode(namespace: str, public_id: str) -> int | None:
    if not public_id or len(public_id) > 32:
        return None
    codec = _codec(namespace)
    try:
        numbers = codec.decode(public_id)
    except Exception:  # hashids raises on characters outside its alphabet
        return None
    # Only the canonical spelling counts; hashids would also accept some look-alikes.
    if len(numbers) != 1 or codec.encode(numbers[0]) != public_id:
        return None
    return numbers[0]
