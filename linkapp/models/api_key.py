"""Personal API keys (`lk_...`) for scripts: stored hashed; the key itself is shown once."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from pydantic import Field as PydanticField
from sqlalchemy import Column, ForeignKey, Integer, String
from sqlmodel import Field, SQLModel

from linkapp.core.times import UTCDateTime, utcnow
from linkapp.models.text import SafeText

MAX_KEY_NAME = 64


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_keys"
    __table_args__ = {"sqlite_autoincrement": True}  # a revoked key's id is never handed out again

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=Column(Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True))
    name: str = Field(sa_column=Column(String(MAX_KEY_NAME), nullable=False))
    # The first characters of the key, so a person can tell their keys apart.
    prefix: str = Field(sa_column=Column(String(16), nullable=False))
    key_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    last_used_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class ApiKeyCreate(BaseModel):
    name: SafeText = PydanticField(description=f"What the key is for, e.g. the script's name (1-{MAX_KEY_NAME} characters)")


class ApiKeyPublic(BaseModel):
    id: str
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None


class ApiKeyCreated(ApiKeyPublic):
    key: str = PydanticField(description="The key itself: shown this once, store it now")


class ApiKeysPublic(BaseModel):
    items: list[ApiKeyPublic]
    total: int
    limit: int
    offset: int
