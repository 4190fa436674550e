"""Two trees, one repository: each tree's markers name its namespace, and no tree writes, takes
or closes another's issues; markers from before namespaces are re-marked by their tree once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from batchsync.config import load_settings
from batchsync.emulator import Emulator, Repo
from batchsync.marker import Marker, format_marker, parse_marker, remark
from batchsync.results import BatchResult, ItemAction
from batchsync.sync import run
from emulated import LIST_FIELD_VARIANTS, run_overrides, writes
from trees import cart_task, write_item

TOKEN = "ghs_treestoken"
REPO = "octo/mono"
# The emu fixture (tests/conftest.py), on both shapes of list answers.
EMULATOR = {"limits": "off", "scale": 1000}
EMULATOR_VARIANTS = LIST_FIELD_VARIANTS
OTHER = "services/api/.claude"  # the second tree's path


def cart(base: Path) -> None:
    """A PRD, its epic and three tasks: the same keys in both trees."""
    write_item(base, "prds/prd-001-cart.md", {"id": "prd-001", "title": "Cart"}, "# Cart")
    write_item(
        base,
        "epics/epic-001-cart/epic.md",
        {"id": "epic-001", "title": "Cart screens", "prd_id": "prd-001"},
        "The screens.",
    )
    for n in (1, 2, 3):
        write_item(
            base,
            f"epics/epic-001-cart/task-{n:03}.md",
            {"id": f"task-{n:03}", "title": f"Step {n}", "epic_id": "epic-001", "status": "open"},
            f"Do step {n}.",
        )


WORK_ITEMS = cart  # the first tree, under .claude (tests/conftest.py)


def second_tree(workspace: Path) -> Path:
    base = workspace / OTHER
    base.mkdir(parents=True)
    cart(base)
    return base


def sync(emu: Emulator, workspace: Path, path: str = ".claude", **changes: object) -> BatchResult:
    given = run_overrides(emu, workspace, token=TOKEN, repo=REPO, path=path, **changes)
    return run(load_settings(given, env={}), clock=emu.clock.now, sleep=emu.clock.sleep)


def marked(emu: Emulator, key: str, namespace: str | None = None) -> list[dict[str, Any]]:
    return [
        i
        for i in emu.issues(REPO)
        if (m := parse_marker(i["body"])) and m.key == key and namespace in (None, m.namespace)
    ]


def outcome_of(result: BatchResult, key: str) -> Any:
    return next(o for o in result.outcomes if o.key == key)


def test_two_trees_with_the_same_keys_each_keep_their_own_issues(emu, workspace):
    second_tree(workspace)
    first = sync(emu, workspace, close_removed=True)
    second = sync(emu, workspace, OTHER, close_removed=True)
    assert first.failed == second.failed == 0, (first.errors, second.errors)
    assert len(emu.issues(REPO)) == 10
    for key in ("prd-001", "epic-001", "task-001"):
        [ours] = marked(emu, key, ".claude")
        [theirs] = marked(emu, key, OTHER)
        assert ours["number"] != theirs["number"]
    for path in (".claude", OTHER):  # reruns write nothing, in either order
        emu.stats.reset()
        again = sync(emu, workspace, path, close_removed=True)
        assert writes(emu) == 0
        assert {o.action for o in again.outcomes} == {ItemAction.UNCHANGED}
        assert not again.warnings, again.warnings


def test_removing_an_item_from_one_tree_closes_only_that_trees_issue(emu, workspace):
    base = second_tree(workspace)
    sync(emu, workspace)
    sync(emu, workspace, OTHER)
    (base / "epics/epic-001-cart/task-002.md").unlink()
    result = sync(emu, workspace, OTHER, close_removed=True)
    [closed] = [o for o in result.outcomes if o.action is ItemAction.CLOSED]
    [theirs] = marked(emu, "task-002", OTHER)
    [ours] = marked(emu, "task-002", ".claude")
    assert closed.issue_number == theirs["number"]
    assert theirs["state"] == "closed"
    assert ours["state"] == "open"
    # and the first tree, which still has task-002, closes nothing of the second's
    emu.stats.reset()
    first = sync(emu, workspace, close_removed=True)
    assert writes(emu) == 0
    assert not [o for o in first.outcomes if o.action is ItemAction.CLOSED]


def test_a_link_to_another_trees_issue_is_refused(emu, workspace):
    base = second_tree(workspace)
    sync(emu, workspace)
    [ours] = marked(emu, "task-001", ".claude")
    task = base / "epics/epic-001-cart/task-001.md"
    task.write_text(
        task.read_text().replace("epic_id:", f"github_issue: {ours['number']}\nepic_id:")
    )
    before = ours["body"]
    result = sync(emu, workspace, OTHER)
    failed = outcome_of(result, "task-001")
    assert failed.action is ItemAction.FAILED
    assert "in another tree (namespace '.claude')" in (failed.error or "")
    assert marked(emu, "task-001", ".claude")[0]["body"] == before


def strip_namespaces(repo: Repo) -> None:
    """The issues as a version before namespaces left them: markers naming no tree."""
    with repo.store.lock:
        for issue in repo.issues.values():
            marker = parse_marker(issue.body)
            if marker is not None:
                old = Marker(marker.key, marker.content_hash)
                issue.body = remark(issue.body, old)


def test_old_markers_are_re_marked_once_and_a_second_tree_never_takes_them(emu, workspace):
    repo = emu.service.store.repo(*REPO.split("/"))
    sync(emu, workspace)
    strip_namespaces(repo)
    assert all(parse_marker(i["body"]).namespace == "" for i in emu.issues(REPO))
    dry = sync(emu, workspace, dry_run=True)
    assert {o.action for o in dry.outcomes} == {ItemAction.PLANNED_UPDATE}
    emu.stats.reset()
    first = sync(emu, workspace)
    assert first.failed == 0, first.errors
    assert {o.action for o in first.outcomes} == {ItemAction.UPDATED}  # a write, counted
    assert writes(emu) == 5  # the marker line of each, nothing else
    assert all(parse_marker(i["body"]).namespace == ".claude" for i in emu.issues(REPO))
    emu.stats.reset()
    sync(emu, workspace)
    assert writes(emu) == 0
    second_tree(workspace)
    sync(emu, workspace, OTHER)
    assert len(marked(emu, "task-001", ".claude")) == len(marked(emu, "task-001", OTHER)) == 1


def test_an_old_marker_kept_twice_in_a_body_is_re_marked_whole_and_never_frozen(emu, workspace):
    repo = emu.service.store.repo(*REPO.split("/"))
    sync(emu, workspace)
    strip_namespaces(repo)
    [issue] = [i for i in repo.issues.values() if parse_marker(i.body).key == "prd-001"]
    with repo.store.lock:  # a person's edit kept a copy of the (old) marker line
        issue.body = f"{issue.body}\n\nnote by a person\n{issue.body.rsplit(chr(10), 1)[1]}"
    first = sync(emu, workspace)
    assert first.failed == 0, first.errors
    assert outcome_of(first, "prd-001").action is ItemAction.UPDATED
    assert parse_marker(issue.body).namespace == ".claude"
    emu.stats.reset()
    again = sync(emu, workspace)
    assert again.failed == 0, again.errors  # the re-mark never made it look pasted
    assert not again.warnings, again.warnings
    assert writes(emu) == 0


@pytest.mark.parametrize(
    "changes",
    [{"issue_types": "true"}, {"blocked_by": True}, {"issue_types": "true", "blocked_by": True}],
)
def test_an_old_marker_gets_its_namespace_in_the_write_that_types_or_blocks(
    emu, workspace, changes
):
    cart_task(workspace / ".claude", 2, status="open", dependencies=["task-001"])
    repo = emu.service.store.repo(*REPO.split("/"))
    sync(emu, workspace)  # types and blocked-by off
    strip_namespaces(repo)
    emu.stats.reset()
    first = sync(emu, workspace, **changes)
    assert first.failed == 0, first.errors
    assert all(parse_marker(i["body"]).namespace == ".claude" for i in emu.issues(REPO))
    patches = emu.stats.count("PATCH", "/repos/{owner}/{repo}/issues/{issue_number}", 200)
    assert patches == 5  # one body write per issue: the namespace rides with the type
    emu.stats.reset()
    again = sync(emu, workspace, **changes)
    assert writes(emu) == 0, [(o.key, o.action, o.reason) for o in again.outcomes]


def test_a_second_tree_never_closes_the_first_trees_old_issues(emu, workspace):
    repo = emu.service.store.repo(*REPO.split("/"))
    sync(emu, workspace)
    strip_namespaces(repo)  # the first tree has not run since namespaces came
    before = {i["number"]: (i["state"], i["body"]) for i in emu.issues(REPO)}
    base = workspace / OTHER
    base.mkdir(parents=True)
    write_item(base, "prds/prd-009-search.md", {"id": "prd-009", "title": "Search"}, "# Search")
    result = sync(emu, workspace, OTHER, close_removed=True, max_close=100)
    assert result.failed == 0, result.errors
    assert not [o for o in result.outcomes if o.action is ItemAction.CLOSED]
    after = {
        i["number"]: (i["state"], i["body"]) for i in emu.issues(REPO) if i["number"] in before
    }
    assert after == before
    [warned] = [w for w in result.warnings if "from before namespaces" in w]
    assert "close-removed leaves them open" in warned


def test_an_explicit_namespace_names_the_tree(emu, workspace):
    sync(emu, workspace, namespace="team-a")
    assert {parse_marker(i["body"]).namespace for i in emu.issues(REPO)} == {"team-a"}
    emu.stats.reset()
    again = sync(emu, workspace, namespace="team-a")
    assert writes(emu) == 0
    assert {o.action for o in again.outcomes} == {ItemAction.UNCHANGED}


def test_the_default_namespace_is_the_same_however_path_is_spelled(emu, workspace):
    sync(emu, workspace, path=".claude")
    for spelled in ("./.claude", ".claude/", str(workspace / ".claude")):
        emu.stats.reset()
        again = sync(emu, workspace, path=spelled)
        assert writes(emu) == 0, spelled
        assert {o.action for o in again.outcomes} == {ItemAction.UNCHANGED}


def test_a_marker_without_a_namespace_by_a_stranger_is_still_reported(emu, workspace):
    repo = emu.service.store.repo(*REPO.split("/"))
    sync(emu, workspace)
    pasted = repo.add_issue("Notes", f"x\n\n{format_marker('task-001', '0' * 16)}", author="eve")
    result = sync(emu, workspace)
    assert any(f"#{pasted} by eve" in w for w in result.warnings)
    assert len(marked(emu, "task-001", ".claude")) == 1


def test_a_run_from_a_subfolder_of_the_repository_names_the_same_tree(emu, workspace):
    (workspace / ".git").mkdir()  # the workspace is the repository's root, as in Actions
    sub = workspace / "services/api"
    sub.mkdir(parents=True)
    (workspace / ".claude").rename(sub / ".claude")
    first = sync(emu, workspace, "services/api/.claude")
    assert first.failed == 0, first.errors
    emu.stats.reset()
    local = sync(emu, sub, ".claude")  # a person, in services/api
    assert writes(emu) == 0
    assert {o.action for o in local.outcomes} == {ItemAction.UNCHANGED}
    assert len(emu.issues(REPO)) == 5


def test_a_moved_tree_is_refused_with_the_namespace_to_set_not_duplicated(emu, workspace):
    sync(emu, workspace)
    (workspace / "work").mkdir()
    (workspace / ".claude").rename(workspace / "work/.claude")
    before = {i["number"]: i["body"] for i in emu.issues(REPO)}
    emu.stats.reset()
    moved = sync(emu, workspace, "work/.claude", close_removed=True)
    assert writes(emu) == 0
    assert {i["number"]: i["body"] for i in emu.issues(REPO)} == before
    assert moved.failed == 5
    assert all("set `namespace: .claude`" in (o.error or "") for o in moved.outcomes)
    emu.stats.reset()
    kept = sync(emu, workspace, "work/.claude", namespace=".claude")
    assert writes(emu) == 0
    assert {o.action for o in kept.outcomes} == {ItemAction.UNCHANGED}
    new_tree = sync(emu, workspace, "work/.claude", namespace="team-b")  # a name of its own
    assert new_tree.count(ItemAction.CREATED) == 5


def test_a_second_tree_whose_first_tree_is_still_there_gets_its_own_issues(emu, workspace):
    sync(emu, workspace)
    second_tree(workspace)
    second = sync(emu, workspace, OTHER)  # .claude still holds the first tree: not a move
    assert second.failed == 0, second.errors
    assert second.count(ItemAction.CREATED) == 5


def test_a_link_to_the_same_key_in_another_tree_suggests_its_namespace(emu, workspace):
    sync(emu, workspace, namespace="team-a")
    [theirs] = marked(emu, "task-001", "team-a")
    task = workspace / ".claude/epics/epic-001-cart/task-001.md"
    task.write_text(
        task.read_text().replace("epic_id:", f"github_issue: {theirs['number']}\nepic_id:")
    )
    result = sync(emu, workspace, namespace="team-b")
    failed = outcome_of(result, "task-001")
    assert failed.action is ItemAction.FAILED
    assert "set `namespace: team-a`" in (failed.error or "")


def paste(emu: Emulator, number: int, text: str) -> None:
    """A person pastes ``text`` at the end of the issue's body on GitHub."""
    repo = emu.service.store.repo(*REPO.split("/"))
    with repo.store.lock:
        issue = repo.issues[number]
        issue.body = f"{issue.body}\n\nQuoted by a person:\n{text}"
        repo.store.changed()


@pytest.mark.parametrize("pasted", ["task-002", "task-009"])  # a live item's; a removed one's
def test_an_issue_with_a_pasted_marker_line_is_left_alone_and_never_duplicated(
    emu, workspace, pasted
):
    sync(emu, workspace)
    [mine] = marked(emu, "task-001", ".claude")
    paste(emu, mine["number"], format_marker(pasted, "0" * 16, namespace=".claude"))
    before = {i["number"]: (i["state"], i["body"]) for i in emu.issues(REPO)}
    emu.stats.reset()
    result = sync(emu, workspace, close_removed=True)
    assert writes(emu) == 0
    assert {i["number"]: (i["state"], i["body"]) for i in emu.issues(REPO)} == before
    refused = outcome_of(result, "task-001")
    assert refused.action is ItemAction.FAILED
    assert f"#{mine['number']}" in (refused.error or "")
    [warned] = [w for w in result.warnings if f"#{mine['number']} carries" in w]
    assert "take the pasted line" in warned
    assert [o.key for o in result.outcomes if o.action is ItemAction.FAILED] == ["task-001"]
    paste_removed = mine["body"]  # the person takes the pasted line out again
    repo = emu.service.store.repo(*REPO.split("/"))
    with repo.store.lock:
        repo.issues[mine["number"]].body = paste_removed
        repo.store.changed()
    emu.stats.reset()
    again = sync(emu, workspace, close_removed=True)
    assert writes(emu) == 0
    assert {o.action for o in again.outcomes} == {ItemAction.UNCHANGED}
    assert not again.warnings, again.warnings


@pytest.mark.parametrize(
    ("on", "pasted"), [("task-001", "task-009"), ("epic-001", "task-003")]
)  # a blocker; a parent, with another live item's line
def test_a_pasted_marker_line_never_rewrites_the_issues_naming_that_issue(
    emu, workspace, on, pasted
):
    fields = {"id": "task-002", "title": "Step 2", "epic_id": "epic-001", "status": "open"}
    task = "epics/epic-001-cart/task-002.md"
    write_item(workspace / ".claude", task, {**fields, "depends_on": ["task-001"]}, "Do step 2.")
    assert sync(emu, workspace, blocked_by=True).failed == 0
    [held] = marked(emu, on, ".claude")
    repo = emu.service.store.repo(*REPO.split("/"))
    blockers = {n: list(i.blocked_by) for n, i in repo.issues.items()}
    paste(emu, held["number"], format_marker(pasted, "0" * 16, namespace=".claude"))
    before = {i["number"]: i["body"] for i in emu.issues(REPO)}
    for _ in range(2):  # with the pasted line, then once a person took it out again
        emu.stats.reset()
        result = sync(emu, workspace, blocked_by=True)
        assert writes(emu) == 0, [o.reason for o in result.outcomes]
        assert {i["number"]: i["body"] for i in emu.issues(REPO)} == before
        assert {n: list(i.blocked_by) for n, i in repo.issues.items()} == blockers
        with repo.store.lock:
            repo.issues[held["number"]].body = held["body"]
            repo.store.changed()
        before[held["number"]] = held["body"]


def test_no_child_goes_under_an_issue_that_only_holds_pasted_marker_lines(emu, workspace):
    assert sync(emu, workspace).failed == 0
    repo = emu.service.store.repo(*REPO.split("/"))
    [epic] = marked(emu, "epic-001", ".claude")
    archive = emu.service.store.add_repo("octo/archive", repo.owner_id)
    assert archive is not None
    repo.transfer(epic["number"], archive)  # the epic's issue leaves the repository
    lines = [format_marker(k, "0" * 16, namespace=".claude") for k in ("epic-001", "task-009")]
    notes = "My notes, copied from two issues:\n\n" + "\n\n".join(lines)
    [task] = marked(emu, "task-001", ".claude")
    held = repo.add_issue("Notes", notes, author=task["user"]["login"])  # batchsync's own login
    result = sync(emu, workspace)
    assert sorted(n for n, i in repo.issues.items() if i.parent == held) == []
    assert not any(f"#{held}" in i["body"] for i in emu.issues(REPO) if i["number"] != held)
    epic_step = outcome_of(result, "epic-001")
    assert epic_step.action is ItemAction.FAILED  # the pasted line names it: no second issue
    assert f"#{held}" in (epic_step.error or "")


def test_a_moved_tree_whose_folder_holds_a_space_can_take_the_advice(emu, workspace):
    (workspace / "Team A").mkdir()
    (workspace / ".claude").rename(workspace / "Team A/.claude")
    assert sync(emu, workspace, "Team A/.claude").count(ItemAction.CREATED) == 5
    (workspace / "work").mkdir()
    (workspace / "Team A").rename(workspace / "work/Team A")
    moved = sync(emu, workspace, "work/Team A/.claude")
    advice = "set `namespace: Team A/.claude` (`--namespace 'Team A/.claude'`)"
    assert all(advice in (o.error or "") for o in moved.outcomes), moved.outcomes
    emu.stats.reset()
    kept = sync(emu, workspace, "work/Team A/.claude", namespace="Team A/.claude")
    assert writes(emu) == 0
    assert {o.action for o in kept.outcomes} == {ItemAction.UNCHANGED}


def by_hand_label(emu: Emulator, number: int, label: str) -> None:
    """A person adds ``label`` to issue ``number`` on GitHub (nothing else changes)."""
    repo = emu.service.store.repo(*REPO.split("/"))
    with repo.store.lock:
        repo.issues[number].label_ids += repo.label_ids_for([label])
        repo.store.changed()


def test_a_persons_label_or_a_new_sibling_never_makes_a_paste_rewrite_the_others(emu, workspace):
    assert sync(emu, workspace).failed == 0
    [epic] = marked(emu, "epic-001", ".claude")
    [step2] = marked(emu, "task-002", ".claude")
    by_hand_label(emu, step2["number"], "bug")  # a person triages Step 2
    paste(emu, epic["number"], format_marker("task-003", "0" * 16, namespace=".claude"))
    fields = {"id": "task-004", "title": "Step 4", "epic_id": "epic-001", "status": "open"}
    write_item(workspace / ".claude", "epics/epic-001-cart/task-004.md", fields, "Do step 4.")
    before = {i["number"]: i["body"] for i in emu.issues(REPO)}
    result = sync(emu, workspace)
    after = {i["number"]: i["body"] for i in emu.issues(REPO)}
    changed = sorted(n for n in before if before[n] != after[n])
    assert changed == [], [(o.key, o.action.value, o.reason) for o in result.outcomes]
