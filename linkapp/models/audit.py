"""The audit log: the security events of each account (sign-ins, keys, deleted links...), as its owner reads them.

An address is kept only as its anonymized prefix (IPv4 /24, IPv6 /48), whatever ANONYMIZE_IP says:
the log is for recognizing one's own devices, not for tracing anyone.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import Column, ForeignKey, Index, Integer, String
from sqlmodel import Field, SQLModel

from linkapp.core.times import UTCDateTime, utcnow

MAX_EVENT = 32
MAX_DETAIL = 200
MAX_IP_PREFIX = 45  # the longest IPv6 text


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_events"
    # The page is one user's events, newest first; the index also serves the cascade from users.
    __table_args__ = (Index("ix_audit_events_user_at", "user_id", "at"), {"sqlite_autoincrement": True})

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=Column(Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False))
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    event: str = Field(sa_column=Column(String(MAX_EVENT), nullable=False))
    ip_prefix: str | None = Field(default=None, sa_column=Column(String(MAX_IP_PREFIX), nullable=True))
    detail: str = Field(default="", sa_column=Column(String(MAX_DETAIL), nullable=False, default=""))


class AuditEventPublic(BaseModel):
    id: str
    at: datetime
    event: str
    ip_prefix: str | None
    detail: str


class AuditEventsPublic(BaseModel):
    items: list[AuditEventPublic]
    total: int
    limit: int
    offset: int
