"""Rate-limit arithmetic: header parsing, GitHub's wait order, backoff, budgets, retry policy."""

import random

import pytest

from batchsync.ratelimit import (
    JITTER,
    PACING,
    PAUSE,
    RESET_MARGIN,
    CreationBudget,
    Limits,
    Op,
    RateLimitSnapshot,
    SlidingWindow,
    backoff_delay,
    earliest_start,
    jittered,
    limit_wait,
    merge_snapshot,
    parse_retry_after,
    points_of,
    threshold_pause_until,
    window_free_at,
)

NOW = 1_700_000_000.0


def snap(remaining, reset, limit=5000):
    return RateLimitSnapshot(limit=limit, remaining=remaining, reset=reset)


# --- Limits -------------------------------------------------------------------------------


def test_limits_defaults_are_the_documented_ones():
    limits = Limits()
    assert (limits.threshold, limits.max_retries, limits.retry_delay) == (10, 3, 1.0)
    assert (limits.write_interval, limits.creates_per_minute, limits.creates_per_hour) == (
        1.0,
        80,
        500,
    )
    assert (limits.secondary_wait, limits.requests_per_hour) == (60.0, 5000)
    assert limits.points_per_minute == 900


def test_limits_keep_zero_values():
    limits = Limits(max_retries=0, retry_delay=0, write_interval=0, creates_per_minute=0)
    assert (limits.max_retries, limits.retry_delay, limits.write_interval) == (0, 0, 0)
    assert limits.creates_per_minute == 0


@pytest.mark.parametrize("name", ["threshold", "max_retries", "retry_delay", "write_interval"])
def test_limits_refuse_negative_values_naming_the_field(name):
    with pytest.raises(ValueError, match=name):
        Limits(**{name: -1})


# --- seed 28: header parsing --------------------------------------------------------------


def test_headers_parse_to_numbers_in_any_case():
    parsed = RateLimitSnapshot.from_headers(
        {
            "X-RateLimit-Limit": "5000",
            "X-RateLimit-Remaining": "4987",
            "X-RateLimit-Used": "13",
            "X-RateLimit-Reset": "1700003600",
            "X-RateLimit-Resource": "core",
        }
    )
    assert parsed == RateLimitSnapshot(5000, 4987, 13, 1_700_003_600.0, "core")


def test_headers_without_rate_limit_fields_give_none():
    assert RateLimitSnapshot.from_headers({"content-type": "application/json"}) is None


def test_unparsable_header_values_are_ignored():
    parsed = RateLimitSnapshot.from_headers(
        {"x-ratelimit-remaining": "12", "x-ratelimit-reset": "x"}
    )
    assert parsed is not None
    assert parsed.remaining == 12
    assert parsed.reset is None


# --- seeds 29-31: should wait, wait until reset ----------------------------------------------


def pauses(
    snapshot: RateLimitSnapshot | None, threshold: int, now: float, in_flight: int = 0
) -> bool:
    return threshold_pause_until(snapshot, threshold, now, in_flight) is not None


def test_pauses_true_at_or_below_threshold():
    assert pauses(snap(10, NOW + 60), 10, NOW)
    assert pauses(snap(0, NOW + 60), 10, NOW)


def test_pauses_false_far_from_threshold():
    assert not pauses(snap(4000, NOW + 60), 10, NOW)
    assert not pauses(snap(11, NOW + 60), 10, NOW)


def test_requests_in_flight_count_against_the_remaining_budget():
    assert not pauses(snap(3, NOW + 60), 0, NOW, in_flight=2)
    assert pauses(snap(3, NOW + 60), 0, NOW, in_flight=3)


def test_pauses_false_once_reset_has_passed():
    assert not pauses(snap(0, NOW - 5), 10, NOW)


def test_pauses_false_without_state():
    assert not pauses(None, 10, NOW)
    assert not pauses(RateLimitSnapshot(remaining=0), 10, NOW)


def test_threshold_pause_lasts_until_reset_time():
    assert threshold_pause_until(snap(3, NOW + 120), 10, NOW) == NOW + 120 + RESET_MARGIN


# --- merging snapshots from concurrent answers ----------------------------------------------


def test_merge_takes_a_newer_window():
    assert merge_snapshot(snap(5, NOW), snap(4999, NOW + 3600)) == snap(4999, NOW + 3600)


def test_merge_ignores_an_answer_from_an_older_window():
    assert merge_snapshot(snap(4999, NOW + 3600), snap(5, NOW)) == snap(4999, NOW + 3600)


def test_merge_keeps_the_lower_remaining_within_one_window():
    merged = merge_snapshot(snap(100, NOW), snap(103, NOW))
    assert merged is not None
    assert merged.remaining == 100


def test_merge_ignores_other_resources():
    search = RateLimitSnapshot(limit=30, remaining=2, reset=NOW + 60, resource="search")
    assert merge_snapshot(snap(4000, NOW), search) == snap(4000, NOW)


def test_merge_with_nothing_new_keeps_the_old():
    assert merge_snapshot(snap(100, NOW), None) == snap(100, NOW)
    assert merge_snapshot(None, snap(100, NOW)) == snap(100, NOW)


# --- GitHub's wait order ------------------------------------------------------------------


def test_retry_after_comes_first():
    headers = {
        "retry-after": "30",
        "x-ratelimit-remaining": "0",
        "x-ratelimit-reset": str(NOW + 900),
    }
    seconds, reason = limit_wait(headers, NOW, 1, 60.0)
    assert seconds == 30
    assert "retry-after" in reason


def test_exhausted_primary_waits_until_reset():
    headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(NOW) + 900)}
    seconds, reason = limit_wait(headers, NOW, 1, 60.0)
    assert seconds == 900 + RESET_MARGIN
    assert "reset" in reason


def test_secondary_without_hint_waits_the_base_then_doubles():
    waits = [limit_wait({}, NOW, repeat, 60.0)[0] for repeat in (1, 2, 3)]
    assert waits == [60.0, 120.0, 240.0]


def test_remaining_above_zero_is_not_a_reset_wait():
    headers = {"x-ratelimit-remaining": "12", "x-ratelimit-reset": str(int(NOW) + 900)}
    assert limit_wait(headers, NOW, 1, 60.0)[0] == 60.0


def test_retry_after_as_an_http_date():
    assert parse_retry_after("Tue, 14 Nov 2023 22:14:20 GMT", 1_699_999_960.0) == 100.0


def test_retry_after_garbage_is_no_hint():
    assert parse_retry_after("soon", NOW) is None
    assert parse_retry_after(None, NOW) is None


def test_retry_after_in_the_past_is_zero():
    assert parse_retry_after("-5", NOW) == 0.0


# --- seed 12: exponential backoff ----------------------------------------------------------


def test_backoff_doubles():
    assert backoff_delay(2, 1.5) == 2 * backoff_delay(1, 1.5)
    assert backoff_delay(3, 1.5) == 4 * backoff_delay(1, 1.5)
    assert backoff_delay(1, 1.5) == 1.5


def test_backoff_with_zero_delay_is_zero():
    assert backoff_delay(3, 0.0) == 0.0


def test_jitter_stays_between_the_delay_and_a_quarter_more():
    rng = random.Random(7)
    values = [jittered(4.0, rng) for _ in range(200)]
    assert all(4.0 <= v <= 4.0 * (1 + JITTER) for v in values)
    assert len(set(values)) > 1


# --- content-creation budget --------------------------------------------------------------


def ones(*times):
    return [(t, 1) for t in times]


def test_window_allows_until_the_cap():
    assert window_free_at(ones(NOW - 10, NOW - 5), NOW, cap=3, window=60.0) == NOW


def test_window_full_waits_for_the_oldest_counted_entry_to_leave():
    assert window_free_at(ones(NOW - 50, NOW - 10, NOW - 5), NOW, cap=3, window=60.0) == NOW + 10


def test_window_ignores_entries_already_out_of_it():
    assert window_free_at(ones(NOW - 70, NOW - 65, NOW - 5), NOW, cap=2, window=60.0) == NOW


def test_window_cap_zero_is_off():
    assert window_free_at(ones(*[NOW] * 1000), NOW, cap=0, window=60.0) == NOW


def test_window_weighs_costs():
    entries = [(NOW - 50, 5), (NOW - 40, 5), (NOW - 30, 1)]
    # 11 used of 15: a 5-point write must wait until the first 5 points leave.
    assert window_free_at(entries, NOW, cap=15, window=60.0, cost=5) == NOW + 10
    assert window_free_at(entries, NOW, cap=15, window=60.0, cost=4) == NOW


def test_window_counts_pending_requests():
    assert window_free_at(ones(NOW - 50), NOW, cap=2, window=60.0, pending=1) == NOW + 10


def test_sliding_window_holds_units_until_the_answer_and_counts_from_it():
    window = SlidingWindow(cap=1, window=60.0)
    window.reserve()
    assert window.earliest(NOW) == NOW + 60  # unanswered: nothing to measure from yet
    window.settle(NOW + 2)
    assert window.pending == 0
    assert window.earliest(NOW + 3) == NOW + 62


def test_sliding_window_forgets_old_entries():
    window = SlidingWindow(cap=1, window=60.0)
    window.record(NOW)
    assert window.earliest(NOW + 60) == NOW + 60
    assert window.earliest(NOW + 61) == NOW + 61


def test_points_are_one_for_reads_and_five_for_writes():
    assert [points_of(op) for op in (Op.READ, Op.WRITE, Op.CREATE)] == [1, 5, 5]


def test_creation_budget_per_minute():
    budget = CreationBudget(per_minute=2, per_hour=0)
    budget.record(NOW)
    budget.record(NOW + 1)
    at, reason = budget.earliest(NOW + 2)
    assert at == NOW + 60
    assert "a minute" in reason


def test_creation_budget_per_hour():
    budget = CreationBudget(per_minute=0, per_hour=3)
    for offset in (0, 100, 200):
        budget.record(NOW + offset)
    at, reason = budget.earliest(NOW + 300)
    assert at == NOW + 3600
    assert "an hour" in reason


def test_creation_budget_forgets_starts_older_than_an_hour():
    budget = CreationBudget(per_minute=0, per_hour=1)
    budget.record(NOW)
    assert budget.earliest(NOW + 3600)[0] == NOW + 3600


# --- when a request may start ---------------------------------------------------------------


def start(op, **overrides):
    args = {
        "limits": Limits(),
        "pause_until": 0.0,
        "snapshot": None,
        "last_write_start": None,
        "budget": CreationBudget(80, 500),
    }
    args.update(overrides)
    return earliest_start(op, NOW, **args)


def test_reads_are_not_paced_by_writes():
    assert start(Op.READ, last_write_start=NOW)[0] == NOW


def test_writes_keep_the_write_interval():
    assert start(Op.WRITE, last_write_start=NOW - 0.25) == (NOW + 0.75, PACING)


def test_write_interval_zero_is_off():
    assert start(Op.CREATE, last_write_start=NOW, limits=Limits(write_interval=0))[0] == NOW


def test_a_pause_holds_every_kind_of_request():
    for op in Op:
        assert start(op, pause_until=NOW + 30) == (NOW + 30, PAUSE)


def test_a_spent_primary_budget_holds_reads_too():
    at, reason = start(Op.READ, snapshot=snap(2, NOW + 500))
    assert at == NOW + 500 + RESET_MARGIN
    assert "threshold" in reason


def test_the_points_budget_holds_every_kind_of_request():
    points = SlidingWindow(cap=10, window=60.0)
    points.record(NOW - 30, 8)
    assert start(Op.READ, points=points)[0] == NOW
    at, reason = start(Op.WRITE, points=points)
    assert at == NOW + 30
    assert "points" in reason


def test_only_creates_count_against_the_creation_budget():
    budget = CreationBudget(per_minute=1, per_hour=0)
    budget.record(NOW - 1)
    assert start(Op.WRITE, budget=budget)[0] == NOW
    assert start(Op.CREATE, budget=budget)[0] == NOW + 59
