"""Requests a sync sends, against the emulator with GitHub's limits on a scaled clock.

Scenarios: a fresh sync of N items, a rerun with no change, one changed item.
Targets: rerun <= 15 requests and 0 writes; fresh = N creates (each child created already under
its parent through GraphQL, so no link request) + closes + <= 15 others; one change = 1 write.
An item that starts done costs one more request (GitHub cannot create a closed issue), hence
``--done-every 0`` to check the target alone.

    PYTHONPATH=src python bench/bench_requests.py --items 1000 [--done-every 0] [--issue-types true]

"emulated" is time on the emulator's clock, which runs ``--scale`` times faster than the wall
clock, so it includes the client's own CPU time multiplied by the scale.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from batchsync.config import Settings, load_settings
from batchsync.emulator import Emulator
from batchsync.results import BatchResult, ItemAction
from batchsync.sync import run

TOKEN = "ghs_bench"
REPO = "bench/requests"


def write_tree(
    base: Path, items: int, *, done_every: int, tasks_per_epic: int = 48
) -> tuple[int, Path]:
    """A local-mode tree of exactly ``items`` items (PRDs of two epics); (PRD count, a task)."""
    made, prds, first_task = 0, 0, None
    while made < items:
        prds += 1
        prd = f"prd-{prds:03}"
        _file(base / f"prds/{prd}.md", prd, f"PRD {prds}", {})
        made += 1
        for e in range(1, 3):
            epic = f"epic-{prds:03}-{e}"
            if made < items:
                _file(base / f"epics/{epic}/epic.md", epic, f"Epic {epic}", {"prd_id": prd})
                made += 1
            for t in range(1, tasks_per_epic + 1):
                if made >= items:
                    break
                path = base / f"epics/{epic}/task-{t:03}.md"
                status = "done" if done_every and t % done_every == 0 else "open"
                _file(path, f"task-{epic}-{t:03}", f"Task {t}", {"epic_id": epic, "status": status})
                first_task = first_task or path
                made += 1
    assert first_task is not None, "need at least 3 items"
    return prds, first_task


def _file(path: Path, key: str, title: str, extra: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = {"id": key, "title": title, "status": "open", "priority": "medium", **extra}
    head = "".join(f"{k}: {v}\n" for k, v in meta.items())
    path.write_text(f"---\n{head}github_issue: null\n---\n\nBody of {title}.\n")


def emulator_settings(
    emu: Emulator, workspace: Path, token: str, repo: str, **overrides: object
) -> Settings:
    """The settings of a benchmark run against ``emu``: the tree under ``workspace/.claude``."""
    given: dict[str, object] = {
        "github_token": token,
        "repository": repo,
        "api_url": emu.url,
        "workspace": str(workspace),
        "path": ".claude",
    }
    return load_settings({**given, **overrides}, env={})


def measure(
    emu: Emulator, workspace: Path, budget: float, **overrides: object
) -> tuple[BatchResult, dict[str, float]]:
    """Run one sync on the emulator's clock; count what reached the server."""
    emu.stats.reset()
    settings = emulator_settings(emu, workspace, TOKEN, REPO, time_budget=budget, **overrides)
    wall = time.perf_counter()
    start = emu.clock.now()
    result = run(settings, clock=emu.clock.now, sleep=emu.clock.sleep)
    stats = emu.stats
    figures = {
        "requests": stats.total,
        "GET": stats.count(method="GET"),
        "POST": stats.count(method="POST"),
        "PATCH": stats.count(method="PATCH"),
        "writes": stats.writes(),  # a GraphQL query is a POST that writes nothing
        "links": stats.count("POST", "/repos/{owner}/{repo}/issues/{issue_number}/sub_issues"),
        "limited": stats.secondary_limits + stats.primary_limits,
        "violations": stats.violations,
        "emulated_min": (emu.clock.now() - start) / 60,
        "wall_s": time.perf_counter() - wall,
    }
    return result, figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--scale", type=float, default=1000.0, help="emulated seconds per second")
    parser.add_argument(
        "--time-budget",
        type=float,
        default=600.0,
        help="minutes; a fresh sync of 1,000 needs about 4 emulated hours (500 creations/h)",
    )
    parser.add_argument(
        "--done-every",
        type=int,
        default=10,
        help="every Nth task is done (0: none); a done item costs a create and a closing PATCH",
    )
    parser.add_argument(
        "--issue-types",
        default="false",
        help="the issue-types setting (the emulator's organisation has GitHub's default types)",
    )
    parser.add_argument(
        "--markdown", action="store_true", help="print a Markdown table with requests per item"
    )
    args = parser.parse_args()
    rows: list[tuple[str, int, dict[str, float], str]] = []
    with tempfile.TemporaryDirectory() as tmp, Emulator(limits="github", scale=args.scale) as emu:
        emu.add_token(TOKEN)
        emu.add_repo(REPO)
        workspace = Path(tmp)
        _, task_file = write_tree(workspace / ".claude", args.items, done_every=args.done_every)
        n = len(list((workspace / ".claude").rglob("*.md")))
        closed = sum("status: done" in p.read_text() for p in (workspace / ".claude").rglob("*.md"))

        typed = {"issue_types": args.issue_types}
        result, fresh = measure(emu, workspace, args.time_budget, **typed)
        other = fresh["requests"] - n - fresh["links"] - closed
        rows.append(
            (
                "fresh sync",
                n,
                fresh,
                f"{n} creates + {fresh['links']:.0f} links + {closed} closes + {other:.0f} other; "
                f"{result.not_done} not done",
            )
        )

        result, rerun = measure(emu, workspace, args.time_budget, **typed)
        rows.append(
            (
                "rerun, no change",
                n,
                rerun,
                f"target <= 15 requests, 0 writes; {result.count(ItemAction.UNCHANGED)} unchanged",
            )
        )

        task_file.write_text(task_file.read_text().replace("Body of", "Changed body of"))
        result, one = measure(emu, workspace, args.time_budget, **typed)
        rows.append(("one changed item", n, one, "target 1 write"))

    print(markdown_table(rows) if args.markdown else text_table(rows))


Row = tuple[str, int, dict[str, float], str]


def text_table(rows: list[Row]) -> str:
    """The rows as a fixed-width text table."""
    head = (
        f"{'scenario':<18} {'items':>5} {'requests':>8} {'GET':>5} {'POST':>5} {'PATCH':>5} "
        f"{'limited':>7} {'violations':>10} {'emulated':>10} {'wall':>7}  note"
    )
    lines = [head, "-" * len(head)]
    for name, items, f, note in rows:
        lines.append(
            f"{name:<18} {items:>5} {f['requests']:>8.0f} {f['GET']:>5.0f} {f['POST']:>5.0f} "
            f"{f['PATCH']:>5.0f} {f['limited']:>7.0f} {f['violations']:>10.0f} "
            f"{f['emulated_min']:>8.1f}min {f['wall_s']:>6.1f}s  {note}"
        )
    return "\n".join(lines)


def markdown_table(rows: list[Row]) -> str:
    """The rows as a Markdown table, with requests and writes per item."""
    lines = [
        "| scenario | items | requests | per item | writes | GET | POST | PATCH | limited "
        "| violations | emulated | wall | note |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, items, f, note in rows:
        lines.append(
            f"| {name} | {items:,} | {f['requests']:,.0f} | {f['requests'] / items:.3f} "
            f"| {f['writes']:,.0f} | {f['GET']:,.0f} | {f['POST']:,.0f} | {f['PATCH']:,.0f} "
            f"| {f['limited']:.0f} | {f['violations']:.0f} | {f['emulated_min']:,.1f} min "
            f"| {f['wall_s']:.1f} s | {note} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
