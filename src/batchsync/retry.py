"""The one retry policy, on tenacity: GitHub's waits, ``max-retries`` retries, never a blind resend.

The waits themselves are pure arithmetic in ``batchsync.ratelimit``; ``sleep`` and the clock are
passed in, so tests never sleep.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_base

from batchsync.errors import ApiError, RateLimitError, ServerError, TransportError
from batchsync.ratelimit import Limits, Op, backoff_delay, jittered, limit_wait

__all__ = ["GitHubWait", "gave_up", "github_retrying", "is_retryable"]


def is_retryable(op: Op, error: BaseException) -> bool:
    """Whether GitHub's rules allow a retry: limits always; 5xx or no answer unless a create."""
    if isinstance(error, RateLimitError):
        return True
    if isinstance(error, ServerError | TransportError):
        return op is not Op.CREATE
    return False


class GitHubWait(wait_base):
    """tenacity wait: GitHub's hint for a rate limit, else exponential backoff with jitter.

    ``hint`` gives the seconds to wait after a rate-limit answer; by default they are worked out
    from its headers (``limit_wait``). The processor's gate passes the pause it already set for
    that answer, so each answer's wait is worked out once.
    """

    def __init__(
        self,
        limits: Limits,
        *,
        clock: Callable[[], float],
        rng: random.Random,
        repeat: Callable[[], int] = lambda: 1,
        hint: Callable[[RateLimitError], float] | None = None,
    ) -> None:
        self.limits = limits
        self.clock = clock
        self.rng = rng
        self.repeat = repeat
        self.hint = hint

    def __call__(self, retry_state: RetryCallState) -> float:
        """Seconds to wait before the next attempt."""
        outcome = retry_state.outcome
        error = outcome.exception() if outcome is not None else None
        if isinstance(error, RateLimitError):
            if self.hint is not None:
                return self.hint(error)
            return limit_wait(
                error.headers, self.clock(), self.repeat(), self.limits.secondary_wait
            )[0]
        return jittered(
            backoff_delay(retry_state.attempt_number, self.limits.retry_delay), self.rng
        )


def gave_up(error: BaseException, retries: int) -> BaseException:
    """The last error again, its message saying how many retries were spent on it."""
    plural = "retry" if retries == 1 else "retries"
    note = f"gave up after {retries} {plural}" if retries else "not retried (max-retries is 0)"
    if isinstance(error, ApiError):
        return dataclasses.replace(error, message=f"{error.message} ({note})")
    if isinstance(error, TransportError):
        return TransportError(error.method, error.path, f"{error.reason}; {note}")
    return error


def github_retrying(
    op: Op,
    limits: Limits,
    *,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
    rng: random.Random,
    repeat: Callable[[], int] = lambda: 1,
    hint: Callable[[RateLimitError], float] | None = None,
) -> Retrying:
    """The one retry policy: GitHub's waits, ``max_retries`` retries, no sleep after the last."""

    def give_up(retry_state: RetryCallState) -> None:
        outcome = retry_state.outcome
        assert outcome is not None  # tenacity calls this only after an attempt
        error = outcome.exception()
        assert error is not None  # only failed attempts are retried
        raise gave_up(error, limits.max_retries) from error

    return Retrying(
        sleep=sleep,
        stop=stop_after_attempt(limits.max_retries + 1),
        wait=GitHubWait(limits, clock=clock, rng=rng, repeat=repeat, hint=hint),
        retry=retry_if_exception(lambda e: is_retryable(op, e)),
        retry_error_callback=give_up,
    )
