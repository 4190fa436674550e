"""close-removed end to end against the emulator: close as not planned, comment once, then rest."""

from __future__ import annotations

import functools
from pathlib import Path

import emulated
from batchsync.emulator import Emulator, FaultConfig, FaultKind, ScheduledFault
from batchsync.render import parse_marker
from batchsync.results import ItemAction
from emulated import LIST_FIELD_VARIANTS, sync_run, writes
from trees import cart_task_path as task_path
from trees import write_cart

TOKEN = "ghs_closetoken"
REPO = "octo/demo"
# The emulator of the emu fixture (tests/conftest.py), once per shape of list answers.
EMULATOR = {"limits": "off", "scale": 1000}
EMULATOR_VARIANTS = LIST_FIELD_VARIANTS
COMMENTS = "/repos/{owner}/{repo}/issues/{issue_number}/comments"
TASKS = 4
# The workspace's items (tests/conftest.py): a PRD, its epic and the epic's open tasks.
WORK_ITEMS = functools.partial(write_cart, tasks=TASKS, status="open")

sync = functools.partial(sync_run, token=TOKEN, repo=REPO)
issue_of = functools.partial(emulated.issue_of, repo=REPO)


def open_issues(emu: Emulator) -> int:
    return sum(1 for i in emu.issues(REPO) if i["state"] == "open")


def synced(emu: Emulator, workspace: Path) -> None:
    first = sync(emu, workspace)
    assert first.failed == 0, first.errors
    emu.stats.reset()


def test_removed_item_is_closed_as_not_planned_with_one_comment(emu, workspace):
    synced(emu, workspace)
    task_path(workspace, 2).unlink()
    result = sync(emu, workspace, close_removed=True)
    issue = issue_of(emu, "task-002")
    assert (issue["state"], issue["state_reason"]) == ("closed", "not_planned")
    comments = emu.comments(REPO, issue["number"])
    assert len(comments) == 1
    assert "`task-002` no longer exists" in comments[0]["body"]
    assert issue["comments"] == 1
    closed = [o for o in result.outcomes if o.action is ItemAction.CLOSED]
    assert [(o.key, o.issue_number) for o in closed] == [("task-002", issue["number"])]
    assert result.failed == 0
    assert not [w for w in result.warnings if "comment" in w], result.warnings


def test_close_costs_one_patch_and_one_comment(emu, workspace):
    synced(emu, workspace)
    task_path(workspace, 2).unlink()
    sync(emu, workspace, close_removed=True)
    assert emu.stats.count("PATCH", "/repos/{owner}/{repo}/issues/{issue_number}", 200) == 1
    assert emu.stats.count("POST", COMMENTS, 201) == 1
    assert writes(emu) == 2


def test_rerun_after_the_close_writes_nothing(emu, workspace):
    synced(emu, workspace)
    task_path(workspace, 2).unlink()
    sync(emu, workspace, close_removed=True)
    emu.stats.reset()
    again = sync(emu, workspace, close_removed=True)
    assert writes(emu) == 0
    assert not [o for o in again.outcomes if o.action is ItemAction.CLOSED]
    assert len(emu.comments(REPO, issue_of(emu, "task-002")["number"])) == 1


def test_more_removed_than_max_close_closes_nothing_and_names_them(emu, workspace):
    synced(emu, workspace)
    gone = [issue_of(emu, f"task-{n:03}")["number"] for n in (1, 2, 3)]
    for n in (1, 2, 3):
        task_path(workspace, n).unlink()
    before = open_issues(emu)
    result = sync(emu, workspace, close_removed=True, max_close=2)
    assert writes(emu) == 0
    assert open_issues(emu) == before
    warning = next(w for w in result.warnings if "max-close" in w)
    assert all(f"#{n}" in warning for n in gone), warning
    assert "none was closed" in warning
    assert not [o for o in result.outcomes if o.action is ItemAction.CLOSED]


def test_as_many_removed_as_max_close_closes_them_all(emu, workspace):
    synced(emu, workspace)
    for n in (1, 2):
        task_path(workspace, n).unlink()
    result = sync(emu, workspace, close_removed=True, max_close=2)
    assert sorted(o.key for o in result.outcomes if o.action is ItemAction.CLOSED) == [
        "task-001",
        "task-002",
    ]
    assert emu.stats.count("POST", COMMENTS, 201) == 2


def test_a_scan_error_closes_nothing(emu, workspace):
    synced(emu, workspace)
    task_path(workspace, 2).unlink()
    task_path(workspace, 3).write_text("---\nid: task-003\ntitle: [unclosed\n---\nx\n")
    result = sync(emu, workspace, close_removed=True)
    assert writes(emu) == 0
    assert issue_of(emu, "task-002")["state"] == "open"
    assert any("close-removed skipped" in w for w in result.warnings), result.warnings
    assert [o.path for o in result.errors] == [".claude/epics/epic-001-cart/task-003.md"]


def test_a_partial_type_closes_nothing(emu, workspace):
    synced(emu, workspace)
    task_path(workspace, 2).unlink()
    result = sync(emu, workspace, close_removed=True, item_type="task")
    assert writes(emu) == 0
    assert issue_of(emu, "task-002")["state"] == "open"
    assert any("type is not 'all'" in w for w in result.warnings), result.warnings


def test_close_removed_off_leaves_the_issue_open(emu, workspace):
    synced(emu, workspace)
    task_path(workspace, 2).unlink()
    sync(emu, workspace)
    assert writes(emu) == 0
    assert issue_of(emu, "task-002")["state"] == "open"


def test_dry_run_plans_the_close_and_writes_nothing(emu, workspace):
    synced(emu, workspace)
    task_path(workspace, 2).unlink()
    result = sync(emu, workspace, close_removed=True, dry_run=True)
    assert writes(emu) == 0
    planned = [o.key for o in result.outcomes if o.action is ItemAction.PLANNED_CLOSE]
    assert planned == ["task-002"]


def test_an_issue_closed_by_hand_is_left_alone(emu, workspace):
    synced(emu, workspace)
    emulated.by_hand(emu, REPO, issue_of(emu, "task-002")["number"], "closed")
    task_path(workspace, 2).unlink()
    sync(emu, workspace, close_removed=True)
    assert writes(emu) == 0
    assert issue_of(emu, "task-002")["state_reason"] == "completed"


def test_a_lost_comment_answer_is_not_sent_twice(emu, workspace):
    synced(emu, workspace)
    task_path(workspace, 2).unlink()
    drop = ScheduledFault(FaultKind.DROP, 1, "POST", COMMENTS)
    emu.set_faults(FaultConfig(schedule=(drop,)))
    result = sync(emu, workspace, close_removed=True)
    emu.set_faults(FaultConfig())
    number = issue_of(emu, "task-002")["number"]
    assert [o.action for o in result.outcomes if o.key == "task-002"] == [ItemAction.CLOSED]
    assert emu.stats.count("POST", COMMENTS, 0) == 1
    emu.stats.reset()
    sync(emu, workspace, close_removed=True)
    assert writes(emu) == 0
    assert len(emu.comments(REPO, number)) == 1


def test_a_failed_comment_is_reported_and_the_close_stands(emu, workspace):
    synced(emu, workspace)
    task_path(workspace, 2).unlink()
    fail = ScheduledFault(FaultKind.ERROR, 1, "POST", COMMENTS)
    emu.set_faults(FaultConfig(schedule=(fail,), error_statuses=(502,)))
    result = sync(emu, workspace, close_removed=True)
    number = issue_of(emu, "task-002")["number"]
    assert issue_of(emu, "task-002")["state"] == "closed"
    assert emu.comments(REPO, number) == []
    assert [o.action for o in result.outcomes if o.key == "task-002"] == [ItemAction.CLOSED]
    assert any(f"#{number}" in w and "comment" in w for w in result.warnings), result.warnings


def reopen_by_hand(emu: Emulator, number: int) -> None:
    """A person reopens the issue on GitHub (as a person: state_reason becomes reopened)."""
    repo = emu.service.store.repo("octo", "demo")
    with repo.store.lock:
        repo.update_issue(repo.issue(number).user, number, {"state": "open"})


def test_the_close_flags_the_marker_in_the_same_patch(emu, workspace):
    synced(emu, workspace)
    before = parse_marker(issue_of(emu, "task-002")["body"])
    task_path(workspace, 2).unlink()
    sync(emu, workspace, close_removed=True)
    issue = issue_of(emu, "task-002")
    after = parse_marker(issue["body"])
    assert after is not None
    assert before is not None
    assert after.flag == "removed"
    assert (after.key, after.content_hash) == (before.key, before.content_hash)
    assert emu.stats.count("PATCH", "/repos/{owner}/{repo}/issues/{issue_number}", 200) == 1


def removed_then_reopened(emu, workspace) -> int:
    """Task 2's file removed, its issue closed by close-removed, then reopened by a person."""
    synced(emu, workspace)
    task_path(workspace, 2).unlink()
    sync(emu, workspace, close_removed=True)
    number = issue_of(emu, "task-002")["number"]
    reopen_by_hand(emu, number)
    return number


def test_an_issue_a_person_reopened_stays_open_and_is_reported_once(emu, workspace):
    number = removed_then_reopened(emu, workspace)
    emu.stats.reset()
    first = sync(emu, workspace, close_removed=True)
    issue = issue_of(emu, "task-002")
    assert issue["state"] == "open"
    assert len(emu.comments(REPO, number)) == 1  # the one of the close, no second
    noticed = [w for w in first.warnings if f"a person reopened #{number}" in w]
    assert len(noticed) == 1, first.warnings
    assert "never closes it again" in noticed[0]
    assert not [o for o in first.outcomes if o.action is ItemAction.CLOSED]
    assert writes(emu) == 1  # the marker records the reopen: body only
    for _ in range(2):
        emu.stats.reset()
        again = sync(emu, workspace, close_removed=True)
        assert issue_of(emu, "task-002")["state"] == "open"
        assert writes(emu) == 0
        assert not [w for w in again.warnings if "reopened" in w]
        assert again.failed == 0


def test_the_step_that_records_a_reopen_is_an_update_as_the_dry_run_says(emu, workspace):
    number = removed_then_reopened(emu, workspace)
    dry = sync(emu, workspace, close_removed=True, dry_run=True)
    [planned] = [o for o in dry.outcomes if o.issue_number == number]
    emu.stats.reset()
    real = sync(emu, workspace, close_removed=True)
    [done] = [o for o in real.outcomes if o.issue_number == number]
    assert writes(emu) == 1
    assert (planned.action, done.action) == (ItemAction.PLANNED_UPDATE, ItemAction.UPDATED)
    assert done.reason == planned.reason
    assert real.count(ItemAction.UPDATED) == dry.count(ItemAction.PLANNED_UPDATE) == 1


def test_a_removed_items_file_that_comes_back_takes_its_issue_back(emu, workspace):
    synced(emu, workspace)
    saved = task_path(workspace, 2).read_text()
    task_path(workspace, 2).unlink()
    sync(emu, workspace, close_removed=True)
    number = issue_of(emu, "task-002")["number"]
    task_path(workspace, 2).write_text(saved)
    back = sync(emu, workspace, close_removed=True)
    [outcome] = [o for o in back.outcomes if o.key == "task-002"]
    assert (outcome.action, outcome.issue_number) == (ItemAction.UPDATED, number)
    issue = issue_of(emu, "task-002")
    assert issue["state"] == "open"
    marker = parse_marker(issue["body"])
    assert marker is not None
    assert marker.flag == ""
    emu.stats.reset()
    sync(emu, workspace, close_removed=True)
    assert writes(emu) == 0
