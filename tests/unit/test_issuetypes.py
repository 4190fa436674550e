"""The ``issue-types`` setting, its mapping per kind, and the plan's rule for writing a type."""

from __future__ import annotations

import dataclasses

import pytest
from fakes import work_item

from batchsync.config import load_settings
from batchsync.errors import SettingsError
from batchsync.issuetypes import DEFAULT_CHOICES, parse_issue_types, resolve
from batchsync.items import Kind, ScanResult, WorkItem
from batchsync.plan import (
    PlanAction,
    PlanOptions,
    RemoteIssue,
    index_issues,
    marks_typed,
    plan,
    type_to_set,
)
from batchsync.render import Marker, format_marker, parse_marker, render

GITHUBS_DEFAULTS = ("Task", "Bug", "Feature")  # every new organisation's types


make_item = work_item


def issue_for(item: WorkItem, number: int = 1, *, typed: bool = False, **kw: object) -> RemoteIssue:
    """The issue batchsync wrote for ``item`` (its marker hash matches), with ``kw`` over it.

    ``typed``: its marker says batchsync wrote it with a type.
    """
    rendered = render(item, {}, typed=typed)
    fields: dict[str, object] = {
        "number": number,
        "id": 1000 + number,
        "title": rendered.title,
        "body": rendered.body,
        "state": "open",
        "labels": rendered.labels,
        "author": "github-actions[bot]",
    }
    fields.update(kw)
    return RemoteIssue(**fields)  # type: ignore[arg-type]


def step_of(item: WorkItem, issue: RemoteIssue | None, types: dict[Kind, str]):  # type: ignore[no-untyped-def]
    index = index_issues([issue] if issue is not None else [])
    planned = plan(ScanResult(items=(item,)), index, PlanOptions(issue_types=types))
    step = planned.step(item.key)
    assert step is not None
    return step


# ---- the setting -----------------------------------------------------------------------------


@pytest.mark.parametrize("off", ["false", "no", "0", "", "  FALSE "])
def test_off_values_turn_it_off(off: str) -> None:
    assert parse_issue_types(off) is None


def test_true_tries_the_kinds_own_name_then_githubs_defaults() -> None:
    choice = parse_issue_types("true")
    assert choice is not None
    assert dict(choice.choices) == dict(DEFAULT_CHOICES)


def test_a_map_names_each_kind_it_lists_and_only_those() -> None:
    choice = parse_issue_types(" PRD = Feature ,\n task=User Story ")
    assert choice is not None
    assert choice.choices == ((Kind.PRD, ("Feature",)), (Kind.TASK, ("User Story",)))


@pytest.mark.parametrize(
    "bad", ["prd", "story=Task", "prd=Feature,prd=Epic", "task=", "task=a|b", "maybe", ","]
)
def test_a_bad_map_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match=r"kind=type|type name|twice"):
        parse_issue_types(bad)


def test_the_setting_names_the_input_and_shows_a_map() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings({"issue_types": "story=Task"}, env={})
    assert caught.value.name == "issue-types"
    assert "prd=Feature,epic=Epic,task=Task" in str(caught.value)


def test_the_setting_is_off_by_default_and_read_from_the_input() -> None:
    assert load_settings({}, env={}).issue_type_choice() is None
    read = load_settings({}, env={"INPUT_ISSUE-TYPES": "task=Task"}).issue_type_choice()
    assert read is not None
    assert read.choices == ((Kind.TASK, ("Task",)),)


# ---- resolving against the repository's types ------------------------------------------------


def test_true_on_githubs_default_types_gives_every_kind_a_type_without_a_notice() -> None:
    found, notice = resolve(parse_issue_types("true"), GITHUBS_DEFAULTS)
    assert found == {Kind.PRD: "Feature", Kind.EPIC: "Feature", Kind.TASK: "Task"}
    assert notice is None


def test_the_kinds_own_type_wins_and_is_spelled_as_github_spells_it() -> None:
    found, _ = resolve(parse_issue_types("true"), ("TASK", "epic", "Feature", "prd"))
    assert found == {Kind.PRD: "prd", Kind.EPIC: "epic", Kind.TASK: "TASK"}


def test_a_kind_without_its_type_gets_none_and_one_notice_names_it() -> None:
    found, notice = resolve(parse_issue_types("prd=Initiative,task=Task"), GITHUBS_DEFAULTS)
    assert found == {Kind.TASK: "Task"}
    assert notice is not None
    assert "prd (Initiative)" in notice
    assert "Task, Bug, Feature" in notice


@pytest.mark.parametrize("none", [None, ()])
def test_a_repository_without_types_gets_none_and_one_notice(none: tuple[str, ...] | None) -> None:
    found, notice = resolve(parse_issue_types("true"), none)
    assert found == {}
    assert notice is not None
    assert "no issue types" in notice


def test_off_resolves_to_nothing_and_says_nothing() -> None:
    assert resolve(None, GITHUBS_DEFAULTS) == ({}, None)


# ---- the plan's rule -------------------------------------------------------------------------


def test_a_new_issue_is_created_with_its_type_and_the_plan_says_so() -> None:
    step = step_of(make_item(), None, {Kind.TASK: "Task"})
    assert (step.action, step.issue_type) == (PlanAction.CREATE, "Task")
    assert "type 'Task'" in step.summary
    assert step.rendered is not None
    assert step.rendered.typed  # its marker remembers that batchsync typed it


def test_an_unchanged_issue_without_a_type_is_updated_once_for_it() -> None:
    item = make_item()
    step = step_of(item, issue_for(item, type_known=True), {Kind.TASK: "Task"})
    assert (step.action, step.issue_type) == (PlanAction.UPDATE, "Task")
    assert step.reason == "#1 has no issue type: sets 'Task'"
    assert step.rendered is not None
    assert step.rendered.typed


def test_an_issue_a_person_untyped_is_never_typed_again_and_the_plan_says_why() -> None:
    item = make_item()
    issue = issue_for(item, typed=True, type_known=True)  # batchsync typed it; now it has none
    step = step_of(item, issue, {Kind.TASK: "Task"})
    assert (step.action, step.issue_type) == (PlanAction.UNCHANGED, None)
    assert step.reason == (
        "#1 matches the file; no issue type: a person took it off, so 'Task' is not set again"
    )


def test_an_issue_a_person_untyped_takes_a_content_change_without_its_type() -> None:
    item = make_item()
    old = f"old\n\n{format_marker(item.key, '0' * 16, typed=True)}"
    issue = issue_for(item, type_known=True, body=old)
    for types in ({Kind.TASK: "Task"}, {}):  # the setting on, or turned off meanwhile
        step = step_of(item, issue, types)
        assert (step.action, step.issue_type) == (PlanAction.UPDATE, None)
        assert step.rendered is not None
        assert step.rendered.typed  # the memory is written again with the content
        marker = Marker(item.key, step.rendered.content_hash, typed=True)
        assert parse_marker(step.rendered.body) == marker


def test_a_typed_issue_that_matches_the_file_plans_no_write() -> None:
    item = make_item()
    issue = issue_for(item, typed=True, type_known=True, issue_type="Task")
    step = step_of(item, issue, {Kind.TASK: "Task"})
    assert (step.action, step.issue_type, step.reason) == (
        PlanAction.UNCHANGED,
        None,
        "#1 matches the file",
    )


def test_an_issue_that_has_the_type_is_left_unchanged() -> None:
    item = make_item()
    issue = issue_for(item, type_known=True, issue_type="Task")
    step = step_of(item, issue, {Kind.TASK: "Task"})
    assert (step.action, step.issue_type) == (PlanAction.UNCHANGED, None)


def test_a_type_a_person_chose_is_kept_even_when_the_content_is_written() -> None:
    item = make_item()
    old = f"old\n\n{format_marker(item.key, '0' * 16)}"
    issue = issue_for(item, type_known=True, issue_type="Bug", body=old)
    step = step_of(item, issue, {Kind.TASK: "Task"})
    assert (step.action, step.issue_type) == (PlanAction.UPDATE, None)
    assert step.rendered is not None
    assert step.rendered.typed  # taken off later, it is the person's word: not set again


def test_a_changed_item_without_a_type_takes_it_in_the_same_update() -> None:
    item = make_item()
    issue = issue_for(item, type_known=True, body=f"old\n\n{format_marker(item.key, '0' * 16)}")
    step = step_of(item, issue, {Kind.TASK: "Task"})
    assert (step.action, step.issue_type) == (PlanAction.UPDATE, "Task")
    assert step.reason.startswith("content changed")


def test_an_answer_without_type_is_no_fact_and_makes_no_write() -> None:
    item = make_item()
    step = step_of(item, issue_for(item, type_known=False), {Kind.TASK: "Task"})
    assert (step.action, step.issue_type) == (PlanAction.UNCHANGED, None)


def test_a_kind_without_a_type_is_left_alone() -> None:
    item = make_item()
    step = step_of(item, issue_for(item, type_known=True), {Kind.PRD: "Feature"})
    assert (step.action, step.issue_type) == (PlanAction.UNCHANGED, None)


def test_off_plans_exactly_as_before() -> None:
    item = make_item()
    assert step_of(item, None, {}).issue_type is None
    assert step_of(item, issue_for(item, type_known=True), {}).action is PlanAction.UNCHANGED


def test_a_follow_up_never_sends_the_type_again() -> None:
    task = dataclasses.replace(make_item(), dependencies=("task-002",))
    later = dataclasses.replace(make_item("task-002"), dependencies=("task-001",))
    planned = plan(
        ScanResult(items=(task, later)), index_issues([]), PlanOptions(issue_types={Kind.TASK: "T"})
    )
    assert planned.followups
    assert all(f.issue_type is None for f in planned.followups)
    assert all(s.issue_type == "T" for s in planned.steps)


@pytest.mark.parametrize(
    ("issue", "wanted", "sent"),
    [
        (None, "Task", "Task"),
        (None, None, None),
        (issue_for(make_item(), type_known=True), "Task", "Task"),
        (issue_for(make_item(), type_known=True, issue_type="Bug"), "Task", None),
        (issue_for(make_item(), type_known=False), "Task", None),
        (issue_for(make_item(), typed=True, type_known=True), "Task", None),
        (issue_for(make_item(), typed=True, type_known=True, issue_type="Bug"), "Task", None),
    ],
)
def test_type_to_set(issue: RemoteIssue | None, wanted: str | None, sent: str | None) -> None:
    assert type_to_set(issue, wanted) == sent


@pytest.mark.parametrize(
    ("issue", "setting", "marked"),
    [
        (None, "Task", True),
        (None, None, False),
        (issue_for(make_item(), type_known=True), None, False),
        (issue_for(make_item(), type_known=True), "Task", True),
        (issue_for(make_item(), type_known=True, issue_type="Bug"), None, True),
        (issue_for(make_item(), typed=True, type_known=True), None, True),
        (issue_for(make_item(), typed=True, type_known=False), None, True),
        (issue_for(make_item(), type_known=False), None, False),
    ],
)
def test_marks_typed(issue: RemoteIssue | None, setting: str | None, marked: bool) -> None:
    assert marks_typed(issue, setting) is marked
