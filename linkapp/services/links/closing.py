"""Closing an account: the user goes with everything of theirs, and their short links stop at once.

Links live here, above accounts: closing must drop each link from every instance's redirect
cache and its click allowance, which only the links package knows how to do.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from linkapp.models.event import LinkEvent
from linkapp.models.link import Link, LinkTag
from linkapp.models.user import User
from linkapp.services.accounts.passwords import confirm_password
from linkapp.services.links import changes as link_changes
from linkapp.services.links.allowance import allowance
from linkapp.services.rollups import writes as rollup_writes


async def close_account(*, db: AsyncSession, user: User, password: str) -> int:
    """Delete the user, their links, clicks, rollups, API keys, sessions and audit log.

    Args:
        user: The signed-in user.
        password: Their password: a stolen access token alone cannot close an account.

    Returns:
        How many links went.

    Raises:
        RateLimited, NotAuthenticated: see `accounts.passwords.confirm_password`.
    """
    await confirm_password(user=user, password=password)
    # Their links' rows first, in id order: waits for click batches storing their clicks (click_store
    # holds its links FOR KEY SHARE) and holds off the next, so the events deleted below are all.
    link_ids = list((await db.execute(select(Link.id).where(Link.owner_id == user.id).order_by(Link.id).with_for_update())).scalars())
    owned = select(Link.id).where(Link.owner_id == user.id)
    await db.execute(delete(LinkTag).where(LinkTag.link_id.in_(owned)))
    await db.execute(delete(LinkEvent).where(LinkEvent.link_id.in_(owned)))
    await rollup_writes.remove_owner(db, user.id)
    # Links, API keys, refresh tokens and audit events go with the user (ON DELETE CASCADE).
    await db.execute(delete(User).where(User.id == user.id))
    await db.commit()
    for link_id in link_ids:
        await link_changes.announce(link_id)
        await allowance.discard(link_id)
    return len(link_ids)
