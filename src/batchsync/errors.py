"""The one error hierarchy of batchsync: every error carries the data needed to report it."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar

from batchsync.remote import TOO_QUICKLY
from batchsync.workflow import redact

__all__ = [
    "NO_REPOSITORY",
    "NO_TOKEN",
    "ApiError",
    "AuthError",
    "BatchsyncError",
    "BudgetExhausted",
    "Failure",
    "FailureKind",
    "Fatal",
    "ForbiddenError",
    "Interrupted",
    "IssueMoved",
    "ItemError",
    "NotFoundError",
    "ParentElsewhere",
    "RateLimitError",
    "Redirected",
    "RunStop",
    "ServerError",
    "SettingsError",
    "StopKind",
    "TransportError",
    "UncertainWriteError",
    "UnusableAnswer",
    "ValidationFailed",
    "credentials_fatal",
    "error_from_response",
    "failure_of",
    "fatal_of",
    "graphql_error",
    "permission_fatal",
    "refused_fatal",
]


# GitHub's texts (it appends a request id, so these are substrings); "abuse detection" is the
# older wording of a secondary limit.
_SECONDARY_WORDS = ("secondary rate limit", "abuse detection")
_RATE_LIMIT_WORDS = ("rate limit", "abuse detection")
CONTENT_LIMIT_NOTE = "GitHub's secondary rate limit on content creation"
# GraphQL's answer (HTTP 200, no data) when the server gave up on an operation: a mutation may
# have been applied, so it is a lost answer, never a refusal.
GRAPHQL_LOST = "Something went wrong while executing your query"
# GraphQL error types as the REST status they stand for; others (and none) are refusals (422).
_GRAPHQL_STATUS = {"RATE_LIMITED": 403, "FORBIDDEN": 403, "NOT_FOUND": 404, "UNPROCESSABLE": 422}


class FailureKind(enum.StrEnum):
    """What kind of failure an item had: decides the exit code and the fix shown."""

    ITEM = "item"  # the work item's file (bad YAML, duplicate key, write-back)
    BAD_CREDENTIALS = "bad-credentials"  # 401
    PERMISSION = "permission"  # 403 that is not a rate limit
    NOT_FOUND = "not-found"  # 404
    REJECTED = "rejected"  # 422 and other 4xx: GitHub refused the request
    RATE_LIMITED = "rate-limited"  # limit answers until the retries ran out
    SERVER = "server"  # 5xx
    NO_ANSWER = "no-answer"  # connection refused or reset, timeout
    UNCERTAIN = "uncertain"  # a create got no usable answer: it may exist
    INTERNAL = "internal"  # a bug in batchsync

    @property
    def retryable(self) -> bool:
        """True when the next run may succeed with nothing changed."""
        return self in _RETRYABLE

    @property
    def refused(self) -> bool:
        """True when GitHub refused the token itself: nothing can run until it is fixed."""
        return self in (FailureKind.BAD_CREDENTIALS, FailureKind.PERMISSION)


_RETRYABLE = frozenset(
    {FailureKind.RATE_LIMITED, FailureKind.SERVER, FailureKind.NO_ANSWER, FailureKind.UNCERTAIN}
)


class BatchsyncError(Exception):
    """Base of every error batchsync raises on purpose."""

    failure_kind: ClassVar[FailureKind] = FailureKind.INTERNAL


class SettingsError(BatchsyncError):
    """A setting (action input, flag or runner variable) is invalid: the run cannot start."""

    def __init__(self, name: str, value: str | None, allowed: str) -> None:
        # An input may hold a secret given to the wrong input (`repository: ${{ secrets.X }}`):
        # a value that looks like a token is never kept, so no message can echo it.
        self.name = name
        self.value = None if value is None else redact(value)
        self.allowed = redact(allowed)
        value = self.value
        shown = "(empty)" if value is None else repr(value)
        super().__init__(f"invalid {name}: {shown}; {self.allowed}")


class ItemError(BatchsyncError):
    """One work item cannot be used; the rest of the batch goes on."""

    failure_kind: ClassVar[FailureKind] = FailureKind.ITEM

    def __init__(
        self, path: str, line: int | None, message: str, *, key: str | None = None
    ) -> None:
        self.path = path
        self.line = line
        self.message = message
        self.key = key
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {message}")


@dataclass(eq=False)
class ApiError(BatchsyncError):
    """GitHub answered with an error status.

    ``headers`` are kept lower-cased and never include the request's Authorization header.
    """

    failure_kind: ClassVar[FailureKind] = FailureKind.REJECTED

    status: int
    message: str
    method: str = "GET"
    path: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    errors: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        self.headers = {k.lower(): v for k, v in self.headers.items()}
        super().__init__(str(self))

    def __str__(self) -> str:
        detail = f" ({'; '.join(self.errors)})" if self.errors else ""
        return f"{self.method} {self.path} -> {self.status}: {self.message}{detail}"


class AuthError(ApiError):
    """401: the token is wrong, expired or missing. Stops the whole run."""

    failure_kind: ClassVar[FailureKind] = FailureKind.BAD_CREDENTIALS


class ForbiddenError(ApiError):
    """403 that is not a rate limit: the token lacks a permission (e.g. ``issues: write``)."""

    failure_kind: ClassVar[FailureKind] = FailureKind.PERMISSION


class NotFoundError(ApiError):
    """404: the repository or issue does not exist, or the token cannot see it."""

    failure_kind: ClassVar[FailureKind] = FailureKind.NOT_FOUND


class ValidationFailed(ApiError):
    """422: GitHub refused the content (body too long, bad label, sub-issue cap, ...)."""


class RateLimitError(ApiError):
    """403/429 from a primary or secondary rate limit."""

    failure_kind: ClassVar[FailureKind] = FailureKind.RATE_LIMITED

    @property
    def secondary(self) -> bool:
        """True for a secondary limit (GitHub's message says so, or the primary budget is left)."""
        text = self.message.lower()
        return any(word in text for word in _SECONDARY_WORDS)


class ServerError(ApiError):
    """5xx: GitHub failed, possibly after acting on the request."""

    failure_kind: ClassVar[FailureKind] = FailureKind.SERVER


class UnusableAnswer(ServerError):
    """GitHub (or something between) answered with no answer to the question: not JSON, the
    wrong shape, pages without end. Taken as a 5xx: a read is retried, a create's outcome is
    unknown (``UncertainWriteError``)."""


@dataclass(eq=False)
class IssueMoved(ApiError):
    """The issue asked for by number lives elsewhere now: GitHub answered 3xx (a transferred
    issue), or the answer names another repository or number. Nothing is read from it or
    written to it; the item fails, not retryable (the link in the file must change)."""

    failure_kind: ClassVar[FailureKind] = FailureKind.ITEM

    number: int = 0  # the number asked for, in ``repository``
    repository: str = ""  # the repository asked about (``owner/name``)
    moved_to: str = ""  # where GitHub said it went ("owner/name#12", ...), sanitised; "" unsaid

    @classmethod
    def of(
        cls,
        number: int,
        repository: str,
        moved_to: str,
        *,
        status: int,
        method: str,
        path: str,
        headers: Mapping[str, str] | None = None,
    ) -> IssueMoved:
        """The error for issue ``number`` of ``repository``, found at ``moved_to``."""
        where = moved_to or "a place GitHub did not name"
        message = (
            f"issue #{number} was transferred or moved to {where}; batchsync writes only to "
            f"{repository}: change the link in the file to the issue's new place, or remove it"
        )
        return cls(status, message, method, path, headers or {}, (), number, repository, moved_to)


class Redirected(ApiError):
    """GitHub answered 3xx to a request that names no issue (a renamed or transferred
    repository): batchsync follows no redirect, so nothing is sent to the new place."""


class ParentElsewhere(ApiError):
    """GitHub names an issue's parent in another repository: batchsync links only within the
    target repository, so it leaves that link alone and says so."""


class TransportError(BatchsyncError):
    """No answer: connection refused or reset, or a timeout. The request may have been applied."""

    failure_kind: ClassVar[FailureKind] = FailureKind.NO_ANSWER

    def __init__(self, method: str, path: str, reason: str) -> None:
        self.method = method
        self.path = path
        self.reason = reason
        super().__init__(f"{method} {path}: no answer ({reason})")


class UncertainWriteError(BatchsyncError):
    """A create got no usable answer: it may exist. Resolve by its marker, never by retrying."""

    failure_kind: ClassVar[FailureKind] = FailureKind.UNCERTAIN

    def __init__(self, cause: ServerError | TransportError) -> None:
        self.cause = cause
        super().__init__(f"outcome unknown, will look for it before retrying: {cause}")


class StopKind(enum.StrEnum):
    """Why a whole run stops (``RunStop.kind``)."""

    BAD_CREDENTIALS = "bad-credentials"  # 401: no request can succeed
    MISSING_PERMISSION = "missing-permission"  # 403 that is not a limit: no write can succeed
    DEADLINE = "deadline"  # the deadline passed: no new write starts
    TIME_BUDGET = "time-budget"  # a wait would end after the deadline
    INTERRUPTED = "interrupted"  # SIGINT or SIGTERM: no new request starts

    @property
    def refused(self) -> bool:
        """True when GitHub refused the token: nothing more can run (exit 2)."""
        return self in (StopKind.BAD_CREDENTIALS, StopKind.MISSING_PERMISSION)


class RunStop(BatchsyncError):
    """The one stop signal: the gate raises it, the adapter and the lanes let it through.

    After a refusal (401, or a 403 that is not a limit) every later request raises it before it
    is sent, and ``cause`` is GitHub's answer. When the time budget runs out, the items not
    reached are reported as not done and the next run picks them up.
    """

    def __init__(
        self,
        kind: StopKind,
        detail: str,
        *,
        cause: ApiError | None = None,
        resume_at: float | None = None,
    ) -> None:
        self.kind = kind
        self.detail = detail
        self.cause = cause
        self.resume_at = resume_at
        super().__init__(detail)

    @classmethod
    def refused(cls, error: ApiError) -> RunStop:
        """The stop for a 401 (bad credentials) or a 403 that is not a limit (permission)."""
        kind = StopKind.BAD_CREDENTIALS if error.status == 401 else StopKind.MISSING_PERMISSION
        return cls(kind, str(error), cause=error)

    def again(self) -> RunStop:
        """A fresh copy to raise in another thread (one exception object shares a traceback)."""
        return RunStop(self.kind, self.detail, cause=self.cause, resume_at=self.resume_at)


class BudgetExhausted(RunStop):
    """The run's time budget would be overrun: stop cleanly, the next run carries on."""

    def __init__(
        self, reason: str, *, resume_at: float | None = None, passed: bool = False
    ) -> None:
        self.reason = reason
        kind = StopKind.DEADLINE if passed else StopKind.TIME_BUDGET
        super().__init__(kind, f"time budget exhausted: {reason}", resume_at=resume_at)


class Interrupted(BudgetExhausted):
    """A signal (Ctrl-C, SIGTERM) stopped the run: stop as at a deadline, the next run goes on."""

    def __init__(self, signal_name: str) -> None:
        self.signal_name = signal_name
        self.reason = f"interrupted by {signal_name}"
        # Not BudgetExhausted's own init: the text and the kind are the signal's, not the clock's.
        RunStop.__init__(
            self, StopKind.INTERRUPTED, f"{self.reason}: no new request starts; run again"
        )

    def again(self) -> RunStop:
        """A fresh copy to raise in another thread."""
        return Interrupted(self.signal_name)


PERMISSIONS_YAML = "permissions:\n  issues: write"
# What to do about each kind of failure (an ItemError's own message says its fix too).
FIXES: Mapping[FailureKind, str] = {
    FailureKind.ITEM: "fix the file at the line shown",
    FailureKind.BAD_CREDENTIALS: "give a valid, unexpired token",
    FailureKind.PERMISSION: "give the token write access to issues (permissions: issues: write)",
    FailureKind.NOT_FOUND: "the issue is gone or the token cannot see it: check the item's link",
    FailureKind.REJECTED: "GitHub refused the request: change what its message names",
    FailureKind.RATE_LIMITED: (
        "GitHub's rate limit outlasted the retries: the next run picks the item up; if it "
        "recurs, lower max-concurrent or raise write-interval"
    ),
    FailureKind.SERVER: "GitHub failed: the next run retries the item",
    FailureKind.NO_ANSWER: "GitHub did not answer: check the network; the next run retries",
    FailureKind.UNCERTAIN: "the next run looks for the issue by its marker before creating it",
    FailureKind.INTERNAL: "a bug in batchsync: report it with the step's log",
}


@dataclass(frozen=True)
class Failure:
    """Why one item failed: its kind, GitHub's status, whether a rerun may fix it, the fix."""

    kind: FailureKind
    message: str
    status: int | None = None

    @property
    def retryable(self) -> bool:
        """True when the next run may succeed with nothing changed."""
        return self.kind.retryable

    @property
    def fix(self) -> str:
        """What to do about it."""
        return FIXES[self.kind]

    def to_json(self) -> dict[str, object]:
        """The failure as plain JSON values (the results file's ``failure`` field)."""
        return {
            "kind": self.kind.value,
            "status": self.status,
            "retryable": self.retryable,
            "fix": self.fix,
        }


def failure_of(error: BaseException) -> Failure:
    """The typed failure an exception stands for, built once where the item ends."""
    cause: BaseException = error
    if isinstance(error, RunStop | UncertainWriteError) and error.cause is not None:
        cause = error.cause
    kind = cause.failure_kind if isinstance(cause, BatchsyncError) else FailureKind.INTERNAL
    if isinstance(error, UncertainWriteError):
        kind = FailureKind.UNCERTAIN
    status = cause.status if isinstance(cause, ApiError) else None
    if isinstance(error, ItemError):
        message = error.message
    elif isinstance(error, BatchsyncError):
        message = str(error) or type(error).__name__
    else:
        message = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    return Failure(kind, message, status)


@dataclass(frozen=True)
class Fatal:
    """Why nothing could run: a title, the message with its fix, and the YAML that fixes it."""

    title: str
    message: str
    fix: str | None = None


CREDENTIALS_YAML = "with:\n  github-token: ${{ secrets.GITHUB_TOKEN }}"


NO_TOKEN = Fatal(
    "no token",
    "The github-token input is empty. Keep its default (the workflow's GITHUB_TOKEN) or pass a "
    "secret; secrets are empty in workflows run from forks. In a terminal, set GITHUB_TOKEN.",
    CREDENTIALS_YAML,
)
NO_REPOSITORY = Fatal(
    "no repository",
    "No repository to sync to: set the repository input (owner/name); --repo in a terminal.",
    "with:\n  repository: owner/name",
)


def permission_fatal(repository: str, answer: str) -> Fatal:
    """The one message for a token that may not write issues."""
    return Fatal(
        "missing permission",
        f"The token may not write issues in {repository} ({answer}). Add this to the job (or the "
        f"workflow):\n{PERMISSIONS_YAML}\nA pull request from a fork always gets a read-only "
        "token: run with `dry-run: true` on pull_request events instead.",
        PERMISSIONS_YAML,
    )


def credentials_fatal(answer: str) -> Fatal:
    """The one message for a token GitHub does not accept (401)."""
    return Fatal(
        "bad credentials",
        f"GitHub refused the token ({answer}). Give a valid, unexpired token (the github-token "
        "input; GITHUB_TOKEN in a terminal).",
        CREDENTIALS_YAML,
    )


def refused_fatal(failure: Failure, repository: str) -> Fatal | None:
    """The run's report when an item failed because GitHub refused the token, else None."""
    if failure.kind is FailureKind.BAD_CREDENTIALS:
        return credentials_fatal(str(failure.status or 401))
    if failure.kind is FailureKind.PERMISSION:
        return permission_fatal(repository, str(failure.status or 403))
    return None


def _refusal_fatal(error: ApiError, repository: str) -> Fatal:
    if isinstance(error, AuthError):
        return credentials_fatal(f"401 {error.message}")
    if isinstance(error, ForbiddenError):
        return permission_fatal(repository, f"403 {error.message}")
    return Fatal(
        "repository not found",
        f"{repository} was not found, or the token cannot see it (404). Name the "
        "repository as owner/name, and for another repository than the workflow's give a token "
        "that can read it.",
        "with:\n  repository: owner/name",
    )


def _settings_fatal(error: SettingsError) -> Fatal:
    return Fatal("invalid input", str(error))


def fatal_of(error: BaseException, repository: str | None) -> Fatal:
    """The one report of a run that could not start or was stopped (exit 2), in every mode."""
    repo = repository or "the repository"
    if isinstance(error, RunStop) and error.cause is not None:
        error = error.cause
    if isinstance(error, SettingsError):
        missing = {"github-token": NO_TOKEN, "repository": NO_REPOSITORY}.get(error.name)
        return missing if missing is not None and error.value is None else _settings_fatal(error)
    if isinstance(error, AuthError | ForbiddenError | NotFoundError):
        return _refusal_fatal(error, repo)
    if isinstance(error, TransportError):
        return Fatal("GitHub unreachable", f"{error}. Check GITHUB_API_URL and the network.")
    if isinstance(error, BatchsyncError):
        return Fatal("run stopped", f"nothing synced: {error}")
    return Fatal("internal error", f"{type(error).__name__}: {error}")


_BY_STATUS: Mapping[int, type[ApiError]] = {
    401: AuthError,
    404: NotFoundError,
    422: ValidationFailed,
}


def error_from_response(
    status: int,
    message: str,
    *,
    method: str = "GET",
    path: str = "",
    headers: Mapping[str, str] | None = None,
    errors: tuple[str, ...] = (),
) -> ApiError:
    """Classify an error answer from GitHub (REST, or GraphQL through ``graphql_error``).

    403 and 429 are rate limits when the message says so or ``x-ratelimit-remaining`` is 0
    (https://docs.github.com/en/rest/using-the-rest-api/troubleshooting-the-rest-api);
    any other 403 is a permission problem. A refusal saying "was submitted too quickly" (GraphQL's
    200 and REST's 422 name the content-creation limit so) is a secondary limit, whatever
    the status.
    """
    hdrs = {k.lower(): v for k, v in (headers or {}).items()}
    cls = _class_of(status, message, hdrs)
    if any(TOO_QUICKLY in text for text in (message, *errors)):
        cls = RateLimitError
        shown = message if TOO_QUICKLY in message else f"{message}: {TOO_QUICKLY}"
        message = f"{shown} ({CONTENT_LIMIT_NOTE})"
    return cls(status, message, method=method, path=path, headers=hdrs, errors=errors)


def _class_of(status: int, message: str, headers: Mapping[str, str]) -> type[ApiError]:
    """The error class of a status (and, for 403/429, of its message and headers)."""
    if status in (403, 429):
        limited = (
            status == 429 or headers.get("x-ratelimit-remaining") == "0" or "retry-after" in headers
        )
        text = message.lower()
        if limited or any(word in text for word in _RATE_LIMIT_WORDS):
            return RateLimitError
        return ForbiddenError
    if status >= 500:
        return ServerError
    return _BY_STATUS.get(status, ApiError)


def graphql_error(
    kind: str, message: str, *, headers: Mapping[str, str], path: str = "/graphql"
) -> ApiError:
    """One entry of a GraphQL ``errors`` list (HTTP 200) as the REST answer it stands for,
    classified by ``error_from_response``: ``RATE_LIMITED`` is a spent budget (403 with
    nothing remaining), ``FORBIDDEN`` 403, ``NOT_FOUND`` 404, GitHub's "Something went wrong
    while executing your query" a lost answer (502), anything else a refusal (422)."""
    status = 502 if GRAPHQL_LOST in message else _GRAPHQL_STATUS.get(kind, 422)
    hdrs = dict(headers)
    if kind == "RATE_LIMITED":
        hdrs["x-ratelimit-remaining"] = "0"
    errors = (kind,) if kind else ()
    return error_from_response(
        status, message, method="POST", path=path, headers=hdrs, errors=errors
    )
