"""The emulator's rate limiter, on a manual clock."""

from __future__ import annotations

import pytest

from batchsync.emulator import LimitConfig, ManualClock
from batchsync.emulator.limits import Limiter, Resource, Verdict
from batchsync.emulator.protocol import Identity

WHO = Identity(1, "github-actions[bot]", 41898282, "installation", "write")
OTHER = Identity(2, "someone", 7, "user", "write")

QUIET = LimitConfig(
    max_in_flight=None,
    points_per_minute=None,
    creates_per_minute=None,
    creates_per_hour=None,
    server_seconds_per_minute=None,
)


def admit(limiter: Limiter, who: Identity = WHO, *, method: str = "GET", creates: bool = False):
    return limiter.admit(
        who, method=method, resource=Resource.CORE, creates=creates, request_id="R"
    )


def penalty_ends_after(limiter: Limiter, clock: ManualClock, seconds: float) -> None:
    """A request a second before the penalty's end is refused; one at its end is admitted."""
    clock.advance(seconds - 1)
    assert admit(limiter).verdict is Verdict.PENALTY
    clock.advance(1)
    assert admit(limiter).verdict is Verdict.OK


def test_primary_budget_counts_down_in_headers():
    limiter = Limiter(QUIET, ManualClock())
    first = admit(limiter)
    second = admit(limiter)
    assert first.headers["x-ratelimit-limit"] == "1000"
    assert first.headers["x-ratelimit-remaining"] == "999"
    assert second.headers["x-ratelimit-remaining"] == "998"
    assert second.headers["x-ratelimit-used"] == "2"
    assert second.headers["x-ratelimit-resource"] == "core"


def test_primary_reset_is_epoch_one_window_after_first_request():
    clock = ManualClock(1_800_000_000.5)
    limiter = Limiter(QUIET, clock)
    assert admit(limiter).headers["x-ratelimit-reset"] == str(1_800_003_601)


def test_primary_exhausted_answers_403_with_remaining_zero_until_reset():
    clock = ManualClock()
    limiter = Limiter(LimitConfig.github(primary_limit=3, points_per_minute=None), clock)
    for _ in range(3):
        assert admit(limiter).verdict is Verdict.OK
    refused = admit(limiter)
    assert refused.verdict is Verdict.PRIMARY
    assert refused.failure is not None
    assert refused.failure.status == 403
    assert refused.failure.message.startswith("API rate limit exceeded for installation ID 1.")
    assert refused.headers["x-ratelimit-remaining"] == "0"
    clock.advance(3_600)
    assert admit(limiter).verdict is Verdict.OK


def test_budgets_are_per_token():
    limiter = Limiter(LimitConfig.github(primary_limit=1), ManualClock())
    assert admit(limiter, WHO).verdict is Verdict.OK
    assert admit(limiter, OTHER).verdict is Verdict.OK
    assert admit(limiter, WHO).verdict is Verdict.PRIMARY


def test_a_token_can_carry_its_own_budget():
    limiter = Limiter(QUIET, ManualClock())
    big = Identity(3, "me", 3, "user", "write", limit=5_000)
    assert admit(limiter, big).headers["x-ratelimit-limit"] == "5000"


def test_points_per_minute_counts_writes_as_five():
    clock = ManualClock()
    config = LimitConfig.github(points_per_minute=10, creates_per_minute=None)
    limiter = Limiter(config, clock)
    assert admit(limiter, method="PATCH").verdict is Verdict.OK
    assert admit(limiter, method="PATCH").verdict is Verdict.OK
    assert admit(limiter, method="GET").verdict is Verdict.SECONDARY


def test_points_window_slides_after_a_minute():
    clock = ManualClock()
    config = LimitConfig.github(points_per_minute=2, penalty=1.0, retry_after_rate=0.0)
    limiter = Limiter(config, clock)
    admit(limiter)
    admit(limiter)
    clock.advance(61)
    assert admit(limiter).verdict is Verdict.OK


def test_content_creation_per_minute():
    clock = ManualClock()
    limiter = Limiter(LimitConfig.github(creates_per_minute=2), clock)
    admit(limiter, method="POST", creates=True)
    admit(limiter, method="POST", creates=True)
    hit = admit(limiter, method="POST", creates=True)
    assert hit.verdict is Verdict.SECONDARY
    assert hit.failure is not None
    assert "temporarily blocked from content creation" in hit.failure.message


def test_content_creation_per_hour():
    clock = ManualClock()
    config = LimitConfig.github(creates_per_minute=None, creates_per_hour=3, penalty=60.0)
    limiter = Limiter(config, clock)
    for _ in range(3):
        assert admit(limiter, method="POST", creates=True).verdict is Verdict.OK
        clock.advance(61)
    assert admit(limiter, method="POST", creates=True).verdict is Verdict.SECONDARY
    clock.advance(3_600)
    assert admit(limiter, method="POST", creates=True).verdict is Verdict.OK


def test_too_many_in_flight_is_a_secondary_limit():
    limiter = Limiter(LimitConfig.github(max_in_flight=2), ManualClock())
    limiter.enter(WHO)
    limiter.enter(WHO)
    assert admit(limiter).verdict is Verdict.OK
    limiter.enter(WHO)
    assert admit(limiter).verdict is Verdict.SECONDARY


def test_requests_during_a_penalty_are_refused_as_violations():
    clock = ManualClock()
    config = LimitConfig.github(creates_per_minute=1, retry_after_rate=0.0, penalty=60.0)
    limiter = Limiter(config, clock)
    admit(limiter, method="POST", creates=True)
    assert admit(limiter, method="POST", creates=True).verdict is Verdict.SECONDARY
    penalty_ends_after(limiter, clock, 60)


def test_retry_after_covers_the_whole_penalty():
    clock = ManualClock()
    config = LimitConfig.github(points_per_minute=1, retry_after_rate=1.0, penalty=60.0)
    limiter = Limiter(config, clock)
    admit(limiter)
    hit = admit(limiter)
    wait = int(hit.headers["retry-after"])
    assert 30 <= wait <= 60
    penalty_ends_after(limiter, clock, wait)


def test_secondary_answers_vary_by_seed_but_replay_with_the_same_seed():
    def answers(seed: int) -> list[tuple[int, bool]]:
        clock = ManualClock()
        limiter = Limiter(LimitConfig.github(points_per_minute=1, penalty=1.0), clock, seed)
        seen = []
        for _ in range(20):
            admit(limiter)
            hit = admit(limiter)
            assert hit.failure is not None
            seen.append((hit.failure.status, "retry-after" in hit.headers))
            clock.advance(120)
        return seen

    assert answers(1) == answers(1)
    assert {status for status, _ in answers(1)} == {403, 429}
    assert {has for _, has in answers(1)} == {True, False}


def test_secondary_message_says_secondary_rate_limit():
    limiter = Limiter(LimitConfig.github(points_per_minute=1), ManualClock())
    admit(limiter)
    hit = admit(limiter)
    assert hit.failure is not None
    assert "secondary rate limit" in hit.failure.message
    assert "request ID R" in hit.failure.message


def test_off_enforces_nothing_and_keeps_headers():
    limiter = Limiter(LimitConfig.off(), ManualClock())
    for _ in range(2_000):
        decision = admit(limiter, method="POST", creates=True)
        assert decision.verdict is Verdict.OK
    assert int(decision.headers["x-ratelimit-remaining"]) > 0


def test_storm_forces_a_secondary_limit_of_the_given_length():
    clock = ManualClock()
    limiter = Limiter(QUIET.__class__(retry_after_rate=0.0), clock)
    hit = limiter.admit(
        WHO, method="GET", resource=Resource.CORE, creates=False, request_id="R", storm=30.0
    )
    assert hit.verdict is Verdict.SECONDARY
    penalty_ends_after(limiter, clock, 30)


def test_search_has_its_own_budget_of_30_a_minute():
    clock = ManualClock()
    limiter = Limiter(LimitConfig.github(), clock)
    for _ in range(30):
        limiter.admit(WHO, method="GET", resource=Resource.SEARCH, creates=False, request_id="R")
    over = limiter.admit(WHO, method="GET", resource=Resource.SEARCH, creates=False, request_id="R")
    assert over.verdict is Verdict.PRIMARY
    assert over.headers["x-ratelimit-resource"] == "search"
    assert admit(limiter).verdict is Verdict.OK


def test_named_rejects_unknown_names():
    with pytest.raises(ValueError, match="github"):
        LimitConfig.named("fast")


def test_penalty_refusals_become_violations_after_the_grace():
    clock = ManualClock()
    config = LimitConfig.github(points_per_minute=1, retry_after_rate=0.0, violation_grace=2.0)
    limiter = Limiter(config, clock)
    admit(limiter)
    admit(limiter)  # strikes
    clock.advance(1.9)
    assert not admit(limiter).violation
    clock.advance(0.1)
    late = admit(limiter)
    assert late.verdict is Verdict.PENALTY
    assert late.violation


def test_primary_refusals_become_violations_after_the_grace():
    clock = ManualClock()
    limiter = Limiter(LimitConfig.github(primary_limit=1, violation_grace=1.0), clock)
    admit(limiter)
    assert not admit(limiter).violation
    clock.advance(1.0)
    assert admit(limiter).violation


def test_server_time_over_90_seconds_a_minute_is_a_secondary_limit():
    clock = ManualClock()
    limiter = Limiter(LimitConfig.github(retry_after_rate=1.0), clock)
    for _ in range(10):  # ten slow requests side by side, 10 s of server time each
        limiter.enter(WHO)
    started = clock.now()
    clock.advance(10)
    for _ in range(10):
        limiter.leave(WHO, started)
    hit = admit(limiter)
    assert hit.verdict is Verdict.SECONDARY
    assert int(hit.headers["retry-after"]) >= 50
    clock.advance(60)
    assert admit(limiter).verdict is Verdict.OK
