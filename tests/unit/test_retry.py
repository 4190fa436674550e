"""The retry policy: what is retried, GitHub's waits, the deadline, giving up, resending."""

import random
import sys
import threading

import pytest
from tenacity import RetryCallState, Retrying

from batchsync.errors import (
    ApiError,
    AuthError,
    BudgetExhausted,
    ForbiddenError,
    NotFoundError,
    RateLimitError,
    ServerError,
    StopKind,
    TransportError,
    UncertainWriteError,
    ValidationFailed,
    error_from_response,
)
from batchsync.ratelimit import JITTER, Limits, Op
from batchsync.retry import (
    Deadline,
    GitHubWait,
    RetryPolicy,
    StopAtDeadline,
    gave_up,
    is_retryable,
)

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


def policy_for(limits: Limits, sleeps: list[float], deadline: Deadline | None = None):
    return RetryPolicy(
        limits,
        deadline=deadline,
        sleep=lambda seconds, reason: sleeps.append(seconds),
        clock=lambda: NOW,
        rng=random.Random(0),
    )


def test_policy_retries_then_succeeds():
    sleeps: list[float] = []
    fn = Failing(ServerError(503, "Unavailable"), 2)
    assert policy_for(Limits(retry_delay=1.0), sleeps).call(Op.READ, fn) == "ok"
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
        # a create's 5xx is never retried by the policy (the Gate makes it UncertainWriteError)
        (Op.CREATE, Limits(), ServerError(502, "Bad Gateway"), 1, None),
    ],
)
def test_policy_stops_after_its_retries_and_says_so(op, limits, error, calls, said):
    sleeps: list[float] = []
    fn = Failing(error, 99)
    with pytest.raises(type(error)) as caught:
        policy_for(limits, sleeps).call(op, fn)
    assert fn.calls == calls
    assert len(sleeps) == calls - 1
    assert caught.value.status == error.status
    if said is None:
        assert "gave up" not in str(caught.value)
    else:
        assert said in str(caught.value)


def test_the_sleep_is_told_why_it_waits():
    waits: list[tuple[float, str]] = []
    policy = RetryPolicy(
        Limits(retry_delay=1.0),
        sleep=lambda seconds, reason: waits.append((seconds, reason)),
        clock=lambda: NOW,
        rng=random.Random(0),
        explain=lambda error: f"because {error.status}",
    )
    policy.call(Op.READ, Failing(ServerError(503, "Unavailable"), 1))
    assert [reason for _, reason in waits] == ["because 503"]


# --- the deadline is a stop strategy, not an exception from sleep ------------------------------


def test_a_wait_past_the_deadline_stops_the_policy_before_it_sleeps():
    sleeps: list[float] = []
    policy = policy_for(Limits(), sleeps, deadline=Deadline(NOW + 30))
    fn = Failing(secondary({"retry-after": "45"}), 99)
    with pytest.raises(BudgetExhausted) as caught:
        policy.call(Op.READ, fn)
    assert sleeps == []  # the sleep was never asked to wait past the deadline
    assert fn.calls == 1
    assert caught.value.kind is StopKind.TIME_BUDGET
    assert caught.value.resume_at == NOW + 45
    assert "waiting would pass the deadline by 15 s" in str(caught.value)
    assert isinstance(caught.value.__cause__, RateLimitError)


def test_a_wait_that_ends_on_the_deadline_is_still_slept():
    sleeps: list[float] = []
    policy = policy_for(Limits(), sleeps, deadline=Deadline(NOW + 45))
    assert policy.call(Op.READ, Failing(secondary({"retry-after": "45"}), 1)) == "ok"
    assert sleeps == [45.0]


def test_spent_retries_are_reported_as_given_up_even_when_the_deadline_is_near():
    sleeps: list[float] = []
    policy = policy_for(Limits(max_retries=0), sleeps, deadline=Deadline(NOW + 1))
    with pytest.raises(RateLimitError, match="not retried"):
        policy.call(Op.READ, Failing(secondary({"retry-after": "45"}), 99))


def test_the_stop_reads_a_deadline_brought_forward_after_the_policy_was_built():
    deadline = Deadline(NOW + 3600)
    stop = StopAtDeadline(deadline, lambda: NOW)
    state = state_after(ServerError(502, "Bad Gateway"), 1)
    state.upcoming_sleep = 60
    assert not stop(state)
    deadline.bring_forward(NOW + 59, "the token expires")
    assert stop(state)


def test_the_deadline_moves_only_forward_and_says_why():
    deadline = Deadline(NOW + 100)
    assert not deadline.bring_forward(NOW + 200, "later")
    assert deadline.bring_forward(NOW + 50, "the token expires at noon")
    assert (deadline.at, deadline.why) == (NOW + 50, "the token expires at noon")
    assert deadline.passes(NOW + 51)
    assert not deadline.passes(NOW + 50)
    assert deadline.passed(NOW + 50)
    assert not deadline.passed(NOW + 49)
    assert deadline.cut(NOW + 80) == NOW + 50
    assert str(deadline.no_write()) == (
        "time budget exhausted: the token expires at noon; no new write starts"
    )
    assert deadline.no_write().kind is StopKind.DEADLINE


def test_no_deadline_never_stops_or_cuts():
    deadline = Deadline()
    assert not deadline.passes(float("inf"))
    assert not deadline.passed(NOW)
    assert deadline.cut(NOW + 10) == NOW + 10


# --- one policy for every thread --------------------------------------------------------------


def test_one_policy_serves_lanes_retrying_at_the_same_time():
    lanes = 3
    in_sleep = threading.Barrier(lanes, timeout=5)
    sleeps: list[float] = []

    def sleep(seconds: float, reason: str) -> None:
        sleeps.append(seconds)
        if len(sleeps) <= lanes:
            in_sleep.wait()  # every lane is between two attempts of its own call at once

    policy = RetryPolicy(
        Limits(max_retries=2, retry_delay=1.0), sleep=sleep, clock=lambda: NOW, rng=random.Random(0)
    )
    outcomes: dict[int, object] = {}
    fns = {0: Failing(ServerError(502, "x"), 1), 1: Failing(ServerError(502, "x"), 2)}
    fns[2] = Failing(ServerError(502, "x"), 99)

    def lane(n: int) -> None:
        try:
            outcomes[n] = policy.call(Op.READ, fns[n])
        except ServerError as exc:
            outcomes[n] = str(exc)

    threads = [threading.Thread(target=lane, args=(n,)) for n in range(lanes)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert (outcomes[0], outcomes[1]) == ("ok", "ok")
    assert "gave up after 2 retries" in str(outcomes[2])
    assert [fns[n].calls for n in range(lanes)] == [2, 3, 3]  # each lane counted its own


# --- the exactly-once resend --------------------------------------------------------------------


def lost() -> UncertainWriteError:
    return UncertainWriteError(ServerError(502, "Bad Gateway", method="POST"))


class Writes:
    """A write whose answers are lost as scripted; ``applied`` says whether each send acted."""

    def __init__(self, *script: tuple[bool, bool]) -> None:
        self.script = list(script)  # per send: (applied, answer lost)
        self.made: list[int] = []
        self.sends = 0
        self.lookups = 0

    def send(self) -> int:
        self.sends += 1
        applied, answer_lost = self.script.pop(0) if self.script else (True, False)
        if applied:
            self.made.append(self.sends)
        if answer_lost:
            raise lost()
        return self.sends

    def recover(self) -> int | None:
        self.lookups += 1
        return self.made[-1] if self.made else None


def test_a_resend_whose_answer_arrives_is_sent_once():
    writes = Writes()
    assert RetryPolicy().resend(writes.send, writes.recover) == (1, False)
    assert (writes.sends, writes.lookups) == (1, 0)


def test_a_lost_answer_of_an_applied_write_is_recovered_not_resent():
    writes = Writes((True, True))
    assert RetryPolicy().resend(writes.send, writes.recover) == (1, True)
    assert (writes.sends, writes.lookups, writes.made) == (1, 1, [1])


def test_a_write_the_lookup_did_not_find_is_sent_again():
    writes = Writes((False, True))
    assert RetryPolicy().resend(writes.send, writes.recover) == (2, False)
    assert (writes.sends, writes.lookups, writes.made) == (2, 1, [2])


@pytest.mark.parametrize("retries", [0, 2])
def test_a_write_lost_every_time_is_sent_max_retries_plus_one_times(retries):
    writes = Writes(*[(False, True)] * 10)
    policy = RetryPolicy(Limits(max_retries=retries))
    with pytest.raises(UncertainWriteError):
        policy.resend(writes.send, writes.recover)
    assert writes.sends == writes.lookups == policy.sends == retries + 1
    assert writes.made == []


def test_other_errors_of_a_resend_are_raised_at_once():
    def refused() -> int:
        raise ValidationFailed(422, "Validation Failed")

    looked: list[int] = []
    with pytest.raises(ValidationFailed):
        RetryPolicy().resend(refused, lambda: looked.append(1))
    assert looked == []

    def failing_lookup() -> int | None:
        raise ServerError(503, "Unavailable")

    writes = Writes((False, True))
    with pytest.raises(ServerError):
        RetryPolicy().resend(writes.send, failing_lookup)
    assert writes.sends == 1


def test_a_resend_inside_another_keeps_its_own_count():
    policy = RetryPolicy(Limits(max_retries=1))
    inner = Writes((False, True), (False, True))
    outer = Writes((False, True))

    def send_outer() -> int:
        if outer.sends == 0:  # e.g. a label made inside a create, lost both times
            with pytest.raises(UncertainWriteError):
                policy.resend(inner.send, inner.recover)
        return outer.send()

    assert policy.resend(send_outer, outer.recover) == (2, False)
    assert (inner.sends, inner.lookups) == (2, 2)
    assert outer.sends == 2


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
