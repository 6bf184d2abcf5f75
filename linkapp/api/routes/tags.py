"""/api/v1/tags: the tags on a user's links, renamed or removed on all of them at once."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from linkapp.api.deps import CurrentUser, Db
from linkapp.models.tag import TagPublic, TagRename
from linkapp.services.links import tags

router = APIRouter(prefix="/tags", tags=["tags"])


@router.get("", response_model=list[TagPublic])
async def list_tags(user: CurrentUser, db: Db) -> list[TagPublic]:
    """Every tag on your links, alphabetically, with how many links carry it."""
    return [TagPublic(tag=found.tag, links=found.links) for found in await tags.list_tags(db=db, owner_id=user.id)]


@router.patch("/{tag}", response_model=TagPublic)
async def rename_tag(tag: str, rename: TagRename, user: CurrentUser, db: Db) -> TagPublic:
    """Rename a tag on every link that carries it; a link that has both names keeps one."""
    renamed = await tags.rename_tag(db=db, owner_id=user.id, tag=tag, name=rename.name)
    return TagPublic(tag=renamed.tag, links=renamed.links)


@router.delete("/{tag}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_tag(tag: str, user: CurrentUser, db: Db) -> Response:
    """Take a tag off every link that carries it; the links stay."""
    await tags.delete_tag(db=db, owner_id=user.id, tag=tag)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
