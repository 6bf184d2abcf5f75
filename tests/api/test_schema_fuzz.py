"""Schemathesis over /openapi.json: generated requests to every operation, as a signed-in user.

No answer may be a 5xx, and every answer must be one the document promises: a documented status,
its content type, headers and a body its schema accepts. The document is read from the app
itself and requests go to it in process, so a route added without a truthful schema fails here.

Bounded and repeatable for CI (about 30 s): schemathesis' boundary cases, then a few random
examples per operation (FUZZ_EXAMPLES, default 15), derandomized, no example database.

SQLite only: what is fuzzed is the HTTP contract (validation, status codes, shapes), the same on
both databases, and PostgreSQL would double the time; `FUZZ_DATABASES=sqlite,postgresql` runs
both (each database's own behaviour is tested by the rest of the suite).
"""

from __future__ import annotations

import os

import hypothesis
import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from linkapp.api.app import api
from linkapp.api.headers import SecurityHeaders
from linkapp.api.request_log import RequestLog
from linkapp.redirect import ShortLinks
from tests.factories import register

# Webhooks: every generated hook URL would be looked up in DNS (the SSRF guard), which here
# means a timeout per example; tests/api/test_webhooks.py covers their contract instead.
IN_FLUX = r"^/api/v1/webhooks"
# The app as the `asgi_app` fixture builds it, made here because the schema is read at import.
APP = ShortLinks(RequestLog(SecurityHeaders(api)))
CONFORMANCE = [status_code_conformance, content_type_conformance, response_headers_conformance, response_schema_conformance]
CHECKS = [not_a_server_error, *CONFORMANCE]
SETTINGS = hypothesis.settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "15")),
    deadline=None,
    derandomize=True,
    database=None,
    # A fresh account per operation is a function-scoped fixture, on purpose.
    suppress_health_check=list(hypothesis.HealthCheck),
)
# Valid and invalid input alike, and the coverage phase's boundary cases (each limit, each type
# mistake, each missing field) before the random ones.
CONFIG = {"phases": {"coverage": {"enabled": True}}, "generation": {"mode": "all"}}

schema = schemathesis.openapi.from_asgi("/openapi.json", APP, config=schemathesis.Config.from_dict(CONFIG)).exclude(path_regex=IN_FLUX)

pytestmark = pytest.mark.parametrize("database_url", os.environ.get("FUZZ_DATABASES", "sqlite").split(","), indirect=True)


@pytest.fixture
async def signed_in(client) -> dict[str, str]:
    """A fresh account and its bearer header (requests go through schemathesis, on its own loop)."""
    return (await register(client))["headers"]


@schema.parametrize()
@SETTINGS
def test_operation_answers_as_documented(case, signed_in):
    if case.operation.label == "POST /api/v1/ai/insights":
        # No AI is configured here: its documented 503 is the answer, not a server failure.
        response = case.call(headers=signed_in)
        case.validate_response(response, checks=CONFORMANCE)
        assert response.status_code != 500, response.text
        return
    case.call_and_validate(headers=signed_in, checks=CHECKS)


def test_links_and_keys_in_sequence_answer_as_documented(signed_in):
    """Links and API keys created, read, changed and deleted (links also counted and drawn as QR
    codes) in generated sequences, ids taken from earlier answers; every answer is checked."""

    class Lifecycle(schema.include(path_regex=r"^/api/v1/(links|analytics/links|auth/keys)").as_state_machine()):
        def before_call(self, case):
            # A URL the schema cannot describe (http or https, a public host): without one no link is made.
            if case.operation.label == "POST /api/v1/links" and isinstance(case.body, dict) and isinstance(case.body.get("url"), str):
                case.body["url"] = "https://example.com/" + case.body["url"].encode().hex()[:32]

        def get_call_kwargs(self, case):
            return {"headers": signed_in}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=CHECKS)

    # No shrinking: a failing sequence is reported as found, in seconds rather than minutes.
    unshrunk = [hypothesis.Phase.explicit, hypothesis.Phase.generate]
    Lifecycle.run(settings=hypothesis.settings(SETTINGS, max_examples=10, stateful_step_count=8, phases=unshrunk))


async def test_body_that_is_not_utf8_is_a_documented_400(client, signed_in):
    """Schemathesis' first finding: such a body was answered 400, which the document did not list."""
    response = await client.post("/api/v1/links", content=b"\xff\xfe{", headers={**signed_in, "content-type": "application/json"})

    assert (response.status_code, response.headers["content-type"]) == (400, "application/problem+json")
    assert "400" in (await client.get("/openapi.json")).json()["paths"]["/api/v1/links"]["post"]["responses"]
