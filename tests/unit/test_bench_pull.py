"""The pull benchmark at a tiny size: the shape of its result and the report's reading of it."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


def load(mp: pytest.MonkeyPatch, name: str) -> ModuleType:
    """A script of bench/ as a module, registered (its dataclasses look themselves up)."""
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    mp.setitem(sys.modules, name, module)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def scripts() -> Iterator[dict[str, ModuleType]]:
    with pytest.MonkeyPatch.context() as mp:
        mp.syspath_prepend(str(BENCH))  # as when run as a script: it imports bench_requests
        yield {name: load(mp, name) for name in ("bench_requests", "bench_pull", "report")}


@pytest.fixture(scope="module")
def bench_pull(scripts: dict[str, ModuleType]) -> ModuleType:
    return scripts["bench_pull"]


@pytest.fixture(scope="module")
def report(scripts: dict[str, ModuleType]) -> ModuleType:
    return scripts["report"]


@pytest.fixture(scope="module")
def result(bench_pull: ModuleType) -> Any:
    return bench_pull.bench(20, 3)


def test_the_pull_run_pulls_each_close_with_one_write_and_one_file(bench_pull, result):
    pulled = result.row(bench_pull.PULL_RUN)
    assert (result.items, result.closed) == (20, 3)
    assert pulled.pulled == 3
    assert pulled.files == 3
    assert pulled.writes == 3
    assert pulled.methods.get("PATCH") == 3
    assert pulled.failed == 0


def test_the_rerun_after_the_pull_writes_nothing(bench_pull, result):
    rerun = result.row(bench_pull.RERUN)
    assert rerun.pull
    assert (rerun.writes, rerun.files, rerun.pulled, rerun.failed) == (0, 0, 0, 0)


def test_the_same_run_without_pull_leaves_both_sides_alone(bench_pull, result):
    one_way = result.row(bench_pull.ONE_WAY)
    assert not one_way.pull
    assert (one_way.writes, one_way.files, one_way.pulled) == (0, 0, 0)
    assert result.row(bench_pull.PULL_RUN).requests == one_way.requests + 3


def test_the_report_reads_every_target_as_met(bench_pull, report, result):
    checks = report._pull_checks(bench_pull.markdown_table(result))
    assert len(checks) == 3
    assert all(met for _, _, met in checks), checks


def test_the_report_reads_a_rerun_that_writes_as_missed(bench_pull, report, result):
    table = bench_pull.markdown_table(result)
    rerun = next(line for line in table.splitlines() if line.startswith(f"| {bench_pull.RERUN} "))
    cells = rerun.split(" | ")
    cells[5] = "2"  # GitHub writes
    checks = report._pull_checks(table.replace(rerun, " | ".join(cells)))
    assert [met for _, _, met in checks] == [True, True, False]
