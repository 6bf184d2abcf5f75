"""Public ids: numeric database ids never leave the server; each kind of record has its own spelling.

Link codes are the short links themselves, so they are spelt as they always have been: hashids
of the id, salted with `HASHID_SALT + ":link"`. Every other kind is `<prefix>_<hashid>`, salted
with a key of its own derived from `HASHID_SALT` by HMAC-SHA256. Both halves matter:

- With our 36-letter alphabet hashids reads only a salt's first 24 characters (its shuffles
  stop there), so appending the kind to a long salt, as every kind once did, gave user 1,
  link 1 and key 1 one code: creating API keys listed other people's short links. A derived
  salt of 22 characters is read whole, whatever the length of `HASHID_SALT`.
- Distinct salts only make two kinds' codes unlikely to meet; the prefix, whose `_` is no
  letter of the alphabet, makes it impossible for a user's or key's id to be a short link.

Users' and keys' ids written before had no prefix (and, with a long salt, were link codes).
They are still read, never written: access tokens issued before the upgrade name their user
that way, and a script may revoke a key by an id it listed then. Reading them opens nothing
to an outsider: a token's subject is signed, and only a key's owner can revoke it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

from hashids import Hashids

from linkapp.core.config import settings

# Lower-case only, so a public id and a custom slug can be compared case-insensitively.
ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
MAX_CODE_LENGTH = 32  # far beyond any id's code; refused before hashids does any work
# Fewer characters than hashids reads of a salt (see the docstring), 132 bits of the HMAC.
DERIVED_SALT_LENGTH = 22
PREFIXES = {"user": "usr_", "key": "key_", "audit": "aud_", "webhook": "wh_", "delivery": "dlv_"}
# Kinds whose ids were once written without a prefix; a new kind never joins this.
UNPREFIXED_BEFORE = frozenset({"user", "key"})


@lru_cache(maxsize=16)
def _hashids(salt: str, min_length: int) -> Hashids:
    return Hashids(salt=salt, min_length=min_length, alphabet=ALPHABET)


@lru_cache(maxsize=16)
def _derived_salt(secret: str, kind: str) -> str:
    digest = hmac.new(secret.encode(), f"linkapp public id: {kind}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()[:DERIVED_SALT_LENGTH]


def _appended(kind: str) -> Hashids:
    """The codec of links, and of every kind before they had their own salts."""
    return _hashids(f"{settings.HASHID_SALT}:{kind}", settings.HASHID_MIN_LENGTH)


def _own(kind: str) -> Hashids:
    return _hashids(_derived_salt(settings.HASHID_SALT, kind), settings.HASHID_MIN_LENGTH)


def _decode(codec: Hashids, code: str) -> int | None:
    if not code or len(code) > MAX_CODE_LENGTH:
        return None
    try:
        numbers = codec.decode(code)
    except Exception:  # hashids raises on characters outside its alphabet
        return None
    # Only the canonical spelling counts; hashids would also accept some look-alikes.
    if len(numbers) != 1 or codec.encode(numbers[0]) != code:
        return None
    return numbers[0]


def _encode_prefixed(kind: str, number: int) -> str:
    return PREFIXES[kind] + _own(kind).encode(number)


def _decode_prefixed(kind: str, public_id: str) -> int | None:
    prefix = PREFIXES[kind]
    if public_id.startswith(prefix):
        return _decode(_own(kind), public_id[len(prefix):])
    # An id written before kinds had their own salts (see the module docstring).
    return _decode(_appended(kind), public_id) if kind in UNPREFIXED_BEFORE else None


def encode_link_id(link_id: int) -> str:
    """The public id of a link: the code of its short link."""
    return _appended("link").encode(link_id)


def decode_link_id(public_id: str) -> int | None:
    """The link id behind a public id, or None unless `public_id` is exactly its canonical form."""
    return _decode(_appended("link"), public_id)


def encode_user_id(user_id: int) -> str:
    """The public id of a user (`usr_...`), also the subject of their access tokens."""
    return _encode_prefixed("user", user_id)


def decode_user_id(public_id: str) -> int | None:
    """The user id behind a public id (or one written before the `usr_` prefix), else None."""
    return _decode_prefixed("user", public_id)


def encode_key_id(key_id: int) -> str:
    """The public id of an API key (`key_...`), by which its owner revokes it."""
    return _encode_prefixed("key", key_id)


def decode_key_id(public_id: str) -> int | None:
    """The API key id behind a public id (or one written before the `key_` prefix), else None."""
    return _decode_prefixed("key", public_id)


def encode_audit_id(event_id: int) -> str:
    """The public id of an audit log entry (`aud_...`)."""
    return _encode_prefixed("audit", event_id)


def decode_audit_id(public_id: str) -> int | None:
    """The audit log entry id behind a public id, else None."""
    return _decode_prefixed("audit", public_id)


def encode_webhook_id(hook_id: int) -> str:
    """The public id of a webhook (`wh_...`)."""
    return _encode_prefixed("webhook", hook_id)


def decode_webhook_id(public_id: str) -> int | None:
    """The webhook id behind a public id, else None."""
    return _decode_prefixed("webhook", public_id)


def encode_delivery_id(attempt_id: int) -> str:
    """The public id of a webhook delivery attempt (`dlv_...`)."""
    return _encode_prefixed("delivery", attempt_id)
