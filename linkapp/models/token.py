"""Refresh tokens: stored hashed, rotated on use, revoked by family when a rotated one returns.

A family is one session (one sign-in on one device): its newest token carries what the sessions
list shows, the device and browser it was renewed from and the address's anonymized prefix.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import Column, ForeignKey, Integer, String
from sqlmodel import Field, SQLModel

from linkapp.core.times import UTCDateTime, utcnow


class RefreshToken(SQLModel, table=True):
    __tablename__ = "refresh_tokens"
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=Column(Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True))
    token_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    family_id: str = Field(sa_column=Column(String(32), nullable=False, index=True))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    device: str | None = Field(default=None, sa_column=Column(String(16), nullable=True))
    browser: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    ip_prefix: str | None = Field(default=None, sa_column=Column(String(45), nullable=True))


class SessionPublic(BaseModel):
    """A signed-in session as its owner sees it: never a token, only where it was last renewed."""

    id: str
    created_at: datetime
    last_used_at: datetime
    device: str | None
    browser: str | None
    ip_prefix: str | None
    current: bool


class SessionsPublic(BaseModel):
    items: list[SessionPublic]
    total: int
    limit: int
    offset: int
