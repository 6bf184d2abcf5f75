"""/api/v1/webhooks: a user's webhooks, their delivery log, and test events."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from linkapp.api.deps import ClientIp, CurrentUser, Db, PageParams
from linkapp.api.locations import created, set_location
from linkapp.models.webhook import DeliveriesPublic, EventQueued, WebhookCreate, WebhookCreated, WebhookPublic, WebhooksPublic, WebhookUpdate
from linkapp.services.webhooks import hooks

router = APIRouter(prefix="/webhooks", tags=["webhooks"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=WebhookCreated, responses=created("the new webhook"))
async def create_hook(hook_in: WebhookCreate, request: Request, response: Response, user: CurrentUser, db: Db, ip: ClientIp) -> WebhookCreated:
    """A new webhook; the `secret` that signs its deliveries is shown this once."""
    hook = await hooks.create_hook(db=db, user_id=user.id, url=hook_in.url, events=hook_in.events, description=hook_in.description, ip=ip)
    set_location(request, response, "get_hook", hook_id=hook.id)
    return hook


@router.get("/{hook_id}", response_model=WebhookPublic)
async def get_hook(hook_id: str, user: CurrentUser, db: Db) -> WebhookPublic:
    """One webhook, with how its last delivery went (never its secret)."""
    return hooks.to_public(await hooks.get_hook(db=db, user_id=user.id, public_id=hook_id))


@router.get("", response_model=WebhooksPublic)
async def list_hooks(user: CurrentUser, db: Db, page: PageParams) -> WebhooksPublic:
    """Your webhooks, newest first, with how their last delivery went (never their secrets)."""
    items, total = await hooks.list_hooks(db=db, user_id=user.id, limit=page.limit, offset=page.offset)
    return WebhooksPublic(items=[hooks.to_public(hook) for hook in items], total=total, limit=page.limit, offset=page.offset)


@router.patch("/{hook_id}", response_model=WebhookPublic)
async def update_hook(hook_id: str, hook_in: WebhookUpdate, user: CurrentUser, db: Db) -> WebhookPublic:
    """Change a webhook's URL, events, description, or disable and enable it."""
    return hooks.to_public(await hooks.update_hook(db=db, user_id=user.id, public_id=hook_id, hook_in=hook_in))


@router.delete("/{hook_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_hook(hook_id: str, user: CurrentUser, db: Db, ip: ClientIp) -> Response:
    """Delete a webhook: nothing more is sent to it."""
    await hooks.delete_hook(db=db, user_id=user.id, public_id=hook_id, ip=ip)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{hook_id}/deliveries", response_model=DeliveriesPublic)
async def list_deliveries(hook_id: str, user: CurrentUser, db: Db, page: PageParams) -> DeliveriesPublic:
    """A webhook's delivery attempts, newest first."""
    items, total = await hooks.list_deliveries(db=db, user_id=user.id, public_id=hook_id, limit=page.limit, offset=page.offset)
    return DeliveriesPublic(items=items, total=total, limit=page.limit, offset=page.offset)


@router.post("/{hook_id}/test", status_code=status.HTTP_202_ACCEPTED, response_model=EventQueued)
async def send_test(hook_id: str, user: CurrentUser, db: Db) -> EventQueued:
    """Send the webhook a `ping` event (its delivery shows in the log)."""
    return await hooks.send_test(db=db, user_id=user.id, public_id=hook_id)
