"""Short codes never take a path the app answers itself."""

from linkapp import routes
from linkapp.services.links.reserved import is_reserved


def test_is_reserved_ignores_case():
    assert is_reserved("Login") and is_reserved("DOCS") and not is_reserved("launch")


def test_every_page_path_is_reserved():
    pages = [routes.LOGIN, routes.REGISTER, routes.LINK, routes.NOT_FOUND]
    assert all(is_reserved(path.strip("/").split("/")[0]) for path in pages)
