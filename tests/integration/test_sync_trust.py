"""Which issues batchsync touches, as a user meets it on a repository that already has people's
issues: pasted markers, links to people's issues and to other repositories, trusted authors, a
deleted marker, CCPM renames, an empty path, and reruns whether or not list answers carry the
parent fields."""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

import pytest

import emulated
from batchsync.config import load_settings
from batchsync.emulator import Emulator, GraphQLConfig, ManualClock, Repo
from batchsync.errors import SettingsError
from batchsync.render import format_marker, strip_marker
from batchsync.results import BatchResult, ItemAction, Outcome
from batchsync.sync import run
from emulated import (
    LIST_FIELD_VARIANTS,
    LIST_FIELDS,
    EmulatorFactory,
    run_overrides,
    sync_run,
    writes,
)
from trees import cart_task, write_cart, write_item

TOKEN = "ghs_trusttoken"  # an installation token: issues it writes are github-actions[bot]'s
REPO = "octo/shop"
ISSUES = "/repos/{owner}/{repo}/issues"
ISSUE = "/repos/{owner}/{repo}/issues/{issue_number}"
SUB_ISSUES = "/repos/{owner}/{repo}/issues/{issue_number}/sub_issues"
PARENT = "/repos/{owner}/{repo}/issues/{issue_number}/parent"
# The emu fixture (tests/conftest.py): a person's token beside batchsync's, on both list shapes.
EMULATOR = {
    "limits": "off",
    "scale": 1000,
    "tokens": {"ghp_octocat": {"kind": "user", "login": "octocat"}},
}
EMULATOR_VARIANTS = LIST_FIELD_VARIANTS
WORK_ITEMS = write_cart  # the workspace (tests/conftest.py): a PRD, its epic and two tasks


@pytest.fixture
def repo(emu: Emulator) -> Repo:
    return emu.service.store.repo(*REPO.split("/"))


sync = functools.partial(sync_run, token=TOKEN, repo=REPO)
marked = functools.partial(emulated.marked, repo=REPO)


def issue(emu: Emulator, number: int) -> dict[str, Any]:
    return next(i for i in emu.issues(REPO) if i["number"] == number)


def outcome(result: BatchResult, key: str) -> Outcome:
    return next(o for o in result.outcomes if o.key == key)


def snapshot(emu: Emulator, number: int) -> tuple[object, ...]:
    found = issue(emu, number)
    labels = tuple(label["name"] for label in found["labels"])
    return (found["title"], found["body"], labels, found["state"], found["comments"])


# ---- marked issues by other people ---------------------------------------------------------


def test_a_marker_pasted_into_an_older_persons_issue_never_wins(
    emu: Emulator, repo: Repo, workspace: Path
) -> None:
    bug = repo.add_issue("Checkout crashes", "Steps: ...", author="alice")
    sync(emu, workspace)
    ours = marked(emu, "task-001")[0]
    # alice copies batchsync's marker into her older issue
    repo.issues[bug].body = f"Steps: ...\n\n{format_marker('task-001', '0' * 16)}"
    before = snapshot(emu, bug)
    task = workspace / ".claude/epics/epic-001-cart/task-001.md"
    task.write_text(task.read_text().replace("Do step 1.", "Do step 1 with care."))
    result = sync(emu, workspace)
    assert snapshot(emu, bug) == before
    assert outcome(result, "task-001").issue_number == ours["number"]
    assert "with care" in issue(emu, ours["number"])["body"]
    warned = [w for w in result.warnings if "does not trust" in w]
    assert len(warned) == 1
    assert f"#{bug} by alice (key 'task-001')" in warned[0]


def test_close_removed_never_closes_a_persons_issue_with_a_pasted_marker(
    emu: Emulator, repo: Repo, workspace: Path
) -> None:
    pasted = f"My notes\n\n{format_marker('task-999', '0' * 16)}"
    mine = repo.add_issue("Notes", pasted, author="alice")
    sync(emu, workspace)
    result = sync(emu, workspace, close_removed=True)
    assert issue(emu, mine)["state"] == "open"
    assert issue(emu, mine)["comments"] == 0
    assert not any(o.action is ItemAction.CLOSED for o in result.outcomes)
    assert any(f"#{mine} by alice" in w for w in result.warnings)


def test_an_item_whose_marker_only_a_stranger_carries_fails_instead_of_duplicating(
    emu: Emulator, repo: Repo, workspace: Path
) -> None:
    held = repo.add_issue("Cart", f"x\n\n{format_marker('prd-001', '0' * 16)}", author="ana")
    result = sync(emu, workspace)
    failed = outcome(result, "prd-001")
    assert failed.action is ItemAction.FAILED
    assert f"#{held} carries this item's batchsync marker but was written by ana" in (
        failed.error or ""
    )
    assert "trusted-authors" in (failed.error or "")
    assert len(marked(emu, "prd-001")) == 1
    # the rest of the tree went on
    assert outcome(result, "epic-001").action is ItemAction.CREATED


def test_trusted_authors_make_a_persons_marked_issues_batchsyncs(
    emu: Emulator, repo: Repo, workspace: Path
) -> None:
    held = repo.add_issue("[PRD] Cart", f"x\n\n{format_marker('prd-001', '0' * 16)}", author="ana")
    result = sync(emu, workspace, trusted_authors="Ana, ci-bot[bot]")
    assert outcome(result, "prd-001").action is ItemAction.UPDATED
    assert outcome(result, "prd-001").issue_number == held
    assert len(marked(emu, "prd-001")) == 1
    assert not any("does not trust" in w for w in result.warnings)


def test_batchsyncs_own_issue_wins_over_a_hand_marked_duplicate(
    emu: Emulator, repo: Repo, workspace: Path
) -> None:
    marker = format_marker("prd-001", "0" * 16)
    by_hand = repo.add_issue("[PRD] Cart", f"x\n\n{marker}", author="ana")
    own = repo.add_issue("[PRD] Cart", f"y\n\n{marker}", author="github-actions[bot]")
    before = snapshot(emu, by_hand)
    result = sync(emu, workspace, trusted_authors="ana")
    assert outcome(result, "prd-001").issue_number == own
    assert snapshot(emu, by_hand) == before
    assert any(f"#{own} and #{by_hand}" in w for w in result.warnings)


# ---- links in files --------------------------------------------------------------------------


def test_a_link_to_a_persons_unrelated_issue_is_an_item_error(
    emu: Emulator, repo: Repo, workspace: Path
) -> None:
    bug = repo.add_issue("Login page crashes", "Stack trace", labels=["bug"], author="alice")
    before = snapshot(emu, bug)
    task = workspace / ".claude/epics/epic-001-cart/task-001.md"
    task.write_text(task.read_text().replace("epic_id:", f"github_issue: {bug}\nepic_id:"))
    result = sync(emu, workspace, close_removed=True)
    failed = outcome(result, "task-001")
    assert failed.action is ItemAction.FAILED
    assert failed.path == ".claude/epics/epic-001-cart/task-001.md"
    assert failed.line == 4  # the github_issue line
    assert f"`github_issue: {bug}` names #{bug} by alice" in (failed.error or "")
    assert "'Login page crashes'" in (failed.error or "")
    assert snapshot(emu, bug) == before
    assert marked(emu, "task-001") == []  # and no new issue either: the file must be fixed
    # the way out is named, with what it means; no advice that would make a second issue
    error = failed.error or ""
    assert "add alice to `trusted-authors`" in error
    assert "updates and closes every issue alice writes" in error
    assert "remove it to create a new issue" not in error


def test_a_link_to_a_persons_issue_with_the_items_title_is_adopted_and_stays(
    emu: Emulator, repo: Repo, workspace: Path
) -> None:
    theirs = repo.add_issue("  step 1 ", "Written by hand", labels=["ux"], author="alice")
    task = workspace / ".claude/epics/epic-001-cart/task-001.md"
    task.write_text(task.read_text().replace("epic_id:", f"github_issue: {theirs}\nepic_id:"))
    planned = sync(emu, workspace, dry_run=True)
    assert f"adopts #{theirs} by alice" in (outcome(planned, "task-001").reason or "")
    assert writes(emu) == 0
    result = sync(emu, workspace)
    assert outcome(result, "task-001").action is ItemAction.UPDATED
    adopted = issue(emu, theirs)
    assert adopted["title"] == "[TASK] Step 1"
    assert "ux" in [label["name"] for label in adopted["labels"]]
    emu.stats.reset()
    again = sync(emu, workspace, close_removed=True)
    assert outcome(again, "task-001").action is ItemAction.UNCHANGED
    assert outcome(again, "task-001").issue_number == theirs
    assert writes(emu) == 0
    assert not any("does not trust" in w for w in again.warnings)


def test_issues_ccpm_made_are_adopted_through_their_links(
    emu: Emulator, repo: Repo, workspace: Path
) -> None:
    # CCPM's /pm:epic-sync: the epic is "Epic: <name>", a task its name alone, both by a person
    epic = repo.add_issue("Epic: Cart screens", "The screens.", labels=["epic"], author="alice")
    task = repo.add_issue("Step 1", "Do step 1.", labels=["task"], author="alice")
    base = workspace / ".claude/epics/epic-001-cart"
    url = f"{emu.url.replace('/api/v3', '')}/{REPO}/issues"
    for name, number in (("epic.md", epic), ("task-001.md", task)):
        path = base / name
        path.write_text(path.read_text().replace("title:", f"github: {url}/{number}\ntitle:"))
    result = sync(emu, workspace)
    assert result.failed == 0, result.errors
    assert outcome(result, "epic-001").issue_number == epic
    assert outcome(result, "task-001").issue_number == task
    assert issue(emu, epic)["title"] == "[EPIC] Cart screens"
    assert len(emu.issues(REPO)) == 4  # the PRD and task-002 are new, nothing else
    emu.stats.reset()
    again = sync(emu, workspace)
    assert {o.action for o in again.outcomes} == {ItemAction.UNCHANGED}
    assert writes(emu) == 0


def test_a_github_url_to_another_repository_is_an_item_error(
    emu: Emulator, repo: Repo, tmp_path: Path
) -> None:
    here = repo.add_issue("Index builder", "someone's", author="alice")
    base = tmp_path / ".claude"
    write_item(base, "prds/search.md", {"name": "search"})
    write_item(base, "epics/search/epic.md", {"name": "search", "prd": ".claude/prds/search.md"})
    url = f"https://github.com/other/place/issues/{here}"
    write_item(base, "epics/search/001.md", {"name": "Index builder", "github": url})
    before = snapshot(emu, here)
    result = sync(emu, tmp_path)
    failed = outcome(result, "epics/search/001.md")
    assert failed.action is ItemAction.FAILED
    assert f"`github: {url}` names an issue in another repository (other/place)" in (
        failed.error or ""
    )
    assert snapshot(emu, here) == before
    assert emu.stats.count(method="GET", template=ISSUE) == 0


def test_a_link_to_a_transferred_issue_is_refused_and_no_person_s_issue_is_written(
    emu: Emulator, repo: Repo, workspace: Path
) -> None:
    with repo.store.lock:
        for n in range(1, 4):
            repo.add_issue(f"person's issue {n}", f"body {n}", author="alice")
    emu.add_repo("octo/other")
    moved_to = emu.transfer(REPO, 3, "octo/other")  # #3 moves away and becomes other's #1
    cart_task(workspace / ".claude", 1, github_issue=3)
    before = {i["number"]: (i["title"], i["body"]) for i in emu.issues(REPO)}
    result = sync(emu, workspace)
    refused = outcome(result, "task-001")
    assert refused.action is ItemAction.FAILED
    assert "issue #3 was transferred or moved" in (refused.error or "")
    assert refused.issue_number is None
    after = {i["number"]: (i["title"], i["body"]) for i in emu.issues(REPO)}
    assert all(after[n] == before[n] for n in before if n != 3)  # nothing of a person's written
    assert next(i for i in emu.issues("octo/other") if i["number"] == moved_to)["title"] == (
        "person's issue 3"
    )


def test_a_ccpm_rename_keeps_its_issue(emu: Emulator, tmp_path: Path) -> None:
    base = tmp_path / ".claude"
    write_item(base, "prds/search.md", {"name": "search"})
    write_item(base, "epics/search/epic.md", {"name": "search", "prd": ".claude/prds/search.md"})
    write_item(base, "epics/search/001.md", {"name": "Index builder", "github": "x"})
    sync(emu, tmp_path, write_back=True)
    [task] = marked(emu, "epics/search/001.md")
    # CCPM renames the task file to its issue number after its own sync; the link stays
    (base / "epics/search/001.md").rename(base / f"epics/search/{task['number']}.md")
    emu.stats.reset()
    result = sync(emu, tmp_path, close_removed=True)
    renamed = outcome(result, f"epics/search/{task['number']}.md")
    assert renamed.action is ItemAction.UPDATED
    assert renamed.issue_number == task["number"]
    assert emu.stats.count(method="POST", template=ISSUES) == 0
    assert issue(emu, task["number"])["state"] == "open"
    assert marked(emu, f"epics/search/{task['number']}.md") != []


# ---- identity ----------------------------------------------------------------------------------


def test_an_installation_token_is_never_sent_get_user(emu: Emulator, workspace: Path) -> None:
    sync(emu, workspace)
    assert emu.stats.count(template="/user") == 0
    assert {i["user"]["login"] for i in emu.issues(REPO)} == {"github-actions[bot]"}


def test_a_user_token_is_named_by_graphqls_viewer_and_trusts_its_own_issues(
    emu: Emulator, workspace: Path
) -> None:
    sync(emu, workspace, token="ghp_octocat")
    assert emu.stats.count(template="/user") == 0
    assert {i["user"]["login"] for i in emu.issues(REPO)} == {"octocat"}
    emu.stats.reset()
    again = sync(emu, workspace, token="ghp_octocat")
    assert writes(emu) == 0
    assert {o.action for o in again.outcomes} == {ItemAction.UNCHANGED}
    assert emu.stats.operations("query") == 1  # the one query that also names the token


def test_a_managed_user_token_trusts_its_own_issues_on_every_rerun(
    emu: Emulator, workspace: Path
) -> None:
    # An Enterprise Managed User's login is handle_shortcode: its issues have an author.
    emu.add_token("ghp_managed", kind="user", login="octocat_acme")
    first = sync(emu, workspace, token="ghp_managed")
    assert first.failed == 0, first.errors
    assert {i["user"]["login"] for i in emu.issues(REPO)} == {"octocat_acme"}
    emu.stats.reset()
    again = sync(emu, workspace, token="ghp_managed")
    assert again.failed == 0, again.errors
    assert writes(emu) == 0
    assert {o.action for o in again.outcomes} == {ItemAction.UNCHANGED}


def test_a_managed_users_marked_issue_is_trusted_when_named(
    emu: Emulator, repo: Repo, workspace: Path
) -> None:
    marker = format_marker("prd-001", "0" * 16)
    held = repo.add_issue("[PRD] Cart", f"x\n\n{marker}", author="octocat_acme")
    result = sync(emu, workspace, trusted_authors="octocat_acme")
    assert outcome(result, "prd-001").action is ItemAction.UPDATED
    assert outcome(result, "prd-001").issue_number == held
    assert len(marked(emu, "prd-001")) == 1


@pytest.fixture
def no_graphql(make_emulator: EmulatorFactory) -> Emulator:
    tokens = {**EMULATOR["tokens"], "ghs_app": {"login": "shop-app[bot]"}}
    return make_emulator(graphql=None, tokens=tokens)


def test_a_rerun_whose_issues_are_all_trusted_asks_nobody_who_the_token_is(
    emu: Emulator, workspace: Path
) -> None:
    sync(emu, workspace)
    emu.stats.reset()
    again = sync(emu, workspace)
    assert {o.action for o in again.outcomes} == {ItemAction.UNCHANGED}
    assert emu.stats.count("POST") == 0  # not even GraphQL's read-only query
    assert emu.stats.count(template="/user") == 0


def test_without_graphql_a_user_token_asks_get_user_once(
    no_graphql: Emulator, workspace: Path
) -> None:
    sync(no_graphql, workspace, token="ghp_octocat")
    # nothing to decide on an empty repository: the login comes from the first issue created
    assert no_graphql.stats.count(template="/user") == 0
    no_graphql.stats.reset()
    again = sync(no_graphql, workspace, token="ghp_octocat")
    assert no_graphql.stats.count(template="/user") == 1
    assert writes(no_graphql) == 0
    assert {o.action for o in again.outcomes} == {ItemAction.UNCHANGED}


def test_an_app_token_recognises_its_own_issues_on_the_second_run(
    emu: Emulator, workspace: Path
) -> None:
    emu.add_token("ghs_app", login="shop-app[bot]")
    sync(emu, workspace, token="ghs_app")
    assert {i["user"]["login"] for i in emu.issues(REPO)} == {"shop-app[bot]"}
    count = len(emu.issues(REPO))
    emu.stats.reset()
    again = sync(emu, workspace, token="ghs_app")  # no trusted-authors
    assert {o.action for o in again.outcomes} == {ItemAction.UNCHANGED}
    assert len(emu.issues(REPO)) == count
    assert writes(emu) == 0
    assert emu.stats.count(template="/user") == 0


def app_run_twice(emu: Emulator, workspace: Path) -> BatchResult:
    """An App token's second run where the server cannot name its bot: each item fails with
    the fix instead of creating a second issue for it."""
    sync(emu, workspace, token="ghs_app")
    count = len(emu.issues(REPO))
    unnamed = sync(emu, workspace, token="ghs_app")
    assert len(emu.issues(REPO)) == count
    assert {o.action for o in unnamed.outcomes} == {ItemAction.FAILED}
    assert all(
        "add shop-app[bot] to `trusted-authors`: batchsync then updates and closes every issue"
        in (o.error or "")
        for o in unnamed.outcomes
    )
    emu.stats.reset()
    named = sync(emu, workspace, token="ghs_app", trusted_authors="shop-app[bot]")
    assert {o.action for o in named.outcomes} == {ItemAction.UNCHANGED}
    assert writes(emu) == 0
    return named


def test_without_graphql_an_app_token_is_trusted_once_named(
    no_graphql: Emulator, workspace: Path
) -> None:
    app_run_twice(no_graphql, workspace)
    assert no_graphql.stats.count(template="/user") == 0


def test_a_viewer_naming_the_bare_app_slug_is_not_taken_as_the_app(workspace: Path) -> None:
    # the reading where GitHub's viewer drops "[bot]": "shop-app" may be a person, so the
    # login stays unknown and the run is as without GraphQL
    config = GraphQLConfig(viewer_bot_suffix=False)
    with Emulator(limits="off", scale=1000, graphql=config) as emulator:
        emulator.add_token("ghs_app", login="shop-app[bot]")
        emulator.add_repo(REPO)
        app_run_twice(emulator, workspace)


# ---- a deleted marker ------------------------------------------------------------------------


def test_a_deleted_marker_is_restored_not_duplicated(
    emu: Emulator, repo: Repo, workspace: Path
) -> None:
    sync(emu, workspace)
    [epic] = marked(emu, "epic-001")
    repo.issues[epic["number"]].body = strip_marker(epic["body"]) + "\n\nedited by a person"
    emu.stats.reset()
    result = sync(emu, workspace)
    assert emu.stats.count(method="POST", template=ISSUES) == 0
    assert emu.stats.count(method="PATCH") == 1
    assert [i["number"] for i in marked(emu, "epic-001")] == [epic["number"]]
    assert "takes back" in (outcome(result, "epic-001").reason or "")
    assert len([w for w in result.warnings if w.startswith("took back")]) == 1


# ---- closing only when certain ---------------------------------------------------------------


def test_close_removed_with_an_empty_path_closes_nothing_and_says_so(
    emu: Emulator, workspace: Path
) -> None:
    sync(emu, workspace)
    (workspace / "empty").mkdir()
    emu.stats.reset()
    result = sync(emu, workspace, path="empty", close_removed=True)
    assert writes(emu) == 0
    [failed] = [o for o in result.outcomes if o.action is ItemAction.FAILED]
    assert "the scan found no work item" in (failed.error or "")
    assert all(i["state"] == "open" for i in emu.issues(REPO))


# ---- sub-issue links on reruns -------------------------------------------------------------


def test_a_link_a_cut_off_run_left_missing_is_made_on_the_rerun(
    emu: Emulator, repo: Repo, workspace: Path
) -> None:
    sync(emu, workspace)
    [epic] = marked(emu, "epic-001")
    [task] = marked(emu, "task-002")
    repo.remove_sub_issue(epic["number"], task["id"])
    emu.stats.reset()
    result = sync(emu, workspace)
    assert result.failed == 0
    assert emu.stats.count(method="POST", template=SUB_ISSUES) == 1
    assert emu.sub_issues(REPO, epic["number"])[-1] == task["number"]


def test_a_child_a_person_moved_stays_where_they_put_it(
    emu: Emulator, repo: Repo, workspace: Path
) -> None:
    sync(emu, workspace)
    other = repo.add_issue("Someone's epic", author="alice")
    [task] = marked(emu, "task-001")
    repo.add_sub_issue(other, task["id"], replace_parent=True)
    emu.stats.reset()
    result = sync(emu, workspace)
    assert result.failed == 0
    assert writes(emu) == 0
    assert task["number"] in emu.sub_issues(REPO, other)


def test_a_rerun_never_relinks_a_linked_tree(emu: Emulator, workspace: Path) -> None:
    write_cart(workspace / ".claude", tasks=6)
    sync(emu, workspace)
    emu.stats.reset()
    result = sync(emu, workspace)
    assert result.failed == 0
    assert writes(emu) == 0
    assert emu.stats.count(template=PARENT) == 0
    reads = emu.stats.count(template=SUB_ISSUES)
    assert reads == (0 if emu.service.api.list_fields == "both" else 2)


def test_close_removed_with_an_unreadable_folder_closes_nothing(
    emu: Emulator, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sync(emu, workspace)
    locked = workspace / ".claude/epics/epic-001-cart"
    real = os.scandir

    def scandir(path: Any) -> Any:
        # chmod 000 does not stop root: refuse the listing the way the kernel would
        if Path(path).resolve() == locked.resolve():
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    emu.stats.reset()
    result = sync(emu, workspace, close_removed=True)
    assert writes(emu) == 0
    assert all(i["state"] == "open" for i in emu.issues(REPO))
    refused = [o for o in result.outcomes if o.key == "close-removed"]
    assert len(refused) == 1
    assert "could not be read (.claude/epics/epic-001-cart" in (refused[0].error or "")


def test_archiving_an_epic_the_ccpm_way_closes_none_of_its_issues(
    emu: Emulator, tmp_path: Path
) -> None:
    base = tmp_path / ".claude"
    write_item(base, "prds/search.md", {"name": "search"})
    for epic in ("search", "reports"):
        write_item(base, f"epics/{epic}/epic.md", {"name": epic, "prd": ".claude/prds/search.md"})
        write_item(base, f"epics/{epic}/001.md", {"name": f"First step of {epic}"})
    sync(emu, tmp_path)
    before = {i["number"]: snapshot(emu, i["number"]) for i in emu.issues(REPO)}
    (base / "epics/.archived").mkdir()
    (base / "epics/reports").rename(base / "epics/.archived/reports")
    emu.stats.reset()
    result = sync(emu, tmp_path, close_removed=True)
    assert writes(emu) == 0
    assert result.failed == 0
    assert {i["number"]: snapshot(emu, i["number"]) for i in emu.issues(REPO)} == before


@pytest.mark.parametrize("fields", LIST_FIELDS)
def test_a_first_sync_split_over_time_budgeted_runs_finishes_without_relinking(
    fields: str, tmp_path: Path
) -> None:
    # 20 items, 15 s runs at GitHub's pace (1 s between writes): each run does about 15 writes
    write_cart(tmp_path / ".claude", tasks=18)
    with Emulator(limits="github", clock=ManualClock(), list_fields=fields) as emu:
        emu.add_token(TOKEN)
        emu.add_repo(REPO)
        runs: list[BatchResult] = []
        while len(runs) < 8 and (not runs or runs[-1].not_done):
            given = run_overrides(emu, tmp_path, token=TOKEN, repo=REPO)
            given.update(write_interval=1, creates_per_minute=80, time_budget=0.25)
            settings = load_settings(given, env={})
            runs.append(run(settings, clock=emu.clock.now, sleep=emu.clock.sleep))
        assert [r.failed for r in runs] == [0] * len(runs)
        assert runs[-1].not_done == 0
        assert len(runs) <= 4  # 20 creates + 19 links at one write a second
        assert emu.stats.count(method="POST", status=422) == 0
        assert len(emu.issues(REPO)) == 20
        [epic] = marked(emu, "epic-001")
        assert len(emu.sub_issues(REPO, epic["number"])) == 18


def test_close_removed_with_a_path_that_does_not_exist_sends_nothing(
    emu: Emulator, workspace: Path
) -> None:
    sync(emu, workspace)
    emu.stats.reset()
    with pytest.raises(SettingsError) as stopped:
        sync(emu, workspace, path="no-such-folder", close_removed=True)
    assert stopped.value.name == "path"
    assert emu.stats.total == 0
    assert all(i["state"] == "open" for i in emu.issues(REPO))
