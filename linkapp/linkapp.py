"""Builds the Reflex app: pages, the JSON API and the short-link redirect. Nothing else."""

import reflex as rx

from linkapp import routes
from linkapp.api.app import api
from linkapp.lifespan import click_writer
from linkapp.pages.index import index_page
from linkapp.redirect import ShortLinks

app = rx.App(api_transformer=[api, ShortLinks])
app.register_lifespan_task(click_writer)
app.add_page(index_page, route=routes.INDEX, title="Linkapp")
