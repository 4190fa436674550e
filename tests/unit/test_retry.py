"""The retry policy: which errors are retried, GitHub's waits, giving up."""

import random
import sys

import pytest
from tenacity import RetryCallState, Retrying

from batchsync.errors import (
    ApiError,
    AuthError,
    ForbiddenError,
    NotFoundError,
    RateLimitError,
    ServerError,
    TransportError,
    UncertainWriteError,
    ValidationFailed,
    error_from_response,
)
from batchsync.ratelimit import JITTER, Limits, Op
from batchsync.retry import GitHubWait, gave_up, github_retrying, is_retryable

NOW = 1_700_000_000.0


def secondary(headers=None):
    return error_from_response(
        403, "You have exceeded a secondary rate limit.", method="POST", headers=headers or {}
    )


# --- which errors are retried ---------------------------------------------------------------


@pytest.mark.parametrize("op", list(Op))
def test_rate_limits_are_retried_for_every_op(op):
    assert is_retryable(op, secondary())


@pytest.mark.parametrize(
    "error",
    [ServerError(502, "Bad Gateway"), TransportError("GET", "/x", "timed out")],
)
def test_server_and_transport_errors_are_retried_except_for_creates(error):
    assert is_retryable(Op.READ, error)
    assert is_retryable(Op.WRITE, error)
    assert not is_retryable(Op.CREATE, error)


@pytest.mark.parametrize(
    "error",
    [
        ApiError(400, "Problems parsing JSON"),
        AuthError(401, "Bad credentials"),
        ForbiddenError(403, "Resource not accessible by integration"),
        NotFoundError(404, "Not Found"),
        ValidationFailed(422, "Validation Failed"),
        UncertainWriteError(ServerError(502, "Bad Gateway")),
        ValueError("a bug"),
    ],
)
@pytest.mark.parametrize("op", list(Op))
def test_client_errors_are_never_retried(op, error):
    assert not is_retryable(op, error)


# --- the tenacity wait and retry policy -------------------------------------------------------


def state_after(error, attempt):
    state = RetryCallState(retry_object=Retrying(), fn=None, args=(), kwargs={})
    state.attempt_number = attempt
    try:
        raise error
    except type(error):
        state.set_exception(sys.exc_info())
    return state


def test_wait_uses_github_hint_for_a_rate_limit():
    wait = GitHubWait(Limits(), clock=lambda: NOW, rng=random.Random(1))
    assert wait(state_after(secondary({"retry-after": "7"}), 3)) == 7.0


def test_wait_doubles_secondary_by_the_repeat_count():
    wait = GitHubWait(
        Limits(secondary_wait=60), clock=lambda: NOW, rng=random.Random(1), repeat=lambda: 3
    )
    assert wait(state_after(secondary(), 1)) == 240.0


def test_wait_backs_off_exponentially_for_server_errors():
    wait = GitHubWait(Limits(retry_delay=2.0), clock=lambda: NOW, rng=random.Random(1))
    first = wait(state_after(ServerError(502, "Bad Gateway"), 1))
    third = wait(state_after(ServerError(502, "Bad Gateway"), 3))
    assert 2.0 <= first <= 2.0 * (1 + JITTER)
    assert 8.0 <= third <= 8.0 * (1 + JITTER)


class Failing:
    def __init__(self, error, times):
        self.error = error
        self.times = times
        self.calls = 0

    def __call__(self):
        self.calls += 1
        if self.calls <= self.times:
            raise self.error
        return "ok"


def policy_for(op: Op, limits: Limits, sleeps: list[float]) -> Retrying:
    return github_retrying(op, limits, sleep=sleeps.append, clock=lambda: NOW, rng=random.Random(0))


def test_policy_retries_then_succeeds():
    sleeps: list[float] = []
    fn = Failing(ServerError(503, "Unavailable"), 2)
    assert policy_for(Op.READ, Limits(retry_delay=1.0), sleeps)(fn) == "ok"
    assert fn.calls == 3
    assert len(sleeps) == 2
    assert 2.0 <= sleeps[1] <= 2.5


@pytest.mark.parametrize(
    ("op", "limits", "error", "calls", "said"),
    [
        # no sleep after the last attempt
        (Op.WRITE, Limits(max_retries=2), ServerError(503, "Unavailable"), 3, "gave up after 2"),
        (Op.READ, Limits(max_retries=0), secondary(), 1, "not retried"),
        # a client error is raised at once, not "given up"
        (Op.WRITE, Limits(), ValidationFailed(422, "Validation Failed"), 1, None),
    ],
)
def test_policy_stops_after_its_retries_and_says_so(op, limits, error, calls, said):
    sleeps: list[float] = []
    fn = Failing(error, 99)
    with pytest.raises(type(error)) as caught:
        policy_for(op, limits, sleeps)(fn)
    assert fn.calls == calls
    assert len(sleeps) == calls - 1
    assert caught.value.status == error.status
    if said is None:
        assert "gave up" not in str(caught.value)
    else:
        assert said in str(caught.value)


def test_gave_up_keeps_the_class_status_and_headers():
    error = secondary({"retry-after": "5"})
    again = gave_up(error, 3)
    assert type(again) is RateLimitError
    assert again.headers == {"retry-after": "5"}
    assert "gave up after 3 retries" in str(again)


def test_gave_up_on_a_transport_error_names_the_request():
    again = gave_up(TransportError("GET", "/repos/o/r", "timed out"), 1)
    assert isinstance(again, TransportError)
    assert "GET /repos/o/r" in str(again)
    assert "timed out; gave up after 1 retry" in str(again)
