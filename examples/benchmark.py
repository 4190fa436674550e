"""Example 4: a benchmark: a first sync of a generated tree under GitHub's limits, run by run.

    python examples/benchmark.py [--prds 3] [--time-budget 300]

Generates ``--prds`` PRDs, each with 3 epics of 10 tasks (34 items a PRD, ClaudeAutoPM local
mode), and syncs them into an emulator enforcing github.com's limits for a ``GITHUB_TOKEN``
(1,000 requests an hour; 80 creations a minute, 500 an hour; 900 points a minute). The clock is
a manual one: it moves only when batchsync waits, so the times are the floor the limits impose,
with no network latency added. Each run stops at ``--time-budget`` minutes and the next one
carries on, as scheduled workflow runs would. Prints one row per run, then a re-run with nothing
changed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from _emulated import REPO, duplicates, emulator, settings, workspace
from batchsync import sync
from batchsync.emulator import Emulator, ManualClock
from batchsync.results import BatchResult, ItemAction

EPICS, TASKS = 3, 10


def generate(base: Path, prds: int) -> int:
    """Write ``prds`` PRDs with their epics and tasks under ``base``; return the item count."""
    (base / "prds").mkdir(parents=True, exist_ok=True)
    count = 0
    for p in range(1, prds + 1):
        prd = f"prd-{p:03d}"
        _write(base / "prds" / f"{prd}-area-{p}.md", prd, f"Area {p}", "", f"Goals of area {p}.")
        count += 1
        for e in range(1, EPICS + 1):
            epic = f"epic-{p:03d}{e:02d}"
            folder = base / "epics" / f"{epic}-part-{e}"
            folder.mkdir(parents=True)
            _write(folder / "epic.md", epic, f"Area {p} part {e}", f"prd_id: {prd}\n", "Scope.")
            count += 1
            for t in range(1, TASKS + 1):
                _write(
                    folder / f"task-{t:03d}.md",
                    f"task-{epic}-{t:03d}",
                    f"Step {t} of area {p} part {e}",
                    f"epic_id: {epic}\nestimated_hours: {t % 5 + 1}\n",
                    f"Do step {t}.",
                )
                count += 1
    return count


def _write(path: Path, key: str, title: str, extra: str, body: str) -> None:
    text = f"---\nid: {key}\ntitle: {title}\nstatus: open\npriority: medium\n{extra}---\n{body}\n"
    path.write_text(text, encoding="utf-8")


def _row(run: str, result: BatchResult, emu: Emulator, items: int) -> str:
    stats = emu.stats
    writes = stats.count("POST") + stats.count("PATCH")
    done = result.count(ItemAction.CREATED) + result.count(ItemAction.UPDATED)
    minutes = result.duration / 60
    return (
        f"| {run} | {minutes:,.1f} | {done} | {result.count(ItemAction.UNCHANGED)} | "
        f"{result.not_done} | {result.failed} | {stats.count('GET')} | {writes} | "
        f"{stats.total / items:.2f} | {stats.primary_limits + stats.secondary_limits} |"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run until every item is synced; exit 1 on a failure, a duplicate or a refused request."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prds", type=int, default=3, help="PRDs to generate (34 items each)")
    parser.add_argument("--time-budget", type=float, default=300.0, help="minutes per run")
    parser.add_argument("--max-runs", type=int, default=20, help="stop after this many runs")
    args = parser.parse_args(argv)

    with workspace(tree=None) as root, emulator(clock=ManualClock()) as emu:
        items = generate(root / ".claude", args.prds)
        config = settings(root, emu, time_budget=args.time_budget)
        print(f"{items} new items, time budget {args.time_budget:g} min a run, GITHUB_TOKEN limits")
        print(
            "\n| run | minutes | written | unchanged | not done | failed | GET | POST+PATCH "
            "| requests/item | refused |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|")
        bad = 0
        for run in range(1, args.max_runs + 1):
            emu.stats.reset()
            result = sync.run(config, clock=emu.clock, sleep=emu.clock.sleep)
            print(_row(str(run), result, emu, items))
            bad += result.failed + emu.stats.primary_limits + emu.stats.secondary_limits
            if not result.not_done:
                break
        emu.stats.reset()
        again = sync.run(config, clock=emu.clock, sleep=emu.clock.sleep)
        print(_row("re-run, nothing changed", again, emu, items))
        twins = duplicates(emu)
        print(f"\nissues: {len(emu.issues(REPO))}, duplicates: {len(twins)}")
        return (
            1
            if bad or twins or result.not_done or again.count(ItemAction.UNCHANGED) != items
            else 0
        )


if __name__ == "__main__":
    sys.exit(main())
