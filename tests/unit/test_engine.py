"""The engine's decisions, against an in-memory GitHub and a serial processor."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from fakes import FakeGitHub, SerialProcessor

from batchsync.engine import Engine, EngineOptions, waves
from batchsync.errors import (
    BudgetExhausted,
    FailureKind,
    ForbiddenError,
    ItemError,
    RunStop,
    ServerError,
    UncertainWriteError,
    ValidationFailed,
)
from batchsync.items import Kind, Layout, ScanResult, WorkItem
from batchsync.progress import NotDone
from batchsync.ratelimit import Limits
from batchsync.remote import PARENT_UNNAMED
from batchsync.render import format_marker, render
from batchsync.results import ItemAction
from batchsync.retry import RetryPolicy
from batchsync.writeback import WriteBack


def item(key: str, kind: Kind = Kind.TASK, **kw: Any) -> WorkItem:
    fields: dict[str, Any] = {
        "kind": kind,
        "key": key,
        "title": key.upper(),
        "path": f"{kind.value}s/{key}.md",
        "layout": Layout.LOCAL,
        "body": f"Body of {key}",
        "status": "open",
    }
    fields.update(kw)
    return WorkItem(**fields)


def tree() -> list[WorkItem]:
    return [
        item("prd-1", Kind.PRD),
        item("epic-1", Kind.EPIC, parent_key="prd-1"),
        item("task-1", parent_key="epic-1"),
        item("task-2", parent_key="epic-1", dependencies=("task-1",)),
    ]


def run(
    gh: FakeGitHub,
    items: list[WorkItem],
    *,
    errors: tuple[ItemError, ...] = (),
    unreadable: tuple[ItemError, ...] = (),
    archived: tuple[WorkItem, ...] = (),
    progress: list[tuple[int, int, str]] | None = None,
    write_back: WriteBack | None = None,
    **options: Any,
) -> Any:
    engine = Engine(
        gh, SerialProcessor(), EngineOptions(repo="o/r", **options), write_back=write_back
    )
    on_progress = None
    if progress is not None:
        on_progress = lambda done, total, unit: progress.append((done, total, _label(unit)))  # noqa: E731
    scanned = ScanResult(
        items=tuple(items), errors=errors, unreadable=unreadable, archived=archived
    )
    return engine.execute(scanned, on_progress)


def _label(unit: object) -> str:
    """A progress call's unit: its key, or how many are not done."""
    return f"not done: {unit.count}" if isinstance(unit, NotDone) else str(unit.key)  # type: ignore[attr-defined]


def issue_of(gh: FakeGitHub, key: str) -> Any:
    found = [i for i in gh.issues.values() if i.marker_key == key]
    assert len(found) == 1, f"{key}: {len(found)} issues"
    return found[0]


def test_fresh_sync_creates_parents_first_and_links_children_by_id() -> None:
    gh = FakeGitHub()
    result = run(gh, tree())
    assert [o.action for o in result.outcomes] == [ItemAction.CREATED] * 4
    created = [c[1][0] for c in gh.calls if c[0] == "create_issue"]
    assert created == ["[PRD] PRD-1", "[EPIC] EPIC-1", "[TASK] TASK-1", "[TASK] TASK-2"]
    epic, task1 = issue_of(gh, "epic-1"), issue_of(gh, "task-1")
    links = [(c[1][0], c[1][1]) for c in gh.calls if c[0] == "add_sub_issue"]
    assert links == [
        (issue_of(gh, "prd-1").number, epic.id),
        (epic.number, task1.id),
        (epic.number, issue_of(gh, "task-2").id),
    ]
    assert f"- **Parent:** #{epic.number}" in task1.body
    assert f"- **Dependencies:** #{task1.number}" in issue_of(gh, "task-2").body


def test_fresh_sync_reports_numbers_urls_and_paths() -> None:
    gh = FakeGitHub()
    result = run(gh, tree()[:1], path_prefix=".claude/")
    outcome = result.outcomes[0]
    assert (outcome.key, outcome.kind, outcome.path) == ("prd-1", "prd", ".claude/prds/prd-1.md")
    assert (outcome.issue_number, outcome.url) == (1, "https://github.com/o/r/issues/1")


def test_rerun_with_no_change_writes_nothing() -> None:
    gh = FakeGitHub()
    run(gh, tree())
    gh.calls.clear()
    result = run(gh, tree())
    assert gh.writes() == []
    assert [c[0] for c in gh.calls] == ["list_issues"]  # every issue trusted: no whoami
    assert [o.action for o in result.outcomes] == [ItemAction.UNCHANGED] * 4


def test_one_changed_item_makes_one_patch_and_nothing_else() -> None:
    gh = FakeGitHub()
    run(gh, tree())
    gh.calls.clear()
    changed = tree()
    changed[2] = dataclasses.replace(changed[2], body="New text")
    result = run(gh, changed)
    assert [c[0] for c in gh.writes()] == ["update_issue"]
    assert result.outcomes[2].action is ItemAction.UPDATED
    assert "New text" in issue_of(gh, "task-1").body


def test_dry_run_writes_nothing_and_tells_create_from_update() -> None:
    gh = FakeGitHub()
    run(gh, tree()[:2])
    gh.calls.clear()
    items = tree()
    items[1] = dataclasses.replace(items[1], title="Renamed")
    result = run(gh, items, dry_run=True)
    assert gh.writes() == []
    assert [o.action for o in result.outcomes] == [
        ItemAction.UNCHANGED,
        ItemAction.PLANNED_UPDATE,
        ItemAction.PLANNED_CREATE,
        ItemAction.PLANNED_CREATE,
    ]
    assert "changed" in (result.outcomes[1].reason or "")
    assert "no issue" in (result.outcomes[2].reason or "")


def test_lost_create_answer_is_resolved_by_marker_without_a_second_create() -> None:
    gh = FakeGitHub(lose_creates=[True])
    result = run(gh, tree()[:1])
    assert [c[0] for c in gh.calls].count("create_issue") == 1
    assert len(gh.issues) == 1
    assert result.outcomes[0].action is ItemAction.CREATED
    assert result.outcomes[0].issue_number == 1
    assert "found by its marker" in (result.outcomes[0].reason or "")


def test_lost_create_looks_only_above_the_highest_number_known_before_sending() -> None:
    gh = FakeGitHub()
    for _ in range(5):
        gh.add("unrelated")
    gh.lose_creates = [True]
    run(gh, tree()[:1])
    assert [c[2] for c in gh.calls if c[0] == "find_created"] == [{"above": 5}]


def test_create_that_was_not_applied_is_sent_again_once() -> None:
    gh = FakeGitHub(fail_creates=[True])
    result = run(gh, tree()[:1])
    assert [c[0] for c in gh.calls].count("create_issue") == 2
    assert len(gh.issues) == 1
    assert result.outcomes[0].action is ItemAction.CREATED


def test_create_lost_every_time_fails_the_item_after_the_attempts() -> None:
    gh = FakeGitHub(fail_creates=[True] * 10)
    policy = RetryPolicy(Limits(max_retries=2))
    engine = Engine(gh, SerialProcessor(), EngineOptions(repo="o/r"), policy=policy)
    result = engine.execute(ScanResult(items=tuple(tree()[:1])))
    assert [c[0] for c in gh.calls].count("create_issue") == 3
    assert result.outcomes[0].action is ItemAction.FAILED
    assert "outcome unknown" in (result.outcomes[0].error or "")


def test_closed_status_creates_then_closes_with_the_final_marker() -> None:
    gh = FakeGitHub()
    done = item("prd-1", Kind.PRD, status="done")
    result = run(gh, [done])
    issue = issue_of(gh, "prd-1")
    assert (issue.state, issue.state_reason) == ("closed", "completed")
    assert issue.marker_hash == render(done, {}).content_hash
    assert result.outcomes[0].action is ItemAction.CREATED


def test_run_cut_between_create_and_close_is_finished_next_run() -> None:
    gh = FakeGitHub(raise_on={"update_issue": BudgetExhausted("deadline")})
    done = item("prd-1", Kind.PRD, status="done")
    [cut] = run(gh, [done]).outcomes
    # the create happened just before the deadline: reported with its number, left to finish
    assert cut.action is ItemAction.NOT_DONE
    assert cut.issue_number == 1
    assert "#1 was created, then the run stopped" in (cut.reason or "")
    gh.raise_on.clear()
    result = run(gh, [done])
    assert result.outcomes[0].action is ItemAction.UPDATED
    assert issue_of(gh, "prd-1").state == "closed"
    assert len(gh.issues) == 1


def test_failed_close_after_create_reports_the_issue_and_keeps_the_write_back(
    tmp_path: Path,
) -> None:
    gh = FakeGitHub(raise_on={"update_issue": ServerError(502, "Bad Gateway", method="PATCH")})
    file = tmp_path / "prds" / "prd-1.md"
    file.parent.mkdir()
    file.write_text("---\nid: prd-1\ngithub_issue: null\n---\n")
    done = item("prd-1", Kind.PRD, status="done")
    outcome = run(gh, [done], write_back=WriteBack(tmp_path, {})).outcomes[0]
    assert (outcome.action, outcome.issue_number) == (ItemAction.FAILED, 1)
    assert "502" in (outcome.error or "")
    assert "github_issue: 1\n" in file.read_text()
    gh.raise_on.clear()
    assert run(gh, [done]).outcomes[0].action is ItemAction.UPDATED
    assert gh.issues[1].state == "closed"


def test_labels_people_added_survive_an_update() -> None:
    gh = FakeGitHub()
    run(gh, tree()[:1])
    number = issue_of(gh, "prd-1").number
    gh.issues[number] = dataclasses.replace(gh.issues[number], labels=("prd", "customer"))
    changed = dataclasses.replace(tree()[0], body="changed", priority="low")
    run(gh, [changed])
    assert gh.issues[number].labels == ("prd", "priority:low", "customer")


def test_issue_a_person_closed_stays_closed_while_the_file_is_unchanged() -> None:
    gh = FakeGitHub()
    run(gh, tree()[:1])
    number = issue_of(gh, "prd-1").number
    gh.issues[number] = dataclasses.replace(
        gh.issues[number], state="closed", title="edited on GitHub"
    )
    result = run(gh, tree()[:1])
    assert result.outcomes[0].action is ItemAction.UNCHANGED
    assert gh.issues[number].state == "closed"


def test_local_change_wins_over_a_close_made_on_github() -> None:
    gh = FakeGitHub()
    run(gh, tree()[:1])
    number = issue_of(gh, "prd-1").number
    gh.issues[number] = dataclasses.replace(gh.issues[number], state="closed")
    run(gh, [dataclasses.replace(tree()[0], body="changed")])
    assert gh.issues[number].state == "open"


def test_an_issue_without_labels_or_title_is_still_adopted_by_marker() -> None:
    gh = FakeGitHub()
    run(gh, tree()[:1])
    number = issue_of(gh, "prd-1").number
    gh.issues[number] = dataclasses.replace(gh.issues[number], labels=(), title="x")
    gh.calls.clear()
    run(gh, tree()[:1])
    assert gh.writes() == []


def test_unmarked_issue_linked_locally_is_adopted_and_given_a_marker() -> None:
    gh = FakeGitHub()
    legacy = gh.add("[PRD] old", "written by hand", labels=("prd", "keep"))
    result = run(gh, [dataclasses.replace(tree()[0], link=legacy.number)])
    assert [c[0] for c in gh.writes()] == ["update_issue"]
    assert result.outcomes[0].action is ItemAction.UPDATED
    assert gh.issues[legacy.number].marker_key == "prd-1"
    assert "keep" in gh.issues[legacy.number].labels


def test_linked_issue_marked_for_another_item_is_not_taken_over() -> None:
    gh = FakeGitHub()
    other = gh.add("[PRD] other", f"x\n\n{format_marker('prd-9', '0' * 16)}")
    still_there = item("prd-9", Kind.PRD)
    run(gh, [dataclasses.replace(tree()[0], link=other.number), still_there])
    assert sorted(c[0] for c in gh.writes()) == ["create_issue", "update_issue"]
    assert issue_of(gh, "prd-9").number == other.number


def test_linked_issue_of_a_renamed_file_is_adopted_not_duplicated() -> None:
    gh = FakeGitHub()
    old = gh.add("[PRD] other", f"x\n\n{format_marker('prds/old-name.md', '0' * 16)}")
    run(gh, [dataclasses.replace(tree()[0], link=old.number)])
    assert [c[0] for c in gh.writes()] == ["update_issue"]
    assert issue_of(gh, tree()[0].key).number == old.number


def test_linked_number_missing_from_the_listing_is_read_directly() -> None:
    gh = FakeGitHub()
    run(gh, [dataclasses.replace(tree()[0], link=42)])
    assert ("get_issue", (42,), {}) in gh.calls


def test_moved_child_is_relinked_with_replace_parent() -> None:
    gh = FakeGitHub()
    items = [*tree()[:3], item("epic-2", Kind.EPIC, parent_key="prd-1")]
    run(gh, items)
    gh.calls.clear()
    items[2] = dataclasses.replace(items[2], parent_key="epic-2")
    run(gh, items)
    epic2, task = issue_of(gh, "epic-2"), issue_of(gh, "task-1")
    assert [c[0] for c in gh.writes()] == ["update_issue", "add_sub_issue"]
    assert gh.writes()[1][1:] == ((epic2.number, task.id), {"replace_parent": True})
    assert task.parent_number == epic2.number


def test_child_moved_on_github_stays_while_its_file_is_unchanged() -> None:
    gh = FakeGitHub()
    run(gh, tree()[:3])
    task = issue_of(gh, "task-1")
    gh.issues[task.number] = dataclasses.replace(task, parent_number=1)
    gh.calls.clear()
    run(gh, tree()[:3])
    assert gh.writes() == []


def test_missing_link_left_by_a_cut_off_run_is_made_next_run() -> None:
    gh = FakeGitHub()
    run(gh, tree()[:3])
    task = issue_of(gh, "task-1")
    gh.issues[task.number] = dataclasses.replace(task, parent_number=None)
    gh.calls.clear()
    result = run(gh, tree()[:3])
    assert [c[0] for c in gh.writes()] == ["add_sub_issue"]
    assert result.outcomes[2].action is ItemAction.UPDATED  # the link is the run's write
    assert result.outcomes[2].reason == "linked under #2 (a run stopped before linking it)"


def taken_out(gh: FakeGitHub, removed_from: str | int) -> tuple[int, Any]:
    """The synced cart's task-1 under no parent now, its timeline's last removal naming
    ``removed_from`` (an item key, or a number such as ``PARENT_UNNAMED``); calls cleared.
    Returns that number and the task's issue."""
    run(gh, tree()[:3])
    task = issue_of(gh, "task-1")
    gh.issues[task.number] = dataclasses.replace(task, parent_number=None)
    number = removed_from if isinstance(removed_from, int) else issue_of(gh, removed_from).number
    gh.removals = {task.number: number}
    gh.calls.clear()
    return number, task


def test_a_child_a_person_took_out_of_its_parent_is_not_linked_again() -> None:
    gh = FakeGitHub()
    epic, task = taken_out(gh, "epic-1")  # its timeline: taken out of the epic
    for _ in range(2):
        result = run(gh, tree()[:3])
        assert gh.writes() == []
        assert result.outcomes[2].action is ItemAction.UNCHANGED
        assert result.outcomes[2].reason == (
            f"#{task.number} matches the file; #{task.number} was taken out of #{epic} "
            "on GitHub; kept; change the file's parent to link it again"
        )


def test_a_child_taken_out_is_linked_again_once_its_file_changes() -> None:
    gh = FakeGitHub()
    epic, _ = taken_out(gh, "epic-1")
    changed = [*tree()[:2], item("task-1", parent_key="epic-1", body="new")]
    result = run(gh, changed)
    assert [c[0] for c in gh.writes()] == ["update_issue", "add_sub_issue"]
    assert "parent_removed" not in [c[0] for c in gh.calls]  # the file wins: no history read
    assert result.outcomes[2].reason.endswith(f"; linked under #{epic}")


def test_a_removal_from_another_parent_is_no_removal_from_this_one() -> None:
    gh = FakeGitHub()
    taken_out(gh, "prd-1")
    run(gh, tree()[:3])
    assert [c[0] for c in gh.writes()] == ["add_sub_issue"]


def test_a_removal_from_a_parent_no_longer_readable_keeps_the_child_out() -> None:
    gh = FakeGitHub()
    taken_out(gh, PARENT_UNNAMED)  # the parent it left may be the file's own
    result = run(gh, tree()[:3])
    assert gh.writes() == []
    [step] = [o for o in result.outcomes if o.key == "task-1"]
    assert "taken out of a parent (no longer readable) on GitHub; kept" in (step.reason or "")


def test_without_graphql_an_unlinked_child_is_left_and_said_so() -> None:
    gh = FakeGitHub(removals=None)
    run(gh, tree()[:3])
    task = issue_of(gh, "task-1")
    gh.issues[task.number] = dataclasses.replace(task, parent_number=None)
    gh.calls.clear()
    result = run(gh, tree()[:3])
    assert gh.writes() == []
    assert "this server keeps no history batchsync can read" in (result.outcomes[2].reason or "")


def test_the_dry_run_shows_the_link_the_real_run_writes() -> None:
    gh = FakeGitHub(parent_field=False)
    run(gh, tree()[:3])
    task = issue_of(gh, "task-1")
    gh.issues[task.number] = dataclasses.replace(task, parent_number=None)
    dry = run(gh, tree()[:3], dry_run=True)
    assert dry.outcomes[2].action is ItemAction.PLANNED_UPDATE
    real = run(gh, tree()[:3])
    assert real.outcomes[2].action is ItemAction.UPDATED
    assert dry.outcomes[2].reason == real.outcomes[2].reason


def test_server_without_sub_issues_api_warns_once_and_stops_linking() -> None:
    gh = FakeGitHub(sub_issues_api=False)
    result = run(gh, tree())
    assert [c[0] for c in gh.calls].count("add_sub_issue") == 1
    assert [o.action for o in result.outcomes] == [ItemAction.CREATED] * 4
    assert len([w for w in result.warnings if "sub-issues" in w]) == 1


def test_sub_issues_off_makes_no_link_request() -> None:
    gh = FakeGitHub()
    run(gh, tree(), sub_issues=False)
    assert "add_sub_issue" not in [c[0] for c in gh.calls]


def test_server_that_does_not_report_parents_is_not_relinked_on_rerun() -> None:
    gh = FakeGitHub(parent_field=False)
    run(gh, tree())
    gh.calls.clear()
    run(gh, tree())
    assert gh.writes() == []


def test_the_101st_child_is_a_per_item_error_and_the_rest_goes_on() -> None:
    gh = FakeGitHub()
    items = [item("epic-1", Kind.EPIC)] + [
        item(f"task-{n:03}", parent_key="epic-1") for n in range(1, 102)
    ]
    result = run(gh, items)
    failed = [o for o in result.outcomes if o.action is ItemAction.FAILED]
    assert [o.key for o in failed] == ["task-101"]
    assert failed[0].issue_number is not None
    assert "100" in (failed[0].error or "")
    assert "split 'epic-1'" in (failed[0].error or "")
    assert [c[0] for c in gh.calls].count("add_sub_issue") == 100
    gh.calls.clear()
    rerun = run(gh, items)
    assert gh.writes() == []
    assert rerun.failed == 1


def test_forbidden_write_stops_the_run_without_more_requests() -> None:
    denied = ForbiddenError(403, "Resource not accessible by integration")
    gh = FakeGitHub(raise_on={"create_issue": RunStop.refused(denied)})
    with pytest.raises(RunStop):
        run(gh, tree())
    assert [c[0] for c in gh.calls].count("create_issue") == 1


def test_a_forbidden_answer_outside_the_gate_is_a_typed_permission_failure() -> None:
    gh = FakeGitHub(
        raise_on={"create_issue": ForbiddenError(403, "Resource not accessible by integration")}
    )
    result = run(gh, tree())
    assert result.errors
    assert all(o.failure and o.failure.kind is FailureKind.PERMISSION for o in result.errors)
    assert {o.failure.status for o in result.errors if o.failure} == {403}


def test_scan_errors_become_failed_outcomes_with_path_and_line() -> None:
    gh = FakeGitHub()
    bad = ItemError(".claude/epics/e/task-9.md", 3, "bad YAML: fix the indentation", key=None)
    result = run(gh, tree()[:1], errors=(bad,))
    assert result.total == 2
    failure = result.outcomes[-1]
    assert (failure.action, failure.path, failure.line, failure.kind) == (
        ItemAction.FAILED,
        ".claude/epics/e/task-9.md",
        3,
        "task",
    )
    assert failure.error == "bad YAML: fix the indentation"


def test_close_removed_closes_as_not_planned_with_a_comment() -> None:
    gh = FakeGitHub()
    run(gh, tree())
    gone = issue_of(gh, "task-2")
    gh.calls.clear()
    result = run(gh, tree()[:3], close_removed=True)
    assert [c[0] for c in gh.writes()] == ["update_issue", "add_comment"]
    assert gh.issues[gone.number].state == "closed"
    assert gh.issues[gone.number].state_reason == "not_planned"
    closed = result.outcomes[-1]
    assert (closed.action, closed.key, closed.kind) == (ItemAction.CLOSED, "task-2", "task")


class _LostComments(FakeGitHub):
    def add_comment(self, number: int, body: str) -> None:
        super().add_comment(number, body)
        raise UncertainWriteError(ServerError(502, "Bad Gateway", method="POST"))


def test_close_removed_warns_when_the_comment_answer_was_lost() -> None:
    gh = _LostComments()
    run(gh, tree())
    gone = issue_of(gh, "task-2")
    result = run(gh, tree()[:3], close_removed=True)
    assert [c[0] for c in gh.writes()].count("add_comment") == 1
    assert result.outcomes[-1].action is ItemAction.CLOSED
    assert any(f"closed #{gone.number}" in w and "comment" in w for w in result.warnings)


def test_close_removed_is_off_by_default() -> None:
    gh = FakeGitHub()
    run(gh, tree())
    gh.calls.clear()
    run(gh, tree()[:3])
    assert gh.writes() == []


def test_close_removed_is_skipped_when_the_scan_had_errors() -> None:
    gh = FakeGitHub()
    run(gh, tree())
    gh.calls.clear()
    bad = ItemError("x.md", 1, "broken")
    result = run(gh, tree()[:3], errors=(bad,), close_removed=True)
    assert gh.writes() == []
    assert any("close-removed skipped" in w for w in result.warnings)


def test_close_removed_is_skipped_when_only_some_kinds_were_scanned() -> None:
    gh = FakeGitHub()
    run(gh, tree())
    gh.calls.clear()
    result = run(gh, tree()[:1], close_removed=True, all_kinds=False)
    assert gh.writes() == []
    assert any("type" in w for w in result.warnings)


def test_dry_run_close_is_planned_not_done() -> None:
    gh = FakeGitHub()
    run(gh, tree())
    gh.calls.clear()
    result = run(gh, tree()[:3], close_removed=True, dry_run=True)
    assert gh.writes() == []
    assert result.outcomes[-1].action is ItemAction.PLANNED_CLOSE


def test_budget_exhausted_marks_later_phases_not_done_without_requests() -> None:
    gh = FakeGitHub()
    gh.raise_on["add_sub_issue"] = BudgetExhausted("deadline")
    result = run(gh, tree())
    # the epic's create was done before its link met the deadline: reported with its number
    assert [o.action for o in result.outcomes] == [
        ItemAction.CREATED,
        ItemAction.NOT_DONE,
        ItemAction.NOT_DONE,
        ItemAction.NOT_DONE,
    ]
    assert result.outcomes[1].issue_number == issue_of(gh, "epic-1").number
    assert [c[0] for c in gh.calls].count("create_issue") == 2


def test_progress_reports_items_not_reached_apart_never_as_done() -> None:
    gh = FakeGitHub()
    gh.raise_on["add_sub_issue"] = BudgetExhausted("deadline")
    seen: list[tuple[int, int, str]] = []
    result = run(gh, tree(), progress=seen)
    done = sum(o.action is not ItemAction.NOT_DONE for o in result.outcomes)
    assert done == 1  # the epic's link met the deadline; the tasks never started
    assert seen[0] == (1, 4, "prd-1")
    assert seen[-1] == (1, 4, "not done: 3")  # the last call says so; 4/4 it never says
    assert {d for d, _, _ in seen} == {1}


def test_progress_counts_once_per_item_over_the_whole_run() -> None:
    gh = FakeGitHub()
    seen: list[tuple[int, int, str]] = []
    run(gh, tree(), progress=seen)
    assert seen == [(1, 4, "prd-1"), (2, 4, "epic-1"), (3, 4, "task-1"), (4, 4, "task-2")]


def test_write_back_records_each_issue_right_after_it_exists(tmp_path: Path) -> None:
    gh = FakeGitHub()
    file = tmp_path / "prds" / "prd-1.md"
    file.parent.mkdir()
    file.write_text("---\nid: prd-1\ngithub_issue: null\n---\nBody\n")
    gh.raise_on["add_sub_issue"] = BudgetExhausted("deadline")
    run(gh, tree()[:2], write_back=WriteBack(tmp_path, {}))
    assert "github_issue: 1\n" in file.read_text()


def test_dry_run_never_writes_back(tmp_path: Path) -> None:
    gh = FakeGitHub()
    run(gh, tree()[:1], dry_run=True, write_back=WriteBack(tmp_path, {}))
    assert list(tmp_path.iterdir()) == []


def test_waves_put_dependencies_first_within_a_kind() -> None:
    items = [
        item("t-a", dependencies=("t-b",)),
        item("t-b"),
        item("e-1", Kind.EPIC),
        item("t-c", dependencies=("t-a", "e-1", "#5")),
    ]
    assert [[i.key for i in w] for w in waves(items)] == [["e-1"], ["t-b"], ["t-a"], ["t-c"]]


def test_waves_put_a_dependency_cycle_in_one_last_wave() -> None:
    items = [item("a", dependencies=("b",)), item("b", dependencies=("a",)), item("c")]
    assert [[i.key for i in w] for w in waves(items)] == [["c"], ["a", "b"]]


def test_a_tasks_only_run_links_under_the_epic_found_by_its_marker() -> None:
    gh = FakeGitHub()
    run(gh, tree()[:2])
    epic = issue_of(gh, "epic-1")
    gh.calls.clear()
    run(gh, tree()[2:3], all_kinds=False)
    task = issue_of(gh, "task-1")
    assert f"- **Parent:** #{epic.number}" in task.body
    assert task.parent_number == epic.number


def test_children_created_under_their_parent_need_no_link_request() -> None:
    gh = FakeGitHub(link_in_create=True)
    result = run(gh, tree())
    assert [o.action for o in result.outcomes] == [ItemAction.CREATED] * 4
    creates = [c for c in gh.calls if c[0] == "create_issue"]
    epic = issue_of(gh, "epic-1")
    assert creates[0][2] == {}  # the PRD has no parent
    assert creates[2][2] == {"parent": epic.number}
    assert [c for c in gh.calls if c[0] == "add_sub_issue"] == []
    assert issue_of(gh, "task-2").parent_number == epic.number


def test_a_create_that_did_not_link_is_linked_through_rest() -> None:
    gh = FakeGitHub(link_in_create=False)
    run(gh, tree())
    links = [c for c in gh.calls if c[0] == "add_sub_issue"]
    assert len(links) == 3
    assert issue_of(gh, "task-1").parent_number == issue_of(gh, "epic-1").number


def test_a_full_parent_gets_no_parent_in_the_create_and_the_cap_is_reported() -> None:
    gh = FakeGitHub(link_in_create=True)
    run(gh, tree()[:2])
    epic = issue_of(gh, "epic-1")
    for n in range(100):
        gh.add(f"c{n}", parent_number=epic.number)
    result = run(gh, [*tree()[:2], item("task-9", parent_key="epic-1")])
    task = [c for c in gh.calls if c[0] == "create_issue"][-1]
    assert task[2] == {}
    assert "100 sub-issues" in (result.outcomes[2].error or "")


def test_a_failed_create_gives_back_the_child_slot_it_took() -> None:
    gh = FakeGitHub(link_in_create=True)
    run(gh, tree()[:2])
    epic = issue_of(gh, "epic-1")
    for n in range(99):
        gh.add(f"c{n}", parent_number=epic.number)
    # the one slot left is taken by a create GitHub refuses: the next child must still get it
    create = gh.create_issue

    def refuse_task_8(title: str, *args: Any, **kwargs: Any) -> Any:
        if "TASK-8" in title:
            raise ValidationFailed(422, "Validation Failed", method="POST")
        return create(title, *args, **kwargs)

    gh.create_issue = refuse_task_8  # type: ignore[method-assign]
    tasks = [item("task-8", parent_key="epic-1"), item("task-9", parent_key="epic-1")]
    result = run(gh, [*tree()[:2], *tasks])
    actions = {o.key: o.action for o in result.outcomes}
    assert actions["task-8"] is ItemAction.FAILED
    assert actions["task-9"] is ItemAction.CREATED
    assert issue_of(gh, "task-9").parent_number == epic.number


def test_a_lost_create_with_a_parent_is_found_linked_and_not_linked_again() -> None:
    gh = FakeGitHub(link_in_create=True, lose_creates=[False, False, True])
    result = run(gh, tree()[:3])
    assert result.outcomes[2].action is ItemAction.CREATED
    assert len(gh.by_title("[TASK] TASK-1")) == 1
    assert [c for c in gh.calls if c[0] == "add_sub_issue"] == []


def test_client_warnings_reach_the_result() -> None:
    gh = FakeGitHub()
    gh.warnings = ("GraphQL issue creation is not available (test)",)  # type: ignore[attr-defined]
    result = run(gh, tree()[:1])
    assert "GraphQL issue creation is not available (test)" in result.warnings


# ---- trust: closing only when certain, links decided from facts ----------------------------


def test_close_removed_closes_nothing_when_a_folder_could_not_be_read() -> None:
    gh = FakeGitHub()
    run(gh, tree())
    gh.calls.clear()
    locked = ItemError("epics/epic-2", None, "cannot read the folder (Permission denied)")
    result = run(gh, tree()[:1], unreadable=(locked,), close_removed=True)
    assert gh.writes() == []
    [failed] = [o for o in result.outcomes if o.action is ItemAction.FAILED]
    assert failed.key == "close-removed"
    assert "could not be read (epics/epic-2)" in (failed.error or "")


def test_close_removed_never_closes_an_archived_items_issue() -> None:
    gh = FakeGitHub()
    run(gh, tree())
    gh.calls.clear()
    archived = tuple(dataclasses.replace(i, path=f"epics/archived/{i.path}") for i in tree()[1:])
    result = run(gh, tree()[:1], archived=archived, close_removed=True)
    assert gh.writes() == []
    assert not [o for o in result.outcomes if o.action is ItemAction.CLOSED]


def test_a_422_on_a_link_the_child_already_has_is_no_failure() -> None:
    gh = FakeGitHub(parent_field=False)
    run(gh, tree()[:3])
    task = issue_of(gh, "task-1")
    gh.issues[task.number] = dataclasses.replace(task, parent_number=None)
    # the listing says nothing and GitHub answers 422: the link was made meanwhile
    real = gh.add_sub_issue

    def linked_meanwhile(parent: int, child_id: int, *, replace_parent: bool = False) -> None:
        gh.issues[task.number] = dataclasses.replace(task, parent_number=parent)
        real(parent, child_id, replace_parent=replace_parent)

    gh.add_sub_issue = linked_meanwhile  # type: ignore[method-assign]
    result = run(gh, tree()[:3])
    assert result.failed == 0
    assert [c[0] for c in gh.calls].count("get_parent") >= 1


def test_without_parent_fields_a_rerun_reads_each_parent_once_and_writes_nothing() -> None:
    gh = FakeGitHub(parent_field=False)
    items = [*tree(), item("task-3", parent_key="epic-1")]
    run(gh, items)
    gh.calls.clear()
    result = run(gh, items)
    assert gh.writes() == []
    assert result.failed == 0
    reads = [c[1][0] for c in gh.calls if c[0] == "sub_issue_numbers"]
    assert sorted(reads) == sorted({issue_of(gh, "prd-1").number, issue_of(gh, "epic-1").number})
    assert "get_parent" not in [c[0] for c in gh.calls]


def test_a_summary_whose_count_matches_does_not_hide_a_missing_link() -> None:
    gh = FakeGitHub(parent_field=False)
    run(gh, tree())
    epic, task = issue_of(gh, "epic-1"), issue_of(gh, "task-2")
    gh.issues[task.number] = dataclasses.replace(task, parent_number=None)  # link lost
    gh.add("a person's sub-issue", parent_number=epic.number)  # the count matches again
    for key, total in (("prd-1", 1), ("epic-1", 2)):
        found = issue_of(gh, key)
        gh.issues[found.number] = dataclasses.replace(found, sub_issues_total=total)
    gh.calls.clear()
    result = run(gh, tree())
    assert result.failed == 0
    assert [c[1][0] for c in gh.calls if c[0] == "add_sub_issue"] == [epic.number]
    assert issue_of(gh, "task-2").parent_number == epic.number


def test_the_own_login_learned_from_a_create_names_the_author_to_trust() -> None:
    gh = FakeGitHub(writer="shop-app[bot]")
    marker = format_marker("old-item", "0" * 16)
    gh.add("[TASK] Old", f"x\n\n{marker}", author="shop-app[bot]")
    result = run(gh, tree()[:1])
    [warning] = [w for w in result.warnings if "does not trust" in w]
    assert "This token writes as shop-app[bot]" in warning
    assert "add shop-app[bot] to `trusted-authors`" in warning


def test_a_dry_run_reports_the_plan_with_placeholders_for_new_parents() -> None:
    gh = FakeGitHub()
    engine = Engine(gh, SerialProcessor(), EngineOptions(repo="o/r", dry_run=True))
    result = engine.execute(ScanResult(items=tuple(tree())))
    assert gh.writes() == []
    assert [o.action for o in result.outcomes] == [ItemAction.PLANNED_CREATE] * 4
    reasons = {o.key: o.reason or "" for o in result.outcomes}
    assert "goes under 'epic-1', created in this run" in reasons["task-1"]
    assert "goes under" not in reasons["prd-1"]
    assert (
        engine.plan.lines()[2] == "create task-1, under 'epic-1' (new): no issue carries its marker"
    )


class _AnotherTreeCreatesMeanwhile(FakeGitHub):
    """A create that fails unapplied while another tree creates its issue of the same key."""

    def create_issue(
        self, title: str, body: str, labels: tuple[str, ...], *, parent: int | None = None
    ) -> Any:
        if not any(c[0] == "create_issue" for c in self.calls):
            self.add("[PRD] PRD-1", "x\n\n" + format_marker("prd-1", "0" * 16, namespace="tree-b"))
            self._log("create_issue", title, body, labels)
            raise UncertainWriteError(ServerError(502, "Bad Gateway", method="POST"))
        return super().create_issue(title, body, labels, parent=parent)


def test_a_lost_create_is_never_taken_for_another_trees_issue_of_the_same_key() -> None:
    gh = _AnotherTreeCreatesMeanwhile()
    result = run(gh, tree()[:1], namespace="tree-a")
    [done] = result.outcomes
    assert done.action is ItemAction.CREATED
    ours = gh.issues[done.issue_number]
    assert ours.marker is not None
    assert ours.marker.namespace == "tree-a"
    theirs = [i for i in gh.issues.values() if i.marker and i.marker.namespace == "tree-b"]
    assert len(theirs) == 1
    assert theirs[0].number != done.issue_number
    assert not [c for c in gh.calls if c[0] == "update_issue"]
