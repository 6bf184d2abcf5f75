"""Click events: one row per redirect answered, bots included but flagged with a reason."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Column, Index, Integer, String, false
from sqlmodel import Field, SQLModel

from linkapp.core.times import UTCDateTime, utcnow


class LinkEvent(SQLModel, table=True):
    __tablename__ = "link_events"
    # No foreign key: the log is append-only and written in batches; a click racing a delete
    # must not fail a whole batch. Deleting a link deletes its events in the service.
    __table_args__ = (
        Index("ix_link_events_link_clicked", "link_id", "clicked_at"),
        Index("ix_link_events_clicked", "clicked_at"),
        Index("ux_link_events_click_id", "click_id", unique=True),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True))
    # Made when the redirect answers; a retried or replayed batch cannot store a click twice.
    click_id: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    link_id: int = Field(sa_column=Column(Integer, nullable=False))
    clicked_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    source: str | None = Field(default=None, sa_column=Column(String(255), nullable=True))
    utm_medium: str | None = Field(default=None, sa_column=Column(String(255), nullable=True))
    utm_campaign: str | None = Field(default=None, sa_column=Column(String(255), nullable=True))
    # Anonymized (IPv4 /24, IPv6 /48) unless ANONYMIZE_IP=false.
    ip_address: str | None = Field(default=None, sa_column=Column(String(45), nullable=True))
    user_agent: str | None = Field(default=None, sa_column=Column(String(1024), nullable=True))
    # Keyed hash of IP + user agent with a salt that changes every UTC day.
    visitor_id: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    referrer_host: str | None = Field(default=None, sa_column=Column(String(255), nullable=True))
    device: str | None = Field(default=None, sa_column=Column(String(16), nullable=True))
    browser: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    os: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    country: str | None = Field(default=None, sa_column=Column(String(2), nullable=True))
    city: str | None = Field(default=None, sa_column=Column(String(128), nullable=True))
    is_bot: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=false()))
    bot_reason: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
