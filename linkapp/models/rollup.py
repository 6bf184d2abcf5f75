"""Rollups the writer keeps up to date in the same transaction as the clicks it stores.

Dashboards read these instead of counting raw events: quarter hours give exact days and hours
in any time zone (every UTC offset is a multiple of 15 minutes); UTC days carry unique visitors
(visitor ids change every UTC day, so daily counts add up) and the breakdowns.

Every row belongs to a scope: one link (`scope` "l", `scope_id` = link id) or all of one
owner's links ("o", owner id), so the all-links dashboard reads as few rows as a single link's.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Column, Date, Index, Integer, String, text
from sqlmodel import Field, SQLModel

DIMENSIONS = ("source", "device", "browser", "os", "country", "referrer", "bot_reason")
LINK_SCOPE = "l"
OWNER_SCOPE = "o"


def _scope() -> Column:
    return Column(String(1), primary_key=True)


class QuarterHourRollup(SQLModel, table=True):
    __tablename__ = "rollup_quarter_hours"
    # Dashboards read a scope's quarter hours of a range: on PostgreSQL this index carries the
    # counts too, so the read is an index-only scan (the rows of one scope lie on many pages).
    # On SQLite it is the primary key's order again (no INCLUDE there).
    __table_args__ = (Index("ix_rollup_quarter_hours_counts", "scope", "scope_id", "bucket", postgresql_include=["clicks", "bots"]),)

    scope: str = Field(sa_column=_scope())
    scope_id: int = Field(sa_column=Column(Integer, primary_key=True))
    bucket: int = Field(sa_column=Column(BigInteger, primary_key=True))  # seconds since epoch // 900
    clicks: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default=text("0")))
    bots: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default=text("0")))


class DayRollup(SQLModel, table=True):
    __tablename__ = "rollup_days"

    scope: str = Field(sa_column=_scope())
    scope_id: int = Field(sa_column=Column(Integer, primary_key=True))
    day: date = Field(sa_column=Column(Date, primary_key=True))  # UTC
    clicks: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default=text("0")))
    visitors: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default=text("0")))
    bots: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default=text("0")))


class DimensionRollup(SQLModel, table=True):
    __tablename__ = "rollup_day_dimensions"

    scope: str = Field(sa_column=_scope())
    scope_id: int = Field(sa_column=Column(Integer, primary_key=True))
    day: date = Field(sa_column=Column(Date, primary_key=True))
    dimension: str = Field(sa_column=Column(String(16), primary_key=True))
    value: str = Field(sa_column=Column(String(255), primary_key=True))
    clicks: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default=text("0")))
    bots: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default=text("0")))


class DayVisitor(SQLModel, table=True):
    """Which visitors a link has seen on a UTC day, so `visitors` counts each once."""

    __tablename__ = "rollup_day_visitors"

    scope: str = Field(sa_column=_scope())
    scope_id: int = Field(sa_column=Column(Integer, primary_key=True))
    day: date = Field(sa_column=Column(Date, primary_key=True))
    visitor_id: str = Field(sa_column=Column(String(32), primary_key=True))
    # The visitor's first and last quarter hour that day. An edge of a range always touches a UTC
    # midnight, so its visitors are those last seen at or after its start, or first seen before
    # its end. None: not known (rows from before these columns whose clicks were purged).
    first_bucket: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    last_bucket: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))


class VisitorSalt(SQLModel, table=True):
    """One random salt per UTC day, shared by every instance and deleted after the day."""

    __tablename__ = "visitor_salts"

    day: date = Field(sa_column=Column(Date, primary_key=True))
    salt: str = Field(sa_column=Column(String(64), nullable=False))
