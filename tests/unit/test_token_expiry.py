"""A token's announced expiry: read from GitHub's header, it brings the run's deadline forward."""

from __future__ import annotations

import calendar
import time

import pytest

from batchsync.emulator import ManualClock
from batchsync.errors import BudgetExhausted, StopKind
from batchsync.processor import Gate
from batchsync.ratelimit import TOKEN_EXPIRY_MARGIN, Limits, Op, token_expiry

QUICK = Limits(write_interval=0, creates_per_minute=0, creates_per_hour=0, points_per_minute=0)
HEADER = "github-authentication-token-expiration"
T0 = float(calendar.timegm((2026, 1, 10, 6, 0, 0)))  # 2026-01-10 06:00:00 UTC


def _at(text: str) -> float:
    return float(calendar.timegm(time.strptime(text, "%Y-%m-%d %H:%M:%S")))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-01-10 06:51:21 UTC", _at("2026-01-10 06:51:21")),
        ("  2026-01-10 06:51:21 GMT ", _at("2026-01-10 06:51:21")),
        ("2026-01-10 08:51:21 +0200", _at("2026-01-10 06:51:21")),
        ("2026-13-10 06:51:21 UTC", None),  # no 13th month
        ("2026-01-10T06:51:21Z", None),
        ("soon", None),
        ("9" * 5000, None),  # hostile length: refused without work
        ("", None),
    ],
)
def test_the_expiry_header_is_read_in_githubs_format(value: str, expected: float | None) -> None:
    assert token_expiry({HEADER: value}) == expected


def test_the_header_name_is_matched_in_any_case_and_may_be_absent() -> None:
    assert token_expiry({"GitHub-Authentication-Token-Expiration": "2026-01-10 06:51:21 UTC"})
    assert token_expiry({"x-ratelimit-remaining": "10"}) is None


def _answer(headers: dict[str, str]):
    return lambda: (None, headers)


def test_no_write_starts_once_the_token_is_about_to_expire() -> None:
    clock = ManualClock(T0)
    gate = Gate(QUICK, clock=clock.now, sleep=clock.sleep, deadline=T0 + 3600)
    # Ten minutes from now, before the time budget ends.
    gate.call(Op.READ, _answer({HEADER: "2026-01-10 06:10:00 UTC"}))
    assert gate.deadline == _at("2026-01-10 06:10:00") - TOKEN_EXPIRY_MARGIN
    clock.advance(600 - TOKEN_EXPIRY_MARGIN - 1)
    gate.call(Op.CREATE, _answer({}))  # still in time
    clock.advance(1)
    with pytest.raises(BudgetExhausted) as stopped:
        gate.call(Op.CREATE, _answer({}))
    assert stopped.value.kind is StopKind.DEADLINE
    assert "the token expires at 2026-01-10 06:10:00 UTC; no new write starts" in str(stopped.value)


def test_a_later_expiry_leaves_the_time_budget_in_charge() -> None:
    clock = ManualClock(T0)
    gate = Gate(QUICK, clock=clock.now, sleep=clock.sleep, deadline=T0 + 600)
    gate.call(Op.READ, _answer({HEADER: "2026-01-10 07:00:00 UTC"}))
    assert gate.deadline == T0 + 600
    clock.advance(600)
    with pytest.raises(BudgetExhausted, match="the deadline passed; no new write starts"):
        gate.call(Op.WRITE, _answer({}))


def test_an_expiry_sets_a_deadline_where_there_was_none() -> None:
    clock = ManualClock(T0)
    gate = Gate(QUICK, clock=clock.now, sleep=clock.sleep)
    gate.call(Op.READ, _answer({HEADER: "2026-01-10 06:30:00 UTC"}))
    assert gate.deadline == _at("2026-01-10 06:30:00") - TOKEN_EXPIRY_MARGIN
