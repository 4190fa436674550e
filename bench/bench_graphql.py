"""A fresh sync through GraphQL createIssue beside the REST path, on the same emulated limits.

    PYTHONPATH=src python bench/bench_graphql.py --items 1000 [--markdown]

Three runs of the same tree (PRDs, epics, tasks; every 10th task done), each on a fresh emulator
with github.com's limits for a GITHUB_TOKEN: the GraphQL path (each child created already under
its parent, one request), the REST path (a server without /graphql: create, then link), and the
GraphQL path against a GitHub that counts the link inside createIssue as a second content
creation (``GraphQLConfig(link_counts_twice=True)``; GitHub does not document which reading is
true). Then a rerun with no change on the GraphQL path's emulator.

The emulator's clock moves only when batchsync waits (``ManualClock``), so "emulated" is the time
the limits imposed. The floor is the earliest the last content creation could start with every
request taking no time: 1 s between writes, 80 content creations a minute, 500 an hour, counted
as the emulator (GitHub) counts them; or all writes 1 s apart, whichever is later.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from batchsync.emulator import Emulator, GraphQLConfig, LimitConfig, ManualClock
from batchsync.results import BatchResult
from batchsync.sync import run
from bench_requests import emulator_settings, write_tree

TOKEN = "ghs_bench_graphql"
REPO = "bench/graphql"
LINKS = "/repos/{owner}/{repo}/issues/{issue_number}/sub_issues"
REST_CREATE = "/repos/{owner}/{repo}/issues"
LABELS = "/repos/{owner}/{repo}/labels"
PER_MINUTE, PER_HOUR, INTERVAL = 80, 500, 1.0


@dataclass(frozen=True)
class Path_:
    """One way of running the sync: its name and the emulator's GraphQL reading."""

    name: str
    graphql: GraphQLConfig | None


PATHS = (
    Path_("GraphQL", GraphQLConfig()),
    Path_("REST", None),
    Path_("GraphQL, link counted twice", GraphQLConfig(link_counts_twice=True)),
)


def floor_minutes(units: list[int], writes: int) -> float:
    """Earliest start of the last content creation (``units`` each, in order), in minutes."""
    minute: deque[tuple[float, int]] = deque()
    hour: deque[tuple[float, int]] = deque()
    t = -INTERVAL
    for u in units:
        t += INTERVAL
        while True:
            while minute and minute[0][0] <= t - 60:
                minute.popleft()
            while hour and hour[0][0] <= t - 3600:
                hour.popleft()
            late = _window_wait(minute, PER_MINUTE, 60, u) or _window_wait(hour, PER_HOUR, 3600, u)
            if late is None:
                break
            t = late
        minute.append((t, u))
        hour.append((t, u))
    return max(t, (writes - 1) * INTERVAL) / 60


def _window_wait(window: deque[tuple[float, int]], cap: int, span: float, u: int) -> float | None:
    used = sum(n for _, n in window)
    if used + u <= cap:
        return None
    for at, n in window:
        used -= n
        if used + u <= cap:
            return at + span
    return None


def measure(emu: Emulator, workspace: Path, budget: float) -> tuple[BatchResult, dict[str, float]]:
    """One sync on the emulator's clock; what reached the server."""
    emu.stats.reset()
    settings = emulator_settings(emu, workspace, TOKEN, REPO, time_budget=budget)
    wall = time.perf_counter()
    start = emu.clock.now()
    before = len(emu.issues(REPO))
    result = run(settings, clock=emu.clock.now, sleep=emu.clock.sleep)
    s = emu.stats
    creates = len(emu.issues(REPO)) - before  # a refused create is no create
    figures = {
        "requests": s.total,
        "writes": s.writes(),
        "creates": creates,
        "links": s.count("POST", LINKS, 201),
        "labels": s.count("POST", LABELS, 201),
        "closes": s.count(method="PATCH", status=200),
        "refused": s.secondary_limits + s.primary_limits,
        "violations": s.violations,
        "emulated_min": (emu.clock.now() - start) / 60,
        "wall_s": time.perf_counter() - wall,
        "failed": result.failed,
        "not_done": result.not_done,
    }
    return result, figures


def one_path(path: Path_, items: int, done_every: int, budget: float) -> list[dict[str, float]]:
    """A fresh sync on a fresh emulator (and, for the GraphQL path, a rerun with no change)."""
    rows = []
    with (
        tempfile.TemporaryDirectory() as tmp,
        Emulator(limits=LimitConfig.github(), clock=ManualClock(), graphql=path.graphql) as emu,
    ):
        emu.add_token(TOKEN)
        emu.add_repo(REPO)
        workspace = Path(tmp)
        prds, _ = write_tree(workspace / ".claude", items, done_every=done_every)
        _, fresh = measure(emu, workspace, budget)
        children = items - prds
        twice = path.graphql is not None and path.graphql.link_counts_twice
        units = [1] * int(fresh["labels"]) + [1] * prds + [2 if twice else 1] * children
        units += [1] * int(fresh["links"])
        fresh["content"] = sum(units)
        fresh["floor_min"] = floor_minutes(units, int(fresh["writes"]))
        fresh["other_writes"] = fresh["writes"] - fresh["creates"] - fresh["links"]
        fresh["other_writes"] -= fresh["closes"]
        rows.append(fresh)
        if path.graphql == GraphQLConfig():
            _, rerun = measure(emu, workspace, budget)
            rows.append(rerun)
    return rows


def markdown(results: list[tuple[str, dict[str, float]]], items: int) -> str:
    """The runs as a Markdown table."""
    lines = [
        "| run | requests | writes | creates | links | closes | other writes | content "
        "creations | emulated | floor | over floor | refused | violations | failed | wall |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, f in results:
        floor = f.get("floor_min")
        over = f"{(f['emulated_min'] / floor - 1) * 100:+.1f} %" if floor else "-"
        lines.append(
            f"| {name} | {f['requests']:,.0f} | {f['writes']:,.0f} | {f['creates']:,.0f} "
            f"| {f['links']:,.0f} | {f['closes']:,.0f} | {f.get('other_writes', 0):,.0f} "
            f"| {f.get('content', 0):,.0f} | {f['emulated_min']:,.1f} min "
            f"| {f'{floor:,.1f} min' if floor else '-'} | {over} | {f['refused']:.0f} "
            f"| {f['violations']:.0f} | {f['failed'] + f['not_done']:.0f} | {f['wall_s']:.1f} s |"
        )
    lines.append("")
    lines.append(f"{items:,} work items; content creations as GitHub counts them in that run.")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--done-every", type=int, default=10)
    parser.add_argument("--time-budget", type=float, default=600.0, help="minutes")
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    results: list[tuple[str, dict[str, float]]] = []
    for path in PATHS:
        rows = one_path(path, args.items, args.done_every, args.time_budget)
        results.append((f"fresh sync, {path.name}", rows[0]))
        if len(rows) > 1:
            results.append(("rerun, no change (GraphQL)", rows[1]))
    print(markdown(results, args.items))


if __name__ == "__main__":
    main()
