"""Planning: matching issues to items, deciding create/update/unchanged/close."""

from __future__ import annotations

import dataclasses

from fakes import work_item

from batchsync.errors import ItemError
from batchsync.items import Kind, ScanResult
from batchsync.ownership import Trust
from batchsync.plan import (
    LinkFacts,
    LinkPlan,
    ParentRef,
    Plan,
    PlanAction,
    PlannedAction,
    PlanOptions,
    RemoteIssue,
    claim_all,
    close_candidates,
    content_written,
    decide,
    index_issues,
    kind_of_issue,
    merged_labels,
    needs_link,
    plan,
    plan_links,
)
from batchsync.render import format_marker, render

make_item = work_item


def make_issue(number: int, key: str | None = None, content_hash: str = "0" * 16, **kw: object):
    body = "text" if key is None else f"text\n\n{format_marker(key, content_hash)}"
    fields: dict[str, object] = {
        "number": number,
        "id": 1000 + number,
        "title": "[TASK] A task",
        "body": body,
        "state": "open",
        "author": "github-actions[bot]",
    }
    fields.update(kw)
    return RemoteIssue(**fields)  # type: ignore[arg-type]


def test_index_finds_issues_by_marker_key() -> None:
    index = index_issues([make_issue(1, "prd-1"), make_issue(2), make_issue(3, "task-9")])
    assert {k: i.number for k, i in index.by_key.items()} == {"prd-1": 1, "task-9": 3}
    assert set(index.by_number) == {1, 2, 3}
    assert index.max_number == 3


def test_index_keeps_the_lowest_number_of_a_duplicate_marker_and_warns() -> None:
    index = index_issues([make_issue(7, "a"), make_issue(4, "a")])
    assert index.by_key["a"].number == 4
    assert len(index.warnings) == 1
    assert "#4" in index.warnings[0]
    assert "#7" in index.warnings[0]


def test_empty_index_has_max_number_zero() -> None:
    assert index_issues([]).max_number == 0


def test_match_prefers_the_marker_over_the_local_link() -> None:
    index = index_issues([make_issue(5, "task-001"), make_issue(6)])
    found = index.match(make_item(link=6))
    assert found is not None
    assert found.number == 5


def test_match_adopts_an_unmarked_linked_issue() -> None:
    index = index_issues([make_issue(6)])
    found = index.match(make_item(link=6))
    assert found is not None
    assert found.number == 6


def test_match_never_takes_over_an_issue_marked_for_another_item() -> None:
    index = index_issues([make_issue(6, "task-002")])
    assert index.match(make_item(link=6)) is None


def test_match_without_marker_or_link_finds_nothing() -> None:
    assert index_issues([make_issue(1)]).match(make_item()) is None


def test_decide_creates_when_no_issue_matches() -> None:
    item = make_item()
    planned = decide(item, None, render(item, {}))
    assert planned.action is PlanAction.CREATE
    assert "no issue" in planned.reason


def test_decide_create_reason_mentions_a_stale_local_link() -> None:
    item = make_item(link=44)
    assert "#44" in decide(item, None, render(item, {})).reason


def test_decide_leaves_an_issue_whose_marker_hash_matches() -> None:
    item = make_item()
    rendered = render(item, {})
    issue = make_issue(3, "task-001", rendered.content_hash, state="closed", title="edited")
    planned = decide(item, issue, rendered)
    assert planned.action is PlanAction.UNCHANGED
    assert planned.issue is issue


def test_decide_updates_when_the_hash_differs() -> None:
    item = make_item()
    planned = decide(item, make_issue(3, "task-001", "f" * 16), render(item, {}))
    assert planned.action is PlanAction.UPDATE
    assert "changed" in planned.reason


def test_decide_updates_an_adopted_issue_without_marker() -> None:
    item = make_item(link=3)
    planned = decide(item, make_issue(3), render(item, {}))
    assert planned.action is PlanAction.ADOPT
    assert "adopts #3" in planned.reason


def test_merged_labels_keep_labels_people_added() -> None:
    merged = merged_labels(
        ("task", "priority:low"), ("task", "priority:high", "bug", "Needs-Review")
    )
    assert merged == ("task", "priority:low", "bug", "Needs-Review")


def test_merged_labels_do_not_repeat_ours_in_another_case() -> None:
    assert merged_labels(("task", "backend"), ("Backend",)) == ("task", "backend")


def test_children_count_uses_summary_or_listing_whichever_is_higher() -> None:
    parent = make_issue(1, "epic", sub_issues_total=3)
    kids = [make_issue(n, f"t{n}", parent_known=True, parent_number=1) for n in range(2, 7)]
    index = index_issues([parent, *kids])
    assert index.children_of(1) == 5
    assert index_issues([make_issue(1, sub_issues_total=100)]).children_of(1) == 100
    assert index.children_of(99) == 0


def test_close_candidates_are_open_issues_of_removed_items() -> None:
    index = index_issues(
        [
            make_issue(1, "kept"),
            make_issue(2, "gone"),
            make_issue(3, "gone-closed", state="closed"),
            make_issue(4),
        ]
    )
    closes, warnings = close_candidates(index, [make_item("kept")], max_close=10)
    assert [(c.action, c.key, c.issue.number if c.issue else 0) for c in closes] == [
        (PlanAction.CLOSE, "gone", 2)
    ]
    assert warnings == ()


def test_close_candidates_over_the_cap_close_nothing_and_warn() -> None:
    index = index_issues([make_issue(n, f"gone-{n}") for n in range(1, 5)])
    closes, warnings = close_candidates(index, [], max_close=3)
    assert closes == ()
    assert "max-close" in warnings[0]
    assert "4 issues" in warnings[0]


def test_close_candidates_at_the_cap_are_closed() -> None:
    index = index_issues([make_issue(n, f"gone-{n}") for n in range(1, 4)])
    closes, _ = close_candidates(index, [], max_close=3)
    assert len(closes) == 3


def test_kind_of_issue_from_title_prefix_or_labels() -> None:
    assert kind_of_issue(make_issue(1, title="[EPIC] x")) == "epic"
    assert kind_of_issue(make_issue(1, title="renamed", labels=("prd",))) == "prd"
    assert kind_of_issue(make_issue(1, title="renamed")) == ""


def test_match_adopts_a_linked_issue_whose_marker_names_a_key_gone_from_the_tree() -> None:
    # CCPM renames epics/e/001.md to epics/e/6.md after its own sync: same issue, new key.
    index = index_issues([make_issue(6, "epics/e/001.md")])
    item = make_item("epics/e/6.md", link=6)
    found = index.match(item, present={"epics/e/6.md"})
    assert found is not None
    assert found.number == 6


def test_match_keeps_an_issue_whose_marker_names_an_item_still_in_the_tree() -> None:
    index = index_issues([make_issue(6, "task-002")])
    assert index.match(make_item(link=6), present={"task-001", "task-002"}) is None


def test_match_does_not_adopt_a_stale_issue_of_another_kind() -> None:
    index = index_issues([make_issue(6, "prd-old", title="[PRD] Old")])
    assert index.match(make_item(link=6), present={"task-001"}) is None


def test_decide_rewrites_the_marker_of_a_renamed_file_even_when_content_matches() -> None:
    item = make_item("epics/e/6.md", link=6)
    rendered = render(item, {})
    issue = make_issue(6, "epics/e/001.md", rendered.content_hash)
    planned = decide(item, issue, rendered)
    assert planned.action is PlanAction.ADOPT
    assert "epics/e/001.md" in planned.reason


def test_close_candidates_skip_an_issue_adopted_under_a_new_key() -> None:
    index = index_issues([make_issue(6, "epics/e/001.md")])
    closes, _ = close_candidates(index, [make_item("epics/e/6.md", link=6)], max_close=10)
    assert closes == ()


# ---- ownership and claims ------------------------------------------------------------------


def test_a_marked_issue_by_an_untrusted_author_is_not_indexed_and_is_listed() -> None:
    index = index_issues([make_issue(3, "task-001", author="mallory")])
    assert index.by_key == {}
    warning = index.foreign_message()
    assert warning is not None
    assert "#3 by mallory (key 'task-001')" in warning
    assert index.foreign_message(claimed={3}) is None


def test_the_own_identitys_duplicate_wins_over_a_hand_marked_one() -> None:
    trust = Trust.of(None, ["ana"])
    index = index_issues(
        [make_issue(2, "a", author="ana"), make_issue(5, "a", author="github-actions[bot]")], trust
    )
    assert index.by_key["a"].number == 5
    assert "#5 and #2" in index.warnings[0]


def test_a_link_to_an_unmarked_issue_with_another_title_is_refused() -> None:
    index = index_issues([make_issue(6, title="Login crash", author="alice")])
    found = index.claim(make_item(link=6, lines={"github_issue": 4}))
    assert found.issue is None
    assert found.refused is not None
    assert "`github_issue: 6` names #6 by alice" in found.refused


def test_a_link_to_an_unmarked_issue_with_the_items_title_is_adopted() -> None:
    index = index_issues([make_issue(6, title=" a TASK ", author="alice")])
    found = index.claim(make_item(link=6))
    assert (found.issue.number if found.issue else None, found.via) == (6, "link")
    planned = decide(make_item(link=6), found.issue, render(make_item(), {}), via=found.via)
    assert "adopts #6 by alice" in planned.reason


def test_a_link_url_to_another_repository_is_refused() -> None:
    index = index_issues([make_issue(6)], repository="octo/shop")
    url = "https://github.com/other/place/issues/6"
    found = index.claim(make_item(link=6, link_url=url, lines={"github": 3}))
    assert found.issue is None
    assert found.refused is not None
    assert "another repository (other/place)" in found.refused
    same = index.claim(make_item(link=6, link_url="https://github.com/Octo/Shop/issues/6"))
    assert same.issue is not None


def test_an_adopted_issue_stays_the_items_while_the_link_remains() -> None:
    # marked with the item's own key, written by a person: the link is the trust
    index = index_issues([make_issue(6, "task-001", author="alice")])
    assert index.claim(make_item(link=6)).issue is not None
    assert index.claim(make_item()).issue is None


def test_claims_take_back_an_unmarked_own_issue_by_its_exact_title() -> None:
    index = index_issues([make_issue(4, title="[TASK] A task")])
    claims = claim_all(index, [make_item()])
    assert (claims["task-001"].issue.number if claims["task-001"].issue else None) == 4
    assert claims["task-001"].via == "takeback"
    people = index_issues([make_issue(4, title="[TASK] A task", author="alice")])
    assert claim_all(people, [make_item()])["task-001"].issue is None


def test_claims_take_nothing_back_when_two_items_render_the_same_title() -> None:
    index = index_issues([make_issue(4, title="[TASK] A task")])
    claims = claim_all(index, [make_item("task-001"), make_item("task-002")])
    assert claims["task-001"].issue is None
    assert claims["task-002"].issue is None


def test_claims_refuse_an_item_whose_marker_only_a_stranger_carries() -> None:
    index = index_issues([make_issue(4, "task-001", author="mallory")])
    refused = claim_all(index, [make_item()])["task-001"].refused
    assert refused is not None
    assert "#4 carries this item's batchsync marker but was written by mallory" in refused


def test_claims_give_one_issue_to_one_item() -> None:
    index = index_issues([make_issue(6, title="[TASK] A task")])
    claims = claim_all(index, [make_item("task-001", link=6), make_item("task-002", link=6)])
    assert claims["task-001"].issue is not None
    assert claims["task-002"].refused is not None
    assert "already the issue of 'task-001'" in claims["task-002"].refused


def test_close_candidates_spare_an_epic_moved_into_a_ccpm_archive_folder() -> None:
    index = index_issues(
        [make_issue(1, "epics/reports/epic.md"), make_issue(2, "epics/reports/001.md")]
    )
    archived = [
        make_item("epics/.archived/reports/epic.md"),
        make_item("epics/archived/reports/001.md"),
    ]
    closes, _ = close_candidates(index, [make_item("x")], max_close=10, archived=archived)
    assert closes == ()
    closes, _ = close_candidates(index, [make_item("x")], max_close=10)
    assert [c.issue.number for c in closes if c.issue] == [1, 2]


# ---- the plan as a value -----------------------------------------------------------------------


def test_the_plan_creates_a_child_under_a_placeholder_for_a_parent_created_in_the_run() -> None:
    epic = make_item("epic-1", kind=Kind.EPIC, title="Epic", path="epics/e/epic.md")
    task = make_item("task-1", parent_key="epic-1")
    made = plan(ScanResult(items=(epic, task)), index_issues([]))
    assert [s.action for s in made.steps] == [PlanAction.CREATE, PlanAction.CREATE]
    assert made.steps[1].parent == ParentRef("epic-1", None)
    assert made.lines()[1] == ("create task-1, under 'epic-1' (new): no issue carries its marker")


def test_the_plan_names_an_existing_parent_by_number_and_leaves_an_unchanged_child() -> None:
    epic = make_item("epic-1", kind=Kind.EPIC, title="Epic", path="epics/e/epic.md")
    task = make_item("task-1", parent_key="epic-1")
    hashed = render(task, {"epic-1": 3}).content_hash
    remote = [make_issue(3, "epic-1", title="[EPIC] Epic"), make_issue(4, "task-1", hashed)]
    made = plan(ScanResult(items=(epic, task)), index_issues(remote))
    step = made.step("task-1")
    assert step is not None
    assert (step.action, step.parent) == (PlanAction.UNCHANGED, ParentRef("epic-1", 3))
    assert made.count(PlanAction.UNCHANGED) == 1  # the epic's hash is the placeholder's
    assert step.summary.startswith("unchanged #4 task-1, under #3:")


def test_the_plan_skips_an_item_whose_link_it_may_not_follow() -> None:
    task = make_item(link=6, lines={"github_issue": 4})
    theirs = make_issue(6, title="Other", author="alice")
    made = plan(ScanResult(items=(task,)), index_issues([theirs]))
    [step] = made.steps
    assert (step.action, step.line) == (PlanAction.SKIP, 4)
    assert "names #6" in step.reason


def test_the_plan_closes_removed_items_only_after_a_certain_scan() -> None:
    index = index_issues([make_issue(9, "gone")])
    closing = PlanOptions(close_removed=True)
    made = plan(ScanResult(items=(make_item(),)), index, closing)
    assert [(c.action, c.issue.number if c.issue else 0) for c in made.closes] == [
        (PlanAction.CLOSE, 9)
    ]
    empty = plan(ScanResult(), index, closing)
    assert empty.closes == ()
    assert empty.close_error is not None
    assert "found no work item" in empty.close_error
    locked = ItemError("epics/x", None, "cannot read")
    unread = plan(ScanResult(items=(make_item(),), unreadable=(locked,)), index, closing)
    assert unread.closes == ()
    assert "could not be read (epics/x)" in (unread.close_error or "")
    partial = plan(ScanResult(items=(make_item(),)), index, PlanOptions(True, all_kinds=False))
    assert partial.closes == ()
    assert partial.close_error is None
    assert "close-removed skipped" in partial.warnings[0]


def _in(number: int, key: str, namespace: str, **kw: object) -> RemoteIssue:
    body = f"text\n\n{format_marker(key, '0' * 16, namespace=namespace)}"
    return make_issue(number, body=body, **kw)


def test_the_index_holds_this_trees_issues_and_old_markers_no_tree_holds() -> None:
    issues = [
        _in(1, "task-1", "a"),  # ours
        _in(2, "task-1", "b"),  # another tree's, same key
        _in(3, "task-2", "b"),
        make_issue(4, "task-3"),  # an old marker of a key nobody holds: ours, to re-mark
        make_issue(5, "task-2"),  # an old marker of a key tree b holds: maybe b's, left alone
        _in(6, "task-4", "b", author="eve"),  # a stranger's, of another tree: not ours to report
    ]
    index = index_issues(issues, namespace="a")
    assert {k: i.number for k, i in index.by_key.items()} == {"task-1": 1, "task-3": 4}
    assert index.legacy == frozenset({4})
    assert index.foreign == ()
    assert index.warnings == ()


def test_close_candidates_never_close_an_old_marker_and_say_so() -> None:
    index = index_issues([make_issue(4, "task-3"), _in(7, "task-5", "a")], namespace="a")
    closes, warnings = close_candidates(index, [make_item("task-1")], max_close=10)
    assert [c.issue.number for c in closes if c.issue] == [7]
    [warned] = warnings
    assert "#4 ('task-3')" in warned
    assert "from before namespaces" in warned


def test_a_link_to_another_trees_issue_is_refused_not_adopted() -> None:
    index = index_issues([_in(2, "task-1", "b")], namespace="a")
    claim = index.claim(make_item("task-1", link=2), {"task-1"})
    assert claim.issue is None
    assert "another tree (namespace 'b')" in (claim.refused or "")


# ---- sub-issue links ------------------------------------------------------------------------


def test_needs_link_for_a_child_without_a_parent() -> None:
    assert needs_link(None, 5, written=True)
    assert needs_link(None, 5, written=False)  # unless a person took it out: plan_links


def test_needs_no_link_without_a_parent() -> None:
    assert not needs_link(None, None, written=True)


def test_no_link_when_already_under_the_right_parent() -> None:
    assert not needs_link(5, 5, written=True)


def test_moved_child_is_relinked_only_when_written() -> None:
    assert needs_link(4, 5, written=True)
    assert not needs_link(4, 5, written=False)


def _linked_plan(child: RemoteIssue, facts: LinkFacts) -> PlannedAction:
    epic = make_item("epic-1", kind=Kind.EPIC, title="An epic", path="epics/e/epic.md")
    task = make_item(parent_key="epic-1")
    rendered = render(task, {"epic-1": 7})
    marker = format_marker("task-001", rendered.content_hash)
    issue = dataclasses.replace(child, body=f"text\n\n{marker}")
    epic_issue = make_issue(7, "epic-1", render(epic, {}).content_hash, title="[EPIC] An epic")
    index = index_issues([epic_issue, issue])
    planned = plan(ScanResult(items=(epic, task)), index)
    step = plan_links(planned, facts).step("task-001")
    assert step is not None
    return step


def test_a_cut_off_link_is_planned_and_said() -> None:
    step = _linked_plan(make_issue(8), LinkFacts(parents={8: None}))
    assert step.action is PlanAction.LINK
    assert step.link == LinkPlan()
    assert step.reason == "linked under #7 (a run stopped before linking it)"


def test_a_child_taken_out_of_its_parent_is_kept_with_a_notice() -> None:
    step = _linked_plan(make_issue(8), LinkFacts(parents={8: None}, removed={8: 7}))
    assert step.action is PlanAction.UNCHANGED
    assert step.link is None
    assert "#8 was taken out of #7 on GitHub; kept" in step.reason


def test_a_child_a_person_moved_stays_where_they_put_it() -> None:
    step = _linked_plan(make_issue(8), LinkFacts(parents={8: 3}))
    assert (step.action, step.link) == (PlanAction.UNCHANGED, None)


def test_no_link_is_planned_without_its_facts() -> None:
    step = _linked_plan(make_issue(8), LinkFacts())
    assert (step.action, step.link) == (PlanAction.UNCHANGED, None)


def test_only_a_changed_file_counts_as_written_for_a_link() -> None:
    task = make_item()
    rendered = render(task, {})
    held = make_issue(8, "task-001", rendered.content_hash)
    typed = PlannedAction(PlanAction.UPDATE, "type", task, held, rendered, issue_type="Task")
    assert not content_written(typed)  # a type (or blocked-by) write alone keeps a person's move
    assert content_written(decide(task, make_issue(8, "task-001"), rendered))
    assert content_written(decide(task, None, rendered))
    taken = decide(task, make_issue(8), rendered, via="takeback")
    assert taken.action is PlanAction.ADOPT
    assert not content_written(taken)  # a person removed the marker: the file did not change
    adopted = decide(task, make_issue(8), rendered, via="link")
    assert content_written(adopted)  # the file's local link names the issue: a file change


def _pasted_epic(task_names: int) -> tuple[Plan, int]:
    """Task 1 under epic-1, whose issue #7 holds two pasted marker lines (epic-1's, a removed
    item's); task 1's issue #8 is proven, its Parent line naming #``task_names``."""
    epic = make_item("epic-1", kind=Kind.EPIC, title="An epic", path="epics/e/epic.md")
    task = make_item(parent_key="epic-1")
    sent = render(task, {"epic-1": task_names})
    issue = make_issue(8, title=sent.title, body=sent.body, state=sent.state, labels=sent.labels)
    notes = "\n\n".join(format_marker(k, "0" * 16) for k in ("epic-1", "task-9"))
    index = index_issues([make_issue(7, body=notes), issue])
    planned = plan(ScanResult(items=(epic, task)), index)
    return plan_links(planned, LinkFacts(parents={8: None})), 8


def test_a_pasted_issue_s_number_is_kept_for_a_body_naming_it_and_never_linked_under() -> None:
    planned, number = _pasted_epic(7)
    assert planned.numbers["epic-1"] == 7  # the body names #7 already: nothing is rewritten
    step = planned.step("task-001")
    assert step is not None
    assert step.issue is not None
    assert step.issue.number == number
    assert step.action is PlanAction.UNCHANGED
    assert step.link is None
    assert "not linked under #7: it holds batchsync marker lines pasted" in step.reason


def test_a_pasted_issue_s_number_is_written_into_no_body_that_did_not_name_it() -> None:
    planned, _ = _pasted_epic(2)  # the epic's own issue was #2, gone since
    assert "epic-1" not in planned.numbers
    step = planned.step("task-001")
    assert step is not None
    assert step.rendered is not None
    assert "#7" not in step.rendered.body
    assert step.link is None
