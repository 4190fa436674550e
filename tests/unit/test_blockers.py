"""The blocked-by rule of one step (``blockers.blocking``): each row of its table."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import pytest
from fakes import work_item

from batchsync.blockers import BlockerRef, Blocking, added_here, blocking
from batchsync.items import ScanResult, WorkItem
from batchsync.plan import PlanAction, PlanOptions, index_issues, plan
from batchsync.remote import Blocker, RemoteIssue
from batchsync.render import render

OURS = {n: BlockerRef(f"task-00{n}", n, 100 + n) for n in (1, 2, 3)}


def task(*dependencies: str, **changes: object) -> WorkItem:
    return work_item("task-009", title="Nine", dependencies=dependencies, **changes)


NUMBERS = {"task-001": 1, "task-002": 2, "task-003": 3}


def written(item: WorkItem, **changes: object) -> RemoteIssue:
    """The issue as batchsync wrote ``item`` (blocked-by on); ``changes`` are a person's."""
    sent = render(item, NUMBERS, blocks=True)
    fields: dict[str, object] = {
        "number": 9,
        "id": 109,
        "title": sent.title,
        "body": sent.body,
        "state": sent.state,
        "labels": sent.labels,
        "author": "github-actions[bot]",
    }
    fields.update(changes)
    return RemoteIssue(**fields)  # type: ignore[arg-type]


class Reads:
    """GitHub's blocked-by list, counting the reads."""

    def __init__(self, *numbers: int) -> None:
        self.numbers = numbers
        self.count = 0

    def __call__(self, number: int) -> Sequence[Blocker]:
        self.count += 1
        return [Blocker(n, 100 + n, "octo/demo", True) for n in self.numbers]


def decide(before: RemoteIssue | None, now: WorkItem, read: Reads) -> Blocking | str:
    return blocking(before, render(now, NUMBERS, blocks=True), OURS, (), read)


def test_a_new_issue_adds_every_blocker_without_a_read() -> None:
    read = Reads()
    found = decide(None, task("task-001", "task-002"), read)
    assert found == Blocking((OURS[1], OURS[2]))
    assert read.count == 0


def test_an_unchanged_file_reads_nothing_and_writes_nothing_whatever_github_holds() -> None:
    item = task("task-001")
    read = Reads()  # a person removed task-001's relationship: never added again
    assert decide(written(item), item, read) == Blocking()
    assert read.count == 0


def test_a_file_that_adds_a_dependency_adds_only_that_one() -> None:
    read = Reads()  # a person removed task-001: it stays off; task-002 is new in the file
    found = decide(written(task("task-001")), task("task-001", "task-002"), read)
    assert found == Blocking((OURS[2],))
    assert read.count == 1


def test_a_file_that_drops_a_dependency_removes_it_and_keeps_a_person_s() -> None:
    read = Reads(1, 2, 3)  # task-003 was added by a person
    found = decide(written(task("task-001", "task-002")), task("task-002"), read)
    assert isinstance(found, Blocking)
    assert found.add == ()
    assert [b.number for b in found.remove] == [1]
    assert "removes #1" in found.reason


def test_an_unproven_body_adds_what_the_file_names_and_removes_nothing() -> None:
    before = written(task("task-001", "task-002"), title="[TASK] Renamed by a person")
    read = Reads(1)
    found = decide(before, task("task-003"), read)
    assert found == Blocking((OURS[3],))


def test_an_unproven_body_with_no_dependency_in_the_file_reads_nothing() -> None:
    before = written(task("task-001"), title="[TASK] Renamed by a person")
    read = Reads(1)
    assert decide(before, task(priority="high"), read) == Blocking()
    assert read.count == 0


def test_a_body_written_with_blocked_by_off_names_no_blocker_so_all_are_added() -> None:
    item = task("task-001", "task-002")
    off = render(item, NUMBERS)  # the "Dependencies" line: no relationship was set
    before = written(item, body=off.body)
    found = decide(before, item, Reads(2))
    assert found == Blocking((OURS[1],))


def test_an_unread_list_is_a_reason_not_a_guess() -> None:
    found = blocking(
        written(task("task-001")),
        render(task("task-002"), NUMBERS, blocks=True),
        OURS,
        (),
        lambda _: "503 Service Unavailable",
    )
    assert found == "503 Service Unavailable"


@pytest.mark.parametrize("same_repository", [True, False])
def test_a_blocker_in_another_repository_is_never_touched(same_repository: bool) -> None:
    def read(_: int) -> Sequence[Blocker]:
        return [Blocker(1, 101, "octo/other", same_repository)]

    found = blocking(
        written(task("task-001")), render(task(), NUMBERS, blocks=True), OURS, (), read
    )
    assert isinstance(found, Blocking)
    assert len(found.remove) == (1 if same_repository else 0)


def test_a_dependency_created_in_this_run_is_added_by_key() -> None:
    found = blocking(
        None, render(task("task-004"), NUMBERS, blocks=True), OURS, ["task-004"], Reads()
    )
    assert found == Blocking((BlockerRef("task-004"),))
    assert "'task-004' (new)" in found.reason


def test_the_plan_reads_only_the_lists_that_may_change_and_says_what_it_writes() -> None:
    one = dataclasses.replace(task(), key="task-001", title="One", path="epics/e/task-001.md")
    two = task("task-001")  # unchanged since written: never read
    three = dataclasses.replace(task("task-001"), key="task-003", path="epics/e/task-003.md")
    issues = [
        dataclasses.replace(written(one), number=1, id=101),
        dataclasses.replace(written(two), number=9, id=109),
        dataclasses.replace(written(dataclasses.replace(three, dependencies=())), number=3, id=103),
    ]
    asked: list[int] = []

    def read(number: int) -> Sequence[Blocker]:
        asked.append(number)
        return []

    made = plan(
        ScanResult(items=(one, two, three)),
        index_issues(issues),
        PlanOptions(blocked_by=True),
        read,
    )
    assert asked == [3]  # the one whose file names a blocker its last body did not
    step = made.step("task-003")
    assert step is not None
    assert step.action is PlanAction.UPDATE
    assert step.blocking == Blocking((BlockerRef("task-001", 1, 101),))
    assert any("blocked by: adds #1" in line for line in made.lines())


def test_only_a_proven_body_naming_a_blocker_shows_batchsync_added_some_here() -> None:
    item, plain = task("task-001"), task()
    named = written(item)
    assert added_here({item.key: named}, [item])
    assert not added_here({plain.key: written(plain)}, [plain])  # no dependency: none added
    dependencies_line = written(item, body=render(item, NUMBERS).body)
    assert not added_here({item.key: dependencies_line}, [item])
    edited = written(item, body=named.body.replace("Body", "Edited", 1))
    assert "Blocked by" in edited.body
    assert not added_here({item.key: edited}, [item])  # unproven: not a fact
    assert not added_here({}, [item])  # no issue of its own


def test_a_label_a_person_added_proves_no_body_away() -> None:
    item = task("task-001")
    labelled = written(item, labels=(*written(item).labels, "bug"))
    assert added_here({item.key: labelled}, [item])  # the hash covers the file's labels
