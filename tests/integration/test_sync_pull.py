"""Two-way status end to end: a close or reopen made on GitHub goes into the file, once."""

from __future__ import annotations

import functools

import requests

import emulated
from batchsync.emulator import Emulator
from batchsync.results import ItemAction
from emulated import LIST_FIELD_VARIANTS, sync_run, writes
from trees import cart_task_path as task
from trees import write_cart

TOKEN = "ghs_pulltoken"
REPO = "octo/demo"
EMULATOR = {"limits": "off", "scale": 1000}
EMULATOR_VARIANTS = LIST_FIELD_VARIANTS
WORK_ITEMS = functools.partial(write_cart, status="open")  # the workspace (tests/conftest.py)

sync = functools.partial(sync_run, token=TOKEN, repo=REPO)
issue_of = functools.partial(emulated.issue_of, repo=REPO)


def by_hand(emu: Emulator, key: str, state: str) -> None:
    """A person closes or reopens the item's issue on GitHub."""
    emulated.by_hand(emu, REPO, issue_of(emu, key)["number"], state)


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


def test_a_pull_writes_only_the_body_so_a_label_a_person_removed_stays_off(emu, workspace):
    sync(emu, workspace)
    number = issue_of(emu, "task-001")["number"]
    place = emu.service.store.repo(*REPO.split("/"))
    with place.store.lock:  # a person closes the issue and takes its labels off, at once
        place.update_issue(place.issue(number).user, number, {"state": "closed", "labels": []})
    emu.stats.reset()
    result = sync(emu, workspace, pull=True)
    [pulled] = [o for o in result.outcomes if o.key == "task-001"]
    assert pulled.action is ItemAction.PULLED
    issue = issue_of(emu, "task-001")
    assert issue["labels"] == []  # the person's removal stands
    assert issue["state"] == "closed"
    assert "- **Status:** completed" in issue["body"]
    assert emu.stats.count("PATCH") == 1  # the body with its new Status line, nothing else
    emu.stats.reset()
    sync(emu, workspace, pull=True)
    assert writes(emu) == 0
    assert issue_of(emu, "task-001")["labels"] == []


def test_a_pull_run_keeps_a_child_a_person_moved_and_closed_where_they_put_it(emu, workspace):
    sync(emu, workspace)
    prd, step = issue_of(emu, "prd-001"), issue_of(emu, "task-001")
    url = f"{emu.url}/repos/{REPO}/issues/{prd['number']}/sub_issues"
    moved = {"sub_issue_id": step["id"], "replace_parent": True}  # a person moves it
    auth = {"Authorization": f"token {TOKEN}"}
    assert requests.post(url, json=moved, headers=auth, timeout=10).status_code in (200, 201)
    by_hand(emu, "task-001", "closed")
    place = emu.service.store.repo(*REPO.split("/"))
    result = sync(emu, workspace, pull=True)
    [pulled] = [o for o in result.outcomes if o.key == "task-001"]
    assert pulled.action is ItemAction.PULLED  # the close goes into the file: no file change
    assert place.issue(step["number"]).parent == prd["number"], "a pull moved the child back"
    emu.stats.reset()
    sync(emu, workspace, pull=True)
    assert writes(emu) == 0
    assert place.issue(step["number"]).parent == prd["number"]
