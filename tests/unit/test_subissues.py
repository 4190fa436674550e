"""Sub-issue links: the facts read before the plan."""

from __future__ import annotations

from fakes import FakeGitHub

from batchsync.errors import ParentElsewhere
from batchsync.subissues import read_facts


def test_a_child_whose_answer_names_its_parent_costs_no_read() -> None:
    gh = FakeGitHub()
    parent = gh.add("epic")
    child = gh.add("task", parent_number=parent.number)
    facts = read_facts(gh, [(child, parent.number, False)])
    assert facts.parents == {child.number: parent.number}
    assert gh.calls == []


def test_each_parents_list_is_read_once_and_a_linked_child_has_no_history_read() -> None:
    gh = FakeGitHub(parent_field=False)
    parent = gh.add("epic")
    children = [gh.add(f"task {n}", parent_number=parent.number) for n in range(3)]
    listed = {i.number: i for i in gh.list_issues()}
    gh.calls.clear()
    facts = read_facts(gh, [(listed[c.number], parent.number, False) for c in children])
    assert [c[0] for c in gh.calls] == ["sub_issue_numbers"]
    assert facts.counts == {parent.number: 3}
    assert facts.removed == {}


def test_an_unlinked_unchanged_child_has_its_last_removal_read() -> None:
    gh = FakeGitHub(removals={})
    parent = gh.add("epic")
    child = gh.add("task")
    gh.removals = {child.number: parent.number}
    facts = read_facts(gh, [(child, parent.number, False)])
    assert facts.parents == {child.number: None}
    assert facts.removed == {child.number: parent.number}
    assert facts.history


def test_a_written_child_has_no_history_read() -> None:
    gh = FakeGitHub()
    parent, child = gh.add("epic"), gh.add("task")
    read_facts(gh, [(child, parent.number, True)])
    assert "parent_removed" not in [c[0] for c in gh.calls]


def test_without_graphql_the_history_is_unknown_and_asked_once() -> None:
    gh = FakeGitHub(removals=None)
    parent = gh.add("epic")
    children = [gh.add("a"), gh.add("b")]
    facts = read_facts(gh, [(c, parent.number, False) for c in children])
    assert not facts.history
    assert [c[0] for c in gh.calls].count("parent_removed") == 1


def test_a_parent_in_another_repository_refuses_the_link() -> None:
    gh = FakeGitHub(parent_field=False)
    parent, child = gh.add("epic"), gh.add("task")
    gh.raise_on["get_parent"] = ParentElsewhere(200, "#2's parent is x/y#1", "GET", "/p")
    facts = read_facts(gh, [(gh.list_issues()[1], parent.number, False)])
    assert facts.refused == {child.number: "#2's parent is x/y#1"}


def test_no_sub_issues_api_links_nothing() -> None:
    gh = FakeGitHub(parent_field=False, sub_issues_api=False)
    parent = gh.add("epic")
    gh.add("task")
    facts = read_facts(gh, [(gh.list_issues()[1], parent.number, False)])
    assert not facts.api


def test_a_parent_gone_since_the_listing_refuses_its_children_only() -> None:
    gh = FakeGitHub(parent_field=False)
    gone, kept = gh.add("epic a"), gh.add("epic b")
    orphans = [gh.add("task a1"), gh.add("task a2")]
    child = gh.add("task b", parent_number=kept.number)
    listed = {i.number: i for i in gh.list_issues()}
    del gh.issues[gone.number]  # deleted after the listing: its sub-issues list answers 404
    wanted = [(listed[o.number], gone.number, False) for o in orphans]
    facts = read_facts(gh, [*wanted, (listed[child.number], kept.number, False)])
    assert facts.api
    assert facts.parents == {child.number: kept.number}
    assert set(facts.refused) == {o.number for o in orphans}
    assert all(f"#{gone.number}" in why for why in facts.refused.values())
    assert [c[0] for c in gh.calls].count("get_issue") == 1  # the rule is asked once a parent
