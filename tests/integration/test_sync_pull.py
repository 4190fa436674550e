"""Two-way status end to end: a close or reopen made on GitHub goes into the file, once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from batchsync.config import load_settings
from batchsync.emulator import Emulator
from batchsync.render import parse_marker
from batchsync.results import BatchResult, ItemAction
from batchsync.sync import run
from emulated import LIST_FIELD_VARIANTS, run_overrides, writes
from trees import write_item

TOKEN = "ghs_pulltoken"
REPO = "octo/demo"
EMULATOR = {"limits": "off", "scale": 1000}
EMULATOR_VARIANTS = LIST_FIELD_VARIANTS


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
    for n in (1, 2):
        write_item(
            base,
            f"epics/epic-001-cart/task-{n:03}.md",
            {"id": f"task-{n:03}", "title": f"Step {n}", "epic_id": "epic-001", "status": "open"},
            f"Do step {n}.",
        )
    return tmp_path


def task(workspace: Path, n: int) -> Path:
    return workspace / f".claude/epics/epic-001-cart/task-{n:03}.md"


def sync(emu: Emulator, workspace: Path, **overrides: object) -> BatchResult:
    given = run_overrides(emu, workspace, token=TOKEN, repo=REPO, **overrides)
    return run(load_settings(given, env={}), clock=emu.clock.now, sleep=emu.clock.sleep)


def issue_of(emu: Emulator, key: str) -> dict[str, Any]:
    found = [i for i in emu.issues(REPO) if (m := parse_marker(i["body"])) and m.key == key]
    assert len(found) == 1, found
    return found[0]


def by_hand(emu: Emulator, key: str, state: str) -> None:
    """A person closes or reopens the issue on GitHub."""
    number = issue_of(emu, key)["number"]
    repo = emu.service.store.repo("octo", "demo")
    with repo.store.lock:
        repo.update_issue(repo.issue(number).user, number, {"state": state})


def test_a_close_on_github_is_pulled_into_the_file_and_the_next_run_is_free(emu, workspace):
    sync(emu, workspace)
    by_hand(emu, "task-001", "closed")
    emu.stats.reset()
    result = sync(emu, workspace, pull=True)
    [pulled] = [o for o in result.outcomes if o.key == "task-001"]
    assert pulled.action is ItemAction.PULLED
    assert "status: completed\n" in task(workspace, 1).read_text()
    assert "status: open\n" in task(workspace, 2).read_text()
    issue = issue_of(emu, "task-001")
    assert issue["state"] == "closed"  # the person's close stands
    assert "- **Status:** completed" in issue["body"]
    emu.stats.reset()
    again = sync(emu, workspace, pull=True)
    assert writes(emu) == 0
    assert again.count(ItemAction.UNCHANGED) == 4


def test_a_reopen_on_github_is_pulled_and_never_fought(emu, workspace):
    task(workspace, 2).write_text(task(workspace, 2).read_text().replace("open", "done", 1))
    sync(emu, workspace)
    assert issue_of(emu, "task-002")["state"] == "closed"
    by_hand(emu, "task-002", "open")
    sync(emu, workspace, pull=True)
    assert issue_of(emu, "task-002")["state"] == "open"
    assert "status: in_progress\n" in task(workspace, 2).read_text()
    emu.stats.reset()
    sync(emu, workspace, pull=True)
    sync(emu, workspace)  # a one-way run after the pull agrees too
    assert writes(emu) == 0


def test_both_sides_moving_the_state_apart_is_a_conflict_with_no_write(emu, workspace):
    sync(emu, workspace)
    by_hand(emu, "task-001", "closed")
    text = task(workspace, 1).read_text()
    task(workspace, 1).write_text(text.replace("status: open", "status: in-progress"))
    emu.stats.reset()
    result = sync(emu, workspace, pull=True)
    [conflict] = [o for o in result.outcomes if o.key == "task-001"]
    assert conflict.action is ItemAction.FAILED
    assert "conflict" in (conflict.error or "")
    assert "'open'" in (conflict.error or "")
    assert "'in-progress'" in (conflict.error or "")
    assert writes(emu) == 0
    assert "status: in-progress" in task(workspace, 1).read_text()
    assert issue_of(emu, "task-001")["state"] == "closed"


def test_without_pull_a_person_s_close_stays_until_the_file_changes(emu, workspace):
    sync(emu, workspace)
    by_hand(emu, "task-001", "closed")
    before = task(workspace, 1).read_text()
    emu.stats.reset()
    sync(emu, workspace)
    assert writes(emu) == 0
    assert task(workspace, 1).read_text() == before


def test_a_dry_run_shows_the_pull_and_writes_nothing(emu, workspace):
    sync(emu, workspace)
    by_hand(emu, "task-001", "closed")
    before = task(workspace, 1).read_text()
    emu.stats.reset()
    result = sync(emu, workspace, pull=True, dry_run=True)
    [planned] = [o for o in result.outcomes if o.key == "task-001"]
    assert planned.action is ItemAction.PLANNED_PULL
    assert "status 'completed' is written to the file" in (planned.reason or "")
    assert writes(emu) == 0
    assert task(workspace, 1).read_text() == before


def test_a_link_to_a_transferred_issue_is_refused_and_no_person_s_issue_is_written(emu, workspace):
    repo = emu.service.store.repo("octo", "demo")
    with repo.store.lock:
        for n in range(1, 4):
            repo.add_issue(f"person's issue {n}", f"body {n}", author="alice")
    emu.add_repo("octo/other")
    moved_to = emu.transfer(REPO, 3, "octo/other")  # #3 moves away and becomes other's #1
    path = task(workspace, 1)
    path.write_text(path.read_text().replace("status: open", "status: open\ngithub_issue: 3"))
    before = {i["number"]: (i["title"], i["body"]) for i in emu.issues(REPO)}
    result = sync(emu, workspace)
    [refused] = [o for o in result.outcomes if o.key == "task-001"]
    assert refused.action is ItemAction.FAILED
    assert "issue #3 was transferred or moved" in (refused.error or "")
    after = {i["number"]: (i["title"], i["body"]) for i in emu.issues(REPO)}
    assert all(after[n] == before[n] for n in before if n != 3)  # nothing of a person's written
    assert next(i for i in emu.issues("octo/other") if i["number"] == moved_to)["title"] == (
        "person's issue 3"
    )
    assert not [o for o in result.outcomes if o.key == "task-001" and o.issue_number]
