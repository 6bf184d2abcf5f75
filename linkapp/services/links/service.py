"""Links: the rules for creating, changing, listing and deleting a user's short links."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from linkapp.core import ids
from linkapp.core.config import REDIRECT_STATUSES, settings
from linkapp.core.errors import Conflict, NotFound, ValidationFailed
from linkapp.core.times import utcnow
from linkapp.models.event import LinkEvent
from linkapp.models.link import Link, LinkCreate, LinkPublic, LinkTag, LinkUpdate
from linkapp.services.accounts import audit
from linkapp.services.links import changes as link_changes
from linkapp.services.links import listing, reserved
from linkapp.services.links import states as link_states
from linkapp.services.links.allowance import allowance
from linkapp.services.links.urls import host_of, normalize_url
from linkapp.services.rollups import reads as rollups
from linkapp.services.rollups import writes as rollup_writes
from linkapp.services.webhooks import events
from linkapp.services.webhooks import outbox as webhooks

SLUG_RE = re.compile(r"[A-Za-z0-9_-]{3,64}")
TAG_RE = re.compile(r"[\w -]{1,32}")
MAX_TAGS = 10
# The database column is a 32-bit integer; PostgreSQL refuses anything larger.
MAX_CLICKS_LIMIT = 2_147_483_647
LINK_NOT_FOUND = "No link with that id."
BULK_EVENTS = 1_000  # links read per query when many links owe link.updated at once


def short_code(link: Link) -> str:
    return link.slug or ids.encode_link_id(link.id)


def shortened_url(link: Link) -> str:
    return f"{settings.HOST_URL}/{short_code(link)}"


def check_slug_shape(slug: str) -> str:
    """A custom short code as given, once it has a code's shape and is no word the app uses (not whether it is free)."""
    if not SLUG_RE.fullmatch(slug):
        raise ValidationFailed("A custom short code is 3 to 64 letters, digits, - or _.", field="slug")
    if reserved.is_reserved(slug):
        raise ValidationFailed(f"“{slug}” is a word the app uses itself; choose another.", field="slug")
    return slug


async def _check_slug_free(db: AsyncSession, slug: str, link_id: int | None) -> None:
    # Generated ids are lower-case; a slug that is (or could become) one is refused up front,
    # since public ids are tried before slugs and would otherwise shadow it.
    if ids.decode_link_id(slug.lower()) is not None:
        raise Conflict(f"The short code “{slug}” is taken.")
    query = select(Link.id).where(Link.slug_key == slug.lower())
    if link_id is not None:
        query = query.where(Link.id != link_id)
    if (await db.execute(query)).first() is not None:
        raise Conflict(f"The short code “{slug}” is taken.")


def normalize_tag(raw: str | None, *, field: str = "tags") -> str:
    """A tag as stored: trimmed and lower-cased. Raises ValidationFailed (at `field`) if it breaks the tag rule."""
    tag = (raw or "").strip().lower()
    if not TAG_RE.fullmatch(tag):
        raise ValidationFailed("A tag is 1 to 32 letters, digits, spaces, - or _.", field=field)
    return tag


def normalize_tags(tags: Sequence[str] | None) -> list[str]:
    """A link's tags as stored: each by `normalize_tag`, repeats dropped, at most MAX_TAGS."""
    result: list[str] = []
    for raw in tags or []:
        tag = normalize_tag(raw)
        if tag not in result:
            result.append(tag)
    if len(result) > MAX_TAGS:
        raise ValidationFailed(f"A link takes at most {MAX_TAGS} tags.", field="tags")
    return result


def check_expiry(expires_at: datetime | None) -> datetime | None:
    """An expiry in UTC, once it has a time zone and is in the future; None stays None."""
    if expires_at is None:
        return None
    if expires_at.tzinfo is None:
        raise ValidationFailed("expires_at needs a time zone offset, such as 2026-01-24T10:00:00Z.", field="expires_at")
    try:
        expires_at = expires_at.astimezone(UTC)
    except OverflowError as exc:  # 9999-12-31T23:59-23:59 is past year 9999 in UTC
        raise ValidationFailed("The expiry time is out of range.", field="expires_at") from exc
    if expires_at <= utcnow():
        raise ValidationFailed("The expiry time must be in the future.", field="expires_at")
    return expires_at


def check_max_clicks(max_clicks: int | None) -> int | None:
    """A click limit the database can hold (1 to MAX_CLICKS_LIMIT); None: no limit."""
    if max_clicks is not None and not 1 <= max_clicks <= MAX_CLICKS_LIMIT:
        raise ValidationFailed(f"max_clicks must be between 1 and {MAX_CLICKS_LIMIT}.", field="max_clicks")
    return max_clicks


def _has_control_characters(text: str) -> bool:
    # NUL and friends: PostgreSQL refuses NUL in text, and none of them belongs in a title.
    return any(unicodedata.category(ch) == "Cc" for ch in text)


def _check_status(status: int | None) -> int | None:
    if status is not None and status not in REDIRECT_STATUSES:
        raise ValidationFailed("redirect_status must be 301, 302, 307 or 308.", field="redirect_status")
    return status


def _check_fallback(url: str | None) -> str | None:
    """A fallback URL follows the rules of `url`; None: the link answers 410 once it ends."""
    if url is None:
        return None
    if not url.strip():
        raise ValidationFailed("Enter the fallback URL, or null for none.", field="fallback_url")
    try:
        return normalize_url(url)
    except ValidationFailed as error:
        raise ValidationFailed(error.detail, field="fallback_url") from error


def check_title(title: str | None, url: str) -> str:
    """A title on one line, at most 200 characters; none given: the URL's host."""
    title = " ".join((title or "").split())  # a pasted newline or tab becomes one space
    if _has_control_characters(title):
        raise ValidationFailed("The title contains control characters.", field="title")
    return title[:200] if title else host_of(url)


async def _set_tags(db: AsyncSession, link: Link, tags: list[str]) -> None:
    await db.execute(delete(LinkTag).where(LinkTag.link_id == link.id))
    db.add_all([LinkTag(link_id=link.id, tag=tag) for tag in tags])


async def _commit_link(db: AsyncSession, link: Link, event: str | None = None) -> None:
    try:
        if event:  # owed to the owner's webhooks in the same transaction as the change
            await webhooks.enqueue(db, link.owner_id, event, lambda: public_link(db, link))
        await db.commit()
    except IntegrityError as exc:  # the slug was taken between the check and the write
        await db.rollback()
        raise Conflict(f"The short code “{link.slug}” is taken.") from exc
    await link_changes.announce(link.id)


async def owe_updates(db: AsyncSession, owner_id: int, link_ids: Sequence[int]) -> None:
    """Owe `link.updated`, with each link as it is now, for links changed in bulk (a tag renamed or
    removed, an import's updates), in the caller's transaction; nothing is read when no hook wants it."""
    hook_ids = await webhooks.hooks_wanting(db, owner_id, events.LINK_UPDATED)
    for start in range(0, len(link_ids) if hook_ids else 0, BULK_EVENTS):
        query = select(Link).where(Link.id.in_(link_ids[start : start + BULK_EVENTS])).order_by(Link.id)
        # Bulk UPDATEs changed these rows behind the session's back: read them afresh.
        links = (await db.execute(query.execution_options(populate_existing=True))).scalars().all()
        await webhooks.add_many(db, hook_ids, events.LINK_UPDATED, [link.model_dump(mode="json") for link in await to_public(db, links)])


async def create_link(*, db: AsyncSession, owner_id: int, link_in: LinkCreate) -> Link:
    url = normalize_url(link_in.url)
    slug = check_slug_shape(link_in.slug) if link_in.slug else None
    tags = normalize_tags(link_in.tags)
    link = Link(
        owner_id=owner_id,
        url=url,
        title=check_title(link_in.title, url),
        slug=slug,
        slug_key=slug.lower() if slug else None,
        expires_at=check_expiry(link_in.expires_at),
        max_clicks=check_max_clicks(link_in.max_clicks),
        redirect_status=_check_status(link_in.redirect_status),
        fallback_url=_check_fallback(link_in.fallback_url),
    )
    if slug:
        await _check_slug_free(db, slug, None)
    db.add(link)
    try:
        await db.flush()
    except IntegrityError as exc:
        await db.rollback()
        raise Conflict(f"The short code “{slug}” is taken.") from exc
    await _set_tags(db, link, tags)
    await _commit_link(db, link, "link.created")
    return link


async def get_link(*, db: AsyncSession, owner_id: int, public_id: str) -> Link:
    """The owner's link by public id; another user's link is as absent as a missing one."""
    link_id = ids.decode_link_id(public_id)
    link = await db.get(Link, link_id) if link_id is not None else None
    if link is None or link.owner_id != owner_id:
        raise NotFound(LINK_NOT_FOUND)
    return link


async def update_link(*, db: AsyncSession, owner_id: int, public_id: str, link_in: LinkUpdate) -> Link:
    link = await get_link(db=db, owner_id=owner_id, public_id=public_id)
    sent = link_in.model_fields_set
    for required in ("url", "disabled"):
        if required in sent and getattr(link_in, required) is None:
            raise ValidationFailed(f"{required} cannot be null.", field=required)
    if "url" in sent:
        link.url = normalize_url(link_in.url or "")
    if "title" in sent:
        link.title = check_title(link_in.title, link.url)
    if "slug" in sent:
        slug = check_slug_shape(link_in.slug) if link_in.slug else None
        if slug:
            await _check_slug_free(db, slug, link.id)
        link.slug, link.slug_key = slug, slug.lower() if slug else None
    if "expires_at" in sent:
        link.expires_at = check_expiry(link_in.expires_at)
    if "max_clicks" in sent:
        link.max_clicks = check_max_clicks(link_in.max_clicks)
    if "redirect_status" in sent:
        link.redirect_status = _check_status(link_in.redirect_status)
    if "fallback_url" in sent:
        link.fallback_url = _check_fallback(link_in.fallback_url)
    if "disabled" in sent:
        link.disabled = bool(link_in.disabled)
    if "tags" in sent:
        await _set_tags(db, link, normalize_tags(link_in.tags))
    link.updated_at = utcnow()
    db.add(link)
    await _commit_link(db, link, "link.updated")
    return link


async def delete_link(*, db: AsyncSession, owner_id: int, public_id: str, ip: str | None = None) -> None:
    """Delete the owner's link with its clicks, tags and counts; noted in the owner's audit log from `ip`."""
    link = await get_link(db=db, owner_id=owner_id, public_id=public_id)
    # The link's row first: waits for a click batch storing its clicks (click_store holds its
    # links FOR KEY SHARE) and holds off the next, so the events deleted below are all there are.
    await db.execute(select(Link.id).where(Link.id == link.id).with_for_update())
    await webhooks.enqueue(db, owner_id, "link.deleted", lambda: public_link(db, link))  # the link as it was
    await db.execute(delete(LinkTag).where(LinkTag.link_id == link.id))
    await db.execute(delete(LinkEvent).where(LinkEvent.link_id == link.id))
    await rollup_writes.remove_link(db, link.id, link.owner_id)
    await db.delete(link)
    audit.record(db, user_id=owner_id, event="link_deleted", ip=ip, detail=ids.encode_link_id(link.id))
    await db.commit()
    await link_changes.announce(link.id)
    await allowance.discard(link.id)


async def list_links(
    *, db: AsyncSession, owner_id: int, limit: int = 20, offset: int = 0, q: str | None = None, tag: str | None = None, sort: str = listing.DEFAULT_SORT
) -> tuple[list[Link], int]:
    """A page of the owner's links in `sort`'s order (`listing.SORTS`; newest first by default), and
    how many match in all. `q` searches titles, URLs, short codes and tags; `tag` keeps one tag's."""
    query = select(Link).where(Link.owner_id == owner_id)
    order = listing.order_by(sort)
    # No stored title, URL, slug or tag holds a control character, and PostgreSQL refuses NUL.
    q = "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in q or "")
    if tag and _has_control_characters(tag):
        return [], 0
    if q.strip():
        query = query.where(listing.search_condition(q))
    if tag and tag.strip():
        query = query.where(Link.id.in_(select(LinkTag.link_id).where(LinkTag.tag == tag.strip().lower())))
    total = (await db.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    rows = await db.execute(query.order_by(*order).limit(limit).offset(offset))
    return list(rows.scalars()), total


async def to_public(db: AsyncSession, links: Sequence[Link]) -> list[LinkPublic]:
    """The API/UI shape of links, with their tags and click totals fetched in two queries, and their
    status (for a link with a click limit, from the clicks the redirect has counted against it)."""
    link_ids = [link.id for link in links]
    clicks = await rollups.all_time_clicks(db, link_ids)
    # Exactly what the redirect counts against a limit, unwritten clicks included.
    used = {link.id: await allowance.used(link.id) for link in links if link.max_clicks is not None}
    now = utcnow()
    tags: dict[int, list[str]] = {}
    if link_ids:
        for link_id, tag in (await db.execute(select(LinkTag.link_id, LinkTag.tag).where(LinkTag.link_id.in_(link_ids)).order_by(LinkTag.tag))).all():
            tags.setdefault(link_id, []).append(tag)
    return [public_shape(link, tags=tags.get(link.id, []), clicks=clicks.get(link.id, 0), used=used.get(link.id), now=now) for link in links]


def public_shape(link: Link, *, tags: list[str], clicks: int, used: int | None, now: datetime) -> LinkPublic:
    """A link's API/UI shape from what `to_public` looks up, for callers that know it already.

    Args:
        link: The link, or any object with its columns as attributes (an import's rows just
            written: a `Link` costs several times more to make than this takes).
        tags: Its tags, in `to_public`'s order.
        clicks: Its clicks of all time.
        used: The clicks counted against its limit (None without a limit).
        now: The moment its status is for.
    """
    return LinkPublic(
        id=ids.encode_link_id(link.id),
        title=link.title,
        url=link.url,
        shortened_url=shortened_url(link),
        slug=link.slug,
        tags=tags,
        expires_at=link.expires_at,
        max_clicks=link.max_clicks,
        redirect_status=link.redirect_status or settings.REDIRECT_STATUS_CODE,
        disabled=link.disabled,
        fallback_url=link.fallback_url,
        status=link_states.link_status(disabled=link.disabled, expires_at=link.expires_at, max_clicks=link.max_clicks, used=used, now=now),
        clicks_used=used,
        created_at=link.created_at,
        updated_at=link.updated_at,
        total_clicks=clicks,
    )


async def public_link(db: AsyncSession, link: Link) -> LinkPublic:
    """One link's API/UI shape (see `to_public`)."""
    return (await to_public(db, [link]))[0]


async def get_public_link(*, db: AsyncSession, owner_id: int, public_id: str) -> LinkPublic:
    """The owner's link by public id, in its API/UI shape; NotFound as `get_link`."""
    return await public_link(db, await get_link(db=db, owner_id=owner_id, public_id=public_id))
