"""Tags: the names a user files links under, listed with their counts and renamed or removed on
all of the user's links at once.

A tag is a row per link (`LinkTag`); the rule for what a tag may be is the links service's
(`service.normalize_tag`), so a tag made here could have been typed on a link. Tags play no
part in redirects: changing them tells the redirect caches nothing. Each link whose tags change
owes its owner's hooks `link.updated`, as the same edit through PATCH /links/{id} would, in the
same transaction as the change.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from linkapp.core.errors import Conflict, NotFound, ValidationFailed
from linkapp.core.times import utcnow
from linkapp.models.link import Link, LinkTag
from linkapp.services.links import service as link_service


@dataclass(frozen=True, slots=True)
class TagCount:
    """A tag and how many of the user's links carry it."""

    tag: str
    links: int


def tag_key(raw: str | None) -> str | None:
    """The stored form of a tag someone asks for, or None when no tag could be spelt so."""
    try:
        return link_service.normalize_tag(raw)
    except ValidationFailed:
        return None


def _owned(owner_id: int):
    return select(Link.id).where(Link.owner_id == owner_id)


def _links_with(owner_id: int, tag: str):
    """The ids of the owner's links that carry `tag`."""
    return select(LinkTag.link_id).where(LinkTag.tag == tag, LinkTag.link_id.in_(_owned(owner_id)))


async def list_tags(*, db: AsyncSession, owner_id: int) -> list[TagCount]:
    """Every tag on the owner's links, alphabetically, with how many links carry it."""
    rows = await db.execute(
        select(LinkTag.tag, func.count())
        .join(Link, Link.id == LinkTag.link_id)
        .where(Link.owner_id == owner_id)
        .group_by(LinkTag.tag)
        .order_by(LinkTag.tag)
    )
    return [TagCount(tag, int(count)) for tag, count in rows.all()]


async def _count(db: AsyncSession, owner_id: int, tag: str) -> int:
    return int((await db.execute(select(func.count()).select_from(_links_with(owner_id, tag).subquery()))).scalar_one())


async def _existing(db: AsyncSession, owner_id: int, raw: str) -> str:
    tag = tag_key(raw)
    if tag is None or not await _count(db, owner_id, tag):
        raise NotFound(f"You have no tag “{tag}”." if tag else "You have no such tag.")
    return tag


async def rename_tag(*, db: AsyncSession, owner_id: int, tag: str, name: str) -> TagCount:
    """Rename `tag` to `name` on every link of the owner's that carries it. A link that already
    carries `name` keeps it once (the two tags merge).

    Raises:
        NotFound: the owner has no such tag.
        ValidationFailed: `name` breaks the tag rule (at field "name").
        Conflict: the same links' tags changed at the same moment; trying again works.
    """
    old = await _existing(db, owner_id, tag)
    new = link_service.normalize_tag(name, field="name")
    if new == old:
        return TagCount(old, await _count(db, owner_id, old))
    owned = _owned(owner_id)
    # The target table of a DELETE is correlated into its subqueries: name the other row apart.
    other = aliased(LinkTag)
    has_new = select(other.link_id).where(other.tag == new)
    try:
        link_ids = await _touch(db, owner_id, old)
        # A link with both tags loses the old one; the others' old tag becomes the new one.
        merged = delete(LinkTag).where(LinkTag.tag == old, LinkTag.link_id.in_(owned), LinkTag.link_id.in_(has_new))
        await db.execute(merged.execution_options(synchronize_session=False))
        await db.execute(update(LinkTag).where(LinkTag.tag == old, LinkTag.link_id.in_(owned)).values(tag=new).execution_options(synchronize_session=False))
        await link_service.owe_updates(db, owner_id, link_ids)
        await db.commit()
    except IntegrityError as exc:  # another request gave one of these links the new tag meanwhile
        await db.rollback()
        raise Conflict("These links' tags changed at the same moment; try again.") from exc
    return TagCount(new, await _count(db, owner_id, new))


async def delete_tag(*, db: AsyncSession, owner_id: int, tag: str) -> None:
    """Take `tag` off every link of the owner's; the links themselves stay.

    Raises:
        NotFound: the owner has no such tag.
    """
    old = await _existing(db, owner_id, tag)
    link_ids = await _touch(db, owner_id, old)
    await db.execute(delete(LinkTag).where(LinkTag.tag == old, LinkTag.link_id.in_(_owned(owner_id))))
    await link_service.owe_updates(db, owner_id, link_ids)
    await db.commit()


async def _touch(db: AsyncSession, owner_id: int, tag: str) -> list[int]:
    """The tags of the owner's links with `tag` are about to change: so do the links (`updated_at`). Returns their ids."""
    carriers = select(LinkTag.link_id).where(LinkTag.tag == tag)
    touched = update(Link).where(Link.owner_id == owner_id, Link.id.in_(carriers)).values(updated_at=utcnow()).returning(Link.id)
    return list((await db.execute(touched.execution_options(synchronize_session=False))).scalars())
