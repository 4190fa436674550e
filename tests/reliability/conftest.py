"""The reliability suite's figures: every case records what it tried and what was lost.

Each test records one row (items, runs, lost, duplicates, crashes, leaks) before it asserts the
figures are zero. ``--reliability-report FILE`` writes every row, with the test's verdict, as
JSON; ``bench/reliability_report.py`` turns that into the table in docs/reliability.md.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pytest

REPORT_OPTION = "--reliability-report"
_ROWS = pytest.StashKey[list["Row"]]()
_VERDICTS = pytest.StashKey[dict[str, str]]()


@dataclass(frozen=True)
class Row:
    """One case of the suite and its figures (each should be 0)."""

    area: str
    case: str
    nodeid: str
    items: int
    runs: int = 1
    lost: int = 0
    duplicates: int = 0
    crashes: int = 0
    leaks: int = 0
    note: str = ""
    expected_nonzero: bool = False  # a case that shows what goes wrong without a safeguard


Record = Callable[..., Row]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        REPORT_OPTION,
        metavar="FILE",
        default=None,
        help="write the figures of every reliability case to FILE (JSON)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_ROWS] = []
    config.stash[_VERDICTS] = {}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report = yield
    verdicts = item.config.stash[_VERDICTS]
    if report.when == "call":
        _property_row(item, failed=report.failed)
    if hasattr(report, "wasxfail"):
        verdicts[item.nodeid] = "expected failure"
    elif report.failed or (report.when == "call" and item.nodeid not in verdicts):
        verdicts[item.nodeid] = "fail" if report.failed else "pass"
    return report


def _property_row(item: pytest.Item, *, failed: bool) -> None:
    """A hypothesis test's row: how many examples it tried (its figures are pass or fail)."""
    chosen = getattr(getattr(item, "obj", None), "_hypothesis_internal_use_settings", None)
    if chosen is None:
        return
    name = item.name.removeprefix("test_").replace("_", " ")
    row = Row("property", name, item.nodeid, 0, crashes=int(failed))
    row = dataclasses.replace(row, note=f"up to {chosen.max_examples} generated examples")
    item.config.stash[_ROWS].append(row)


def pytest_sessionfinish(session: pytest.Session) -> None:
    target = session.config.getoption(REPORT_OPTION)
    if not target:
        return
    verdicts = session.config.stash[_VERDICTS]
    rows = [
        {**asdict(row), "verdict": verdicts.get(row.nodeid, "not run")}
        for row in session.config.stash[_ROWS]
    ]
    Path(target).write_text(json.dumps(rows, indent=1), encoding="utf-8")


@pytest.fixture
def record(request: pytest.FixtureRequest) -> Record:
    """``record(area, case, items=N, lost=..., ...)``: note one case's figures for the report."""

    def note(area: str, case: str, **figures: object) -> Row:
        row = Row(area, case, request.node.nodeid, **figures)  # type: ignore[arg-type]
        request.config.stash[_ROWS].append(row)
        return row

    return note


@pytest.fixture(scope="session")
def zygote() -> Iterator[Any]:
    """One process that forks a ``batchsync`` command per run (see relsync.Zygote)."""
    from relsync import Zygote  # noqa: PLC0415 (the engine loads only where a case needs it)

    started = Zygote()
    yield started
    started.close()


@pytest.fixture(autouse=True)
def no_runner_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No runner variables leak in from the machine the suite runs on."""
    for name in list(os.environ):
        if name.startswith(("INPUT_", "GITHUB_", "RUNNER_")):
            monkeypatch.delenv(name)
