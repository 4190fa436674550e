"""SIGKILL at seeded points of a run, then one rerun: every item exactly once, nothing lost.

The run is a child process; the emulator, in this process, kills it from inside its request
handler at the seed's chosen request: before GitHub acts on it, after GitHub acted but before the
answer leaves (the lost answer), or a few milliseconds after an answer (so the kill lands in the
engine's own work: planning, write-back, the next request). Fresh syncs and update runs, with
write-back on and off. One rerun in this process must then leave every item with exactly one
issue carrying its latest content, under its parent, with every file still parsing, no temporary
file left behind and, with write-back, every link recorded.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from relkit import REPO, TOKEN, TRACEBACK, TREE_ITEMS, edit_tree, write_tree  # noqa: F401 - the emu fixture (tests/conftest.py) reads them
from relsync import Zygote, check, figures, settings_for, sync_job

from batchsync.emulator import Emulator
from batchsync.emulator.service import Handle
from batchsync.sync import run

SEEDS = range(1, 41)
# a fresh sync of the tree sends 22 (list, the GraphQL query, labels, creates already under
# their parents, closes)
FRESH_REQUESTS = 21
UPDATE_REQUESTS = 5  # the update run sends about 6 (list, one PATCH per changed item)


@dataclass(frozen=True)
class Point:
    """Where one seed kills the run."""

    update: bool  # an update run (after a clean sync) rather than a fresh sync
    write_back: bool
    request: int  # the n-th API request of the killed run
    when: str  # "before" GitHub acts, "after" it acts (answer lost), or "later" (ms after)
    delay: float  # for "later": seconds after the answer

    def __str__(self) -> str:
        run_kind = "update" if self.update else "fresh"
        wb = "write-back" if self.write_back else "no write-back"
        extra = f"+{self.delay * 1000:.0f}ms" if self.when == "later" else ""
        return f"{run_kind} run, {wb}, request {self.request} {self.when}{extra}"


def point(seed: int) -> Point:
    """The seed's kill point, always the same for the same seed."""
    rng = random.Random(seed)
    update = rng.random() < 0.3
    last = UPDATE_REQUESTS if update else FRESH_REQUESTS
    return Point(
        update=update,
        write_back=rng.random() < 0.6,
        request=rng.randint(1, last),
        when=rng.choice(["before", "after", "later"]),
        delay=rng.uniform(0.0, 0.02),
    )


class Killer:
    """Wraps the emulator's request handler to SIGKILL the child at the chosen point."""

    def __init__(self, emu: Emulator, at: Point) -> None:
        self._handle: Handle | None = None  # the emulator's handler, set by wrap
        self._at = at
        self._lock = threading.Lock()
        self._seen = 0
        self._pidfd: int | None = None
        self.started = threading.Event()  # set once the run's process is known
        self.killed = threading.Event()
        emu.wrap(self._around)

    def _around(self, inner: Handle) -> Handle:
        self._handle = inner
        return self

    def attach(self, pid: int) -> None:
        """The run's process; held by a pidfd so a kill can never reach a reused pid."""
        self._pidfd = os.pidfd_open(pid)
        self.started.set()

    def detach(self) -> None:
        """The run is over: no kill from now on."""
        with self._lock:
            if self._pidfd is not None:
                os.close(self._pidfd)
                self._pidfd = None

    def _kill(self) -> None:
        if not self.started.wait(timeout=10):
            return
        with self._lock:
            if self._pidfd is None or self.killed.is_set():
                return
            with contextlib.suppress(ProcessLookupError):  # it ended on its own
                signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)
                self.killed.set()

    def __call__(self, method: str, target: str, *rest: Any) -> Any:
        assert self._handle is not None
        if "/_emulator/" in target:
            return self._handle(method, target, *rest)
        with self._lock:
            self._seen += 1
            mine = self._seen == self._at.request
        # (the lock is released before killing: _kill takes it again)
        if mine and self._at.when == "before":
            self._kill()
            return None  # the connection closes; GitHub never acted
        answer = self._handle(method, target, *rest)
        if mine and self._at.when == "after":
            self._kill()  # GitHub acted; the answer never reaches the run
        elif mine:
            threading.Timer(self._at.delay, self._kill).start()
        return answer


def read(path: Path) -> str:
    return path.read_text() if path.exists() else ""


@pytest.mark.timeout(60)
@pytest.mark.parametrize("seed", SEEDS, ids=lambda s: f"seed{s}")
def test_killed_run_then_one_rerun_leaves_every_item_exactly_once(
    seed: int, emu: Emulator, zygote: Zygote, tmp_path: Path, record
) -> None:
    at = point(seed)
    write_tree(tmp_path / ".claude")
    if at.update:
        assert run(settings_for(emu, tmp_path, write_back=at.write_back)).failed == 0
        edit_tree(tmp_path / ".claude", " v1", " v2", every=2)
    killer = Killer(emu, at)
    flag = "--write-back" if at.write_back else "--no-write-back"
    killer.attach(zygote.start(sync_job(emu, tmp_path, flag)))
    code = zygote.wait()
    killer.detach()
    crashes = int(code not in (0, -signal.SIGKILL) or TRACEBACK in read(tmp_path / "stderr.txt"))
    rerun = run(settings_for(emu, tmp_path, write_back=at.write_back))
    found = check(emu, tmp_path, write_back=at.write_back)
    killed = "killed" if killer.killed.is_set() else "finished before the point"
    leftovers = sorted(p.name for p in (tmp_path / ".claude").rglob(".*.tmp"))
    record("kill", str(at), runs=2, crashes=crashes, note=killed, **figures(found))
    assert crashes == 0, read(tmp_path / "stderr.txt")
    assert rerun.failed == 0, rerun.errors
    assert found.items == TREE_ITEMS
    assert (found.lost, found.duplicates) == (0, 0), found
    assert leftovers == []  # a write-back cut off mid-file leaves no temporary file behind


def test_the_seeds_cover_every_kind_of_kill_point() -> None:
    points = [point(seed) for seed in SEEDS]
    assert {p.when for p in points} == {"before", "after", "later"}
    assert {p.update for p in points} == {True, False}
    assert {p.write_back for p in points} == {True, False}
