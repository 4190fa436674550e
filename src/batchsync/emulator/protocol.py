"""What a route handler receives and returns, and GitHub's error answer shape."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "DOCS",
    "ApiFailure",
    "Charge",
    "Identity",
    "MovedPermanently",
    "RawJson",
    "Request",
    "Response",
]

DOCS = "https://docs.github.com/rest"
REDIRECT_DOCS = (
    "https://docs.github.com/rest/guides/best-practices-for-using-the-rest-api#follow-redirects"
)


@dataclass(frozen=True)
class Identity:
    """Who a token belongs to."""

    token_id: int
    login: str
    user_id: int
    kind: str  # "installation" (GITHUB_TOKEN, app installation) or "user"
    permission: str  # "write" or "read"
    limit: int | None = None  # a per-token primary budget overriding the configured one
    expires_at: float | None = None  # emulated epoch seconds; from then on the token gets 401
    # GitHub may announce an expiry in `github-authentication-token-expiration`; whether it does
    # for every kind of token is not documented, so both readings can be tested.
    announce_expiry: bool = True


@dataclass(frozen=True)
class Request:
    """One parsed request, as route handlers see it."""

    method: str
    path: str  # without the prefix and without the query
    query: Mapping[str, str]
    query_pairs: tuple[tuple[str, str], ...]
    params: Mapping[str, str]  # values captured from the path template
    body: Any
    api_base: str  # scheme://host:port + prefix, exactly as the request came in
    web_base: str  # scheme://host:port, for html_url
    identity: Identity | None


@dataclass(frozen=True)
class Charge:
    """What one request costs, when its body decides it (GraphQL): creations, points, name."""

    creates: int
    points: int
    operation: str


@dataclass(frozen=True)
class RawJson:
    """A body already encoded as JSON (cached renderings skip a second encoding)."""

    data: bytes


@dataclass(frozen=True)
class Response:
    """A JSON answer (``body`` None means no content)."""

    status: int
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)


class ApiFailure(Exception):
    """An error answer in GitHub's JSON shape: ``message``, ``documentation_url``, ``status``."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        errors: list[Any] | None = None,
        documentation_url: str = DOCS,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {message}")
        self.status = status
        self.message = message
        self.errors = errors
        self.documentation_url = documentation_url
        self.headers = dict(headers or {})

    def response(self, api_base: str = "") -> Response:
        """The answer as GitHub sends it (``api_base``: where the request came in)."""
        body: dict[str, Any] = {"message": self.message}
        if self.errors is not None:
            body["errors"] = self.errors
        body["documentation_url"] = self.documentation_url
        body["status"] = str(self.status)
        return Response(self.status, body, self.headers)


class MovedPermanently(ApiFailure):
    """GitHub's 301 for what lives elsewhere now (a transferred issue): ``Location`` and the
    body's ``url`` name the new place, ``/repositories/{id}/...`` on the request's host."""

    def __init__(self, path: str) -> None:
        super().__init__(301, "Moved Permanently", documentation_url=REDIRECT_DOCS)
        self.path = path  # after the API prefix, e.g. /repositories/7/issues/2

    def response(self, api_base: str = "") -> Response:
        """The 301 as GitHub sends it: no ``status`` field, the new place twice."""
        url = api_base + self.path
        body = {"message": self.message, "url": url, "documentation_url": REDIRECT_DOCS}
        return Response(301, body, {"location": url})


def not_found() -> ApiFailure:
    """GitHub's 404."""
    return ApiFailure(404, "Not Found")


def validation_failed(
    resource: str, field_name: str, code: str, message: str | None = None, value: Any = None
) -> ApiFailure:
    """GitHub's 422 ``Validation Failed`` with one entry in ``errors``."""
    error: dict[str, Any] = {"resource": resource, "code": code, "field": field_name}
    if message is not None:
        error["message"] = message
    if value is not None:
        error["value"] = value
    return ApiFailure(422, "Validation Failed", errors=[error])
