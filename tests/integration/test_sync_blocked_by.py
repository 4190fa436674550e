"""Dependencies as GitHub's own "blocked by" relationships, end to end against the emulator."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from batchsync.config import load_settings
from batchsync.emulator import Emulator
from batchsync.results import BatchResult
from batchsync.sync import run
from emulated import run_overrides, writes
from trees import write_item

TOKEN = "ghs_blockedtoken"
REPO = "octo/demo"
EMULATOR = {"limits": "off", "scale": 1000}
EMULATOR_VARIANTS = {
    "dependencies": {"dependencies": True},
    "no-dependencies": {"dependencies": False},
}


def task(base: Path, n: int, deps: list[str]) -> None:
    write_item(
        base,
        f"epics/epic-001-cart/task-{n:03}.md",
        {"id": f"task-{n:03}", "title": f"Step {n}", "epic_id": "epic-001", "dependencies": deps},
        f"Do step {n}.",
    )


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    base = tmp_path / ".claude"
    write_item(base, "prds/prd-001-cart.md", {"id": "prd-001", "title": "Cart"}, "# Cart")
    write_item(
        base,
        "epics/epic-001-cart/epic.md",
        {"id": "epic-001", "title": "Cart screens", "prd_id": "prd-001"},
        "The screens.",
    )
    task(base, 1, [])
    task(base, 2, ["task-001"])
    task(base, 3, ["task-001", "task-002"])
    return tmp_path


def sync(emu: Emulator, workspace: Path, **overrides: object) -> BatchResult:
    given = run_overrides(emu, workspace, token=TOKEN, repo=REPO, blocked_by=True, **overrides)
    return run(load_settings(given, env={}), clock=emu.clock.now, sleep=emu.clock.sleep)


def numbers(emu: Emulator) -> dict[str, int]:
    return {i["title"].partition("] ")[2]: i["number"] for i in emu.issues(REPO)}


def blockers(emu: Emulator, title: str) -> set[int]:
    return {number for _, number in emu.blocked_by(REPO, numbers(emu)[title])}


def test_dependencies_become_blocked_by_and_a_rerun_writes_nothing(emu, workspace):
    result = sync(emu, workspace)
    assert result.failed == 0
    if not emu.service.store.dependencies:  # a server without the API: one warning
        assert sum("no issue dependencies API" in w for w in result.warnings) == 1
        return
    n = numbers(emu)
    assert blockers(emu, "Step 2") == {n["Step 1"]}
    assert blockers(emu, "Step 3") == {n["Step 1"], n["Step 2"]}
    emu.stats.reset()
    assert sync(emu, workspace).failed == 0
    assert writes(emu) == 0


def test_a_dependency_removed_from_the_file_is_removed_and_a_person_s_stays(emu, workspace):
    sync(emu, workspace)
    if not emu.service.store.dependencies:
        pytest.skip("the server has no dependencies API")
    n = numbers(emu)
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
    task(workspace / ".claude", 3, ["task-002"])
    assert sync(emu, workspace).failed == 0
    assert blockers(emu, "Step 3") == {n["Step 2"], other.number}
