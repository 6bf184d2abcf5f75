"""The shapes the API reads and writes for tags (the tags themselves are `link.LinkTag` rows)."""

from __future__ import annotations

from pydantic import BaseModel
from pydantic import Field as PydanticField

from linkapp.models.text import SafeText


class TagPublic(BaseModel):
    tag: str
    links: int = PydanticField(description="How many of your links carry the tag")


class TagRename(BaseModel):
    name: SafeText = PydanticField(description="The tag's new name (1-32 letters, digits, spaces, - or _; stored lower-case)")
