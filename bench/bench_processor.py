"""BatchProcessor against the emulator with github.com's limits, beside a naive client; tables.

    PYTHONPATH=src python bench/bench_processor.py [--items 1000] [--scale 300] [--lanes 10]

Both clients create ``--items`` issues on one emulator each, with GITHUB_TOKEN's limits
(1,000 requests an hour, 80 creates a minute, 500 an hour, 900 points a minute), on a clock
``--scale`` times faster than real time. Times are emulated seconds.

- batchsync: ``BatchProcessor`` with the default ``Limits`` (one paced write lane, content
  budget, GitHub's waits); one POST per item through ``Gate.call``.
- naive: what the original did: PyGithub over 10 threads, no pacing, retrying only a 429 with
  1/2/4 s backoff (``Retry-After`` ignored), every other error failing the item.

The floor is the earliest the last create can start under the limits the emulator enforces
(computed from its ``LimitConfig``, not measured). A second table times the processor itself
against an instant fake (the original's "1,000 items in under 30 s" and "under 100 MB").
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
import tracemalloc
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

SRC = Path(__file__).resolve().parents[1] / "src"
sys.path.insert(0, str(SRC))

import requests  # noqa: E402
from github import Auth, Github, GithubException  # noqa: E402

from batchsync.emulator import Emulator, LimitConfig  # noqa: E402
from batchsync.errors import TransportError, error_from_response  # noqa: E402
from batchsync.processor import BatchProcessor, Gate  # noqa: E402
from batchsync.ratelimit import Limits, Op, SlidingWindow  # noqa: E402
from batchsync.results import ItemAction, Outcome  # noqa: E402

TOKEN = "ghs_bench"
REPO = "bench/processor"


def creation_floor(n: int, config: LimitConfig) -> float:
    """Seconds from the first create's start to the n-th's under the emulator's limits."""
    minute = SlidingWindow(config.creates_per_minute or 0, 60.0)
    hour = SlidingWindow(config.creates_per_hour or 0, 3600.0)
    window_start, in_window = 0.0, 0
    at = 0.0
    for _ in range(n):
        at = max(at, minute.earliest(at), hour.earliest(at))
        if config.primary and in_window >= config.primary_limit:
            window_start, in_window = max(at, window_start + config.window), 0
            at = window_start
        if at >= window_start + config.window:
            window_start, in_window = at, 0
        minute.record(at)
        hour.record(at)
        in_window += 1
    return at


def start_emulator(scale: float) -> Emulator:
    emu = Emulator(limits=LimitConfig.github(), scale=scale, seed=1).start()
    emu.add_token(TOKEN)
    emu.add_repo(REPO)
    return emu


def duplicates(emu: Emulator) -> int:
    titles = Counter(issue["title"] for issue in emu.issues(REPO))
    return sum(count - 1 for count in titles.values() if count > 1)


def run_batchsync(n: int, scale: float, lanes: int) -> dict[str, Any]:
    """Create n issues through BatchProcessor and the Gate."""
    emu = start_emulator(scale)
    gate = Gate(Limits(), clock=emu.clock.now, sleep=emu.clock.sleep)
    local = threading.local()

    def session() -> requests.Session:
        if not hasattr(local, "session"):
            local.session = requests.Session()
            local.session.headers["Authorization"] = f"token {TOKEN}"
        return local.session  # type: ignore[no-any-return]

    def create(key: str, **_: Any) -> Outcome:
        path = f"/repos/{REPO}/issues"

        def post() -> tuple[dict[str, Any], dict[str, str]]:
            try:
                answer = session().post(emu.url + path, json={"title": key}, timeout=60)
            except requests.RequestException as exc:
                raise TransportError("POST", path, type(exc).__name__) from exc
            headers = {k.lower(): v for k, v in answer.headers.items()}
            if answer.status_code >= 400:
                message = answer.json().get("message", "")
                raise error_from_response(
                    answer.status_code, message, method="POST", path=path, headers=headers
                )
            return answer.json(), headers

        issue = gate.call(Op.CREATE, post)
        return Outcome(key, "task", "", ItemAction.CREATED, issue_number=issue["number"])

    keys = [f"item-{i:04d}" for i in range(n)]
    wall = time.perf_counter()
    result = BatchProcessor(lanes, gate=gate).batch_upload(
        keys, create, repo=REPO, client=None, sync_map={}
    )
    wall = time.perf_counter() - wall
    row = summarise("batchsync", emu, result.duration, n - result.succeeded, wall)
    emu.stop()
    return row


def run_naive(n: int, scale: float, lanes: int) -> dict[str, Any]:
    """Create n issues the way the original did: 10 threads, no pacing, retry 429 only."""
    emu = start_emulator(scale)
    github = Github(
        base_url=emu.url,
        auth=Auth.Token(TOKEN),
        retry=None,
        seconds_between_requests=None,
        seconds_between_writes=None,
        lazy=True,
        pool_size=lanes,
    )
    repo = github.get_repo(REPO)

    def create(key: str) -> bool:
        for attempt in range(4):  # the first try and 3 retries
            try:
                repo.create_issue(title=key)
                return True
            except GithubException as exc:
                if exc.status != 429 or attempt == 3:
                    return False
                emu.clock.sleep(1.0 * 2**attempt)
        return False

    keys = [f"item-{i:04d}" for i in range(n)]
    started = emu.clock.now()
    wall = time.perf_counter()
    with ThreadPoolExecutor(lanes) as pool:
        done = list(pool.map(create, keys))
    wall = time.perf_counter() - wall
    row = summarise("naive", emu, emu.clock.now() - started, done.count(False), wall)
    emu.stop()
    return row


def summarise(name: str, emu: Emulator, seconds: float, failed: int, wall: float) -> dict[str, Any]:
    stats = emu.stats
    return {
        "client": name,
        "time": seconds,
        "created": len(emu.issues(REPO)),
        "failed": failed,
        "duplicates": duplicates(emu),
        "requests": stats.total,
        "secondary": stats.secondary_limits,
        "violations": stats.violations,
        "wall": wall,
    }


def fake_run(n: int, lanes: int) -> dict[str, Any]:
    """The processor alone, against an instant fake, with pacing off: overhead and memory."""
    off = Limits(write_interval=0, creates_per_minute=0, creates_per_hour=0, points_per_minute=0)
    gate = Gate(off)

    def sync(key: str, **_: Any) -> Outcome:
        gate.call(Op.CREATE, lambda: (key, {"x-ratelimit-remaining": "4999"}))
        return Outcome(key, "task", "", ItemAction.CREATED)

    keys = [f"item-{i:04d}" for i in range(n)]
    tracemalloc.start()
    wall = time.perf_counter()
    result = BatchProcessor(lanes, gate=gate).batch_upload(
        keys, sync, repo=REPO, client=None, sync_map={}
    )
    wall = time.perf_counter() - wall
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"items": n, "lanes": lanes, "ok": result.succeeded, "wall": wall, "peak": peak}


def minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--scale", type=float, default=300.0)
    parser.add_argument("--lanes", type=int, default=10)
    parser.add_argument("--skip-naive", action="store_true")
    args = parser.parse_args(argv)

    floor = creation_floor(args.items, LimitConfig.github())
    rows = [run_batchsync(args.items, args.scale, args.lanes)]
    if not args.skip_naive:
        rows.append(run_naive(args.items, args.scale, args.lanes))

    print(f"## Creating {args.items} issues, github.com limits, clock x{args.scale:g}\n")
    print(f"Floor under those limits: {minutes(floor)} (last create's start)\n")
    print(
        "| client | emulated time | vs floor | created | failed | duplicates | requests"
        " | secondary limits hit | violations | real time |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        ratio = f"{row['time'] / floor:.2f}x" if floor > 0 else "-"
        print(
            f"| {row['client']} | {minutes(row['time'])} | {ratio} | {row['created']}"
            f" | {row['failed']} | {row['duplicates']} | {row['requests']} | {row['secondary']}"
            f" | {row['violations']} | {row['wall']:.1f} s |"
        )

    print("\n## The processor alone, instant fake, pacing off\n")
    print("| items | lanes | succeeded | real time | items/s | peak traced memory |")
    print("|---|---|---|---|---|---|")
    for lanes in (1, args.lanes):
        fake = fake_run(args.items, lanes)
        print(
            f"| {fake['items']} | {fake['lanes']} | {fake['ok']} | {fake['wall']:.2f} s"
            f" | {fake['items'] / fake['wall']:.0f} | {fake['peak'] / 1e6:.1f} MB |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
