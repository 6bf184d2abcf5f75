"""Builds the Reflex app: pages, the JSON API and the short-link redirect. Nothing else."""

import reflex as rx

from linkapp import routes
from linkapp.api.app import api
from linkapp.core import broadcast  # noqa: F401
from linkapp.lifespan import click_writer
from linkapp.pages.auth import login_page, register_page
from linkapp.pages.dashboard import dashboard_page
from linkapp.pages.link import link_page
from linkapp.pages.not_found import not_found_page
from linkapp.redirect import ShortLinks
from linkapp.services.clicks import feed as live  # noqa: F401
from linkapp.services.clicks import maintenance  # noqa: F401
from linkapp.services.links import changes as link_changes  # noqa: F401
from linkapp.state.auth import AuthState
from linkapp.state.insights import InsightsState
from linkapp.state.link_detail import LinkDetailState
from linkapp.state.links import LinksState

app = rx.App(
    api_transformer=[api, ShortLinks],
    stylesheets=["/styles.css"],
)
app.register_lifespan_task(click_writer)
app.register_lifespan_task(maintenance.upkeep)
app.register_lifespan_task(broadcast.listener)
app.add_page(dashboard_page, route=routes.INDEX, title="Dashboard · Linkapp", on_load=[AuthState.require_login, LinksState.start, InsightsState.load_quick(False)])
app.add_page(link_page, route=routes.LINK, title="Link · Linkapp", on_load=[AuthState.require_login, LinkDetailState.start, InsightsState.load_quick(True)])
app.add_page(login_page, route=routes.LOGIN, title="Sign in · Linkapp", on_load=AuthState.redirect_if_signed_in)
app.add_page(register_page, route=routes.REGISTER, title="Create account · Linkapp", on_load=AuthState.redirect_if_signed_in)
app.add_page(not_found_page, route=routes.NOT_FOUND, title="Not found · Linkapp")
