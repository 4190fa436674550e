"""The one retry policy, on tenacity: GitHub's waits, ``max-retries`` retries, the deadline, never a
blind resend.

``RetryPolicy`` is built once per run (the ``Gate`` owns it) and used by every request on every
lane. tenacity keeps what one call has done in that call's ``RetryCallState`` and in
thread-local storage, and the strategies here keep nothing between calls, so one ``Retrying``
serves every thread. The waits are pure arithmetic in ``batchsync.ratelimit``; ``sleep`` and the
clock are passed in, so tests never sleep.
"""

from __future__ import annotations

import dataclasses
import logging
import random
import threading
import time
from collections.abc import Callable
from typing import NoReturn, Protocol, TypeVar

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
)
from tenacity.retry import retry_base
from tenacity.stop import stop_base
from tenacity.wait import wait_base

from batchsync.errors import (
    ApiError,
    BudgetExhausted,
    RateLimitError,
    ServerError,
    TransportError,
    UncertainWriteError,
)
from batchsync.ratelimit import Limits, Op, backoff_delay, jittered, limit_wait

__all__ = [
    "Deadline",
    "GitHubWait",
    "Resend",
    "RetryPolicy",
    "StopAtDeadline",
    "gave_up",
    "is_retryable",
    "policy_of",
    "retry_reason",
]

T = TypeVar("T")

logger = logging.getLogger("batchsync")


class Resend(Protocol):
    """The exactly-once rule for a write, as ``RetryPolicy.resend`` is: what its users take."""

    def __call__(self, send: Callable[[], T], recover: Callable[[], T | None]) -> tuple[T, bool]:
        """Send once; on a lost answer look for the write, sending again only when not found."""
        ...


def is_retryable(op: Op, error: BaseException) -> bool:
    """Whether GitHub's rules allow a retry: limits always; 5xx or no answer unless a create."""
    if isinstance(error, RateLimitError):
        return True
    if isinstance(error, ServerError | TransportError):
        return op is not Op.CREATE
    return False


def retry_reason(error: BaseException) -> str:
    """Why a retry waits, as a wait report says it."""
    return f"retrying after: {error}"


class Deadline:
    """When a run must end: its time budget, brought forward by the token's announced expiry.

    The one rule for "does this wait pass the deadline" (``passes``), read by the retry
    policy's stop and by the Gate's pacing waits alike. Thread-safe: any lane's answer may bring
    it forward while others read it.
    """

    def __init__(self, at: float | None = None, why: str = "the deadline passed") -> None:
        self._lock = threading.Lock()
        self._at = at
        self._why = why

    @property
    def at(self) -> float | None:
        """Clock time after which no write starts and no wait may end; None for no limit."""
        with self._lock:
            return self._at

    @property
    def why(self) -> str:
        """What set the deadline (the time budget, or the token's expiry)."""
        with self._lock:
            return self._why

    def bring_forward(self, at: float, why: str) -> bool:
        """Move the deadline to ``at`` when that is sooner; True when it moved."""
        with self._lock:
            if self._at is not None and self._at <= at:
                return False
            self._at, self._why = at, why
            return True

    def passed(self, now: float) -> bool:
        """True at or after the deadline: no new write starts."""
        at = self.at
        return at is not None and now >= at

    def passes(self, end: float) -> bool:
        """True when a wait ending at ``end`` would end after the deadline."""
        at = self.at
        return at is not None and end > at

    def cut(self, end: float) -> float:
        """``end``, or the deadline when that comes first: where a wait already begun stops."""
        at = self.at
        return end if at is None else min(end, at)

    def exceeded(self, reason: str, end: float) -> BudgetExhausted:
        """The stop for a wait (for ``reason``) that would end at ``end``, after the deadline."""
        at = self.at
        late = 0.0 if at is None else end - at
        return BudgetExhausted(
            f"{reason}: waiting would pass the deadline by {late:.0f} s", resume_at=end
        )

    def no_write(self) -> BudgetExhausted:
        """The stop for a write that would start after the deadline."""
        return BudgetExhausted(f"{self.why}; no new write starts", passed=True)


class StopAtDeadline(stop_base):
    """tenacity stop: the wait before the next attempt would end after the deadline."""

    def __init__(self, deadline: Deadline, clock: Callable[[], float]) -> None:
        self.deadline = deadline
        self.clock = clock

    def __call__(self, retry_state: RetryCallState) -> bool:
        """True when sleeping ``upcoming_sleep`` from now would pass the deadline."""
        return self.deadline.passes(self.clock() + retry_state.upcoming_sleep)


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


class _RetryAllowed(retry_base):
    """tenacity retry: ``is_retryable`` for the op the call was made for (its first argument)."""

    def __call__(self, retry_state: RetryCallState) -> bool:
        outcome = retry_state.outcome
        if outcome is None or not outcome.failed:
            return False
        op, error = retry_state.args[0], outcome.exception()
        return isinstance(op, Op) and error is not None and is_retryable(op, error)


def _sleep(seconds: float, reason: str) -> None:
    time.sleep(seconds)


def _no_wait(seconds: float) -> None:
    """A resend waits for nothing here: the Gate paces the write it sends."""


def gave_up(error: BaseException, retries: int) -> BaseException:
    """The last error again, its message saying how many retries were spent on it."""
    plural = "retry" if retries == 1 else "retries"
    note = f"gave up after {retries} {plural}" if retries else "not retried (max-retries is 0)"
    if isinstance(error, ApiError):
        return dataclasses.replace(error, message=f"{error.message} ({note})")
    if isinstance(error, TransportError):
        return TransportError(error.method, error.path, f"{error.reason}; {note}")
    return error


class RetryPolicy:
    """The run's one retry policy, built once and shared by every request on every lane.

    ``call`` runs one request by GitHub's rules: ``is_retryable`` decides, ``GitHubWait`` says
    how long, and it stops after ``max_retries`` retries (the last error says so, ``gave_up``)
    or when the next wait would end after the deadline (``BudgetExhausted``, with nothing
    slept). ``resend`` is the exactly-once rule for a write whose answer was lost.

    ``sleep(seconds, reason)`` waits before a retry; ``hint`` gives the wait after a rate-limit
    answer (see ``GitHubWait``); ``explain`` says why a retry waits.
    """

    def __init__(
        self,
        limits: Limits = Limits(),  # noqa: B008 - frozen, so one shared default is safe
        *,
        deadline: Deadline | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float, str], None] = _sleep,
        rng: random.Random | None = None,
        hint: Callable[[RateLimitError], float] | None = None,
        explain: Callable[[BaseException], str] = retry_reason,
    ) -> None:
        self.limits = limits
        self.deadline = deadline if deadline is not None else Deadline()
        self._clock = clock
        self._sleep = sleep
        self._explain = explain
        # tenacity's sleep gets only the seconds; before_sleep, called just before it on the
        # same thread, leaves the reason here for it.
        self._reasons = threading.local()
        # Jitter only spreads retries apart; it needs no cryptographic quality.
        rng = rng if rng is not None else random.Random()  # noqa: S311
        sends = stop_after_attempt(limits.max_retries + 1)
        self._requests = Retrying(
            sleep=self._pause,
            stop=sends | StopAtDeadline(self.deadline, clock),
            wait=GitHubWait(limits, clock=clock, rng=rng, hint=hint),
            retry=_RetryAllowed(),
            before_sleep=self._before_sleep,
            retry_error_callback=self._give_up,
        )
        self._resends = Retrying(
            sleep=_no_wait,
            stop=sends,
            retry=retry_if_exception_type(UncertainWriteError),
            reraise=True,
        )

    @property
    def sends(self) -> int:
        """How many times one request (or one resent write) is sent at most."""
        return self.limits.max_retries + 1

    def call(self, op: Op, attempt: Callable[[], T]) -> T:
        """Run ``attempt`` (one request of kind ``op``) until it succeeds or the policy stops."""

        def one(op: Op) -> T:  # ``op`` is the call's argument: the strategies read it there
            return attempt()

        return self._requests(one, op)

    def resend(self, send: Callable[[], T], recover: Callable[[], T | None]) -> tuple[T, bool]:
        """Send a write exactly once: ``(value, recovered)``.

        When ``send`` raises ``UncertainWriteError`` (its answer was lost), ``recover`` looks
        for the write: its value when the write was applied (returned with ``recovered``
        True), None when it was not, and only then is it sent again, ``sends`` times at most;
        the last ``UncertainWriteError`` is raised after that. Any other error, from either,
        is raised at once.
        """

        def once() -> tuple[T, bool]:
            try:
                return send(), False
            except UncertainWriteError:
                found = recover()
                if found is None:
                    raise  # GitHub did not act on it: sending again makes no duplicate
                return found, True

        # A copy per call, as tenacity's own ``wraps`` does: a resend may run inside another
        # (a create that makes a label) on the same thread, and each needs its own state.
        return self._resends.copy()(once)

    def _before_sleep(self, retry_state: RetryCallState) -> None:
        outcome = retry_state.outcome
        error = outcome.exception() if outcome is not None else None
        self._reasons.reason = self._explain(error) if error is not None else "retrying"
        logger.info("%s; retrying in %.1f s", error, retry_state.upcoming_sleep)

    def _pause(self, seconds: float) -> None:
        self._sleep(float(seconds), getattr(self._reasons, "reason", "retrying"))

    def _give_up(self, retry_state: RetryCallState) -> NoReturn:
        outcome = retry_state.outcome
        assert outcome is not None  # tenacity calls this only after an attempt
        error = outcome.exception()
        assert error is not None  # only failed attempts are retried
        if retry_state.attempt_number < self.sends:
            # retries were left: the deadline stopped it, before any sleep
            end = self._clock() + retry_state.upcoming_sleep
            raise self.deadline.exceeded(self._explain(error), end) from error
        raise gave_up(error, self.limits.max_retries) from error


def policy_of(gate: object) -> RetryPolicy:
    """The run's one policy, which its gate owns; a default one for a gate without (a stand-in)."""
    policy = getattr(gate, "policy", None)
    return policy if isinstance(policy, RetryPolicy) else RetryPolicy()
