"""/api/v1/auth/keys: personal API keys for scripts (`Authorization: Bearer lk_...`)."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from linkapp.api.deps import ClientIp, CurrentUser, Db, PageParams
from linkapp.models.api_key import ApiKeyCreate, ApiKeyCreated, ApiKeysPublic
from linkapp.services.accounts import api_keys

router = APIRouter(prefix="/auth/keys", tags=["auth"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ApiKeyCreated)
async def create_key(key_in: ApiKeyCreate, user: CurrentUser, db: Db, ip: ClientIp) -> ApiKeyCreated:
    """A new key; the `key` field is shown this once."""
    return await api_keys.create_key(db=db, user_id=user.id, name=key_in.name, ip=ip)


@router.get("", response_model=ApiKeysPublic)
async def list_keys(user: CurrentUser, db: Db, page: PageParams) -> ApiKeysPublic:
    """Your keys, newest first (without the keys themselves)."""
    items, total = await api_keys.list_keys(db=db, user_id=user.id, limit=page.limit, offset=page.offset)
    return ApiKeysPublic(items=[api_keys.to_public(key) for key in items], total=total, limit=page.limit, offset=page.offset)


@router.delete("/{key_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_key(key_id: str, user: CurrentUser, db: Db, ip: ClientIp) -> Response:
    """Revoke a key: it stops working at once."""
    await api_keys.revoke_key(db=db, user_id=user.id, public_id=key_id, ip=ip)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
