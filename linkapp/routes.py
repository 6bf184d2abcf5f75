"""Page paths and the builders of paths to pages. The codes a short link may not take, which
include these, are a links rule: `services/links/reserved.py`."""

INDEX = "/"
LOGIN = "/login"
REGISTER = "/register"
LINK = "/links/[link_id]"
# Two segments: a one-segment path competes with short codes (`services/links/reserved.py`).
SECURITY = "/settings/security"
WEBHOOKS = "/settings/webhooks"
NOT_FOUND = "/404"


def link_path(public_id: str) -> str:
    return f"/links/{public_id}"
