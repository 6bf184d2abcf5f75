"""Every text field of every request body refuses control characters and lone surrogates: a 422
naming the field, never a 500 (PostgreSQL refuses NUL in text), and nothing is stored."""

from __future__ import annotations

import json
import typing
from dataclasses import dataclass

import pytest
from fastapi.routing import APIRoute
from sqlalchemy import func, select

from linkapp.api.routes import account, ai, analytics, auth, keys, links, tags
from linkapp.models import ApiKey, Link, LinkTag, RefreshToken, User
from linkapp.models.text import SafeText
from tests.api.test_api_errors import assert_problem
from tests.factories import PASSWORD, create_link, register, unique_username

# NUL (PostgreSQL's DataError), an escape sequence, and a lone surrogate (valid JSON, not valid text).
BAD = {"nul": "\x00", "escape": "\x1b[31m", "surrogate": "\ud800"}
STORED = (User, RefreshToken, ApiKey, Link, LinkTag)
SAFE_TEXT = typing.get_args(SafeText)[1]


@dataclass(frozen=True)
class Case:
    """One text field of one request body, and a body that is valid until the field is spoiled."""

    method: str
    path: str  # the route's, under /api/v1; "{link_id}" becomes an existing link's id
    field: str
    body: dict

    def url(self, link: dict) -> str:
        return "/api/v1" + self.path.format(link_id=link["id"], tag="work")

    def spoiled(self, bad: str, user: dict, link: dict) -> dict:
        """The body with `bad` inside the field (in its first item, for a list)."""
        fill = {"username": unique_username(), "refresh": user["refresh_token"], "link_id": link["id"]}
        body = {key: value.format(**fill) if isinstance(value, str) else value for key, value in self.body.items()}
        value = body[self.field]
        body[self.field] = [value[0] + bad] if isinstance(value, list) else value[:3] + bad + value[3:]
        return body


def _cases(method: str, path: str, body: dict) -> list[Case]:
    return [Case(method, path, field, body) for field in body]


LINK = {"url": "https://example.com/page", "title": "Quarterly report", "slug": "report-q3", "tags": ["work"], "fallback_url": "https://example.com/over"}
CASES = [
    *_cases("POST", "/auth/register", {"username": "{username}", "password": PASSWORD}),
    *_cases("POST", "/auth/login", {"username": "{username}", "password": PASSWORD, "refresh_token": "{refresh}"}),
    *_cases("POST", "/auth/refresh", {"refresh_token": "{refresh}"}),
    *_cases("POST", "/auth/logout", {"refresh_token": "{refresh}"}),
    *_cases("POST", "/auth/password", {"current_password": PASSWORD, "new_password": "Quiet-Harbor-Lantern7"}),
    *_cases("DELETE", "/auth/me", {"password": PASSWORD}),
    *_cases("POST", "/auth/keys", {"name": "nightly report"}),
    *_cases("POST", "/links", LINK),
    *_cases("PATCH", "/links/{link_id}", LINK),
    *_cases("PATCH", "/tags/{tag}", {"name": "summer sale"}),
    *_cases("POST", "/ai/insights", {"prompt": "How are my links doing?", "link_id": "{link_id}", "tz": "Europe/Paris"}),
]


async def _row_counts(db) -> dict[str, int]:
    return {model.__name__: (await db.execute(select(func.count()).select_from(model))).scalar_one() for model in STORED}


@pytest.mark.parametrize("case", CASES, ids=lambda case: f"{case.method} {case.path} {case.field}")
async def test_text_field_with_control_characters_or_lone_surrogates_is_422(client, db, case):
    user = await register(client)
    link = await create_link(client, user, title="Untouched")
    before = await _row_counts(db)

    for name, bad in BAD.items():
        # json.dumps writes "\ud800" as the escape a client would send; the body stays valid JSON.
        raw = json.dumps(case.spoiled(bad, user, link))
        response = await client.request(case.method, case.url(link), content=raw, headers={**user["headers"], "Content-Type": "application/json"})

        problem = assert_problem(response, 422)
        located = [error for error in problem["errors"] if error["loc"][:2] == ["body", case.field]]
        assert located, (name, problem)
        assert any(word in located[0]["msg"] for word in ("control characters", "surrogate")), (name, located)
        assert problem["detail"].startswith(case.field), (name, problem["detail"])

    db.expire_all()
    assert await _row_counts(db) == before
    # The link the PATCHes aimed at is as it was.
    stored = (await client.get(f"/api/v1/links/{link['id']}", headers=user["headers"])).json()
    assert (stored["title"], stored["url"], stored["tags"]) == ("Untouched", "https://example.com/page", [])


async def test_a_tab_is_the_one_control_character_let_through(client):
    user = await register(client)
    response = await client.post("/api/v1/auth/keys", json={"name": "nightly\treport"}, headers=user["headers"])
    assert response.status_code == 201, response.text
    assert response.json()["name"] == "nightly report"


def _request_bodies() -> list[tuple[str, str, type]]:
    """(method, path, model) for every route that reads a body."""
    bodies = []
    for module in (auth, account, keys, links, tags, analytics, ai):
        for route in module.router.routes:
            assert isinstance(route, APIRoute)
            for param in route.dependant.body_params:
                annotation = param.field_info.annotation
                for model in (annotation, *typing.get_args(annotation)):  # `RefreshIn | None` too
                    if isinstance(model, type) and model is not type(None):
                        bodies += [(method, route.path, model) for method in route.methods]
    return bodies


def _str_leaves(annotation, metadata=()) -> list[bool]:
    """For each `str` in `annotation` (inside unions and lists too): is it SafeText?"""
    if typing.get_origin(annotation) is typing.Annotated:
        base, *extras = typing.get_args(annotation)
        return _str_leaves(base, (*metadata, *extras))
    if annotation is str:
        return [SAFE_TEXT in metadata]
    return [safe for arg in typing.get_args(annotation) for safe in _str_leaves(arg)]


def _text_fields(model: type) -> dict[str, list[bool]]:
    return {name: leaves for name, info in model.model_fields.items() if (leaves := _str_leaves(info.annotation, tuple(info.metadata)))}


def test_every_text_field_of_every_request_body_is_safe_text():
    bodies = _request_bodies()
    assert {model.__name__ for _, _, model in bodies} >= {"Credentials", "RefreshIn", "ApiKeyCreate", "LinkCreate", "LinkUpdate", "InsightRequest"}
    bare = {f"{model.__name__}.{name}" for _, _, model in bodies for name, leaves in _text_fields(model).items() if not all(leaves)}
    assert bare == set()


def test_every_text_field_of_every_request_body_is_tried_above():
    fields = {(method, path, name) for method, path, model in _request_bodies() for name in _text_fields(model)}
    assert fields == {(case.method, case.path, case.field) for case in CASES}
