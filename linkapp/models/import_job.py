"""Link import jobs: one row per CSV import, with its progress and the rows that failed."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel
from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, String
from sqlmodel import Field, SQLModel

from linkapp.core.times import UTCDateTime, utcnow

ImportStatus = Literal["queued", "running", "done", "failed"]
ImportMode = Literal["skip", "update"]
MAX_DETAIL = 500


class ImportJob(SQLModel, table=True):
    __tablename__ = "import_jobs"
    # A user's jobs, newest first; the index also serves the cascade from users.
    __table_args__ = (Index("ix_import_jobs_owner_created", "owner_id", "created_at"),)

    # `imp_` and random letters: the public id itself, so no numeric id ever leaves the server.
    id: str = Field(sa_column=Column(String(32), primary_key=True))
    owner_id: int = Field(sa_column=Column(Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False))
    status: str = Field(default="queued", sa_column=Column(String(16), nullable=False))
    mode: str = Field(default="skip", sa_column=Column(String(8), nullable=False))
    format: str = Field(sa_column=Column(String(16), nullable=False))
    filename: str | None = Field(default=None, sa_column=Column(String(255), nullable=True))
    total: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    processed: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    created: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    updated: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    skipped: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    failed: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    # [{row, msg}], the first MAX_REPORTED_ERRORS of them (`failed` counts them all).
    errors: list[dict] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Why a failed job stopped, in words for its owner.
    detail: str | None = Field(default=None, sa_column=Column(String(MAX_DETAIL), nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    # Written after every batch: a queued or running job that has not moved for a while was
    # left behind by a stopped process.
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    finished_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class RowError(BaseModel):
    """A row of the file that was not imported: its number as a spreadsheet shows it (the header is row 1), and why."""

    row: int
    msg: str


class ImportJobPublic(BaseModel):
    id: str
    status: ImportStatus
    mode: ImportMode
    format: str
    filename: str | None
    total: int
    processed: int
    created: int
    updated: int
    skipped: int
    failed: int
    errors: list[RowError]
    detail: str | None
    created_at: datetime
    finished_at: datetime | None


class ImportStarted(BaseModel):
    id: str
    status_url: str
