"""Two runs over the same tree at once: what a workflow ``concurrency:`` group prevents.

Without a group, two pushes in quick succession start two runs that both list the issues before
either creates one; both then create every item. The emulator holds each run's listing until
both have listed, which is that race at its worst, every time. The next run adopts the lowest
numbered issue of each item (by its marker), brings it up to date (a copy may name the other
run's parent), warns about the other copy and creates nothing. With a group the runs queue: the
second finds everything done and writes nothing.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from relkit import REPO, TOKEN, TREE_ITEMS, write_tree  # noqa: F401 - the emu fixture (tests/conftest.py) reads them
from relsync import check, figures, issues_by_key, settings_for

from batchsync.emulator import Emulator
from batchsync.emulator.service import Handle
from batchsync.results import BatchResult
from batchsync.sync import run
from emulated import writes

LISTING = "/issues?"
ISSUES = "/repos/{owner}/{repo}/issues"


WORK_ITEMS = write_tree  # the workspace fixture (tests/conftest.py)


def hold_listings_until(emu: Emulator, runs: int) -> None:
    """Answer no issue listing until ``runs`` runs have asked for one (the race's worst case)."""
    barrier = threading.Barrier(runs, timeout=20)
    waiting = {"left": runs}

    def around(handle: Handle) -> Handle:
        def held(method: str, target: str, *rest: Any) -> Any:
            if method == "GET" and LISTING in target and waiting["left"] > 0:
                waiting["left"] -= 1
                barrier.wait()
            return handle(method, target, *rest)

        return held

    emu.wrap(around)


def at_once(emu: Emulator, workspace: Path) -> list[BatchResult]:
    results: list[BatchResult] = []

    def one() -> None:
        results.append(run(settings_for(emu, workspace)))

    threads = [threading.Thread(target=one) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_two_runs_without_a_concurrency_group_duplicate_and_the_next_run_adopts(
    emu: Emulator, workspace: Path, record
) -> None:
    hold_listings_until(emu, 2)
    results = at_once(emu, workspace)
    raced = check(emu, workspace)
    creates = emu.stats.count(method="POST", template=ISSUES)
    third = run(settings_for(emu, workspace))
    after = check(emu, workspace)
    record(
        "concurrency",
        "two runs at once without a concurrency group (shows the race)",
        runs=3,
        items=TREE_ITEMS,
        lost=after.lost,
        duplicates=raced.duplicates,
        note=(
            f"{raced.lost} items pointed at the other run's parent until the next run, which "
            f"created {emu.stats.count(method='POST', template=ISSUES) - creates} issues and "
            f"warned {len(third.warnings)} times"
        ),
        expected_nonzero=True,
    )
    assert [r.failed for r in results] == [0, 0]
    assert raced.duplicates == TREE_ITEMS  # every item created by both runs
    assert third.failed == 0
    assert emu.stats.count(method="POST", template=ISSUES) == creates  # no third copy
    assert after.lost == 0, after  # the lowest-numbered copy of each item is made right
    assert after.duplicates == TREE_ITEMS  # the other copies stay, named in warnings
    assert len(third.warnings) >= TREE_ITEMS
    assert all(len(found) == 2 for found in issues_by_key(emu).values())


def test_two_runs_queued_by_a_concurrency_group_make_no_duplicate(
    emu: Emulator, workspace: Path, record
) -> None:
    first = run(settings_for(emu, workspace))
    before = writes(emu)
    second = run(settings_for(emu, workspace))
    found = check(emu, workspace)
    record(
        "concurrency",
        "two runs queued by a concurrency group",
        runs=2,
        note=f"the second run wrote {writes(emu) - before} times",
        **figures(found),
    )
    assert (first.failed, second.failed) == (0, 0)
    assert writes(emu) == before
    assert (found.lost, found.duplicates) == (0, 0), found
