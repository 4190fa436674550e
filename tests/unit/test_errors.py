"""Classifying GitHub's error answers."""

import pytest

from batchsync.errors import (
    ApiError,
    AuthError,
    ForbiddenError,
    NotFoundError,
    RateLimitError,
    ServerError,
    ValidationFailed,
    error_from_response,
)


@pytest.mark.parametrize(
    ("status", "message", "headers", "expected"),
    [
        (401, "Bad credentials", {}, AuthError),
        (
            403,
            "Resource not accessible by integration",
            {"X-RateLimit-Remaining": "4999"},
            ForbiddenError,
        ),
        (
            403,
            "API rate limit exceeded for installation ID 1.",
            {"x-ratelimit-remaining": "0"},
            RateLimitError,
        ),
        (403, "You have exceeded a secondary rate limit. Request ID: 1:2", {}, RateLimitError),
        (403, "You have triggered an abuse detection mechanism.", {}, RateLimitError),
        (403, "Forbidden", {"retry-after": "30"}, RateLimitError),
        (429, "Too Many Requests", {}, RateLimitError),
        (404, "Not Found", {}, NotFoundError),
        (422, "Validation Failed", {}, ValidationFailed),
        (502, "Server Error", {}, ServerError),
        (400, "Problems parsing JSON", {}, ApiError),
    ],
)
def test_error_from_response_picks_the_subclass(status, message, headers, expected):
    error = error_from_response(status, message, headers=headers)
    assert type(error) is expected
    assert error.status == status


def test_secondary_limit_is_told_from_primary():
    secondary = error_from_response(403, "You have exceeded a secondary rate limit.")
    primary = error_from_response(
        403, "API rate limit exceeded", headers={"x-ratelimit-remaining": "0"}
    )
    assert isinstance(secondary, RateLimitError)
    assert secondary.secondary
    assert isinstance(primary, RateLimitError)
    assert not primary.secondary


def test_headers_are_lower_cased_and_message_names_the_request():
    error = error_from_response(
        422,
        "Validation Failed",
        method="POST",
        path="/repos/o/r/issues",
        headers={"X-RateLimit-Remaining": "10"},
        errors=("body is too long",),
    )
    assert error.headers == {"x-ratelimit-remaining": "10"}
    assert str(error) == "POST /repos/o/r/issues -> 422: Validation Failed (body is too long)"
