"""The UI's forms refuse control characters and lone surrogates with the API's words, at the field."""

from __future__ import annotations

import pytest

from linkapp.state.link_form import LinkFormState
from tests.state.conftest import stored_links
from tests.state.test_link_form import EMPTY_FORM

BAD = {"nul": "\x00", "escape": "\x1b[31m", "surrogate": "\ud800"}


@pytest.mark.parametrize("bad", BAD.values(), ids=BAD.keys())
@pytest.mark.parametrize(("field", "value"), [("url", "https://example.com/a{}b"), ("title", "Sp{}ring"), ("slug", "spr{}ing"), ("tags", "pro{}mo, spring")])
async def test_link_form_refuses_control_characters_at_the_field(member, member_tab, field, value, bad):
    await member_tab.fire(LinkFormState.open_create)

    sent = await member_tab.fire(LinkFormState.save, {**EMPTY_FORM, "url": "https://example.com/ok", field: value.format(bad)})

    form = member_tab[LinkFormState]
    assert any(word in form.errors.get(field, "") for word in ("control characters", "surrogate")), form.errors
    assert (form.open, form.saving, sent.toasts) == (True, False, [])
    assert await stored_links(member) == []
