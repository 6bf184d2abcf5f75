"""/api/v1/auth/keys: personal API keys for scripts (`Authorization: Bearer lk_...`)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from linkapp.api.deps import ClientIp, CurrentUser, Db, PageParams
from linkapp.api.locations import created, set_location
from linkapp.models.api_key import ApiKeyCreate, ApiKeyCreated, ApiKeyPublic, ApiKeysPublic
from linkapp.services.accounts import api_keys

router = APIRouter(prefix="/auth/keys", tags=["auth"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ApiKeyCreated, responses=created("the new key (without its secret)"))
async def create_key(key_in: ApiKeyCreate, user: CurrentUser, db: Db, ip: ClientIp, request: Request, response: Response) -> ApiKeyCreated:
    """A new key; the `key` field is shown this once."""
    key = await api_keys.create_key(db=db, user_id=user.id, name=key_in.name, ip=ip)
    set_location(request, response, "get_key", key_id=key.id)
    return key


@router.get("", response_model=ApiKeysPublic)
async def list_keys(user: CurrentUser, db: Db, page: PageParams) -> ApiKeysPublic:
    """Your keys, newest first (without the keys themselves)."""
    items, total = await api_keys.list_keys(db=db, user_id=user.id, limit=page.limit, offset=page.offset)
    return ApiKeysPublic(items=[api_keys.to_public(key) for key in items], total=total, limit=page.limit, offset=page.offset)


@router.get("/{key_id}", response_model=ApiKeyPublic)
async def get_key(key_id: str, user: CurrentUser, db: Db) -> ApiKeyPublic:
    """One of your keys (without the key itself)."""
    return api_keys.to_public(await api_keys.get_key(db=db, user_id=user.id, public_id=key_id))


@router.delete("/{key_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_key(key_id: str, user: CurrentUser, db: Db, ip: ClientIp) -> Response:
    """Revoke a key: it stops working at once."""
    await api_keys.revoke_key(db=db, user_id=user.id, public_id=key_id, ip=ip)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
