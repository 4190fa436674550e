"""GitHub misbehaving: lost answers, 5xx and timeout storms, resets, secondary storms, exhaustion.

Each case syncs the two-layout tree through the real engine against the emulator with a fault
injected (seeded, so a failure replays), then runs once more with the fault gone. After that
second run every item must have exactly one issue carrying its latest content, under its parent.
Waits run on the emulator's scaled clock: an emulated minute of secondary-limit penalty costs a
tenth of a real second.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from relkit import LOCAL_TASKS, REPO, TOKEN, TREE_ITEMS, edit_tree, write_tree
from relsync import check, figures, settings_for

from batchsync.emulator import Emulator, FaultConfig, FaultKind, LimitConfig, ScheduledFault
from batchsync.emulator.service import Handle
from batchsync.results import BatchResult
from batchsync.sync import run

ISSUES = "/repos/{owner}/{repo}/issues"
ISSUE = "/repos/{owner}/{repo}/issues/{issue_number}"
SUB_ISSUES = "/repos/{owner}/{repo}/issues/{issue_number}/sub_issues"


@dataclass(frozen=True)
class Fault:
    """One kind of trouble: the emulator's faults and limits, and the run's settings."""

    name: str
    faults: FaultConfig
    limits: LimitConfig | str = "off"
    scale: float = 600.0  # emulated seconds per real second
    token_limit: int | None = None  # the token's budget a window (a short window keeps it fast)
    settings: tuple[tuple[str, object], ...] = ()
    update: bool = False  # fault an update run (after a clean first sync) instead of the first
    tasks: int = LOCAL_TASKS  # local-mode tasks in the tree (13 items with the default)
    rival_after: int | None = None  # after this many requests, another client drains the budget

    def __str__(self) -> str:
        return self.name

    def emulator(self, seed: int) -> dict[str, object]:
        """The options of the ``emu`` fixture (tests/conftest.py) for this fault and seed."""
        tokens = {TOKEN: {"limit": self.token_limit}}
        return {"limits": self.limits, "scale": self.scale, "seed": seed, "tokens": tokens}


def drops_on(method: str, template: str, *nths: int) -> tuple[ScheduledFault, ...]:
    return tuple(ScheduledFault(FaultKind.DROP, n, method, template) for n in nths)


FAULTS = [
    Fault("lost create answers (50%)", FaultConfig(drop_rate=0.5)),
    Fault(
        "lost answers on list, update and sub-issue requests",
        FaultConfig(
            schedule=drops_on("GET", ISSUES, 1)
            + drops_on("PATCH", ISSUE, 1, 3)
            + drops_on("POST", SUB_ISSUES, 1, 4)
        ),
        update=True,
    ),
    Fault(
        "5xx storm (40% of requests)", FaultConfig(error_rate=0.4, error_statuses=(500, 502, 503))
    ),
    Fault("5xx storm on an update run (60%)", FaultConfig(error_rate=0.6), update=True),
    Fault(
        "server timeouts, half of them applied (30%)",
        FaultConfig(timeout_rate=0.3, timeout_acts_rate=0.5),
    ),
    Fault("connection resets (40%) and 5xx (20%)", FaultConfig(drop_rate=0.4, error_rate=0.2)),
    Fault(
        "107 items: resets (30%), 5xx (20%), timeouts (10%)",
        FaultConfig(drop_rate=0.3, error_rate=0.2, timeout_rate=0.1),
        tasks=100,
    ),
    Fault(
        "secondary-limit storm (25% of requests)",
        FaultConfig(storm_rate=0.25, storm_seconds=60),
        limits=LimitConfig.github(),
        settings=(("write_interval", 1.0), ("retry_delay", 1.0)),
    ),
    Fault(
        "content-creation limit far below the client's pacing (8 a minute)",
        FaultConfig(),
        limits=LimitConfig.github(creates_per_minute=8, retry_after_rate=0.0),
        settings=(("write_interval", 1.0), ("creates_per_minute", 80)),
    ),
    Fault(
        "primary budget exhausted mid-run (waits for the reset)",
        FaultConfig(),
        limits=LimitConfig.github(window=60.0),
        token_limit=30,
    ),
    Fault(
        "another workflow spends the shared budget mid-run (GitHub's 403, then the reset)",
        FaultConfig(),
        limits=LimitConfig.github(window=60.0),
        token_limit=60,
        rival_after=6,
    ),
    Fault(
        "primary budget exhausted, time budget too short to wait",
        FaultConfig(),
        limits=LimitConfig.github(window=600.0),
        token_limit=30,
        settings=(("time_budget", 0.5),),
    ),
]
SEEDS = (1, 2)
# Each fault with each seed: the fault for the test, the emulator's options for ``emu``.
CASES = [
    pytest.param(fault, fault.emulator(seed), id=f"{fault}-seed{seed}")
    for fault in FAULTS
    for seed in SEEDS
]


def rival(emu: Emulator, after: int) -> None:
    """After ``after`` requests, another user of the same token spends the rest of its budget.

    GITHUB_TOKEN's budget is shared by every workflow of the repository, so the run's next
    request meets GitHub's own 403 (remaining 0) although its own count said there was room.
    """
    seen = itertools.count(1)

    def around(handle: Handle) -> Handle:
        def drained(method: str, target: str, headers: Any, raw: bytes, host: str) -> Any:
            # counted on REST requests: GraphQL (the creates) has a budget of its own
            if not target.endswith("/graphql") and next(seen) == after:
                auth = {"authorization": f"token {TOKEN}"}
                while (
                    handle("GET", f"/repos/{REPO}/issues?per_page=1", auth, b"", host).status != 403
                ):
                    pass
            return handle(method, target, headers, raw, host)

        return drained

    emu.wrap(around)


def sync(emu: Emulator, workspace: Path, **changes: object) -> BatchResult:
    """One run on the emulator's clock (waits cost emulated, not real, time)."""
    settings = settings_for(emu, workspace, **changes)
    return run(settings, clock=emu.clock.now, sleep=emu.clock.sleep)


@pytest.mark.timeout(60)
@pytest.mark.parametrize(("fault", "emu"), CASES, indirect=["emu"])
def test_fault_then_one_rerun_leaves_every_item_exactly_once(
    fault: Fault, emu: Emulator, workspace: Path, record
) -> None:
    write_tree(workspace / ".claude", tasks=fault.tasks)
    changes = dict(fault.settings)
    if fault.update:
        assert sync(emu, workspace, **changes).failed == 0
        edit_tree(workspace / ".claude", " v1", " v2", every=2)
    emu.set_faults(fault.faults)
    if fault.rival_after is not None:
        rival(emu, fault.rival_after)
    crashes, runs = 0, 1
    try:
        first = sync(emu, workspace, **changes)
    except Exception:  # counted in the figures; the assert below fails the test
        crashes, first = 1, None
    stats = emu.stats
    note = (
        f"{sum(stats.to_json()['faults'].values())} faults injected, "
        f"{stats.secondary_limits} secondary and {stats.primary_limits} primary limit answers"
    )
    emu.set_faults(FaultConfig())
    if fault.rival_after is not None:  # the rival did drain the budget under the run
        assert stats.primary_limits > 0
    if first is None or first.failed or first.not_done:
        runs = 2
        changes.pop("time_budget", None)  # the next run (the next push) has its full budget
        # ... and starts later: a new process cannot know the last run's limit pause
        emu.clock.sleep(2 * fault.faults.storm_seconds)
        second = sync(emu, workspace, **changes)
        assert second.failed == 0, second.errors
    found = check(emu, workspace)
    note += f", {stats.total} requests, {stats.violations} sent while a limit was known"
    record("fault", fault.name, runs=runs, crashes=crashes, note=note, **figures(found))
    assert crashes == 0
    assert found.items == TREE_ITEMS - LOCAL_TASKS + fault.tasks
    assert (found.lost, found.duplicates) == (0, 0), found
    assert emu.stats.violations == 0
