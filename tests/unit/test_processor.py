"""Gate and BatchProcessor, on a fake clock whose sleep advances it (nothing really waits)."""

import dataclasses
import itertools
import logging
import threading
import time
import tracemalloc

import pytest

from batchsync import errors as errors_module
from batchsync import processor as processor_module
from batchsync import retry as retry_module
from batchsync.processor import REPORT_EVERY, BatchProcessor, Gate
from batchsync.ratelimit import RESET_MARGIN, Limits, Op, limit_wait, token_expiry
from batchsync.results import BatchResult, ItemAction, Outcome

T0 = 1_700_000_000.0
QUICK = Limits(write_interval=0, creates_per_minute=0, creates_per_hour=0, points_per_minute=0)


@dataclasses.dataclass(frozen=True)
class Item:
    key: str
    kind: str = "task"
    path: str = ""


def items(n):
    return [Item(f"item-{i}", path=f"tasks/{i}.md") for i in range(n)]


def done(item, **_):
    return Outcome(item.key, item.kind, item.path, ItemAction.UPDATED)


def rl_headers(remaining, reset, limit=5000):
    return {
        "x-ratelimit-limit": str(limit),
        "x-ratelimit-remaining": str(remaining),
        "x-ratelimit-reset": str(int(reset)),
    }


def secondary(**headers):
    return errors_module.error_from_response(
        403,
        "You have exceeded a secondary rate limit. Request ID: 1",
        method="POST",
        headers=headers,
    )


class Script:
    """A request function: answers (or raises) from a script, recording the clock at each send."""

    def __init__(self, clock, *answers, default=None):
        self.clock = clock
        self.answers = list(answers)
        self.default = default
        self.sent = []
        self._lock = threading.Lock()

    def __call__(self):
        with self._lock:
            self.sent.append(self.clock())
            answer = self.answers.pop(0) if self.answers else self.default
        if isinstance(answer, BaseException):
            raise answer
        return answer if answer is not None else ("ok", {})


def make_gate(clock, limits=QUICK, **kwargs):
    return Gate(limits, clock=clock, sleep=clock.sleep, **kwargs)


# --- seeds 1-3: construction ---------------------------------------------------------------


def test_defaults_match_the_original():
    processor = BatchProcessor()
    assert processor.max_concurrent == 10
    limits = processor.rate_limit
    assert (limits.requests_per_hour, limits.retry_delay, limits.max_retries, limits.threshold) == (
        5000,
        1.0,
        3,
        10,
    )


def test_custom_values_are_kept_including_zeros():
    limits = Limits(requests_per_hour=1000, retry_delay=0, max_retries=0, threshold=0)
    processor = BatchProcessor(3, limits)
    assert processor.max_concurrent == 3
    assert processor.rate_limit == limits


@pytest.mark.parametrize("bad", [0, -1])
def test_concurrency_below_one_is_refused_with_a_clear_message(bad):
    with pytest.raises(ValueError, match=r"max_concurrent must be at least 1"):
        BatchProcessor(bad)


def test_a_gate_and_separate_limits_are_refused():
    with pytest.raises(ValueError, match="either a gate"):
        BatchProcessor(gate=Gate(), rate_limit=Limits())


def test_processor_uses_a_given_gate_and_its_clock(clock):
    gate = make_gate(clock)
    processor = BatchProcessor(gate=gate)

    def slow(item, **_):
        clock.sleep(5)
        return done(item)

    result = processor.batch_upload(items(1), slow, repo="o/r", client=None, sync_map={})
    assert processor.gate is gate
    assert result.duration == 5


# --- seeds 4-7: batch upload -----------------------------------------------------------------


def run(processor, batch, fn=done, **kwargs):
    kwargs.setdefault("repo", "o/r")
    kwargs.setdefault("client", None)
    kwargs.setdefault("sync_map", {})
    return processor.batch_upload(batch, fn, **kwargs)


def test_ten_items_are_all_processed():
    calls = []

    def fn(item, **kw):
        calls.append(item)
        return done(item)

    result = run(BatchProcessor(), items(10), fn)
    assert (result.total, result.succeeded, result.failed) == (10, 10, 0)
    assert sorted(c.key for c in calls) == sorted(i.key for i in items(10))


def test_no_items_calls_nothing():
    calls = []
    result = run(BatchProcessor(), [], lambda item, **kw: calls.append(item))
    assert (result.total, result.failed, result.errors) == (0, 0, ())
    assert calls == []


def test_never_more_than_max_concurrent_in_flight():
    lock = threading.Lock()
    in_flight = [0]
    peak = [0]
    started = threading.Semaphore(0)
    release = threading.Event()

    def fn(item, **kw):
        with lock:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
        started.release()
        release.wait(5)
        with lock:
            in_flight[0] -= 1
        return done(item)

    results = []
    runner = threading.Thread(target=lambda: results.append(run(BatchProcessor(3), items(10), fn)))
    runner.start()
    for _ in range(3):
        assert started.acquire(timeout=5)
    # A fourth start would show up now if the bound leaked; give it a moment to try.
    assert not started.acquire(timeout=0.1)
    assert peak[0] == 3
    release.set()
    runner.join(5)
    assert results[0].succeeded == 10
    assert peak[0] == 3


def test_sync_fn_gets_item_repo_client_sync_map_and_dry_run():
    seen = []
    client = object()
    sync_map = {"item-0": 7}

    def fn(item, **kwargs):
        seen.append((item, kwargs))
        return done(item)

    run(BatchProcessor(), items(1), fn, repo="octo/repo", client=client, sync_map=sync_map)
    item, kwargs = seen[0]
    assert item == items(1)[0]
    assert kwargs == {"repo": "octo/repo", "client": client, "sync_map": sync_map, "dry_run": False}
    assert kwargs["sync_map"] is sync_map


def test_outcomes_are_in_input_order_when_items_finish_out_of_order():
    first_may_finish = threading.Event()

    def fn(item, **kw):
        if item.key == "item-0":
            first_may_finish.wait(5)
        else:
            first_may_finish.set()
        return done(item)

    result = run(BatchProcessor(2), items(4), fn)
    assert [o.key for o in result.outcomes] == ["item-0", "item-1", "item-2", "item-3"]


# --- seeds 8-12: rate limiting ---------------------------------------------------------------


class Client:
    """What the engine's adapter does: every request through the gate."""

    def __init__(self, gate, script):
        self.gate = gate
        self.script = script

    def read(self):
        return self.gate.call(Op.READ, self.script)

    def write(self):
        return self.gate.call(Op.WRITE, self.script)

    def create(self):
        return self.gate.call(Op.CREATE, self.script)


def reading(item, *, client, **_):
    client.read()
    return done(item)


def test_response_headers_update_the_reported_rate_limit(clock):
    gate = make_gate(clock)
    script = Script(clock, ("ok", rl_headers(4990, T0 + 3000)), ("ok", rl_headers(4989, T0 + 3000)))
    result = run(BatchProcessor(1, gate=gate), items(2), reading, client=Client(gate, script))
    assert result.rate_limit is not None
    assert (result.rate_limit.remaining, result.rate_limit.reset) == (4989, T0 + 3000)


def test_headers_of_failed_responses_update_the_state_too(clock):
    gate = make_gate(clock)
    script = Script(
        clock, errors_module.NotFoundError(404, "Not Found", headers=rl_headers(321, T0 + 60))
    )
    with pytest.raises(errors_module.NotFoundError):
        gate.call(Op.READ, script)
    assert gate.snapshot is not None
    assert gate.snapshot.remaining == 321


def test_observe_updates_the_state():
    gate = Gate()
    gate.observe(rl_headers(77, T0 + 60))
    assert gate.snapshot is not None
    assert gate.snapshot.remaining == 77


def test_waits_until_reset_when_remaining_is_at_threshold(clock):
    gate = make_gate(clock, Limits(threshold=10, write_interval=0))
    script = Script(clock, ("ok", rl_headers(10, T0 + 300)), ("ok", rl_headers(4999, T0 + 3900)))
    gate.call(Op.READ, script)
    gate.call(Op.READ, script)
    assert script.sent == [T0, T0 + 300 + RESET_MARGIN]


def test_requests_in_flight_are_counted_against_the_remaining_budget(clock):
    gate = make_gate(clock, dataclasses.replace(QUICK, threshold=0))
    gate.observe(rl_headers(2, T0 + 300))
    two_out = threading.Barrier(3, timeout=5)
    sent = []

    def held():
        sent.append(clock())
        two_out.wait()  # two requests in flight, each about to spend the last of the budget
        return "ok", {}

    lanes = [threading.Thread(target=gate.call, args=(Op.READ, held)) for _ in range(2)]
    gate.call(Op.READ, lambda: ("ok", rl_headers(2, T0 + 300)))
    for lane in lanes:
        lane.start()
    while len(sent) < 2:
        time.sleep(0.001)
    third = Script(clock)
    waiter = threading.Thread(target=gate.call, args=(Op.READ, third))
    waiter.start()
    while not third.sent:  # it is sent (at once or after the pause) while the two are out
        time.sleep(0.001)
    two_out.wait()
    for thread in [*lanes, waiter]:
        thread.join(5)
    assert third.sent == [T0 + 300 + RESET_MARGIN]


def test_no_wait_when_remaining_is_above_threshold(clock):
    gate = make_gate(clock, Limits(threshold=10, write_interval=0))
    script = Script(clock, ("ok", rl_headers(11, T0 + 300)), ("ok", {}))
    gate.call(Op.READ, script)
    gate.call(Op.READ, script)
    assert clock.sleeps == []


def test_rate_limited_item_is_retried_with_backoff_and_then_succeeds(clock):
    gate = make_gate(clock, dataclasses.replace(QUICK, secondary_wait=60))
    script = Script(clock, secondary(), secondary(), ("ok", {}))
    result = run(BatchProcessor(1, gate=gate), items(1), reading, client=Client(gate, script))
    assert result.succeeded == 1
    assert script.sent == [T0, T0 + 60, T0 + 180]


def test_persistent_rate_limit_fails_the_item_after_the_retries_saying_so(clock):
    gate = make_gate(clock, dataclasses.replace(QUICK, max_retries=3))
    script = Script(clock, default=secondary(**{"retry-after": "2"}))
    result = run(BatchProcessor(1, gate=gate), items(1), reading, client=Client(gate, script))
    assert result.failed == 1
    assert "gave up after 3 retries" in result.errors[0].error
    assert len(script.sent) == 4
    assert clock.sleeps == [2, 2, 2]  # none after the last attempt


def test_retry_after_is_obeyed(clock):
    gate = make_gate(clock)
    script = Script(clock, secondary(**{"retry-after": "17"}), ("ok", {}))
    assert gate.call(Op.CREATE, script) == "ok"
    assert script.sent == [T0, T0 + 17]


def test_exhausted_primary_waits_for_the_reset(clock):
    gate = make_gate(clock, dataclasses.replace(QUICK, threshold=0))
    limited = errors_module.error_from_response(
        403, "API rate limit exceeded for installation ID 1.", headers=rl_headers(0, T0 + 120)
    )
    script = Script(clock, limited, ("ok", rl_headers(4999, T0 + 3720)))
    gate.call(Op.READ, script)
    assert script.sent == [T0, T0 + 120 + RESET_MARGIN]


def test_a_limit_pauses_every_later_request_not_only_the_one_that_hit_it(clock):
    gate = make_gate(clock, dataclasses.replace(QUICK, max_retries=0))
    with pytest.raises(errors_module.RateLimitError):
        gate.call(Op.WRITE, Script(clock, secondary(**{"retry-after": "30"})))
    other = Script(clock)
    gate.call(Op.READ, other)
    assert other.sent == [T0 + 30]


def test_a_limit_hit_in_one_lane_holds_requests_in_another(clock):
    gate = make_gate(clock)
    limited = threading.Event()
    sent_by_b = []

    def lane_b():
        limited.wait(5)
        gate.call(Op.READ, lambda: (sent_by_b.append(clock()), {}))

    b = threading.Thread(target=lane_b)
    b.start()

    def hit():
        if not limited.is_set():
            limited.set()
            raise secondary(**{"retry-after": "40"})
        return "ok", {}

    gate.call(Op.READ, hit)
    b.join(5)
    assert sent_by_b
    assert sent_by_b[0] >= T0 + 40


def test_secondary_without_hint_doubles_on_repeats_and_resets_after_success(clock):
    gate = make_gate(clock, dataclasses.replace(QUICK, max_retries=5))
    script = Script(
        clock, secondary(), secondary(), secondary(), ("ok", {}), secondary(), ("ok", {})
    )
    gate.call(Op.READ, script)
    gate.call(Op.READ, script)
    gaps = [b - a for a, b in itertools.pairwise(script.sent)]
    assert gaps == [60, 120, 240, 0, 60]


def test_limit_answers_to_requests_already_in_flight_count_as_one_repeat(clock):
    gate = make_gate(clock, dataclasses.replace(QUICK, max_retries=0))
    both_sent = threading.Barrier(2, timeout=5)

    def limited():
        both_sent.wait()
        raise secondary()

    errors = []

    def lane():
        try:
            gate.call(Op.READ, limited)
        except errors_module.RateLimitError as exc:
            errors.append(exc)

    lanes = [threading.Thread(target=lane) for _ in range(2)]
    # The first request checks the token alone; answer it so both lanes may send together.
    gate.call(Op.READ, lambda: ("ok", {}))
    for t in lanes:
        t.start()
    for t in lanes:
        t.join(5)
    assert len(errors) == 2
    after = Script(clock)
    gate.call(Op.READ, after)
    assert after.sent == [T0 + 60]  # one pause of 60 s, not doubled by the echo


@pytest.mark.parametrize("op", [Op.READ, Op.WRITE])
def test_server_errors_are_retried_with_doubling_backoff(op, clock):
    gate = make_gate(clock, dataclasses.replace(QUICK, retry_delay=1.0))
    script = Script(
        clock,
        errors_module.ServerError(502, "Bad Gateway"),
        errors_module.ServerError(503, "x"),
        ("done", {}),
    )
    assert gate.call(op, script) == "done"
    first, second = clock.sleeps
    assert 1.0 <= first <= 1.25
    assert 2.0 <= second <= 2.5


def test_transport_errors_on_reads_are_retried(clock):
    gate = make_gate(clock)
    script = Script(
        clock, errors_module.TransportError("GET", "/x", "connection reset"), ("done", {})
    )
    assert gate.call(Op.READ, script) == "done"
    assert len(script.sent) == 2


@pytest.mark.parametrize(
    "error",
    [
        errors_module.ServerError(502, "Bad Gateway"),
        errors_module.TransportError("POST", "/x", "timed out"),
    ],
)
def test_a_create_without_a_usable_answer_is_uncertain_and_never_resent(error, clock):
    gate = make_gate(clock)
    script = Script(clock, error, ("created", {}))
    with pytest.raises(errors_module.UncertainWriteError) as caught:
        gate.call(Op.CREATE, script)
    assert caught.value.cause is error
    assert len(script.sent) == 1
    assert clock.sleeps == []


@pytest.mark.parametrize(
    "error",
    [
        errors_module.ApiError(400, "Problems parsing JSON"),
        errors_module.NotFoundError(404, "Not Found"),
        errors_module.ValidationFailed(422, "Validation Failed"),
    ],
)
@pytest.mark.parametrize("op", list(Op))
def test_client_errors_are_raised_at_once(op, error, clock):
    gate = make_gate(clock)
    script = Script(clock, error, ("ok", {}))
    with pytest.raises(type(error)):
        gate.call(op, script)
    assert len(script.sent) == 1
    assert clock.sleeps == []


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (errors_module.AuthError(401, "Bad credentials"), errors_module.StopKind.BAD_CREDENTIALS),
        (
            errors_module.ForbiddenError(403, "Resource not accessible by integration"),
            errors_module.StopKind.MISSING_PERMISSION,
        ),
    ],
)
@pytest.mark.parametrize("op", list(Op))
def test_a_refused_token_stops_the_run_at_once(op, error, kind, clock):
    gate = make_gate(clock)
    script = Script(clock, error, ("ok", {}))
    with pytest.raises(errors_module.RunStop) as caught:
        gate.call(op, script)
    assert (caught.value.kind, caught.value.cause) == (kind, error)
    assert gate.stopped is not None
    assert len(script.sent) == 1
    assert clock.sleeps == []
    later = Script(clock)
    for later_op in Op:  # nothing more is sent, whatever it is
        with pytest.raises(errors_module.RunStop):
            gate.call(later_op, later)
    assert later.sent == []


def test_bad_token_stops_the_batch_after_one_request(clock):
    gate = make_gate(clock)
    sent = []

    def slow_401():
        sent.append(clock())
        time.sleep(0.1)  # the answer takes a while: other lanes would send meanwhile
        raise errors_module.AuthError(401, "Bad credentials")

    client = Client(gate, slow_401)
    with pytest.raises(errors_module.RunStop) as caught:
        run(BatchProcessor(5, gate=gate), items(20), reading, client=client)
    assert caught.value.kind is errors_module.StopKind.BAD_CREDENTIALS
    assert len(sent) == 1


def test_after_the_first_answer_lanes_send_side_by_side(clock):
    gate = make_gate(clock)
    gate.call(Op.READ, lambda: ("ok", {}))
    together = threading.Barrier(3, timeout=5)

    def read():
        together.wait()  # breaks (and fails the test) unless three requests are out at once
        return "ok", {}

    result = run(BatchProcessor(3, gate=gate), items(3), reading, client=Client(gate, read))
    assert result.succeeded == 3


def test_a_refusal_is_raised_after_running_items_finish_and_nothing_new_starts():
    second_started = threading.Event()
    release = threading.Event()
    started = []

    def fn(item, **kw):
        started.append(item.key)
        if item.key == "item-0":
            second_started.wait(5)
            raise errors_module.RunStop.refused(errors_module.AuthError(401, "Bad credentials"))
        if item.key == "item-1":
            second_started.set()
            release.wait(5)
            started.append("item-1 finished")
        return done(item)

    errors = []

    def runner():
        try:
            run(BatchProcessor(2), items(6), fn)
        except errors_module.RunStop as exc:
            errors.append(exc)

    thread = threading.Thread(target=runner)
    thread.start()
    thread.join(0.2)
    assert thread.is_alive()  # waiting for item-1, which is still running
    release.set()
    thread.join(5)
    assert len(errors) == 1
    assert sorted(started) == ["item-0", "item-1", "item-1 finished"]


# --- the write lane and the content budget -----------------------------------------------------


def test_writes_start_at_least_the_interval_apart(clock):
    gate = make_gate(clock, dataclasses.replace(QUICK, write_interval=1.0))
    script = Script(clock)
    for op in (Op.WRITE, Op.CREATE, Op.WRITE):
        gate.call(op, script)
    assert script.sent == [T0, T0 + 1, T0 + 2]


def test_reads_are_not_paced(clock):
    gate = make_gate(clock, dataclasses.replace(QUICK, write_interval=1.0))
    script = Script(clock)
    gate.call(Op.WRITE, script)
    gate.call(Op.READ, script)
    gate.call(Op.READ, script)
    assert script.sent == [T0, T0, T0]


def test_concurrent_writes_go_one_at_a_time_and_paced(clock):
    gate = make_gate(clock, dataclasses.replace(QUICK, write_interval=1.0))
    lock = threading.Lock()
    in_flight = [0]
    peak = [0]
    sent = []

    def write():
        with lock:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
            sent.append(clock())
        time.sleep(0.005)  # let another lane try to overlap
        with lock:
            in_flight[0] -= 1
        return "ok", {}

    def sync(item, **kw):
        gate.call(Op.WRITE, write)
        return done(item)

    result = run(BatchProcessor(4, gate=gate), items(8), sync)
    assert result.succeeded == 8
    assert peak[0] == 1
    assert all(b - a >= 1.0 for a, b in itertools.pairwise(sent))


def test_creates_keep_the_per_minute_budget(clock):
    gate = make_gate(clock, dataclasses.replace(QUICK, creates_per_minute=2))
    script = Script(clock)
    for _ in range(3):
        gate.call(Op.CREATE, script)
    assert script.sent == [T0, T0, T0 + 60]


def test_creates_keep_the_per_hour_budget(clock):
    gate = make_gate(clock, dataclasses.replace(QUICK, creates_per_hour=3))
    script = Script(clock)
    for _ in range(4):
        gate.call(Op.CREATE, script)
    assert script.sent[3] == T0 + 3600


def test_updates_do_not_spend_the_creation_budget(clock):
    gate = make_gate(clock, dataclasses.replace(QUICK, creates_per_minute=1))
    script = Script(clock)
    gate.call(Op.CREATE, script)
    for _ in range(5):
        gate.call(Op.WRITE, script)
    assert clock.sleeps == []


def test_requests_keep_the_points_budget_counted_from_their_answers(clock):
    gate = make_gate(clock, dataclasses.replace(QUICK, points_per_minute=10))
    sent = []

    def slow():
        sent.append(clock())
        clock.sleep(2)  # the answer takes 2 s: GitHub may have counted it at any point
        return "ok", {}

    gate.call(Op.WRITE, slow)
    gate.call(Op.WRITE, slow)
    gate.call(Op.READ, slow)
    assert sent == [T0, T0 + 2, T0 + 62]


def test_pacing_and_budgets_at_zero_are_off(clock):
    gate = make_gate(clock, QUICK)
    for _ in range(200):
        gate.call(Op.CREATE, Script(clock))
    assert clock.sleeps == []


# --- the deadline ---------------------------------------------------------------------------


def test_no_write_starts_at_or_after_the_deadline(clock):
    gate = make_gate(clock, deadline=T0)
    script = Script(clock)
    with pytest.raises(errors_module.BudgetExhausted):
        gate.call(Op.WRITE, script)
    assert script.sent == []


def test_reads_still_run_after_the_deadline(clock):
    gate = make_gate(clock, deadline=T0 - 1)
    assert gate.call(Op.READ, Script(clock, ("listed", {}))) == "listed"


def test_a_retry_wait_that_would_pass_the_deadline_ends_instead_of_sleeping(clock):
    gate = make_gate(clock, deadline=T0 + 30)
    script = Script(clock, secondary(), ("ok", {}))
    with pytest.raises(errors_module.BudgetExhausted) as caught:
        gate.call(Op.READ, script)
    assert clock.sleeps == []
    assert len(script.sent) == 1
    assert caught.value.resume_at == T0 + 60


def test_a_reset_wait_that_would_pass_the_deadline_ends_the_run(clock):
    gate = make_gate(clock, deadline=T0 + 100)
    gate.observe(rl_headers(3, T0 + 1800))
    with pytest.raises(errors_module.BudgetExhausted, match="reset"):
        gate.call(Op.READ, Script(clock))
    assert clock.sleeps == []


def test_a_pacing_wait_that_would_pass_the_deadline_ends_the_run_by_the_same_rule(clock):
    gate = make_gate(clock, dataclasses.replace(QUICK, write_interval=10.0), deadline=T0 + 5)
    gate.call(Op.WRITE, Script(clock))
    with pytest.raises(errors_module.BudgetExhausted) as caught:
        gate.call(Op.WRITE, Script(clock))
    assert caught.value.kind is errors_module.StopKind.TIME_BUDGET
    assert caught.value.resume_at == T0 + 10
    assert "waiting would pass the deadline by 5 s" in str(caught.value)
    assert clock.sleeps == []


def test_a_deadline_brought_forward_during_a_retry_wait_ends_the_wait_there(clock):
    gate = make_gate(clock, dataclasses.replace(QUICK, retry_delay=100.0), deadline=T0 + 3600)
    expiry = "2023-11-14 22:15:20 UTC"  # T0 + 120 s: the deadline becomes T0
    assert token_expiry({"github-authentication-token-expiration": expiry}) == T0 + 120

    def sleep(seconds):
        if not clock.sleeps:  # another lane's answer announces the token's expiry meanwhile
            other = threading.Thread(
                target=gate.call,
                args=(Op.READ, lambda: ("ok", {"github-authentication-token-expiration": expiry})),
            )
            other.start()
            other.join(5)
        clock.sleep(min(seconds, 1.0))

    gate._sleep = sleep
    script = Script(clock, errors_module.ServerError(502, "Bad Gateway"), ("ok", {}))
    with pytest.raises(errors_module.BudgetExhausted) as caught:
        gate.call(Op.WRITE, script)
    assert caught.value.kind is errors_module.StopKind.DEADLINE  # no write starts after it
    assert clock.slept == 1.0  # the wait ended at the new deadline, not after 100 s
    assert len(script.sent) == 1


def test_the_gate_builds_its_retry_policy_once_and_reuses_it(clock, monkeypatch):
    gate = make_gate(clock)
    policy = gate.policy

    def built_per_request(*args, **kwargs):
        raise AssertionError("a Retrying was built for one request")

    monkeypatch.setattr(retry_module, "Retrying", built_per_request)
    script = Script(clock, errors_module.ServerError(502, "Bad Gateway"), ("ok", {}))
    assert gate.call(Op.READ, script) == "ok"
    assert gate.call(Op.READ, Script(clock)) == "ok"
    assert gate.policy is policy
    assert len(script.sent) == 2


def test_budget_stop_marks_the_item_and_every_unstarted_item_not_done(clock):
    gate = make_gate(clock, dataclasses.replace(QUICK, write_interval=1.0), deadline=T0 + 3.5)
    script = Script(clock)
    started = []

    def writing(item, **kw):
        started.append(item.key)
        gate.call(Op.WRITE, script)
        return done(item)

    progress = []
    result = run(
        BatchProcessor(1, gate=gate),
        items(10),
        writing,
        on_progress=lambda d, t, item: progress.append((d, t, item.key)),
    )
    assert [o.action for o in result.outcomes] == [ItemAction.UPDATED] * 4 + [
        ItemAction.NOT_DONE
    ] * 6
    assert (result.not_done, result.failed) == (6, 0)
    assert script.sent == [T0, T0 + 1, T0 + 2, T0 + 3]
    assert len(started) == 5  # the item that hit the budget, and no other after it
    assert all("time budget" in o.reason for o in result.outcomes[4:])
    # progress counts the 4 items done; the 6 not done are never reported as done
    assert progress == [(d, 10, f"item-{d - 1}") for d in range(1, 5)]


# --- waits are reported ----------------------------------------------------------------------


def test_limit_waits_are_reported_with_reason_and_seconds_in_slices(clock):
    waits = []
    gate = make_gate(clock, on_wait=lambda reason, seconds: waits.append((reason, seconds)))
    gate.call(Op.READ, Script(clock, secondary(**{"retry-after": "25"}), ("ok", {})))
    assert [round(s) for _, s in waits] == [25, 15, 5]
    assert all("retry-after" in reason for reason, _ in waits)
    assert max(clock.sleeps) <= REPORT_EVERY
    assert clock.slept == 25


@pytest.mark.parametrize("headers", [{"retry-after": "25"}, {}])
def test_each_limit_answer_has_its_wait_worked_out_once(monkeypatch, headers, clock):
    worked_out = []

    def counted(*args, **kwargs):
        worked_out.append(args)
        return limit_wait(*args, **kwargs)

    monkeypatch.setattr(processor_module, "limit_wait", counted)
    gate = make_gate(clock, on_wait=lambda reason, seconds: None)
    script = Script(clock, secondary(**headers), secondary(**headers), ("ok", {}))
    gate.call(Op.READ, script)
    assert len(worked_out) == 2  # two limit answers, one wait each
    assert clock.slept == (50 if headers else 60 + 120)


def test_lanes_waiting_on_one_pause_report_it_once_per_interval(clock):
    reports = []
    gate = make_gate(
        clock,
        dataclasses.replace(QUICK, max_retries=0),
        on_wait=lambda reason, seconds: reports.append((clock(), reason)),
    )
    with pytest.raises(errors_module.RateLimitError):
        gate.call(Op.READ, Script(clock, secondary(**{"retry-after": "30"})))
    other_lane = []
    arrived = []

    def sleep_while_another_lane_waits(seconds):
        if not arrived:  # a second lane arrives at the same pause, mid-wait
            arrived.append(clock())
            other_lane.append(gate.call(Op.READ, Script(clock, ("second", {}))))
        clock.sleep(seconds)

    gate._sleep = sleep_while_another_lane_waits
    assert gate.call(Op.READ, Script(clock, ("first", {}))) == "first"
    assert other_lane == ["second"]
    times = [at for at, _ in reports]
    assert times[0] == T0
    assert all(b - a >= REPORT_EVERY for a, b in itertools.pairwise(times))


def test_write_pacing_is_not_reported(clock):
    waits = []
    gate = make_gate(
        clock, dataclasses.replace(QUICK, write_interval=1.0), on_wait=lambda r, s: waits.append(r)
    )
    for _ in range(3):
        gate.call(Op.WRITE, Script(clock))
    assert waits == []
    assert clock.slept == 2


def test_a_failing_wait_callback_is_logged_and_ignored(caplog, clock):

    def broken(reason, seconds):
        raise RuntimeError("display gone")

    gate = make_gate(clock, on_wait=broken)
    with caplog.at_level(logging.ERROR, logger="batchsync"):
        assert (
            gate.call(Op.READ, Script(clock, secondary(**{"retry-after": "3"}), ("ok", {}))) == "ok"
        )
    assert "on_wait" in caplog.text


# --- seeds 13-16: error recovery --------------------------------------------------------------


def failing_on(keys, error=None):
    def fn(item, **kw):
        if item.key in keys:
            raise error or errors_module.ValidationFailed(422, f"body of {item.key} is too long")
        return done(item)

    return fn


def test_one_item_failing_does_not_stop_the_others():
    result = run(BatchProcessor(1), items(5), failing_on({"item-0"}))
    assert [o.action for o in result.outcomes] == [ItemAction.FAILED] + [ItemAction.UPDATED] * 4


def test_every_error_is_collected_with_its_item_and_message():
    result = run(BatchProcessor(3), items(5), failing_on({"item-1", "item-3"}))
    assert [(o.key, o.path) for o in result.errors] == [
        ("item-1", "tasks/1.md"),
        ("item-3", "tasks/3.md"),
    ]
    assert "body of item-1 is too long" in result.errors[0].error
    assert result.errors[0].kind == "task"


def test_partial_success_is_reported_as_such():
    result = run(BatchProcessor(4), items(10), failing_on({f"item-{i}" for i in range(4)}))
    assert (result.total, result.succeeded, result.failed) == (10, 6, 4)


def test_the_error_record_carries_the_detail():
    error = errors_module.TransportError("GET", "/repos/o/r/issues", "read timed out after 10 s")
    result = run(BatchProcessor(1), items(1), failing_on({"item-0"}, error))
    assert "read timed out after 10 s" in result.errors[0].error


def test_an_item_error_is_a_typed_item_failure():
    error = errors_module.ItemError("epics/a/epic.md", 4, "frontmatter is not valid YAML")
    result = run(BatchProcessor(1), items(1), failing_on({"item-0"}, error))
    failure = result.errors[0].failure
    assert failure is not None
    assert (failure.kind, failure.message) == (
        errors_module.FailureKind.ITEM,
        "frontmatter is not valid YAML",
    )
    assert not failure.retryable


def test_a_describe_function_builds_the_outcomes_the_sync_function_did_not():
    def describe(item, action, failure, reason):
        return Outcome(item.key, "task", f".claude/{item.path}", action, failure=failure)

    result = run(BatchProcessor(1), items(2), failing_on({"item-0"}), describe=describe)
    assert result.outcomes[0].path == ".claude/tasks/0.md"
    failure = result.outcomes[0].failure
    assert failure is not None
    assert failure.kind is errors_module.FailureKind.REJECTED
    assert result.outcomes[1].path == "tasks/1.md"  # the sync function's own outcome


def test_an_unexpected_exception_names_its_type():
    result = run(BatchProcessor(1), items(1), failing_on({"item-0"}, KeyError("title")))
    assert result.errors[0].error == "KeyError: 'title'"


def test_an_item_without_key_attributes_is_named_by_its_text():
    def fn(item, **kw):
        raise ValueError("nope")

    result = run(BatchProcessor(1), ["plain"], fn)
    assert (result.errors[0].key, result.errors[0].kind) == ("plain", "")


# --- seeds 17-19: progress --------------------------------------------------------------------


def test_progress_is_called_once_per_item_counting_to_the_total():
    calls = []
    run(BatchProcessor(3), items(7), on_progress=lambda d, t, item: calls.append((d, t)))
    assert calls == [(d, 7) for d in range(1, 8)]


def test_progress_counts_are_monotonic_when_items_finish_out_of_order():
    first_may_finish = threading.Event()
    calls = []

    def fn(item, **kw):
        if item.key == "item-0":
            first_may_finish.wait(5)
        elif item.key == "item-3":
            first_may_finish.set()
        return done(item)

    run(BatchProcessor(2), items(5), fn, on_progress=lambda d, t, item: calls.append((d, item.key)))
    assert [d for d, _ in calls] == [1, 2, 3, 4, 5]
    assert calls[0][1] != "item-0"  # it really finished out of order


def test_each_progress_call_carries_the_item_it_reports():
    calls = []
    batch = items(6)
    run(BatchProcessor(3), batch, on_progress=lambda d, t, item: calls.append(item))
    assert sorted(calls, key=lambda i: i.key) == batch


def test_a_raising_progress_callback_is_logged_and_the_batch_goes_on(caplog):
    def broken(done_count, total, item):
        raise RuntimeError("terminal closed")

    with caplog.at_level(logging.ERROR, logger="batchsync"):
        result = run(BatchProcessor(2), items(4), on_progress=broken)
    assert result.succeeded == 4
    assert "progress callback" in caplog.text


# --- seeds 20-22: performance and duration ----------------------------------------------------


def test_a_thousand_items_against_a_fast_fake_are_all_done():
    result = run(BatchProcessor(10), items(1000))
    assert (result.total, result.succeeded) == (1000, 1000)


def test_memory_for_a_thousand_items_stays_under_100_mb():
    batch = items(1000)
    tracemalloc.start()
    try:
        run(BatchProcessor(10), batch)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 100 * 1024 * 1024


def test_the_result_carries_the_duration_measured_on_the_clock(clock):

    def slow(item, **kw):
        clock.sleep(2.5)
        return done(item)

    result = BatchProcessor(1, clock=clock, sleep=clock.sleep).batch_upload(
        items(4), slow, repo="o/r", client=None, sync_map={}
    )
    assert result.duration == 10.0


# --- seeds 23-25: dry run ----------------------------------------------------------------------


def test_dry_run_reaches_the_sync_function_which_then_writes_nothing(clock):
    gate = make_gate(clock)
    script = Script(clock)
    client = Client(gate, script)

    def sync(item, *, client, dry_run, **kw):
        client.read()
        if not dry_run:
            client.create()
        action = ItemAction.PLANNED_CREATE if dry_run else ItemAction.CREATED
        return Outcome(item.key, item.kind, item.path, action)

    run(BatchProcessor(2, gate=gate), items(3), sync, client=client, dry_run=True)
    assert len(script.sent) == 3  # the reads only


def test_dry_run_previews_count_as_planned_not_failed():
    def preview(item, **kw):
        return Outcome(item.key, item.kind, item.path, ItemAction.PLANNED_UPDATE)

    result = run(BatchProcessor(), items(3), preview, dry_run=True)
    assert (result.succeeded, result.failed) == (3, 0)
    assert result.count(ItemAction.PLANNED_UPDATE) == 3


def test_dry_run_leaves_the_sync_map_untouched():
    sync_map = {"item-0": 100}

    def careless(item, *, sync_map, **kw):
        sync_map[item.key] = 999
        return done(item)

    result = run(BatchProcessor(1), items(2), careless, sync_map=sync_map, dry_run=True)
    assert sync_map == {"item-0": 100}
    assert result.failed == 2


# --- seeds 26-27: integration ------------------------------------------------------------------


def test_prds_epics_and_tasks_share_one_processor_and_its_rate_limit_state(clock):
    gate = make_gate(clock, dataclasses.replace(QUICK, threshold=10))
    script = Script(clock, ("ok", rl_headers(10, T0 + 600)), default=("ok", {}))
    processor = BatchProcessor(2, gate=gate)
    client = Client(gate, script)
    prds = [Item("prd-1", "prd")]
    epics = [Item("epic-1", "epic")]
    tasks = [Item("task-1", "task")]
    results = [run(processor, phase, reading, client=client) for phase in (prds, epics, tasks)]
    assert [r.succeeded for r in results] == [1, 1, 1]
    # The epic phase starts with what the PRD phase learned: at the threshold, so it waits.
    assert script.sent[1] == T0 + 600 + RESET_MARGIN
    assert results[2].rate_limit is not None


def test_the_result_summary_has_total_succeeded_failed_duration_and_errors():
    result = run(BatchProcessor(2), items(3), failing_on({"item-2"}))
    assert isinstance(result, BatchResult)
    assert (result.total, result.succeeded, result.failed) == (3, 2, 1)
    assert result.duration >= 0
    assert [o.key for o in result.errors] == ["item-2"]
