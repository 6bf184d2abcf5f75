"""Every table, imported here so SQLModel.metadata (and Alembic) sees them all."""

from linkapp.models.event import LinkEvent
from linkapp.models.link import Link, LinkTag
from linkapp.models.token import RefreshToken
from linkapp.models.user import User

__all__ = ["Link", "LinkEvent", "LinkTag", "RefreshToken", "User"]
