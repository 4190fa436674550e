"""Run every benchmark and write docs/performance.md, with the plot under docs/img/.

    PYTHONPATH=src python bench/report.py            # the figures of record (a few minutes)
    PYTHONPATH=src python bench/report.py --quick    # smaller sizes, written to a temp folder

Each benchmark runs as its own process (so memory figures are its own, and its command line
stays the interface); its Markdown output goes into the report under a heading that states its
target. A benchmark that is missing or fails is reported as such, and the exit code is 1.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMAND = "PYTHONPATH=src python bench/report.py"
PLOT = "img/requests-over-time.png"  # relative to the report's folder


@dataclass(frozen=True)
class Bench:
    """One benchmark script: how to run it in full and quickly, and what it is for."""

    title: str
    script: str  # relative to the repository root
    full: tuple[str, ...]
    quick: tuple[str, ...]
    about: str  # the target and the set-up, in a sentence or two (Markdown)
    plots: bool = False  # it writes the requests-over-time PNG
    timeout: float = 900.0


BENCHES = (
    Bench(
        title="Scanning a large tree",
        script="bench/bench_scan.py",
        full=("--items", "10000", "--runs", "3"),
        quick=("--items", "2000", "--runs", "1"),
        about=(
            "Target: 10,000 work items scanned and parsed in under 1 s of CPU time and under "
            "100 MB peak memory. The tree mixes both layouts (ClaudeAutoPM local mode and CCPM, "
            "with CCPM's noise files); each scan runs in a fresh process."
        ),
    ),
    Bench(
        title="Requests per item",
        script="bench/bench_requests.py",
        full=("--items", "1000", "--markdown"),
        quick=("--items", "200", "--markdown"),
        about=(
            "Targets, over 1,000 items (PRDs, epics and tasks): a rerun with no change makes at "
            "most 15 requests and no write (about 0.01 an item); a fresh sync makes one create "
            "per item (each child already under its parent, through GraphQL), one close per "
            "item that starts done, and at most 15 other requests; one changed item costs one "
            "write. Against the emulator with github.com's limits on a scaled clock."
        ),
    ),
    Bench(
        title="A no-change rerun, whatever list answers carry",
        script="bench/bench_rerun.py",
        full=("--items", "1000"),
        quick=("--items", "200"),
        about=(
            "GitHub does not promise `parent_issue_url` and `sub_issues_summary` in list "
            "answers. The same linked tree is rerun with lists carrying both fields, only "
            "`sub_issues_summary`, or neither. Targets: 0 writes every time; at most 15 "
            "requests when lists carry both fields; at most 15 plus one read per parent "
            "otherwise: a count of sub-issues cannot tell which children are under a parent "
            "(a person may have added one while one is missing), so each parent's list is read."
        ),
    ),
    Bench(
        title="Pulling issues closed on GitHub into the files",
        script="bench/bench_pull.py",
        full=("--items", "1000", "--closed", "100", "--markdown"),
        quick=("--items", "200", "--closed", "20", "--markdown"),
        about=(
            "The tree is synced once, then some of its issues are closed by hand on GitHub. "
            "Targets: the run with `pull: true` pulls every close, with one GitHub write (the "
            "issue body's `Status:` line) and one file each, on top of the requests of the same "
            "run with pull off; the rerun after it writes nothing and changes no file."
        ),
    ),
    Bench(
        title="Creating 1,000 items: batchsync against the floor, beside naive clients",
        script="bench/bench_processor.py",
        full=("--plot", "{plot}"),
        quick=("--quick", "--plot", "{plot}"),
        plots=True,
        about=(
            "Target: creating 1,000 items finishes within 10 % of the floor that github.com's "
            "limits allow, with no limit violation. The floor is computed from the limits the "
            "benchmark sets: the earliest the last create could start if every request took no "
            "time, keeping 1 s between writes, 80 creations a minute, 500 an hour and the "
            "GITHUB_TOKEN's 1,000 requests an hour. Beside it, each on a fresh emulator with "
            "the same limits, two naive clients: a PyGithub loop over 10 threads with no pacing "
            "of its own, as the original processor worked, once with PyGithub's defaults and "
            "once with the original's own retry (a 429 retried after 1, 2 and 4 s, nothing "
            "else). The second table repeats the run with 2 % of creates answered 502 after "
            "the issue was made. A *violation* is a request sent while a limit was known to "
            "be active (during a secondary-limit penalty, or with the hourly budget spent); "
            "*refused* counts every answer that refused a request for a limit; *failed* "
            "counts the items the client gave up on."
        ),
    ),
    Bench(
        title="One write per item: GraphQL createIssue beside REST create + link",
        script="bench/bench_graphql.py",
        full=("--items", "1000", "--markdown"),
        quick=("--items", "200", "--markdown"),
        about=(
            "Targets, for a fresh sync of the 1,000-item tree on github.com's limits: the GraphQL "
            "path makes at most 1,000 creates + the closes + 15 other writes (a sub-issue link "
            "only for the first child of each new label set, which goes through REST so that "
            "GitHub makes its labels; every other child is created under its parent), finishes "
            "within 10 % of its floor, with no "
            "limit violation; a rerun with no change makes at most 15 requests and no write. "
            "Beside it, on a fresh emulator with the same limits each, the REST path (a server "
            "without GraphQL: create, then link) and the GraphQL path against a GitHub that "
            "counts the link inside createIssue as a second content creation. The emulator's "
            "clock moves only when batchsync waits; the floor is the earliest the last content "
            "creation could start (1 s between writes, 80 a minute, 500 an hour, counted as "
            "that emulator counts them)."
        ),
    ),
    Bench(
        title="Emulator throughput",
        script="bench/bench_emulator.py",
        full=("--seconds", "1"),
        quick=("--seconds", "0.5", "--clients", "1,2"),
        about=(
            "Not a product target: how many requests a second the emulator serves on this "
            "machine, which bounds how fast the benchmarks above can scale the clock."
        ),
    ),
)

Check = tuple[str, str, bool]  # target, measured, met


def _scan_checks(output: str) -> list[Check]:
    found = re.search(r"best CPU ([\d.]+) s; peak RSS ([\d.]+) MB", output)
    items = re.search(r"scan of (\d+) work items", output)
    if not found or not items:
        return []
    cpu, rss = float(found[1]), float(found[2])
    n = f"{int(items[1]):,} items"
    return [
        (f"scan {n}: under 1 s of CPU", f"{cpu:.2f} s (best of the runs)", cpu < 1.0),
        (f"scan {n}: under 100 MB peak memory", f"{rss:.0f} MB", rss < 100.0),
    ]


def _requests_checks(output: str) -> list[Check]:
    rows = {}
    for line in output.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 13 and cells[2].replace(",", "").isdigit():
            rows[cells[0]] = cells
    checks: list[Check] = []
    if "rerun, no change" in rows:
        r = rows["rerun, no change"]
        requests, writes = int(r[2].replace(",", "")), int(r[4].replace(",", ""))
        checks.append(
            (
                f"rerun of {r[1]} unchanged items: at most 15 requests, 0 writes",
                f"{requests} requests, {writes} writes",
                requests <= 15 and writes == 0,
            )
        )
    if "one changed item" in rows:
        r = rows["one changed item"]
        writes = int(r[4].replace(",", ""))
        checks.append(
            (f"one changed item among {r[1]}: 1 write", f"{writes} write(s)", writes == 1)
        )
    if "fresh sync" in rows:
        other = re.search(r"\+ (\d+) other", rows["fresh sync"][12])
        if other:
            n = int(other[1])
            checks.append(
                (
                    f"fresh sync of {rows['fresh sync'][1]}: creates + closes + at most 15 others",
                    f"{n} other requests",
                    n <= 15,
                )
            )
    return checks


def _rerun_checks(output: str) -> list[Check]:
    head = re.search(r"rerun of ([\d,]+) items \((\d+) parents\)", output)
    if not head:
        return []
    checks: list[Check] = []
    for line in output.splitlines():
        found = re.match(
            r"(.+?)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+0 writes, <= (\d+) requests: (\w+)",
            line,
        )
        if found:
            label, requests, writes, limit = found[1], found[2], found[3], found[7]
            checks.append(
                (
                    f"no-change rerun of {head[1]} items, {label}: 0 writes, at most {limit} "
                    "requests",
                    f"{requests} requests, {writes} writes",
                    found[8] == "met",
                )
            )
    return checks


def _pull_checks(output: str) -> list[Check]:
    head = re.search(r"([\d,]+) items synced once; ([\d,]+) of their issues closed", output)
    rows = {}
    for line in output.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 11 and cells[2].replace(",", "").isdigit():
            rows[cells[0]] = [int(c.replace(",", "")) for c in (cells[2], *cells[5:8])]
    pulled, rerun, one_way = (
        rows.get(name) for name in ("pull run", "rerun with pull, no change", "same run, pull off")
    )
    if not head or not pulled or not rerun or not one_way:
        return []
    items, closed = head[1], int(head[2].replace(",", ""))
    requests, writes, files, count = pulled
    extra = requests - one_way[0]
    return [
        (
            f"pull {closed} issues closed on GitHub among {items} items: each pulled, with "
            "1 write and 1 file",
            f"{count} pulled, {writes} writes, {files} files",
            count == writes == files == closed,
        ),
        (
            "pull run: the requests of the run with pull off plus 1 per pulled issue",
            f"{extra} requests more",
            extra == count,
        ),
        (
            "rerun with pull after the pull: 0 writes, 0 files",
            f"{rerun[1]} writes, {rerun[2]} files",
            rerun[1] == 0 and rerun[2] == 0,
        ),
    ]


def _processor_checks(output: str) -> list[Check]:
    found = re.search(r"target \(([^)]*)\): (met|NOT met) \((.*)\)", output)
    items = re.search(r"^([\d,]+) new work items", output, re.MULTILINE)
    if not found or not items:
        return []
    return [(f"create {items[1]} items: {found[1]}", found[3], found[2] == "met")]


def _graphql_checks(output: str) -> list[Check]:
    rows = {}
    for line in output.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 15 and cells[1].replace(",", "").isdigit():
            rows[cells[0]] = cells

    def num(text: str) -> float:
        return float(text.split(maxsplit=1)[0].replace(",", "").replace("+", ""))

    checks: list[Check] = []
    fresh = rows.get("fresh sync, GraphQL")
    if fresh:
        writes, creates, closes = num(fresh[2]), num(fresh[3]), num(fresh[5])
        other = writes - creates - closes
        checks.append(
            (
                "GraphQL fresh sync: creates + closes + at most 15 other writes",
                f"{creates:.0f} creates + {closes:.0f} closes + {other:.0f} other",
                other <= 15,
            )
        )
        over = num(fresh[10])
        checks.append(("GraphQL fresh sync: within 10 % of its floor", fresh[10], over <= 10.0))
    for name, cells in rows.items():
        if name.startswith("fresh sync"):
            checks.append((f"{name}: 0 limit violations", cells[12], num(cells[12]) == 0))
    rerun = rows.get("rerun, no change (GraphQL)")
    if rerun:
        requests, writes = num(rerun[1]), num(rerun[2])
        checks.append(
            (
                "rerun with no change: at most 15 requests, 0 writes",
                f"{requests:.0f} requests, {writes:.0f} writes",
                requests <= 15 and writes == 0,
            )
        )
    return checks


CHECKS: dict[str, Callable[[str], list[Check]]] = {
    "bench/bench_graphql.py": _graphql_checks,
    "bench/bench_scan.py": _scan_checks,
    "bench/bench_requests.py": _requests_checks,
    "bench/bench_processor.py": _processor_checks,
    "bench/bench_rerun.py": _rerun_checks,
    "bench/bench_pull.py": _pull_checks,
}


def summarise(bench: Bench, output: str) -> list[Check]:
    """The targets one benchmark's output shows; a row saying so when its figures are missing."""
    read = CHECKS.get(bench.script)
    if read is None:
        return []
    return read(output) or [(f"`{bench.script}`", "figures not found in its output", False)]


def checks_table(checks: list[Check]) -> str:
    """The targets at a glance."""
    lines = ["| target | measured | met |", "|---|---|---|"]
    lines += [f"| {t} | {m} | {'yes' if ok else '**no**'} |" for t, m, ok in checks]
    return "\n".join(lines)


CAVEATS = """\
## How to read these figures

- The emulator's clock runs faster than real time (x100 for the processor benchmark, x1000 for
  the requests one), so an emulated hour of GitHub's limits passes in seconds. Local work
  (scanning, rendering, PyGithub's own CPU time) is not scaled down: a millisecond of CPU is
  0.1 to 1 emulated second. The "whole run" and "emulated" columns include it; the "first to
  last request" column, which the floor is compared with, mostly does not.
- The clients and the emulator share one process and one GIL on a 2-core machine that other
  jobs may be using (see the load average above); noise shows as gaps of more than 1 s between
  writes. A loaded machine makes every emulated time longer, never shorter.
- The floor is for doing every item. A client that ignores the limits can end "before the
  floor" only by giving items up, as the naive rows show.
- PyGithub's defaults pause 1 s between writes, but threads sharing a client that wait for
  the same moment all send at it, so 10 threads reach 80 to 100 writes a minute. They retry
  limits (waiting `retry-after`, or 60 s for a secondary limit without one) and 5xx answers,
  POST included: that is where their duplicates come from. A 429 without `retry-after` is not
  retried: those items fail. For the naive clients PyGithub's and urllib3's clocks and sleeps
  are pointed at the emulator's clock, so they behave as against github.com, only faster.
- Without any pacing a client here is bounded by its own CPU (a few milliseconds a request,
  times the clock's scale: a few requests an emulated second), far below what 10 threads send
  to github.com; the refusals and failures of "the original's retry" are a lower bound.
- The processor benchmark's tree is 1,000 PRDs: one create each, as in the original's claim.
  In a PRD/epic/task tree every epic and task also costs a sub-issue link, which GitHub counts
  as content creation too: about 2,000 creations, so about 4 emulated hours for 1,000 items
  (the fresh sync in the requests table), within the default 300-minute time budget.
- The figures are measurements of one run, not assertions: no test checks timings.
"""


def run_bench(bench: Bench, *, quick: bool, plot: Path) -> tuple[str, bool, float]:
    """Run one benchmark; return (its output as Markdown, whether it worked, wall seconds)."""
    script = ROOT / bench.script
    if not script.exists():
        return f"_Not run: `{bench.script}` is not on this branch._", False, 0.0
    args = [a.format(plot=plot) for a in (bench.quick if quick else bench.full)]
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")])),
    )
    start = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, str(script), *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=bench.timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        wall = time.perf_counter() - start
        return f"_Failed: `{bench.script}` ran over {bench.timeout:.0f} s._", False, wall
    wall = time.perf_counter() - start
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-15:])
        return (
            f"_Failed: `{bench.script}` exited with {done.returncode}:_\n\n```text\n{tail}\n```",
            False,
            wall,
        )
    # the plot goes in as an image, not as the path the script printed
    output = "\n".join(
        line for line in done.stdout.strip().splitlines() if not line.startswith("plot: ")
    )
    return output, True, wall


def section(bench: Bench, output: str, wall: float, *, quick: bool, plot: Path) -> str:
    """One benchmark's part of the report: title, target, command, output, plot."""
    args = " ".join(bench.quick if quick else bench.full).replace("{plot}", f"docs/{PLOT}")
    command = f"PYTHONPATH=src python {bench.script} {args}".rstrip()
    image = ""
    if bench.plots and plot.exists():
        image = (
            f"\n![Requests a minute over emulated time, accepted and refused, with the issues "
            f"created so far, for batchsync and the naive clients]({PLOT})\n"
        )
    return (
        f"## {bench.title}\n\n{bench.about}\n\n"
        f"Command: `{command}` ({wall:.0f} s here)\n\n{output}\n{image}"
    )


def machine() -> str:
    """Where the figures were measured."""
    cores = os.cpu_count() or 0
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"Python {platform.python_version()} on {platform.system()} {platform.machine()}, "
        f"{cores} cores (load average at the start: {load})"
    )


def main() -> int:
    """Run every benchmark and write the report; 1 when any benchmark did not run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, a smoke run")
    parser.add_argument(
        "--out",
        type=Path,
        help="the report (default docs/performance.md; with --quick a temporary folder)",
    )
    args = parser.parse_args()
    out = args.out
    if out is None:
        out = (
            Path(tempfile.mkdtemp(prefix="batchsync-perf-")) / "performance.md"
            if args.quick
            else ROOT / "docs" / "performance.md"
        )
    plot = out.parent / PLOT
    plot.parent.mkdir(parents=True, exist_ok=True)
    plot.unlink(missing_ok=True)  # a stale plot must not pass for this run's
    started, where = time.perf_counter(), machine()
    parts, ok, checks = [], True, []
    for bench in BENCHES:
        print(f"running {bench.script} ...", file=sys.stderr, flush=True)
        output, worked, wall = run_bench(bench, quick=args.quick, plot=plot)
        ok = ok and worked
        checks += summarise(bench, output) if worked else []
        parts.append(section(bench, output, wall, quick=args.quick, plot=plot))
    total = time.perf_counter() - started
    command = COMMAND + (" --quick" if args.quick else "")
    head = (
        "# Performance\n\n"
        f"Produced by one command from the repository root: `{command}`\n"
        "(it runs every benchmark in `bench/` and rewrites this page and its plot; do not edit "
        "by hand). `--quick` runs smaller sizes into a temporary folder.\n\n"
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {where}, in {total / 60:.1f} min.\n"
    )
    if args.quick:
        head += "\n**Quick run: smaller sizes; not the figures of record.**\n"
    head += f"\n## Targets at a glance\n\n{checks_table(checks)}\n"
    out.write_text("\n".join([head, *parts, CAVEATS]), encoding="utf-8")
    print(f"wrote {out}" + (f" and {plot}" if plot.exists() else ""), file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
