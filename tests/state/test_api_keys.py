"""ApiKeysState: personal API keys from the user menu, shown once when made, and revoked."""

from __future__ import annotations

import pytest

from linkapp import db as database
from linkapp.core.errors import NotAuthenticated
from linkapp.services.accounts import api_keys
from linkapp.state.api_keys import ApiKeysState
from tests.state.conftest import make_member


async def _owner_of(secret: str) -> int:
    async with database.session() as db:
        return (await api_keys.user_from_key(db=db, secret=secret)).id


async def _make_key(tab, name: str) -> str:
    await tab.fire(ApiKeysState.show)
    await tab.fire(ApiKeysState.set_name, name)
    await tab.fire(ApiKeysState.create, {"name": name})
    return tab[ApiKeysState].new_key


async def test_created_key_is_shown_once_and_works(member, member_tab):
    await member_tab.fire(ApiKeysState.show)
    dialog = member_tab[ApiKeysState]
    assert (dialog.open, dialog.keys, dialog.new_key) == (True, [], "")

    await member_tab.fire(ApiKeysState.set_name, "nightly report")
    await member_tab.fire(ApiKeysState.create, {"name": "nightly report"})

    secret = dialog.new_key
    assert secret.startswith("lk_")
    assert (dialog.name, dialog.name_error, dialog.saving) == ("", "", False)
    [row] = dialog.keys
    assert (row["name"], row["prefix"], row["last_used"]) == ("nightly report", secret[:10] + "…", "never")
    assert await _owner_of(secret) == member.user_id
    # Closing the dialog forgets the key; opening it again lists the key without it.
    await member_tab.fire(ApiKeysState.set_open, False)
    await member_tab.fire(ApiKeysState.show)
    assert dialog.new_key == ""
    assert [key["name"] for key in dialog.keys] == ["nightly report"]
    assert all(secret not in str(value) for key in dialog.keys for value in key.values())


async def test_key_takes_the_submitted_name_when_the_typed_one_arrives_late(member, member_tab):
    dialog = member_tab[ApiKeysState]
    await member_tab.fire(ApiKeysState.show)
    await member_tab.fire(ApiKeysState.create, {"name": "   "})
    await member_tab.fire(ApiKeysState.set_name, "   ")  # the input's debounced echo, after the submit
    assert dialog.name_error.startswith("Give the key a name of 1 to")

    await member_tab.fire(ApiKeysState.create, {"name": "phone script"})
    await member_tab.fire(ApiKeysState.set_name, "phone script")

    assert dialog.new_key.startswith("lk_")
    assert [key["name"] for key in dialog.keys] == ["phone script"]


@pytest.mark.parametrize("name", ["", "   ", "x" * 200])
async def test_key_without_a_fitting_name_is_refused_at_the_name(member, member_tab, name):
    await member_tab.fire(ApiKeysState.show)
    await member_tab.fire(ApiKeysState.set_name, name)

    await member_tab.fire(ApiKeysState.create, {"name": name})

    dialog = member_tab[ApiKeysState]
    assert dialog.name_error.startswith("Give the key a name of 1 to")
    assert (dialog.new_key, dialog.keys, dialog.saving) == ("", [], False)
    async with database.session() as db:
        assert (await api_keys.list_keys(db=db, user_id=member.user_id, limit=10, offset=0))[1] == 0


async def test_revoked_key_stops_working(member_tab):
    secret = await _make_key(member_tab, "ci job")
    key_id = member_tab[ApiKeysState].keys[0]["id"]

    sent = await member_tab.fire(ApiKeysState.revoke, key_id)

    assert sent.toasts == [("success", "Key revoked: it no longer works")]
    assert member_tab[ApiKeysState].keys == []
    with pytest.raises(NotAuthenticated):
        await _owner_of(secret)


async def test_revoking_someone_elses_key_is_refused(member_tab):
    other = await make_member()
    async with database.session() as db:
        theirs = await api_keys.create_key(db=db, user_id=other.user_id, name="theirs")
    await member_tab.fire(ApiKeysState.show)

    sent = await member_tab.fire(ApiKeysState.revoke, theirs.id)

    assert sent.toasts == [("error", "No such API key.")]
    assert await _owner_of(theirs.key) == other.user_id


async def test_signed_out_tab_does_not_open_the_dialog(tab):
    await tab.fire(ApiKeysState.show)
    assert not tab[ApiKeysState].open


@pytest.mark.parametrize("name", ["nightly\x00report", "esc\x1bape"])
async def test_key_name_with_control_characters_is_refused_at_the_name(member, member_tab, name):
    await member_tab.fire(ApiKeysState.show)
    await member_tab.fire(ApiKeysState.create, {"name": name})

    dialog = member_tab[ApiKeysState]
    assert "control characters" in dialog.name_error
    assert (dialog.new_key, dialog.keys) == ("", [])
