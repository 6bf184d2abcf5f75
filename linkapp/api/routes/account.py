"""/api/v1/auth/audit: the account's own record of its security events."""

from __future__ import annotations

from fastapi import APIRouter

from linkapp.api.deps import CurrentUser, Db, PageParams
from linkapp.models.audit import AuditEventsPublic
from linkapp.services.accounts import audit

router = APIRouter(prefix="/auth", tags=["auth"])


@router.get("/audit", response_model=AuditEventsPublic)
async def audit_log(user: CurrentUser, db: Db, page: PageParams) -> dict:
    """Your account's security events, newest first; addresses only as their anonymized prefix (IPv4 /24, IPv6 /48)."""
    items, total = await audit.page(db, user_id=user.id, limit=page.limit, offset=page.offset)
    return {"items": [audit.public(event) for event in items], "total": total, "limit": page.limit, "offset": page.offset}
