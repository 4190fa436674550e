"""The gate and GraphQL: its own primary bucket; content refusals that adapt the pacing."""

from __future__ import annotations

from collections.abc import Mapping

from test_processor import T0

from batchsync.errors import RateLimitError
from batchsync.processor import Gate
from batchsync.ratelimit import CreationBudget, Limits, Op


def headers(resource: str, remaining: int, reset: float = T0 + 3600) -> Mapping[str, str]:
    return {
        "x-ratelimit-resource": resource,
        "x-ratelimit-limit": "1000",
        "x-ratelimit-remaining": str(remaining),
        "x-ratelimit-reset": str(int(reset)),
    }


def test_a_spent_graphql_bucket_pauses_graphql_only(clock) -> None:
    gate = Gate(Limits(threshold=10), clock=clock, sleep=clock.sleep)
    gate.call(Op.READ, lambda: (None, headers("core", 900)))
    gate.call(Op.READ, lambda: (None, headers("graphql", 5)), resource="graphql")
    snapshot, bucket = gate.snapshot, gate.bucket("graphql")
    assert snapshot is not None
    assert snapshot.remaining == 900
    assert bucket is not None
    assert bucket.remaining == 5
    gate.call(Op.READ, lambda: (None, headers("core", 899)))
    assert clock.slept == 0  # REST goes on: its own bucket is full
    gate.call(Op.READ, lambda: (None, headers("graphql", 999, T0 + 7200)), resource="graphql")
    assert clock.slept >= 3600  # GraphQL waited for its reset


def test_submitted_too_quickly_makes_each_create_count_double(clock) -> None:
    limits = Limits(write_interval=0, creates_per_minute=4, creates_per_hour=0, max_retries=3)
    gate = Gate(limits, clock=clock, sleep=clock.sleep)
    answers = iter([None, "refuse", None, None, None])

    def create() -> tuple[None, Mapping[str, str]]:
        if next(answers) == "refuse":
            raise RateLimitError(
                200,
                "createIssue was submitted too quickly (GitHub's secondary rate limit)",
                "POST",
                "/graphql",
                {},
            )
        return None, {}

    gate.call(Op.CREATE, create)
    start = clock()
    gate.call(Op.CREATE, create)  # refused, waits, then sent again and answered
    assert clock() - start >= 60
    before = clock()
    gate.call(Op.CREATE, create)
    assert clock() == before  # two creates counted twice: 4 of 4 a minute
    gate.call(Op.CREATE, create)
    assert clock() >= before + 60  # a weight of 1 would have let this one through at once


def test_a_rest_secondary_limit_on_a_create_does_not_change_the_weight(clock) -> None:
    limits = Limits(write_interval=0, creates_per_minute=4, creates_per_hour=0)
    gate = Gate(limits, clock=clock, sleep=clock.sleep)
    answers = iter(["refuse", None, None, None])

    def create() -> tuple[None, Mapping[str, str]]:
        if next(answers) == "refuse":
            raise RateLimitError(403, "You have exceeded a secondary rate limit", "POST", "/x", {})
        return None, {}

    gate.call(Op.CREATE, create)
    after_pause = clock()
    gate.call(Op.CREATE, create)
    gate.call(Op.CREATE, create)
    assert clock() == after_pause  # 3 of 4 in the minute: no wait


def test_adapting_recounts_the_creates_already_in_the_window() -> None:
    budget = CreationBudget(per_minute=4, per_hour=0)
    for _ in range(2):
        budget.reserve()
        budget.settle(T0)
    assert budget.earliest(T0)[0] == T0  # 2 of 4
    budget.adapt()
    assert budget.weight == 2
    assert budget.earliest(T0)[0] == T0 + 60  # GitHub counted those two twice: 4 of 4


def test_rests_content_refusal_of_a_create_adapts_the_weight_too(clock) -> None:
    limits = Limits(write_interval=0, creates_per_minute=4, creates_per_hour=0)
    gate = Gate(limits, clock=clock, sleep=clock.sleep)
    answers = iter(["refuse", None, None, None])
    text = (
        "You have exceeded a secondary rate limit and have been temporarily blocked from "
        "content creation. Please retry your request again later."
    )

    def create() -> tuple[None, Mapping[str, str]]:
        if next(answers) == "refuse":
            raise RateLimitError(403, text, "POST", "/repos/o/r/issues", {})
        return None, {}

    gate.call(Op.CREATE, create)  # refused (counted twice from now on), then sent again
    after_pause = clock()
    gate.call(Op.CREATE, create)
    assert clock() == after_pause  # two creates counted twice: 4 of 4 a minute
    gate.call(Op.CREATE, create)
    assert clock() >= after_pause + 60  # a weight of 1 would have let this one through
