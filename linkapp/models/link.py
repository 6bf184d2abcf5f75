"""Links, their tags, and the shapes the API reads and writes for them."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel
from pydantic import Field as PydanticField
from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, SmallInteger, String, false
from sqlmodel import Field, SQLModel

from linkapp.core.times import UTCDateTime, utcnow
from linkapp.models.text import SafeText

MAX_URL_LENGTH = 2048
MAX_TITLE_LENGTH = 200
# What a link does now: redirects, answers 410 (or sends to its fallback) past its expiry or its
# click limit, or answers 404 while disabled (`services/links/states.py`).
LinkStatus = Literal["active", "expired", "limit_reached", "disabled"]


class Link(SQLModel, table=True):
    __tablename__ = "links"
    # AUTOINCREMENT: a deleted link's id (and so its public id) is never handed out again.
    __table_args__ = (Index("ix_links_owner_created", "owner_id", "created_at"), {"sqlite_autoincrement": True})

    id: int | None = Field(default=None, primary_key=True)
    owner_id: int = Field(sa_column=Column(Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False))
    url: str = Field(sa_column=Column(String(MAX_URL_LENGTH), nullable=False))
    # Where an expired or used-up link sends visitors instead of answering 410.
    fallback_url: str | None = Field(default=None, sa_column=Column(String(MAX_URL_LENGTH), nullable=True))
    title: str = Field(sa_column=Column(String(MAX_TITLE_LENGTH), nullable=False))
    slug: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    # Lower-cased slug: unique across all users whatever the case.
    slug_key: str | None = Field(default=None, sa_column=Column(String(64), nullable=True, unique=True))
    expires_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    max_clicks: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    redirect_status: int | None = Field(default=None, sa_column=Column(SmallInteger, nullable=True))
    disabled: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=false()))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class LinkTag(SQLModel, table=True):
    __tablename__ = "link_tags"

    link_id: int = Field(sa_column=Column(Integer, ForeignKey("links.id", ondelete="CASCADE"), primary_key=True))
    tag: str = Field(sa_column=Column(String(32), primary_key=True, index=True))


class LinkBase(BaseModel):
    """The fields a client sets on a link, with the limits both creating and editing check."""

    url: SafeText = PydanticField(max_length=MAX_URL_LENGTH)
    title: SafeText | None = PydanticField(default=None, max_length=MAX_TITLE_LENGTH)
    slug: SafeText | None = None
    tags: list[SafeText] | None = None
    expires_at: datetime | None = None
    max_clicks: int | None = PydanticField(default=None, ge=1)
    redirect_status: int | None = None
    fallback_url: SafeText | None = PydanticField(default=None, max_length=MAX_URL_LENGTH)


class LinkCreate(LinkBase):
    # No docstring: it would become the schema's description in the OpenAPI document.
    pass


class LinkUpdate(LinkBase):
    """Only the fields sent are changed; `null` clears an optional field."""

    # Every field is optional here: a new link needs a URL, an edit need not resend it.
    url: SafeText | None = PydanticField(default=None, max_length=MAX_URL_LENGTH)
    disabled: bool | None = None


class LinkPublic(BaseModel):
    id: str
    title: str
    url: str
    shortened_url: str
    slug: str | None
    tags: list[str]
    expires_at: datetime | None
    max_clicks: int | None
    redirect_status: int
    disabled: bool
    fallback_url: str | None
    status: LinkStatus
    # How many of max_clicks are used (None without a limit): counted as the redirect counts them.
    clicks_used: int | None
    created_at: datetime
    updated_at: datetime
    total_clicks: int


class LinksPublic(BaseModel):
    items: list[LinkPublic]
    total: int
    limit: int
    offset: int
