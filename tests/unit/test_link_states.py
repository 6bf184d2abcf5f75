"""A link's status, extending its expiry, raising its limit; what the writer keeps of a visit after
its end; and reading a visitor's Accept header."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from linkapp import visitor_pages
from linkapp.core.errors import ValidationFailed
from linkapp.models.click import Click
from linkapp.services.clicks.enrich import enrich
from linkapp.services.links import states
from linkapp.services.visitors import bots

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, "active"),
        ({"expires_at": NOW + timedelta(seconds=1)}, "active"),
        ({"expires_at": NOW}, "expired"),
        ({"max_clicks": 3, "used": 2}, "active"),
        ({"max_clicks": 3, "used": 3}, "limit_reached"),
        ({"max_clicks": 3, "used": 3, "expires_at": NOW - timedelta(days=1)}, "expired"),
        ({"disabled": True, "max_clicks": 1, "used": 5, "expires_at": NOW}, "disabled"),
    ],
)
def test_link_status_takes_the_first_that_applies(fields, expected):
    values = {"disabled": False, "expires_at": None, "max_clicks": None, "used": None, **fields}
    assert states.link_status(now=NOW, **values) == expected


def test_extended_expiry_counts_from_a_future_expiry_or_from_now():
    assert states.extended_expiry(NOW + timedelta(days=2), 7, now=NOW) == NOW + timedelta(days=9)
    assert states.extended_expiry(NOW - timedelta(days=40), 7, now=NOW) == NOW + timedelta(days=7)
    assert states.extended_expiry(None, 30, now=NOW) == NOW + timedelta(days=30)
    with pytest.raises(ValidationFailed):
        states.extended_expiry(None, 0, now=NOW)


def test_raised_limit_must_leave_clicks_to_use():
    assert states.raised_limit(6, 5) == 6
    with pytest.raises(ValidationFailed) as error:
        states.raised_limit(5, 5)
    assert error.value.errors[0]["loc"] == ["body", "max_clicks"]


@pytest.mark.parametrize(
    ("agent", "method", "reason"), [(BROWSER, "GET", bots.AFTER_EXPIRY), ("curl/8.5.0", "GET", bots.HTTP_CLIENT), (BROWSER, "HEAD", bots.HEAD)]
)
def test_visit_after_expiry_is_kept_apart_unless_a_bot_made_it(agent, method, reason):
    click = Click(link_id=1, clicked_at=NOW, user_agent=agent, method=method, bot_reason=bots.AFTER_EXPIRY)
    row = enrich(click, salt="s")
    assert (row["is_bot"], row["bot_reason"]) == (True, reason)


@pytest.mark.parametrize(
    ("accept", "html"),
    [
        (b"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", True),
        (b"application/xhtml+xml", True),
        (b"TEXT/HTML; q=0.5", True),
        (b"*/*", False),
        (b"text/plain", False),
        (b"text/html;q=0, */*", False),
        (b"text/html; q=0.0", False),
    ],
)
def test_visitor_page_is_html_only_for_clients_that_name_html(accept, html):
    assert visitor_pages.wants_html({"headers": [(b"user-agent", b"x"), (b"accept", accept)]}) is html


def test_visitor_page_without_accept_header_is_text():
    assert visitor_pages.NOT_FOUND.body_for({"headers": []})[1] == b"Not found: there is no short link at this address.\n"
