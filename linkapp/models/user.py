"""Users and the shapes the API reads and writes for them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import Column, String
from sqlmodel import Field, SQLModel

from linkapp.core.times import UTCDateTime, utcnow
from linkapp.models.text import SafeText


class User(SQLModel, table=True):
    __tablename__ = "users"
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(sa_column=Column(String(20), nullable=False))
    # Lower-cased username: uniqueness is case-insensitive on every database.
    username_key: str = Field(sa_column=Column(String(20), nullable=False, unique=True))
    password_hash: str = Field(sa_column=Column(String(255), nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class Credentials(BaseModel):
    username: SafeText
    password: SafeText


class UserPublic(BaseModel):
    id: str
    username: str
    created_at: datetime


class TokenPublic(BaseModel):
    access_token: str
    token_type: str = "bearer"
    username: str
    id: str
    expires_in: int
