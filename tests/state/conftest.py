"""The Reflex states without a browser: one tab's state tree, its page and connection, its events.

Reflex keeps a tree of state instances per browser tab, rooted at `rx.State`, and runs each event
by calling the handler's function on that tab's instance. `Tab` does the same: it builds the tree
the app has (every module of `linkapp.state` imported first), tells it the page and the connection
as Reflex does with each event (path, query, client token, client address, headers), and runs one
handler to its end, whether it returns, is async or yields. `get_state` finds sibling states
(AuthState ...) in the same tree. What the handlers send the browser (redirects, toasts) comes
back as `Sent`. The page's own calls to /api/v1/auth (sign-in, renewal, sign-out: `auth_calls`)
are made as the browser makes them, over HTTP against the API with the tab's cookie jar, and their
answers handed to the callback the state named. The states reach the database through `linkapp.db`, which the `db_engine`
fixture points at the database under test (SQLite and PostgreSQL).
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import re
import uuid
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import parse_qsl

import httpx
import pytest
import reflex as rx
from reflex.constants import RouteVar
from reflex.event import Event, EventHandler
from reflex.istate.data import RouterData

import linkapp.state
from linkapp import db as database
from linkapp.api.app import api
from linkapp.core import ids
from linkapp.models.link import LinkCreate
from linkapp.services.accounts import sessions, users
from linkapp.services.links import service as link_service
from linkapp.state import auth_calls
from linkapp.state.auth import AuthState
from tests.factories import PASSWORD, unique_username

# A state class joins the tree when its module is imported: all of them, as in the running app.
for _module in pkgutil.iter_modules(linkapp.state.__path__):
    importlib.import_module(f"linkapp.state.{_module.name}")

ORIGIN = "http://testserver"
BROWSER_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
S = TypeVar("S", bound=rx.State)
# How a toast reaches the browser: a call of the toaster's method with the message first.
_TOAST = re.compile(r'\?\.\["(success|error|info|warning|message)"\]\(("(?:[^"\\]|\\.)*")')
# An auth call's callback names the handler the answer goes to.
_CALLBACK = re.compile(r'ReflexEvent\("([\w.]+)"')


@dataclass(frozen=True)
class Sent:
    """What one event sent the browser besides the state's changes."""

    events: list[Event]

    @property
    def redirects(self) -> list[str]:
        """The paths (or URLs) the browser was sent to, in order."""
        return [event.payload["path"] for event in self.events if event.name == "_redirect"]

    @property
    def toasts(self) -> list[tuple[str, str]]:
        """The toasts shown, as (kind, message): ("success", "Link created")."""
        calls = (str(event.payload.get("function", "")) for event in self.events if event.name == "_call_function")
        return [(kind, json.loads(message)) for call in calls for kind, message in _TOAST.findall(call)]


class Tab:
    """One browser tab: its own state tree, on one page, behind one connection.

    Args:
        path: The page the tab shows, with its query string ("/login?next=/links/abc").
        ip: The address the connection comes from (the socket's peer, as Reflex reports it).
        headers: Request headers of the connection beyond origin and user agent.
    """

    def __init__(
        self, path: str = "/", *, ip: str = "203.0.113.10", headers: dict[str, str] | None = None, cookies: dict[str, str] | None = None
    ) -> None:
        # Reflex builds a tab's states itself (its state manager passes this flag); so do we.
        self.root = rx.State(_reflex_internal_init=True)
        self.token = uuid.uuid4().hex
        self.ip = ip
        self.headers = {"origin": ORIGIN, "host": ORIGIN.split("//")[1], "user-agent": BROWSER_UA, **(headers or {})}
        # The browser's cookies for /api/v1/auth (the refresh cookie).
        self.cookies: dict[str, str] = dict(cookies or {})
        self.visit(path)

    def __getitem__(self, state_cls: type[S]) -> S:
        """This tab's instance of `state_cls`."""
        return self.root.get_substate(state_cls._get_substate_path())

    def visit(self, path: str) -> Tab:
        """Show `path` (query string included): what Reflex's router tells every state afterwards."""
        page, _, query = path.partition("?")
        router_data = {
            RouteVar.CLIENT_TOKEN: self.token,
            RouteVar.SESSION_ID: f"sid-{self.token}",
            RouteVar.CLIENT_IP: self.ip,
            RouteVar.HEADERS: dict(self.headers),
            RouteVar.PATH: page,
            RouteVar.ORIGIN: path,
            RouteVar.QUERY: dict(parse_qsl(query)),
        }
        self.root.router_data = router_data
        self.root.router = RouterData.from_router_data(router_data)
        return self

    async def fire(self, handler: EventHandler, *args) -> Sent:
        """Run `handler` (`AuthState.login`) on this tab with `args`, to its end, as Reflex does.

        Returns:
            What it returned or yielded for the browser.
        """
        state = self.root.get_substate(handler.state_full_name.split("."))
        result = handler.fn(state, *args)
        if inspect.iscoroutine(result):
            result = await result
        if inspect.isasyncgen(result):
            items = [item async for item in result]
        elif inspect.isgenerator(result):
            items = list(result)
        else:
            items = [result]
        # Each item is None, one event or a list of them (`return [rx.set_clipboard(...), rx.toast(...)]`).
        specs = [spec for item in items if item is not None for spec in (item if isinstance(item, list | tuple) else [item])]
        events = Event.from_event_type(specs) if specs else []
        sent = []
        for event in events:
            sent.append(event)
            if event.name == "_call_script" and str(event.payload["javascript_code"]).startswith(auth_calls._CALL):
                sent.extend((await self._run_auth_call(event)).events)
        return Sent(sent)

    async def _run_auth_call(self, event: Event) -> Sent:
        """What the browser does with an auth call: POST it with the tab's cookies, hand the answer on."""
        # The script is the call's function applied to its arguments: the URL and the JSON body.
        arguments = str(event.payload["javascript_code"])[len(auth_calls._CALL) + 1 : -1]
        url, end = json.JSONDecoder().raw_decode(arguments)
        body = json.loads(arguments[end:].removeprefix(", "))
        transport = httpx.ASGITransport(app=api, client=(self.ip, 50000))
        headers = {"origin": self.headers["origin"], "user-agent": self.headers["user-agent"]}
        if self.cookies:
            headers["cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        async with httpx.AsyncClient(transport=transport, base_url=ORIGIN, headers=headers) as browser:
            response = await browser.post(url, json=body) if body is not None else await browser.post(url)
        self._keep_cookies(response)
        try:
            answer_body = response.json()
        except ValueError:
            answer_body = None
        result = {"status": response.status_code, "body": answer_body, "retry_after": response.headers.get("retry-after")}
        handler_name = _CALLBACK.search(event.payload["callback"]).group(1).rpartition(".")[2]
        return await self.fire(getattr(AuthState, handler_name), result)

    def _keep_cookies(self, response: httpx.Response) -> None:
        """Set-Cookie as a browser applies it: a value replaces, an expired or empty one deletes."""
        for header in response.headers.get_list("set-cookie"):
            first, *attributes = (part.strip() for part in header.split(";"))
            name, _, value = first.partition("=")
            gone = not value.strip('"') or any(attribute.lower() in ("max-age=0", "max-age=-1") for attribute in attributes)
            if gone:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value.strip('"')

    @property
    def refresh_cookie(self) -> str:
        """The refresh token the browser holds now ("" when none)."""
        return self.cookies.get("refresh_token", "")


@dataclass(frozen=True)
class Member:
    """A registered user, and the session cookie a browser of theirs holds."""

    username: str
    password: str
    user_id: int
    session_token: str


async def make_member(username: str | None = None, password: str = PASSWORD) -> Member:
    """Registers a user through the accounts service and starts a session for them."""
    async with database.session() as db:
        user = await users.register_user(db=db, username=username or unique_username("state"), password=password)
        session = await sessions.start_session(db=db, user=user)
        return Member(username=user.username, password=password, user_id=user.id, session_token=session.refresh_token)


async def make_link(member: Member, url: str = "https://example.com/page", **fields) -> str:
    """A link of `member`'s, made through the links service; returns its public id."""
    async with database.session() as db:
        link = await link_service.create_link(db=db, owner_id=member.user_id, link_in=LinkCreate(url=url, **fields))
        return ids.encode_link_id(link.id)


async def stored_links(member: Member) -> list:
    """`member`'s links as the API shows them, newest first: what was really stored."""
    async with database.session() as db:
        links, _ = await link_service.list_links(db=db, owner_id=member.user_id, limit=100)
        return await link_service.to_public(db, links)


def tab_with_session(session_token: str, path: str = "/", **connection) -> Tab:
    """A new tab of a browser whose refresh cookie holds `session_token`, as a returning browser's
    does: not signed in until the page renews its session (`signed_in_tab`)."""
    return Tab(path, cookies={"refresh_token": session_token}, **connection)


async def signed_in_tab(session_token: str, path: str = "/", **connection) -> Tab:
    """A returning browser's tab on `path` once the page renewed its session from the cookie."""
    tab = tab_with_session(session_token, path, **connection)
    await tab.fire(AuthState.require_login)
    assert tab[AuthState].signed_in, "the refresh cookie did not sign the tab in"
    return tab


@pytest.fixture
async def member(db_engine) -> Member:
    return await make_member()


@pytest.fixture
def tab(db_engine) -> Tab:
    """A signed-out tab on the dashboard, with the database under test behind it."""
    return Tab("/")


@pytest.fixture
async def member_tab(member) -> Tab:
    """A tab on the dashboard, signed in as `member`."""
    return await signed_in_tab(member.session_token)
