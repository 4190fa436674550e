"""How a run stops or fails, end to end against the emulator: one refused write, typed failures."""

from __future__ import annotations

import functools
import io
import re
from pathlib import Path

import pytest

from batchsync import action, sync
from batchsync.config import Settings, load_settings
from batchsync.emulator import Emulator, FaultConfig, LimitConfig
from batchsync.errors import FailureKind, RunStop, StopKind
from batchsync.progress import ActionsProgress, TerminalProgress
from emulated import EmulatorFactory, run_overrides
from trees import Tree, write_prds

TOKEN = "ghs_stopswritetoken"
READ_TOKEN = "ghs_stopsreadtoken"
REPO = "octo/stops"
EMULATOR = {"limits": "off", "scale": 1000}  # the emulator of the emu fixture (conftest)
WORK_ITEMS = functools.partial(write_prds, count=6)  # the workspace fixture (conftest)
WRITES = ("POST", "PATCH", "PUT", "DELETE")


def settings(emu: Emulator, workspace: Path, **changes: object) -> Settings:
    changes = {"max_concurrent": 5, **changes}
    given = run_overrides(emu, workspace, token=TOKEN, repo=REPO, **changes)
    return load_settings(given, env={})


def refused_writes(emu: Emulator) -> int:
    return sum(emu.stats.count(method=m, status=403) for m in WRITES)


def run_action(emu: Emulator, s: Settings) -> tuple[int, str]:
    out = io.StringIO()
    run = functools.partial(sync.run, clock=emu.clock.now, sleep=emu.clock.sleep)
    code = action.run_action(s, run=run, stdout=out, stderr=io.StringIO())
    return code, out.getvalue()


def test_a_read_only_token_costs_exactly_one_refused_write(emu: Emulator, workspace: Path) -> None:
    with pytest.raises(RunStop) as caught:
        sync.run(
            settings(emu, workspace, github_token=READ_TOKEN),
            clock=emu.clock.now,
            sleep=emu.clock.sleep,
        )
    assert caught.value.kind is StopKind.MISSING_PERMISSION
    assert refused_writes(emu) == 1
    # (the GraphQL query that reads node ids is a POST that writes nothing)
    assert sum(emu.stats.count(method=m) for m in WRITES) - emu.stats.operations("query") == 1


def test_a_read_only_token_in_action_mode_is_one_error_with_the_fix(
    emu: Emulator, workspace: Path
) -> None:
    code, log = run_action(emu, settings(emu, workspace, github_token=READ_TOKEN))
    assert code == action.EXIT_FATAL
    errors = [line for line in log.splitlines() if line.startswith("::error")]
    assert len(errors) == 1
    assert "missing permission" in errors[0]
    assert "permissions:%0A  issues: write" in errors[0]
    assert refused_writes(emu) == 1


def test_the_terminal_says_the_same_as_the_action(emu: Emulator, workspace: Path) -> None:
    err = io.StringIO()
    code = sync.main(
        settings(emu, workspace, github_token=READ_TOKEN), stdout=io.StringIO(), stderr=err
    )
    assert code == 2
    assert "The token may not write issues in octo/stops" in err.getvalue()
    assert "issues: write" in err.getvalue()


def test_an_abuse_detection_limit_that_outlasts_the_retries_is_no_permission_problem(
    make_emulator: EmulatorFactory, tree: Tree
) -> None:
    workspace = tree.prds(1)
    # GitHub's older wording of a secondary limit has no "rate limit" in it; on every POST.
    limits = LimitConfig.github(abuse_wording=True, retry_after_rate=0.0, secondary_statuses=(403,))
    storms = FaultConfig(storm_rate=1.0, methods=("POST",))
    emu = make_emulator(limits=limits, faults=storms)
    code, log = run_action(emu, settings(emu, workspace, max_retries=1, max_concurrent=1))
    answers = emu.stats.to_json()["counts"]
    assert code == action.EXIT_FAILED  # items failed; the token itself is fine
    assert "missing permission" not in log
    assert "issues: write" not in log
    assert any(
        "abuse detection" in line and "rate limit outlasted" in line for line in log.splitlines()
    )
    assert any(c["method"] == "POST" and c["status"] == 403 for c in answers)


def test_abuse_detection_failures_are_typed_as_rate_limits(
    make_emulator: EmulatorFactory, tree: Tree
) -> None:
    workspace = tree.prds(2)
    limits = LimitConfig.github(abuse_wording=True, retry_after_rate=0.0, secondary_statuses=(403,))
    emu = make_emulator(limits=limits, faults=FaultConfig(storm_rate=1.0, methods=("POST",)))
    s = settings(emu, workspace, max_retries=0, max_concurrent=1)
    result = sync.run(s, clock=emu.clock.now, sleep=emu.clock.sleep)
    assert result.failed == 2
    for outcome in result.errors:
        assert outcome.failure is not None
        assert (outcome.failure.kind, outcome.failure.status) == (FailureKind.RATE_LIMITED, 403)
        assert outcome.failure.retryable


def test_progress_and_report_count_the_same_total(emu: Emulator, workspace: Path) -> None:
    (workspace / ".claude/prds/prd-009-broken.md").write_text("---\nid: x\ntitle: [\n---\n")
    seen: list[tuple[int, int]] = []
    result = sync.run(
        settings(emu, workspace),
        clock=emu.clock.now,
        sleep=emu.clock.sleep,
        on_progress=lambda done, total, _: seen.append((done, total)),
    )
    assert result.total == 7
    assert result.failed == 1
    assert seen[-1] == (7, 7)
    assert sorted(done for done, _ in seen) == list(range(1, 8))


class Clock:
    """Time that moves only when the run sleeps (its write pacing): the same stop every run."""

    def __init__(self) -> None:
        self.at = 1_000_000.0

    def now(self) -> float:
        return self.at

    def sleep(self, seconds: float) -> None:
        self.at += max(0.0, seconds)


@pytest.mark.parametrize("display", [ActionsProgress, TerminalProgress])
def test_a_time_budget_stop_never_shows_the_items_left_as_done(
    emu: Emulator, workspace: Path, display: type[ActionsProgress | TerminalProgress]
) -> None:
    """One write a second and a 3-second budget: some PRDs are created, the rest not done."""
    clock, err = Clock(), io.StringIO()
    progress = display(err, clock.now)
    s = settings(emu, workspace, max_concurrent=1, write_interval=1, time_budget=0.05)
    result = sync.run(s, clock=clock.now, sleep=clock.sleep, on_progress=progress)
    done = result.total - result.not_done
    assert (done, result.not_done) == (3, 3)
    shown = err.getvalue()
    last = [p for p in re.split(r"[\r\n]", shown) if "/6" in p][-1]
    assert "3/6" in last
    assert ", 3 not done" in last
    assert "ETA" not in last
    assert "6/6" not in shown
    assert "100%" not in shown
    assert shown.endswith("\n")
