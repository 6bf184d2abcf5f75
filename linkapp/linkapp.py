"""Builds the Reflex app: pages, the JSON API, the short-link redirect and what runs beside them."""

import reflex as rx

from linkapp import routes
from linkapp.api import request_log
from linkapp.api.app import api
from linkapp.api.headers import SecurityHeaders
from linkapp.api.request_log import RequestLog
from linkapp.core import broadcast
from linkapp.lifespan import click_writer, start_up_objects_frozen, webhook_dispatcher
from linkapp.pages.account import security_page
from linkapp.pages.auth import login_page, register_page
from linkapp.pages.dashboard import dashboard_page
from linkapp.pages.link import link_page
from linkapp.pages.not_found import not_found_page
from linkapp.pages.webhooks import webhooks_page
from linkapp.redirect import ShortLinks
from linkapp.services.clicks import feed, maintenance
from linkapp.services.links import changes
from linkapp.services.links import imports as link_imports
from linkapp.state import live
from linkapp.state.account import AccountState
from linkapp.state.auth import AuthState
from linkapp.state.insights import InsightsState
from linkapp.state.link_detail import LinkDetailState
from linkapp.state.links import LinksState
from linkapp.state.webhooks import WebhooksState

request_log.configure()


class LinkApp(rx.App):
    """The Reflex app, whose short links are answered ahead of Reflex's own middleware (see
    `ShortLinks.ahead_of`); they are still served by the ShortLinks that api_transformer mounts."""

    def __call__(self):
        return ShortLinks.ahead_of(super().__call__())


app = LinkApp(
    # Outermost last: the redirect answers before the request log and the security headers (it
    # stays lean); they wrap FastAPI whole, its 500s included.
    api_transformer=[api, SecurityHeaders, RequestLog, ShortLinks],
    stylesheets=["/styles.css"],
)


async def tab_connected(token: str) -> bool:
    """Whether the browser tab behind `token` still has its websocket open, on any worker (with
    Redis, a tab's socket may live in another worker than the task watching for it)."""
    # Reflex has no public way to ask; its token manager knows every worker's sockets.
    manager = getattr(getattr(app, "event_namespace", None), "_token_manager", None)
    if manager is None:  # no websocket layer yet
        return True
    return await manager.is_token_connected(token)


live.use_connection_check(tab_connected)
app.register_lifespan_task(start_up_objects_frozen)
app.register_lifespan_task(click_writer)
# After the click writer, so stopped before it: deliveries in flight can still note their outcome.
app.register_lifespan_task(webhook_dispatcher)
app.register_lifespan_task(maintenance.upkeep)
# After the click writer: imports stopped at shutdown still find the database to mark themselves failed.
app.register_lifespan_task(link_imports.running_imports)
# Changed links leave every instance's cache; stored clicks refresh dashboards on every instance.
app.register_lifespan_task(broadcast.listener, channels=(changes.CHANNEL, feed.CHANNEL))
app.add_page(dashboard_page, route=routes.INDEX, title="Dashboard · Linkapp", on_load=[AuthState.require_login, LinksState.start, InsightsState.load_quick(False)])
app.add_page(link_page, route=routes.LINK, title="Link · Linkapp", on_load=[AuthState.require_login, LinkDetailState.start, InsightsState.load_quick(True)])
app.add_page(security_page, route=routes.SECURITY, title="Security · Linkapp", on_load=[AuthState.require_login, AccountState.load])
app.add_page(webhooks_page, route=routes.WEBHOOKS, title="Webhooks · Linkapp", on_load=[AuthState.require_login, WebhooksState.load])
app.add_page(login_page, route=routes.LOGIN, title="Sign in · Linkapp", on_load=AuthState.redirect_if_signed_in)
app.add_page(register_page, route=routes.REGISTER, title="Create account · Linkapp", on_load=AuthState.redirect_if_signed_in)
app.add_page(not_found_page, route=routes.NOT_FOUND, title="Not found · Linkapp")
