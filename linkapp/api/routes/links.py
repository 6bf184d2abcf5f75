"""/api/v1/links: a user's short links."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request, Response, status

from linkapp.api.deps import ClientIp, CurrentUser, Db, PageParams
from linkapp.api.locations import created, set_location
from linkapp.models.link import LinkCreate, LinkPublic, LinksPublic, LinkUpdate
from linkapp.services.links import service as links
from linkapp.services.links.listing import DEFAULT_SORT, LinkSort

router = APIRouter(prefix="/links", tags=["links"])
SORT = Query(DEFAULT_SORT, description="created, clicks (all time) or title; a leading - reverses")


@router.post("", status_code=status.HTTP_201_CREATED, response_model=LinkPublic, responses=created("the new link"))
async def create_link(link_in: LinkCreate, user: CurrentUser, db: Db, request: Request, response: Response) -> LinkPublic:
    link = await links.public_link(db, await links.create_link(db=db, owner_id=user.id, link_in=link_in))
    set_location(request, response, "get_link", link_id=link.id)
    return link


@router.get("", response_model=LinksPublic)
async def list_links(
    user: CurrentUser,
    db: Db,
    page: PageParams,
    q: str | None = Query(None, max_length=200, description="Search titles, URLs, short codes and tags"),
    tag: str | None = Query(None, max_length=32),
    sort: LinkSort = SORT,
) -> LinksPublic:
    items, total = await links.list_links(db=db, owner_id=user.id, limit=page.limit, offset=page.offset, q=q, tag=tag, sort=sort)
    return LinksPublic(items=await links.to_public(db, items), total=total, limit=page.limit, offset=page.offset)


@router.get("/{link_id}", response_model=LinkPublic)
async def get_link(link_id: str, user: CurrentUser, db: Db) -> LinkPublic:
    return await links.get_public_link(db=db, owner_id=user.id, public_id=link_id)


@router.patch("/{link_id}", response_model=LinkPublic)
async def update_link(link_id: str, link_in: LinkUpdate, user: CurrentUser, db: Db) -> LinkPublic:
    return await links.public_link(db, await links.update_link(db=db, owner_id=user.id, public_id=link_id, link_in=link_in))


@router.delete("/{link_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_link(link_id: str, user: CurrentUser, db: Db, ip: ClientIp) -> Response:
    await links.delete_link(db=db, owner_id=user.id, public_id=link_id, ip=ip)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
