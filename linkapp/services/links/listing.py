"""Listing links: what a search matches, and the orders a list can be read in.

The database sorts and cuts the page, clicks included: a link's all-time clicks are summed from
its daily rollups in the query itself, so a page never needs every link loaded first.
"""

from __future__ import annotations

from typing import Literal, get_args

from sqlalchemy import asc, desc, exists, func, or_, select

from linkapp.core.errors import ValidationFailed
from linkapp.models.link import Link, LinkTag
from linkapp.models.rollup import LINK_SCOPE, DayRollup

# A Literal, so that the API's OpenAPI document lists the orders and refuses others with 422.
LinkSort = Literal["created", "-created", "clicks", "-clicks", "title", "-title"]
SORTS: tuple[str, ...] = get_args(LinkSort)
DEFAULT_SORT = "-created"


def search_condition(q: str):
    """Links whose title, URL, short code or one of whose tags contains `q`, in any case."""
    term = q.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{term}%"
    # Tags are stored lower-cased; EXISTS reads only this link's tags (the key starts with link_id).
    tagged = exists().where(LinkTag.link_id == Link.id, LinkTag.tag.like(pattern, escape="\\"))
    return or_(
        func.lower(Link.title).like(pattern, escape="\\"),
        func.lower(Link.url).like(pattern, escape="\\"),
        Link.slug_key.like(pattern, escape="\\"),
        tagged,
    )


def all_time_clicks():
    """A link's human clicks of all time as a column of a query on links: the SQL twin of
    `rollups.reads.all_time_clicks`, summed per row from the (scope, scope_id, day) key."""
    total = select(func.coalesce(func.sum(DayRollup.clicks), 0)).where(DayRollup.scope == LINK_SCOPE, DayRollup.scope_id == Link.id)
    return total.correlate(Link).scalar_subquery()


def order_by(sort: str) -> list:
    """ORDER BY terms for `sort` (one of SORTS; a leading "-" reverses it). Ties fall to the link
    id in the same direction, so pages never overlap or skip a link.

    Raises:
        ValidationFailed: `sort` is not one of SORTS.
    """
    if sort not in SORTS:
        raise ValidationFailed(f"sort must be one of {', '.join(SORTS)}.", errors=[{"loc": ["query", "sort"], "msg": "unknown sort"}])
    direction = desc if sort.startswith("-") else asc
    column = {"created": Link.created_at, "clicks": all_time_clicks(), "title": func.lower(Link.title)}[sort.lstrip("-")]
    return [direction(column), direction(Link.id)]
