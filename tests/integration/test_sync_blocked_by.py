"""Dependencies as GitHub's own "blocked by" relationships, end to end against the emulator."""

from __future__ import annotations

import functools
from pathlib import Path

import requests

import emulated
from batchsync.emulator import Emulator
from batchsync.results import BatchResult
from emulated import sync_run, writes
from trees import cart_task, write_cart

TOKEN = "ghs_blockedtoken"
REPO = "octo/demo"
EMULATOR = {"limits": "off", "scale": 1000}
EMULATOR_VARIANTS = {
    "dependencies": {"dependencies": True},
    "no-dependencies": {"dependencies": False},
}
NO_API = "no issue dependencies API"  # the one warning of a run on a server without it


def cart(base: Path) -> None:
    """The cart tree (tests/trees.py): Step 2 waits for Step 1, Step 3 for both."""
    write_cart(base, tasks=0)
    cart_task(base, 1, dependencies=[])
    cart_task(base, 2, dependencies=["task-001"])
    cart_task(base, 3, dependencies=["task-001", "task-002"])


WORK_ITEMS = cart  # the workspace fixture (tests/conftest.py)

sync = functools.partial(sync_run, token=TOKEN, repo=REPO, blocked_by=True)


def numbers(emu: Emulator) -> dict[str, int]:
    return {i["title"].partition("] ")[2]: i["number"] for i in emu.issues(REPO)}


def blockers(emu: Emulator, title: str) -> set[int]:
    return {number for _, number in emu.blocked_by(REPO, numbers(emu)[title])}


def no_api_warnings(result: BatchResult) -> int:
    return sum(NO_API in w for w in result.warnings)


def test_dependencies_become_blocked_by_and_a_rerun_writes_nothing(emu, workspace):
    result = sync(emu, workspace)
    assert result.failed == 0
    if not emu.service.store.dependencies:  # a server without the API: one warning
        assert no_api_warnings(result) == 1
        return
    n = numbers(emu)
    assert blockers(emu, "Step 2") == {n["Step 1"]}
    assert blockers(emu, "Step 3") == {n["Step 1"], n["Step 2"]}
    emu.stats.reset()
    assert sync(emu, workspace).failed == 0
    assert writes(emu) == 0


def test_a_dependency_removed_from_the_file_is_removed_and_a_person_s_stays(emu, workspace):
    sync(emu, workspace)
    n = numbers(emu)
    other = None
    if emu.service.store.dependencies:
        repo = emu.service.store.repo("octo", "demo")
        with repo.store.lock:
            other = repo.issue(repo.add_issue("a person's blocker"))
        answer = requests.post(
            f"{emu.url}/repos/{REPO}/issues/{n['Step 3']}/dependencies/blocked_by",
            json={"issue_id": other.id},
            headers={"Authorization": f"token {TOKEN}"},
            timeout=10,
        )
        assert answer.status_code == 201, answer.text
    cart_task(workspace / ".claude", 3, dependencies=["task-002"])
    result = sync(emu, workspace)
    assert result.failed == 0
    if other is not None:
        assert blockers(emu, "Step 3") == {n["Step 2"], other.number}
        assert no_api_warnings(result) == 0
        return
    # a server without the API: one warning, and the issue body's Dependencies line says it
    assert no_api_warnings(result) == 1
    body = emulated.issue_of(emu, "task-003", repo=REPO)["body"]
    assert f"- **Dependencies:** #{n['Step 2']}\n" in body
    emu.stats.reset()
    assert sync(emu, workspace).failed == 0
    assert writes(emu) == 0
