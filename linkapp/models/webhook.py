"""Webhooks: a user's endpoints, the outbox of events owed to each, and the log of delivery attempts.

A hook's secret is stored as given: every delivery is signed with it, so it must be read back. It
leaves the server once, in the answer that creates the hook.

The outbox holds one row per event and hook, written in the same transaction as what the event
announces. Like click events, it has no foreign key to its hook: the click writer's batch must not
fail because a hook was deleted meanwhile. The dispatcher skips rows whose hook is gone, and the
daily upkeep deletes them.

Click events wait in `webhook_click_batches` first: one row holds up to a few hundred events of
one hook, written with the click batch that made them, and the dispatcher moves a row's events
into the outbox as it comes to them (see `outbox`). A busy link so costs the click writer a row
per few hundred clicks, not a row per click, however far its hook's deliveries lag.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from pydantic import Field as PydanticField
from sqlalchemy import BigInteger, Boolean, Column, ForeignKey, Index, Integer, SmallInteger, String, Text, false
from sqlmodel import Field, SQLModel

from linkapp.core.times import UTCDateTime, utcnow
from linkapp.models.text import SafeText

MAX_URL = 2048
MAX_DESCRIPTION = 200
MAX_ERROR = 200
MAX_SECRET = 64
EVENT_ID_LENGTH = 36  # "evt_" and 32 hex digits

_BIG_ID = BigInteger().with_variant(Integer, "sqlite")


class Webhook(SQLModel, table=True):
    __tablename__ = "webhooks"
    __table_args__ = {"sqlite_autoincrement": True}  # a deleted hook's id is never handed out again

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=Column(Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True))
    url: str = Field(sa_column=Column(String(MAX_URL), nullable=False))
    # The event names it wants, sorted and comma-separated.
    events: str = Field(sa_column=Column(String(100), nullable=False))
    description: str = Field(default="", sa_column=Column(String(MAX_DESCRIPTION), nullable=False))
    secret: str = Field(sa_column=Column(String(MAX_SECRET), nullable=False))
    disabled: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=false()))
    # Why the dispatcher disabled it (None when its owner did, or it is enabled).
    disabled_reason: str | None = Field(default=None, sa_column=Column(String(MAX_ERROR), nullable=True))
    # When the first of the failures since the last success happened; None while it succeeds.
    failing_since: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    last_status: int | None = Field(default=None, sa_column=Column(SmallInteger, nullable=True))
    last_error: str | None = Field(default=None, sa_column=Column(String(MAX_ERROR), nullable=True))
    last_delivery_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class WebhookDelivery(SQLModel, table=True):
    """The outbox: one event owed to one hook, until it is delivered or given up."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        # A replayed click batch cannot owe a hook the same event twice.
        Index("ux_webhook_deliveries_hook_event", "hook_id", "event_id", unique=True),
        # The dispatcher takes a hook's due rows in the order they were written.
        Index("ix_webhook_deliveries_hook_queue", "hook_id", "status", "id"),
        Index("ix_webhook_deliveries_status_finished", "status", "finished_at"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, sa_column=Column(_BIG_ID, primary_key=True))
    hook_id: int = Field(sa_column=Column(Integer, nullable=False))
    # The event's id, the same for every hook and every retry (`Linkapp-Delivery`).
    event_id: str = Field(sa_column=Column(String(EVENT_ID_LENGTH), nullable=False))
    event_type: str = Field(sa_column=Column(String(32), nullable=False))
    # The exact JSON body every attempt sends.
    payload: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    # "pending", "delivered" or "failed" (given up).
    status: str = Field(default="pending", sa_column=Column(String(16), nullable=False))
    attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    # A dispatcher holds the row until then: no other sends it meanwhile.
    lease_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    lease_owner: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    finished_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class WebhookClickBatch(SQLModel, table=True):
    """Click events owed to one hook, not yet in the outbox: `lines` holds one `event id<TAB>body`
    line per event, in the order the clicks were stored."""

    __tablename__ = "webhook_click_batches"
    __table_args__ = (
        Index("ix_webhook_click_batches_hook", "hook_id", "id"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, sa_column=Column(_BIG_ID, primary_key=True))
    hook_id: int = Field(sa_column=Column(Integer, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    events: int = Field(sa_column=Column(Integer, nullable=False))
    lines: str = Field(sa_column=Column(Text, nullable=False))


class WebhookAttempt(SQLModel, table=True):
    """One try at delivering an event: what the receiver answered, or why there was no answer."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (
        Index("ix_webhook_attempts_hook_at", "hook_id", "at"),
        Index("ix_webhook_attempts_at", "at"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, sa_column=Column(_BIG_ID, primary_key=True))
    hook_id: int = Field(sa_column=Column(Integer, ForeignKey("webhooks.id", ondelete="CASCADE"), nullable=False))
    delivery_id: int = Field(sa_column=Column(_BIG_ID, nullable=False))
    event_id: str = Field(sa_column=Column(String(EVENT_ID_LENGTH), nullable=False))
    event_type: str = Field(sa_column=Column(String(32), nullable=False))
    attempt: int = Field(sa_column=Column(Integer, nullable=False))
    status_code: int | None = Field(default=None, sa_column=Column(SmallInteger, nullable=True))
    error: str | None = Field(default=None, sa_column=Column(String(MAX_ERROR), nullable=True))
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    duration_ms: int = Field(default=0, sa_column=Column(Integer, nullable=False))


class WebhookCreate(BaseModel):
    url: SafeText = PydanticField(max_length=MAX_URL, description="Where events are POSTed: an http(s) URL of a public address")
    events: list[SafeText] = PydanticField(description="link.created, link.updated, link.deleted, link.clicked, ping")
    description: SafeText = PydanticField(default="", max_length=MAX_DESCRIPTION)


class WebhookUpdate(BaseModel):
    """Only the fields sent are changed."""

    url: SafeText | None = PydanticField(default=None, max_length=MAX_URL)
    events: list[SafeText] | None = None
    description: SafeText | None = PydanticField(default=None, max_length=MAX_DESCRIPTION)
    disabled: bool | None = None


class WebhookPublic(BaseModel):
    id: str
    url: str
    events: list[str]
    description: str
    disabled: bool
    disabled_reason: str | None
    created_at: datetime
    updated_at: datetime
    # The last attempt's HTTP status (None before the first, or when it got no answer: see last_error).
    last_status: int | None
    last_error: str | None
    last_delivery_at: datetime | None
    failing_since: datetime | None


class WebhookCreated(WebhookPublic):
    secret: str = PydanticField(description="Signs every delivery: shown this once, store it now")


class WebhooksPublic(BaseModel):
    items: list[WebhookPublic]
    total: int
    limit: int
    offset: int


class DeliveryPublic(BaseModel):
    id: str
    event: str
    event_id: str
    attempt: int
    status_code: int | None
    error: str | None
    at: datetime
    duration_ms: int


class DeliveriesPublic(BaseModel):
    items: list[DeliveryPublic]
    total: int
    limit: int
    offset: int


class EventQueued(BaseModel):
    id: str
    type: str
