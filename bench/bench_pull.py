"""Pulling issues closed on GitHub into the files: one pull run, the run after it, and no pull.

A tree of N items (PRDs, epics and tasks, all open) is synced once; then M of its issues, spread
over the tree, are closed by hand on GitHub (in the emulator's state, as a person's close, not
through batchsync). Three runs follow, each on github.com's limits with the pacing as shipped:

- the one-way run (``pull: false``): GitHub's closes stand, the files keep their status;
- the pull run (``pull: true``): each close goes into its file, and the issue body once (its
  ``Status:`` line), so that the next run writes nothing;
- a rerun with ``pull: true`` and no change: target 0 GitHub writes and 0 files changed.

The one-way run goes first: it writes nothing on either side (checked), so the pull run starts
from the same state. Targets: every closed issue pulled, with one write and one file each, on top
of the one-way run's requests; the rerun writes nothing.

    PYTHONPATH=src python bench/bench_pull.py --items 1000 --closed 100 [--markdown]

The emulator's clock moves only when batchsync waits (``ManualClock``), so "emulated" is the
time the pacing and the limits imposed; "wall" is this machine's time for the whole run.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from batchsync.emulator import Emulator, ManualClock
from batchsync.results import BatchResult, ItemAction
from batchsync.sync import run
from bench_requests import emulator_settings, write_tree

TOKEN = "ghs_bench_pull"  # an installation token, as GITHUB_TOKEN: no GET /user
REPO = "bench/pull"
METHODS = ("GET", "POST", "PATCH", "PUT", "DELETE")
# The first sync only sets the stage (unpaced, no limits); the measured runs run as shipped.
UNPACED = {"write_interval": 0, "creates_per_minute": 0, "creates_per_hour": 0}
PULL_RUN = "pull run"
RERUN = "rerun with pull, no change"
ONE_WAY = "same run, pull off"


@dataclass(frozen=True)
class Row:
    """What one run sent to GitHub and wrote into the files."""

    name: str
    pull: bool
    requests: int
    methods: dict[str, int]  # requests by HTTP method, the methods seen only
    writes: int  # requests that changed something on GitHub (a GraphQL query is none)
    files: int  # work item files whose bytes changed
    pulled: int  # items the run reported as pulled
    failed: int
    emulated_s: float
    wall_s: float


@dataclass(frozen=True)
class Bench:
    """The scenario's size and its three runs, in table order."""

    items: int
    closed: int
    rows: tuple[Row, ...]

    def row(self, name: str) -> Row:
        """The run called ``name``."""
        return next(r for r in self.rows if r.name == name)


def close_by_hand(emu: Emulator, numbers: list[int]) -> None:
    """A person closes these issues on GitHub: straight in the emulator's state."""
    owner, _, name = REPO.partition("/")
    repo = emu.service.store.repo(owner, name)
    with repo.store.lock:
        for number in numbers:
            repo.update_issue(repo.issue(number).user, number, {"state": "closed"})


def snapshot(base: Path) -> dict[Path, bytes]:
    """Every work item file's bytes."""
    return {path: path.read_bytes() for path in sorted(base.rglob("*.md"))}


def measure(emu: Emulator, workspace: Path, name: str, *, pull: bool) -> tuple[BatchResult, Row]:
    """One run on fresh limits; what reached the server and what changed in the files."""
    emu.reset(limits="github")
    before = snapshot(workspace / ".claude")
    settings = emulator_settings(emu, workspace, TOKEN, REPO, pull=pull)
    start, wall = emu.clock.now(), time.perf_counter()
    result = run(settings, clock=emu.clock.now, sleep=emu.clock.sleep)
    wall_s, emulated_s = time.perf_counter() - wall, emu.clock.now() - start
    after = snapshot(workspace / ".claude")
    stats = emu.stats
    methods = {m: n for m in METHODS if (n := stats.count(method=m))}
    row = Row(
        name=name,
        pull=pull,
        requests=stats.total,
        methods=methods,
        writes=stats.writes(),
        files=sum(after.get(path) != data for path, data in before.items()),
        pulled=result.count(ItemAction.PULLED),
        failed=result.failed,
        emulated_s=emulated_s,
        wall_s=wall_s,
    )
    return result, row


def bench(items: int, closed: int) -> Bench:
    """Set the stage (``items`` synced, ``closed`` of their issues closed by hand); run it."""
    with tempfile.TemporaryDirectory() as tmp, Emulator(limits="off", clock=ManualClock()) as emu:
        emu.add_token(TOKEN)
        emu.add_repo(REPO)
        workspace = Path(tmp)
        write_tree(workspace / ".claude", items, done_every=0)
        settings = emulator_settings(emu, workspace, TOKEN, REPO, **UNPACED)
        fresh = run(settings, clock=emu.clock.now, sleep=emu.clock.sleep)
        if fresh.failed or fresh.not_done:
            raise SystemExit(f"the first sync did not finish: {fresh.failed} failed")
        issues = [issue["number"] for issue in emu.issues(REPO)]
        if not 0 < closed <= len(issues):
            raise SystemExit(f"--closed must be from 1 to {len(issues)}, got {closed}")
        close_by_hand(emu, [issues[i * len(issues) // closed] for i in range(closed)])

        _, one_way = measure(emu, workspace, ONE_WAY, pull=False)
        if one_way.writes or one_way.files:  # the pull run would not start from the same state
            raise SystemExit(f"the one-way run changed something: {one_way}")
        _, pulled = measure(emu, workspace, PULL_RUN, pull=True)
        _, rerun = measure(emu, workspace, RERUN, pull=True)
    return Bench(len(issues), closed, (pulled, rerun, one_way))


def notes(result: Bench) -> dict[str, str]:
    """Per run, the ratios and targets that make its figures readable."""
    pulled, rerun, one_way = (result.row(n) for n in (PULL_RUN, RERUN, ONE_WAY))
    per = max(pulled.pulled, 1)
    extra = pulled.requests - one_way.requests
    met = rerun.writes == 0 and rerun.files == 0 and rerun.failed == 0
    return {
        PULL_RUN: (
            f"{pulled.pulled} of {result.closed} closed issues pulled; "
            f"{pulled.writes / per:.2f} write and {pulled.files / per:.2f} file per pulled issue; "
            f"{extra} requests more than with pull off "
            f"({pulled.requests / max(one_way.requests, 1):.1f}x)"
        ),
        RERUN: f"target 0 writes, 0 files: {'met' if met else 'MISSED'}",
        ONE_WAY: "the closes stand on GitHub; the files keep their status",
    }


def _methods(row: Row) -> str:
    return ", ".join(f"{n:,} {m}" for m, n in row.methods.items()) or "-"


def heading(result: Bench) -> str:
    """The scenario in one line."""
    return (
        f"{result.items:,} items synced once; {result.closed:,} of their issues closed by hand "
        "on GitHub; each run on github.com's limits, paced as shipped"
    )


def text_table(result: Bench) -> str:
    """The runs as a fixed-width text table."""
    said = notes(result)
    head = (
        f"{'run':<27} {'pull':>5} {'requests':>8} {'by method':<20} {'writes':>6} "
        f"{'files':>5} {'pulled':>6} {'emulated':>9} {'wall':>7}  note"
    )
    lines = [heading(result), "", head, "-" * len(head)]
    for r in result.rows:
        lines.append(
            f"{r.name:<27} {str(r.pull).lower():>5} {r.requests:>8} {_methods(r):<20} "
            f"{r.writes:>6} {r.files:>5} {r.pulled:>6} {r.emulated_s:>7.0f} s "
            f"{r.wall_s:>6.1f}s  {said[r.name]}"
        )
    return "\n".join(lines)


def markdown_table(result: Bench) -> str:
    """The runs as a Markdown table, with requests per item."""
    said = notes(result)
    lines = [
        heading(result) + ".",
        "",
        "| run | pull | requests | per item | by method | GitHub writes | files written back "
        "| pulled | emulated | wall | note |",
        "|---|---|---:|---:|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in result.rows:
        lines.append(
            f"| {r.name} | {str(r.pull).lower()} | {r.requests:,} "
            f"| {r.requests / result.items:.3f} | {_methods(r)} | {r.writes:,} | {r.files:,} "
            f"| {r.pulled:,} | {r.emulated_s:,.0f} s | {r.wall_s:.1f} s | {said[r.name]} |"
        )
    return "\n".join(lines)


def main() -> None:
    """Run the scenario and print its table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--closed", type=int, default=100, help="issues closed by hand on GitHub")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args()
    result = bench(args.items, args.closed)
    print(markdown_table(result) if args.markdown else text_table(result))


if __name__ == "__main__":
    main()
