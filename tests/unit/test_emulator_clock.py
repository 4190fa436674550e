"""The emulator's clocks."""

from __future__ import annotations

import pytest

from batchsync.emulator import ManualClock, ScaledClock


def test_scaled_clock_runs_scale_times_faster():
    ticks = iter([100.0, 102.0])
    clock = ScaledClock(60.0, start=1_000.0, monotonic=lambda: next(ticks))
    assert clock.now() == 1_000.0 + 2.0 * 60.0


def test_scaled_clock_sleeps_the_scaled_real_time():
    slept: list[float] = []
    clock = ScaledClock(100.0, real_sleep=slept.append)
    clock.sleep(50.0)
    clock.sleep(0.0)
    clock.sleep(-1.0)
    assert slept == [0.5]


def test_scaled_clock_is_callable_as_a_plain_clock():
    clock = ScaledClock(1.0, start=5.0, monotonic=lambda: 0.0)
    assert clock() == 5.0


def test_scale_must_be_positive():
    with pytest.raises(ValueError, match="scale"):
        ScaledClock(0)


def test_manual_clock_moves_only_when_told():
    clock = ManualClock(10.0)
    assert clock.now() == 10.0
    clock.sleep(2.5)
    clock.advance(1.5)
    assert clock() == 14.0


def test_manual_clock_notes_each_sleep_but_not_advances():
    clock = ManualClock(10.0)
    clock.sleep(2.5)
    clock.advance(100.0)
    clock.sleep(1.0)
    assert clock.sleeps == [2.5, 1.0]
    assert clock.slept == 3.5
