"""A click's line (journal, spool, the writer's process, the Redis stream): JSON that gives back
the very click, whatever a visitor put in its headers and query."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from linkapp.models.click import Click

AWKWARD = ['say "hi"', "back\\slash", "line\nbreak\ttab\x01", "café ünïcode", "emoji 😀", "\u2028 separator", "</script>", ""]


@pytest.mark.parametrize("text", AWKWARD)
def test_a_line_is_one_json_line_that_gives_the_click_back(text):
    click = Click(
        link_id=12345678901,
        clicked_at=datetime(2026, 12, 2, 10, 0, 0, 123456, tzinfo=timezone(timedelta(hours=2))),
        ip_address="2001:db8::1",
        user_agent=text,
        referrer=text or None,
        source=text,
        utm_medium=None,
        utm_campaign=text,
        method="HEAD",
        bot_reason=text,
    )
    line = click.to_line()

    assert line.endswith(b"\n") and line.count(b"\n") == 1 and line.isascii()
    assert json.loads(line) == click.to_dict()  # exactly what the JSON encoder would have written
    back = Click.from_line(line)
    assert back.to_dict() == click.to_dict() and back.to_line() == line


def test_missing_fields_are_null_and_the_line_is_made_once():
    click = Click(link_id=1, clicked_at=datetime(2026, 12, 2, tzinfo=UTC))
    fields = json.loads(click.to_line())
    assert fields["ip_address"] is None and fields["user_agent"] is None and fields["method"] == "GET"
    assert click.to_line() is click.to_line()


def test_the_writers_batch_of_lines_gives_every_click_back_in_order():
    clicks = [
        Click(link_id=n + 1, clicked_at=datetime(2026, 12, 2, 10, 0, n, tzinfo=UTC), ip_address=f"198.51.100.{n}", user_agent=text, source=text or None)
        for n, text in enumerate(AWKWARD)
    ]
    back = Click.from_lines(b"".join(click.to_line() for click in clicks))
    assert [click.to_dict() for click in back] == [click.to_dict() for click in clicks]
    assert Click.from_lines(b"") == []


def test_a_broken_line_in_the_writers_batch_fails_the_batch_not_silently():
    good = Click(link_id=1, clicked_at=datetime(2026, 12, 2, tzinfo=UTC)).to_line()
    with pytest.raises(ValueError):
        Click.from_lines(good + b'{"link_id": 2, "clicked_at"\n' + good)
