"""The UI's key and link changes land in the account's audit log, from the tab's address prefix."""

from __future__ import annotations

from linkapp import db as database
from linkapp.services.accounts import audit
from linkapp.state.api_keys import ApiKeysState
from linkapp.state.link_form import LinkFormState
from tests.state.conftest import make_link, signed_in_tab


async def test_keys_and_links_changed_in_the_ui_are_logged_with_the_address_prefix(member):
    tab = await signed_in_tab(member.session_token, ip="198.51.100.44")
    link_id = await make_link(member)

    await tab.fire(ApiKeysState.show)
    await tab.fire(ApiKeysState.create, {"name": "ui script"})
    [key] = tab[ApiKeysState].keys
    await tab.fire(ApiKeysState.revoke, key["id"])
    await tab.fire(LinkFormState.ask_delete, link_id, "example.com")
    sent = await tab.fire(LinkFormState.delete)

    assert sent.toasts == [("success", "Link deleted")]
    async with database.session() as db:
        rows, _ = await audit.page(db, user_id=member.user_id, limit=100, offset=0)
    logged = [(row.event, row.detail, row.ip_prefix) for row in rows if row.event in ("api_key_created", "api_key_revoked", "link_deleted")]
    assert logged == [
        ("link_deleted", link_id, "198.51.100.0"),
        ("api_key_revoked", f"ui script ({key['prefix']})", "198.51.100.0"),
        ("api_key_created", f"ui script ({key['prefix']})", "198.51.100.0"),
    ]
