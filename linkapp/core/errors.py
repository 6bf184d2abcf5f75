"""Domain errors raised by services; the API and the UI each map them once."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a user can cause; `status` is the HTTP status it maps to."""

    status = 400
    title = "Bad Request"

    def __init__(self, detail: str, *, errors: list[dict] | None = None, headers: dict[str, str] | None = None):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}


class ValidationFailed(DomainError):
    """Input breaks a rule; `errors` names the fields as [{loc, msg}]."""

    status = 422
    title = "Unprocessable Content"

    def __init__(self, detail: str, *, field: str | None = None, errors: list[dict] | None = None):
        if errors is None and field is not None:
            errors = [{"loc": ["body", field], "msg": detail}]
        super().__init__(detail, errors=errors or [{"loc": ["body"], "msg": detail}])


class NotAuthenticated(DomainError):
    status = 401
    title = "Unauthorized"

    def __init__(self, detail: str = "Not authenticated."):
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(DomainError):
    """Who is asking does not matter: the request is refused (a foreign origin, a missing setting)."""

    status = 403
    title = "Forbidden"


class NotFound(DomainError):
    status = 404
    title = "Not Found"


class Conflict(DomainError):
    status = 409
    title = "Conflict"


class Gone(DomainError):
    status = 410
    title = "Gone"


class RateLimited(DomainError):
    status = 429
    title = "Too Many Requests"

    def __init__(self, detail: str, *, retry_after: int, headers: dict[str, str] | None = None):
        super().__init__(detail, headers={**(headers or {}), "Retry-After": str(retry_after)})
        self.retry_after = retry_after


class ServiceUnavailable(DomainError):
    status = 503
    title = "Service Unavailable"


class BadGateway(DomainError):
    """An upstream service (the AI provider) failed or answered with something unusable."""

    status = 502
    title = "Bad Gateway"


class GatewayTimeout(DomainError):
    """An upstream service (the AI provider) did not answer in time."""

    status = 504
    title = "Gateway Timeout"
