"""The one error hierarchy of batchsync: every error carries the data needed to report it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from batchsync.workflow import redact

__all__ = [
    "ApiError",
    "AuthError",
    "BatchsyncError",
    "BudgetExhausted",
    "ForbiddenError",
    "ItemError",
    "NotFoundError",
    "RateLimitError",
    "ServerError",
    "SettingsError",
    "TransportError",
    "UncertainWriteError",
    "ValidationFailed",
    "error_from_response",
]


# GitHub's texts (it appends a request id, so these are substrings); "abuse detection" is the
# older wording of a secondary limit.
_SECONDARY_WORDS = ("secondary rate limit", "abuse detection")
_RATE_LIMIT_WORDS = ("rate limit", "abuse detection")


class BatchsyncError(Exception):
    """Base of every error batchsync raises on purpose."""


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


class ForbiddenError(ApiError):
    """403 that is not a rate limit: the token lacks a permission (e.g. ``issues: write``)."""


class NotFoundError(ApiError):
    """404: the repository or issue does not exist, or the token cannot see it."""


class ValidationFailed(ApiError):
    """422: GitHub refused the content (body too long, bad label, sub-issue cap, ...)."""


class RateLimitError(ApiError):
    """403/429 from a primary or secondary rate limit."""

    @property
    def secondary(self) -> bool:
        """True for a secondary limit (GitHub's message says so, or the primary budget is left)."""
        text = self.message.lower()
        return any(word in text for word in _SECONDARY_WORDS)


class ServerError(ApiError):
    """5xx: GitHub failed, possibly after acting on the request."""


class TransportError(BatchsyncError):
    """No answer: connection refused or reset, or a timeout. The request may have been applied."""

    def __init__(self, method: str, path: str, reason: str) -> None:
        self.method = method
        self.path = path
        self.reason = reason
        super().__init__(f"{method} {path}: no answer ({reason})")


class UncertainWriteError(BatchsyncError):
    """A create got no usable answer: it may exist. Resolve by its marker, never by retrying."""

    def __init__(self, cause: ServerError | TransportError) -> None:
        self.cause = cause
        super().__init__(f"outcome unknown, will look for it before retrying: {cause}")


class BudgetExhausted(BatchsyncError):
    """The run's time budget would be overrun: stop cleanly, the next run carries on."""

    def __init__(self, reason: str, *, resume_at: float | None = None) -> None:
        self.reason = reason
        self.resume_at = resume_at
        super().__init__(f"time budget exhausted: {reason}")


def error_from_response(
    status: int,
    message: str,
    *,
    method: str = "GET",
    path: str = "",
    headers: Mapping[str, str] | None = None,
    errors: tuple[str, ...] = (),
) -> ApiError:
    """Classify an error answer from GitHub into the right ``ApiError`` subclass.

    403 and 429 are rate limits when the message says so or ``x-ratelimit-remaining`` is 0
    (https://docs.github.com/en/rest/using-the-rest-api/troubleshooting-the-rest-api);
    any other 403 is a permission problem.
    """
    hdrs = {k.lower(): v for k, v in (headers or {}).items()}
    cls: type[ApiError] = ApiError
    if status == 401:
        cls = AuthError
    elif status in (403, 429):
        limited = status == 429 or hdrs.get("x-ratelimit-remaining") == "0" or "retry-after" in hdrs
        text = message.lower()
        if limited or any(word in text for word in _RATE_LIMIT_WORDS):
            cls = RateLimitError
        else:
            cls = ForbiddenError
    elif status == 404:
        cls = NotFoundError
    elif status == 422:
        cls = ValidationFailed
    elif status >= 500:
        cls = ServerError
    return cls(status, message, method=method, path=path, headers=hdrs, errors=errors)
