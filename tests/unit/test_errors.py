"""Classifying GitHub's error answers."""

import pytest

from batchsync.errors import (
    ApiError,
    AuthError,
    BudgetExhausted,
    FailureKind,
    ForbiddenError,
    ItemError,
    NotFoundError,
    RateLimitError,
    RunStop,
    ServerError,
    SettingsError,
    StopKind,
    TransportError,
    UncertainWriteError,
    ValidationFailed,
    error_from_response,
    failure_of,
    fatal_of,
    graphql_error,
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


def test_a_rest_422_submitted_too_quickly_is_a_secondary_limit() -> None:
    # GitHub's REST create over the content limit: "Validation Failed", the reason in errors
    error = error_from_response(
        422, "Validation Failed", method="POST", errors=("was submitted too quickly",)
    )
    assert isinstance(error, RateLimitError)
    assert error.secondary
    assert "was submitted too quickly" in error.message


@pytest.mark.parametrize(
    ("kind", "message", "expected", "status"),
    [
        ("RATE_LIMITED", "API rate limit exceeded for installation", RateLimitError, 403),
        ("UNPROCESSABLE", "was submitted too quickly", RateLimitError, 422),
        ("FORBIDDEN", "Resource not accessible by integration", ForbiddenError, 403),
        ("NOT_FOUND", "Could not resolve to a node with the global id of 'x'", NotFoundError, 404),
        ("UNPROCESSABLE", "body is too long", ValidationFailed, 422),
        ("", "Argument 'input' on Field 'createIssue' has an invalid value", ValidationFailed, 422),
        (
            "",
            "Something went wrong while executing your query. This may be the result of a "
            "timeout, or it could be a GitHub bug. Please include `AB12:3` when reporting this "
            "issue.",
            ServerError,
            502,
        ),
    ],
    ids=["budget", "too-quickly", "forbidden", "not-found", "refused", "untyped", "lost"],
)
def test_a_graphql_error_is_classified_as_the_rest_answer_it_stands_for(
    kind: str, message: str, expected: type[ApiError], status: int
) -> None:
    error = graphql_error(kind, message, headers={"x-ratelimit-resource": "graphql"})
    assert type(error) is expected
    assert (error.status, error.method, error.path) == (status, "POST", "/graphql")
    if kind == "RATE_LIMITED":  # waits for the GraphQL bucket's reset
        assert error.headers["x-ratelimit-remaining"] == "0"


@pytest.mark.parametrize(
    ("status", "message", "kind", "retryable"),
    [
        (401, "Bad credentials", FailureKind.BAD_CREDENTIALS, False),
        (403, "Resource not accessible by integration", FailureKind.PERMISSION, False),
        (403, "You have triggered an abuse detection mechanism.", FailureKind.RATE_LIMITED, True),
        (403, "You have exceeded a secondary rate limit.", FailureKind.RATE_LIMITED, True),
        (429, "Too Many Requests", FailureKind.RATE_LIMITED, True),
        (404, "Not Found", FailureKind.NOT_FOUND, False),
        (422, "Validation Failed", FailureKind.REJECTED, False),
        (400, "Problems parsing JSON", FailureKind.REJECTED, False),
        (502, "Server Error", FailureKind.SERVER, True),
    ],
)
def test_a_github_answer_becomes_a_typed_failure_with_its_status(status, message, kind, retryable):
    failure = failure_of(error_from_response(status, message, method="POST", path="/x"))
    assert (failure.kind, failure.status, failure.retryable) == (kind, status, retryable)
    assert failure.message == f"POST /x -> {status}: {message}"
    assert failure.fix


def test_failures_without_an_answer_are_typed_too():
    lost = TransportError("POST", "/x", "timed out")
    assert failure_of(lost).kind is FailureKind.NO_ANSWER
    uncertain = failure_of(UncertainWriteError(ServerError(502, "Bad Gateway")))
    assert (uncertain.kind, uncertain.status) == (FailureKind.UNCERTAIN, 502)
    item = failure_of(ItemError("a.md", 3, "no title: add `title:`"))
    assert (item.kind, item.message) == (FailureKind.ITEM, "no title: add `title:`")
    bug = failure_of(KeyError("title"))
    assert (bug.kind, bug.message) == (FailureKind.INTERNAL, "KeyError: 'title'")


def test_a_refusal_is_one_stop_signal_with_its_cause():
    denied = ForbiddenError(403, "Resource not accessible by integration")
    stop = RunStop.refused(denied)
    assert (stop.kind, stop.cause) == (StopKind.MISSING_PERMISSION, denied)
    assert stop.kind.refused
    assert RunStop.refused(AuthError(401, "Bad credentials")).kind is StopKind.BAD_CREDENTIALS
    copy = stop.again()
    assert copy is not stop
    assert (copy.kind, copy.cause, str(copy)) == (stop.kind, stop.cause, str(stop))
    assert failure_of(stop).kind is FailureKind.PERMISSION


def test_the_time_budget_is_a_stop_that_is_not_a_refusal():
    passed = BudgetExhausted("the deadline passed", passed=True)
    waiting = BudgetExhausted("waiting would pass the deadline", resume_at=5.0)
    assert isinstance(passed, RunStop)
    assert (passed.kind, waiting.kind) == (StopKind.DEADLINE, StopKind.TIME_BUDGET)
    assert not passed.kind.refused
    assert waiting.resume_at == 5.0
    assert str(waiting) == "time budget exhausted: waiting would pass the deadline"


@pytest.mark.parametrize(
    ("error", "title", "fix"),
    [
        (AuthError(401, "Bad credentials"), "bad credentials", "github-token"),
        (RunStop.refused(AuthError(401, "Bad credentials")), "bad credentials", "github-token"),
        (RunStop.refused(ForbiddenError(403, "no")), "missing permission", "issues: write"),
        (NotFoundError(404, "Not Found"), "repository not found", "repository: owner/name"),
        (SettingsError("type", "bug", "one of all, prd"), "invalid input", None),
        (SettingsError("github-token", None, "set GITHUB_TOKEN"), "no token", "github-token"),
        (SettingsError("repository", None, "owner/name"), "no repository", "repository:"),
        (SettingsError("repository", "x", "owner/name"), "invalid input", None),
        (TransportError("GET", "/x", "refused"), "GitHub unreachable", None),
        (ServerError(502, "Bad Gateway"), "run stopped", None),
        (RuntimeError("boom"), "internal error", None),
    ],
)
def test_one_fatal_report_for_every_mode(error, title, fix):
    fatal = fatal_of(error, "o/r")
    assert fatal.title == title
    if fix is None:
        assert fatal.fix is None
    else:
        assert fix in (fatal.fix or "")
