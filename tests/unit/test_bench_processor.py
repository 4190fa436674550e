"""The processor benchmark's floor: the earliest the last create can start under the limits."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from batchsync.emulator import LimitConfig

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "bench_processor.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_processor", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_processor", module)
    spec.loader.exec_module(module)
    return module


GITHUB = LimitConfig.github()
NO_CREATE_CAPS = LimitConfig.github(creates_per_minute=None, creates_per_hour=None)


def test_floor_of_no_create_is_zero(bench: ModuleType) -> None:
    assert bench.floor_seconds(0, 1, GITHUB) == 0.0


def test_floor_is_one_write_a_second_under_every_cap(bench: ModuleType) -> None:
    assert bench.floor_seconds(200, 1, GITHUB) == 199.0


def test_floor_waits_for_the_hourly_creation_window(bench: ModuleType) -> None:
    assert bench.floor_seconds(500, 1, GITHUB) == 499.0
    assert bench.floor_seconds(501, 1, GITHUB) == 3_600.0
    assert bench.floor_seconds(1_000, 1, GITHUB) == 4_099.0


def test_floor_keeps_80_creations_a_minute_without_a_write_interval(bench: ModuleType) -> None:
    assert bench.floor_seconds(80, 1, GITHUB, write_interval=0) == 0.0
    assert bench.floor_seconds(81, 1, GITHUB, write_interval=0) == 60.0
    assert bench.floor_seconds(161, 1, GITHUB, write_interval=0) == 120.0


def test_floor_keeps_the_points_a_minute(bench: ModuleType) -> None:
    # 900 points a minute at 5 a write: 180 writes; the single read leaves room for 179
    assert bench.floor_seconds(179, 1, NO_CREATE_CAPS, write_interval=0) == 0.0
    assert bench.floor_seconds(180, 1, NO_CREATE_CAPS, write_interval=0) == 60.0


def test_floor_waits_for_the_primary_reset(bench: ModuleType) -> None:
    limits = LimitConfig.github(
        creates_per_minute=None, creates_per_hour=None, points_per_minute=None
    )
    assert bench.floor_seconds(999, 1, limits, write_interval=0) == 0.0
    assert bench.floor_seconds(1_000, 1, limits, write_interval=0) == 3_600.0
