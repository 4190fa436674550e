"""Processor benchmark: creating N issues within github.com's limits, beside naive clients.

    PYTHONPATH=src python bench/bench_processor.py [--items 1000] [--scale 100] [--plot FILE]
    PYTHONPATH=src python bench/bench_processor.py --quick

Each client gets a fresh emulator with the same limits (``LimitConfig.github()``: a
GITHUB_TOKEN's 1,000 requests an hour, 80 creations a minute, 500 an hour, 900 points a minute)
on a clock ``--scale`` times faster than real time, and creates one issue per work item:

- batchsync: ``batchsync.sync.run`` with its default settings;
- naive, PyGithub defaults: a PyGithub loop over 10 threads with no pacing of its own, as the
  original JavaScript processor worked, with PyGithub's defaults (its retry policy, its 1 s
  between writes); only ``base_url`` points at the emulator;
- naive, the original's retry: the same loop with the original's own logic instead (no pacing,
  a 429 retried after 1, 2 and 4 s, anything else failing the item).

Scenarios: the limits alone, then the same with 2 % of creates answered 502 after the issue was
made (where retrying a POST makes duplicates). A last table times the processor alone against an
instant fake, as the original measured itself.

PyGithub and urllib3 read the real clock for their pauses; for the naive runs they are pointed
at the emulator's clock (``emulated_time``), so their waits pass as fast as the emulator's hour
does. The floor is the earliest the last create could start if every request took no time,
under the same limits and GitHub's 1 s between writes (``floor_seconds``).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import logging
import multiprocessing
import sys
import tempfile
import threading
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from unittest import mock

if importlib.util.find_spec("batchsync") is None:  # run as a script without PYTHONPATH=src
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import github
import urllib3.util.retry
from github import Auth, Github, GithubException

from batchsync.config import load_settings
from batchsync.emulator import Clock, Emulator, FaultConfig, LimitConfig, RequestRecord
from batchsync.items import WorkItem, scan
from batchsync.processor import BatchProcessor, Gate
from batchsync.ratelimit import Limits, Op
from batchsync.results import ItemAction, Outcome
from batchsync.sync import run

TOKEN = "ghs_bench_processor"
REPO = "bench/processor"
THREADS = 10  # the original processor's default concurrency
WRITE_INTERVAL = 1.0  # GitHub's "at least one second between writes", batchsync's default


# ---- the floor ----------------------------------------------------------------------------------


def floor_seconds(
    creates: int, reads: int, limits: LimitConfig, write_interval: float = WRITE_INTERVAL
) -> float:
    """Earliest start of the last of ``creates`` creations, every request taking no time.

    Reads (the listing) go first, at time 0. Each creation starts at the earliest moment that
    keeps ``write_interval`` since the previous write, the per-minute and per-hour creation
    windows (sliding, as GitHub and the emulator count them), the points a minute and the
    primary budget (a fixed window from the first request). Starting every request as early as
    it may is optimal for identical requests, so no client can finish sooner.
    """
    starts: list[float] = []
    points: list[tuple[float, int]] = [(0.0, limits.read_points)] * reads
    window_end, used = limits.window, reads
    t = 0.0
    for n in range(creates):
        if n:
            t = max(t, starts[-1] + write_interval)
        t = max(t, _window_free(starts, limits.creates_per_minute, 60.0))
        t = max(t, _window_free(starts, limits.creates_per_hour, 3_600.0))
        t = max(t, _points_free(points, t, limits))
        if limits.primary and used >= limits.primary_limit:
            t, window_end, used = max(t, window_end), max(t, window_end) + limits.window, 0
        if t >= window_end:
            window_end, used = t + limits.window, 0
        starts.append(t)
        points.append((t, limits.write_points))
        used += 1
    return starts[-1] if starts else 0.0


def _window_free(starts: Sequence[float], cap: int | None, window: float) -> float:
    """When one more start fits ``cap`` starts in any ``window`` seconds."""
    if cap is None or len(starts) < cap:
        return 0.0
    return starts[-cap] + window


def _points_free(points: Sequence[tuple[float, int]], t: float, limits: LimitConfig) -> float:
    """When a write's points fit the points-a-minute budget, from ``t`` on."""
    cap = limits.points_per_minute
    if cap is None:
        return t
    spent = [(at, cost) for at, cost in points if at > t - 60.0]
    total = sum(cost for _, cost in spent)
    for at, cost in spent:
        if total + limits.write_points <= cap:
            break
        total -= cost
        t = at + 60.0
    return t


# ---- the work items ------------------------------------------------------------------------------


def write_tree(base: Path, items: int) -> None:
    """``items`` PRDs in ClaudeAutoPM local mode: one create each, no sub-issue links."""
    folder = base / "prds"
    folder.mkdir(parents=True)
    for n in range(1, items + 1):
        (folder / f"prd-{n:04d}-feature-{n}.md").write_text(
            f"---\nid: prd-{n:04d}\ntitle: Feature {n}\nstatus: draft\npriority: medium\n"
            f"created: 2025-01-10\ngithub_issue: null\n---\n\n# Feature {n}\n\n"
            "## Description\n\nWhat the feature does and for whom.\n\n"
            "## Acceptance criteria\n- [ ] it works\n- [ ] it is documented\n",
            encoding="utf-8",
        )


# ---- one measured side ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Side:
    """What one client did on its own emulator."""

    client: str
    items: int
    issues: int  # issues on the server afterwards
    failed: int  # items the client reported as failed or not done
    duplicates: int  # issues beyond one per item
    requests: int
    limited: int  # answers refusing a request for a limit (secondary or primary)
    violations: int  # requests sent while a limit was known to be active
    seconds: float  # emulated seconds, start to end of the client's run
    span: float  # emulated seconds from the first request to the last one
    wall: float  # real seconds
    log: tuple[RequestRecord, ...]
    start: float  # emulated epoch of the start, for the plot
    internal_errors: int = 0  # the emulator's own bugs, answered 500: should stay 0


@contextlib.contextmanager
def _emulator(scale: float, faults: FaultConfig | None) -> Iterator[Emulator]:
    """A fresh emulator with github.com's limits, the token and the repository."""
    with Emulator(limits=LimitConfig.github(), scale=scale, faults=faults) as emu:
        emu.add_token(TOKEN)
        emu.add_repo(REPO)
        yield emu


def _duplicates(emu: Emulator) -> tuple[int, int]:
    """(issues, duplicates): issues beyond the first with the same title."""
    titles = Counter(issue["title"] for issue in emu.issues(REPO))
    return sum(titles.values()), sum(n - 1 for n in titles.values())


def _side(
    client: str, emu: Emulator, *, items: int, failed: int, start: float, wall_start: float
) -> Side:
    """Gather one client's figures from its emulator right after its run."""
    end = emu.clock.now()
    issues, duplicates = _duplicates(emu)
    stats = emu.stats
    return Side(
        client=client,
        items=items,
        issues=issues,
        failed=failed,
        duplicates=duplicates,
        requests=stats.total,
        limited=stats.secondary_limits + stats.penalty_requests + stats.primary_limits,
        violations=stats.violations,
        seconds=end - start,
        span=_span(stats.requests()),
        wall=time.perf_counter() - wall_start,
        log=tuple(stats.requests()),
        start=start,
        internal_errors=stats.internal_errors,
    )


def _span(log: Sequence[RequestRecord]) -> float:
    """Emulated seconds from the first request's arrival to the last one's."""
    return log[-1].at - log[0].at if log else 0.0


def run_batchsync(
    workspace: Path, items: int, scale: float, faults: FaultConfig | None = None
) -> Side:
    """batchsync's own run, default settings, on the emulator's clock."""
    with _emulator(scale, faults) as emu:
        settings = load_settings(
            {
                "github_token": TOKEN,
                "repository": REPO,
                "api_url": emu.url,
                "workspace": str(workspace),
                "path": ".claude",
            },
            env={},
        )
        wall, start = time.perf_counter(), emu.clock.now()
        result = run(settings, clock=emu.clock.now, sleep=emu.clock.sleep)
        return _side(
            "batchsync",
            emu,
            items=items,
            failed=result.failed + result.not_done,
            start=start,
            wall_start=wall,
        )


@contextlib.contextmanager
def emulated_time(clock: Clock) -> Iterator[None]:
    """Point PyGithub's and urllib3's clocks and sleeps at the emulator's clock."""

    class EmulatedDatetime(datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> EmulatedDatetime:
            return cls.fromtimestamp(clock.now(), tz)

    fake_time = SimpleNamespace(sleep=clock.sleep, time=clock.now)
    requester = sys.modules["github.Requester"]
    with (
        mock.patch.object(requester, "time", fake_time),
        mock.patch.object(requester, "datetime", EmulatedDatetime),
        mock.patch.object(github.GithubRetry, "_GithubRetry__datetime", EmulatedDatetime),
        mock.patch.object(urllib3.util.retry, "time", fake_time),
    ):
        yield


def run_naive(workspace: Path, items: int, scale: float, faults: FaultConfig | None = None) -> Side:
    """A PyGithub loop over 10 threads with no pacing of its own and PyGithub's defaults."""
    github_client = {"base_url": "", "auth": Auth.Token(TOKEN)}
    return _loop(
        "naive: PyGithub defaults", workspace, items, scale, faults, github_client=github_client
    )


def run_original(
    workspace: Path, items: int, scale: float, faults: FaultConfig | None = None
) -> Side:
    """The original processor's logic on PyGithub: 10 threads, no pacing, 429 retried 3 times.

    Its backoff was 1, 2 and 4 s, ``retry-after`` ignored; any other error failed the item.
    PyGithub's own retries and pauses are off, so only that logic decides.
    """
    github_client = {
        "base_url": "",
        "auth": Auth.Token(TOKEN),
        "retry": None,
        "seconds_between_requests": None,
        "seconds_between_writes": None,
    }
    return _loop(
        "naive: the original's retry, no pacing",
        workspace,
        items,
        scale,
        faults,
        github_client=github_client,
        retry_429=True,
    )


def _loop(
    name: str,
    workspace: Path,
    items: int,
    scale: float,
    faults: FaultConfig | None,
    *,
    github_client: dict[str, Any],
    retry_429: bool = False,
) -> Side:
    """Create one issue per item from 10 threads; count the items that raised."""
    work = scan(workspace / ".claude", workspace=workspace).items
    # PyGithub reports each retry at INFO on its own handler; keep the table readable
    logging.getLogger("github").setLevel(logging.WARNING)
    with _emulator(scale, faults) as emu, emulated_time(emu.clock):
        wall, start = time.perf_counter(), emu.clock.now()
        gh = Github(**{**github_client, "base_url": emu.url})
        repo = gh.get_repo(REPO)
        lock, failed = threading.Lock(), [0]

        def create(item: WorkItem) -> None:
            for attempt in range(4 if retry_429 else 1):
                try:
                    repo.create_issue(
                        title=f"[{item.kind.value.upper()}] {item.title}",
                        body=item.body,
                        labels=[item.kind.value, item.priority or "medium"],
                    )
                    return
                except GithubException as exc:  # what a naive loop catches: count and go on
                    if not (retry_429 and exc.status == 429 and attempt < 3):
                        break
                    emu.clock.sleep(2.0**attempt)
                except OSError:
                    break
            with lock:
                failed[0] += 1

        with ThreadPoolExecutor(THREADS) as pool:
            list(pool.map(create, work))
        side = _side(name, emu, items=items, failed=failed[0], start=start, wall_start=wall)
        gh.close()
        return side


def fake_run(items: int, lanes: int) -> tuple[int, float, float]:
    """The processor alone against an instant fake, pacing off: (succeeded, seconds, peak MB).

    The original promised 1,000 items in under 30 s and under 100 MB against its mock; this is
    the same measurement of batchsync's own overhead (threads, the gate, tenacity, results).
    """
    off = Limits(write_interval=0, creates_per_minute=0, creates_per_hour=0, points_per_minute=0)
    gate = Gate(off)

    def sync(key: str, **_: object) -> Outcome:
        gate.call(Op.CREATE, lambda: (key, {"x-ratelimit-remaining": "4999"}))
        return Outcome(key, "task", "", ItemAction.CREATED)

    keys = [f"item-{i:04d}" for i in range(items)]
    tracemalloc.start()
    wall = time.perf_counter()
    result = BatchProcessor(lanes, gate=gate).batch_upload(
        keys, sync, repo=REPO, client=None, sync_map={}
    )
    wall = time.perf_counter() - wall
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return result.succeeded, wall, peak / 1e6


def overhead_table(items: int) -> str:
    """The processor's own cost per item, one lane and ten."""
    lines = [
        "| items | lanes | succeeded | real time | items/s | peak traced memory |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for lanes in (1, THREADS):
        ok, wall, peak = fake_run(items, lanes)
        lines.append(
            f"| {items:,} | {lanes} | {ok:,} | {wall:.2f} s | {items / wall:,.0f} | {peak:.1f} MB |"
        )
    return "\n".join(lines)


# ---- output --------------------------------------------------------------------------------------

LOST_ANSWERS = FaultConfig(timeout_rate=0.02, timeout_acts_rate=1.0, methods=("POST",))
SCENARIOS: tuple[tuple[str, FaultConfig | None], ...] = (
    ("github.com's limits", None),
    ("the same, and 2 % of creates answered 502 after GitHub created the issue", LOST_ANSWERS),
)
LOST_NOTE = (
    "These runs go side by side, so their times are noisier; the floor assumes no fault, and "
    "each lost answer also costs the server's 10 s timeout. "
    "batchsync looks for the issue's marker before any retry of a create; PyGithub's default "
    "retry sends the POST again."
)


def table(sides: Sequence[Side], floor: float) -> str:
    """The Markdown table of the clients side by side."""
    lines = [
        "| client | items | issues | failed | duplicates | requests | refused for a limit "
        "| violations | first to last request | vs floor | whole run | wall |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in sides:
        lines.append(
            f"| {s.client} | {s.items:,} | {s.issues:,} | {s.failed:,} | {s.duplicates:,} "
            f"| {s.requests:,} | {s.limited:,} | {s.violations:,} | {_minutes(s.span)} "
            f"| {_ratio(s.span, floor)} | {_minutes(s.seconds)} | {s.wall:.1f} s |"
        )
    return "\n".join(lines)


def verdict(side: Side, floor: float) -> str:
    """Whether batchsync met its target: every item once, within 10 % of the floor, no violation."""
    exact = side.issues == side.items and side.duplicates == 0 and side.failed == 0
    met = exact and side.violations == 0 and side.span <= floor * 1.10
    return (
        f"target (every item exactly once, within 10 % of the floor, no violation): "
        f"{'met' if met else 'NOT met'} ({_ratio(side.span, floor)}, "
        f"{side.violations} violations, {side.duplicates} duplicates, {side.failed} failed)"
    )


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:,.1f} min"


def _ratio(seconds: float, floor: float) -> str:
    return f"{(seconds / floor - 1) * 100:+.1f} %" if floor > 0 else "n/a"


def plot(sides: Sequence[Side], path: Path, floor: float) -> None:
    """Requests a minute over time for each client, accepted and refused, and issues created."""
    import matplotlib as mpl  # noqa: PLC0415 - optional: only the plot needs it

    mpl.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    end = max(s.seconds for s in sides) / 60 + 1
    fig, axes = plt.subplots(len(sides), 1, figsize=(10, 2.9 * len(sides) + 0.9), sharex=True)
    for ax, side in zip(axes, sides, strict=True):
        _panel(ax, side, floor, end)
    axes[-1].set_xlabel("emulated minutes since the run started")
    handles, labels = axes[0].get_legend_handles_labels()
    more = axes[0].right.get_legend_handles_labels()
    fig.suptitle(
        f"Creating {sides[0].items:,} issues against github.com's limits "
        f"(GITHUB_TOKEN, emulated clock)",
        fontsize=12,
    )
    fig.legend(
        handles + more[0],
        labels + more[1],
        loc="upper center",
        ncol=4,
        frameon=False,
        bbox_to_anchor=(0.5, 0.955),
        fontsize=9,
    )
    fig.tight_layout(rect=(0, 0, 1, 0.93))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _panel(ax: Any, side: Side, floor: float, end: float) -> None:
    """One client: requests a minute (accepted, refused) and the issues created so far."""
    minutes = int(end) + 1
    ok, refused = [0] * minutes, [0] * minutes
    created: list[float] = []
    for record in side.log:
        at = (record.at - side.start) / 60
        bucket = min(minutes - 1, max(0, int(at)))
        if record.verdict == "ok":
            ok[bucket] += 1
        else:
            refused[bucket] += 1
        if record.method == "POST" and record.status == 201:
            created.append(at)
    xs = list(range(minutes))
    ax.bar(xs, ok, width=1.0, align="edge", color="#4878d0", label="requests accepted")
    ax.bar(
        xs,
        refused,
        width=1.0,
        align="edge",
        bottom=ok,
        color="#d62728",
        label="requests refused for a limit",
    )
    first = (side.log[0].at - side.start) / 60 if side.log else 0.0
    ax.axvline(
        first + floor / 60,
        color="black",
        linestyle="--",
        linewidth=1,
        label="floor (last create at the earliest)",
    )
    ax.set_ylabel("requests / min")
    ax.set_xlim(0, end)
    ax.set_title(
        f"{side.client}: {side.issues:,} issues, {side.failed:,} failed, "
        f"{side.violations:,} violations, last request at {_minutes(first * 60 + side.span)}",
        fontsize=10,
        loc="left",
    )
    right = ax.twinx()
    right.plot(
        [0, *created, end],
        [0, *range(1, len(created) + 1), len(created)],
        drawstyle="steps-post",
        color="#2ca02c",
        linewidth=1.8,
        label="issues created",
    )
    right.set_ylim(0, side.items * 1.05)
    right.set_ylabel("issues created")
    ax.right = right


CLIENTS: dict[str, Callable[[Path, int, float, FaultConfig | None], Side]] = {
    "batchsync": run_batchsync,
    "naive": run_naive,
    "original": run_original,
}


def _one_run(job: tuple[str, int, float, int, str]) -> Side:
    """One client on one scenario (a process of its own when run in parallel)."""
    client, scenario, scale, items, workspace = job
    return CLIENTS[client](Path(workspace), items, scale, SCENARIOS[scenario][1])


def run_all(workspace: Path, items: int, scale: float, jobs: int) -> list[list[Side]]:
    """Every scenario with every client, one list of sides per scenario.

    The first scenario (limits only: the figures the target is about) runs one client at a
    time: on two cores, runs side by side slow each other's writes (a few milliseconds of CPU
    each, times the clock's scale). The fault scenarios, where the counts matter and not the
    time, run ``jobs`` clients at once.
    """
    work = [(client, 0, scale, items, str(workspace)) for client in CLIENTS]
    first = [_one_run(job) for job in work]
    rest = [
        (client, n, scale, items, str(workspace))
        for n in range(1, len(SCENARIOS))
        for client in CLIENTS
    ]
    if jobs > 1:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(jobs, mp_context=context) as pool:
            done = list(pool.map(_one_run, rest))
    else:
        done = [_one_run(job) for job in rest]
    width = len(CLIENTS)
    return [first, *(done[n : n + width] for n in range(0, len(done), width))]


def main(argv: Sequence[str] | None = None) -> None:
    """Run each scenario with both clients; print the tables (and write the plot when asked)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--scale", type=float, default=100.0, help="emulated seconds a second")
    parser.add_argument("--plot", type=Path, help="write the requests-over-time PNG here")
    parser.add_argument("--quick", action="store_true", help="200 items: no hourly limit reached")
    parser.add_argument(
        "--jobs", type=int, default=3, help="fault-scenario runs side by side (processes)"
    )
    args = parser.parse_args(argv)
    items = 200 if args.quick else args.items
    limits = LimitConfig.github()
    floor = floor_seconds(items, 1, limits)  # one read: the listing of an empty repository
    print(
        f"{items:,} new work items (PRDs, so one create each), a fresh emulator per client, "
        f"clock x{args.scale:g}. Floor: {_minutes(floor)} from the first request to the last "
        f"create ({WRITE_INTERVAL:g} s between writes, {limits.creates_per_minute} creations a "
        f"minute and {limits.creates_per_hour} an hour, {limits.primary_limit:,} requests an "
        "hour)."
    )
    with tempfile.TemporaryDirectory() as tmp:
        workspace = Path(tmp)
        write_tree(workspace / ".claude", items)
        results = run_all(workspace, items, args.scale, args.jobs)
    for (title, faults), sides in zip(SCENARIOS, results, strict=True):
        note = verdict(sides[0], floor) if faults is None else LOST_NOTE
        broken = sum(side.internal_errors for side in sides)
        if broken:
            note += f"\n\n**The emulator answered {broken} requests with its own error (500).**"
        print(f"\n{title}:\n\n{table(sides, floor)}\n\n{note}")
    print(
        "\nThe processor alone against an instant fake (pacing off): its own cost per item, "
        f"as the original measured it (1,000 items under 30 s, under 100 MB):\n\n"
        f"{overhead_table(items)}"
    )
    if args.plot:
        plot(results[0], args.plot, floor)
        print(f"\nplot: {args.plot}")


if __name__ == "__main__":
    main()
