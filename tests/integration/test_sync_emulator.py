"""The sync engine end to end against the GitHub emulator (both layouts, limits off)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
import requests

from batchsync.config import Settings, load_settings
from batchsync.emulator import Emulator, FaultConfig
from batchsync.errors import AuthError, NotFoundError, RunStop
from batchsync.render import parse_marker
from batchsync.results import BatchResult, ItemAction
from batchsync.sync import run
from emulated import LIST_FIELD_VARIANTS, run_overrides, writes
from trees import write_item as write

TOKEN = "ghs_enginetoken"
REPO = "octo/demo"
# The emulator of the emu fixture (tests/conftest.py), once per shape of list answers.
EMULATOR = {"limits": "off", "scale": 1000}
EMULATOR_VARIANTS = LIST_FIELD_VARIANTS


# ---- trees ---------------------------------------------------------------------------------


def local_tree(base: Path, *, tasks: int = 2, epic: str = "epic-001", prd: str = "prd-001") -> None:
    write(
        base,
        f"prds/{prd}-checkout.md",
        {
            "id": prd,
            "title": f"Checkout {prd}",
            "status": "draft",
            "priority": "high",
            "github_issue": "null",
        },
        "# Checkout\n\nPay for the cart.",
    )
    folder = f"epics/{epic}-cart"
    write(
        base,
        f"{folder}/epic.md",
        {
            "id": epic,
            "title": f"Cart {epic}",
            "prd_id": prd,
            "status": "in-progress",
            "github_issue": "null",
        },
        "The cart screens.",
    )
    for n in range(1, tasks + 1):
        deps = [f"task-{epic}-{n - 1:03}"] if n > 1 else []
        write(
            base,
            f"{folder}/task-{n:03}.md",
            {
                "id": f"task-{epic}-{n:03}",
                "title": f"Task {n} of {epic}",
                "epic_id": epic,
                "status": "open",
                "priority": "medium",
                "estimated_hours": 2,
                "dependencies": deps,
                "github_issue": "null",
            },
            f"Do step {n}.",
        )


def ccpm_tree(base: Path) -> None:
    placeholder = "[Will be updated when synced to GitHub]"
    write(base, "prds/search.md", {"name": "search", "status": "backlog"}, "# PRD: search")
    write(
        base,
        "epics/search/epic.md",
        {
            "name": "search",
            "status": "in-progress",
            "prd": ".claude/prds/search.md",
            "github": placeholder,
        },
        "# Epic: search",
    )
    write(
        base,
        "epics/search/001.md",
        {
            "name": "Index builder",
            "status": "open",
            "github": placeholder,
            "depends_on": [],
            "parallel": "true",
        },
        "# Task: Index builder",
    )
    write(
        base,
        "epics/search/002.md",
        {
            "name": "Query endpoint",
            "status": "closed",
            "github": placeholder,
            "depends_on": ["001"],
            "parallel": "false",
        },
        "# Task: Query endpoint",
    )
    (base / "epics/search/001-analysis.md").write_text("not a work item\n")


def tree_digest(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


# ---- the workspace's items (the workspace fixture, tests/conftest.py) ----------------------


def both_layouts(base: Path) -> None:
    """Both layouts side by side."""
    local_tree(base)
    ccpm_tree(base)


WORK_ITEMS = both_layouts


def settings(emu: Emulator, workspace: Path, **overrides: object) -> Settings:
    return load_settings(run_overrides(emu, workspace, token=TOKEN, repo=REPO, **overrides), env={})


def sync(emu: Emulator, workspace: Path, **overrides: object) -> BatchResult:
    return run(settings(emu, workspace, **overrides), clock=emu.clock.now, sleep=emu.clock.sleep)


def by_key(emu: Emulator) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for issue in emu.issues(REPO):
        marker = parse_marker(issue.get("body"))
        if marker is not None:
            found.setdefault(marker.key, []).append(issue)
    return found


def person(emu: Emulator, method: str, path: str, payload: dict[str, Any]) -> None:
    """A person editing on GitHub (not through batchsync)."""
    answer = requests.request(
        method,
        f"{emu.url}/repos/{REPO}{path}",
        json=payload,
        headers={"Authorization": f"token {TOKEN}"},
        timeout=10,
    )
    assert answer.status_code < 300, answer.text


# ---- tests ---------------------------------------------------------------------------------

KEYS = {
    "prd-001",
    "epic-001",
    "task-epic-001-001",
    "task-epic-001-002",
    "prds/search.md",
    "epics/search/epic.md",
    "epics/search/001.md",
    "epics/search/002.md",
}


def test_fresh_sync_creates_each_item_once_with_its_hierarchy(
    emu: Emulator, workspace: Path
) -> None:
    result = sync(emu, workspace)
    assert result.failed == 0, result.errors
    assert {o.key for o in result.outcomes} == KEYS
    assert all(o.action is ItemAction.CREATED for o in result.outcomes)
    issues = by_key(emu)
    assert set(issues) == KEYS
    assert all(len(v) == 1 for v in issues.values())
    number = {k: v[0]["number"] for k, v in issues.items()}
    assert emu.sub_issues(REPO, number["prd-001"]) == [number["epic-001"]]
    assert emu.sub_issues(REPO, number["epic-001"]) == [
        number["task-epic-001-001"],
        number["task-epic-001-002"],
    ]
    assert emu.sub_issues(REPO, number["epics/search/epic.md"]) == [
        number["epics/search/001.md"],
        number["epics/search/002.md"],
    ]
    task2 = issues["task-epic-001-002"][0]
    assert task2["title"] == "[TASK] Task 2 of epic-001"
    assert f"- **Parent:** #{number['epic-001']}" in task2["body"]
    assert f"- **Dependencies:** #{number['task-epic-001-001']}" in task2["body"]
    assert {label["name"] for label in task2["labels"]} == {"task", "priority:medium"}
    assert issues["epics/search/002.md"][0]["state"] == "closed"


def test_fresh_sync_request_count_is_creates_links_and_one_listing(
    emu: Emulator, workspace: Path
) -> None:
    sync(emu, workspace)
    assert emu.stats.count(method="GET") == 1
    # 8 issues: each child created already under its parent (GraphQL), except a create that
    # names labels new to the repository, which goes through REST (GitHub makes the labels) and
    # is linked after; 1 GraphQL query for the node ids; 1 PATCH closing the done task
    rest = emu.stats.count("POST", "/repos/{owner}/{repo}/issues")
    links = emu.stats.count("POST", SUB_ISSUES)
    assert (rest, links) == (4, 3)  # both PRDs, the first epic, the first task: new labels
    assert emu.stats.operations("createIssue") + rest == 8
    assert emu.stats.count(method="POST") == 1 + 8 + links
    assert emu.stats.count(method="PATCH") == 1


SUB_ISSUES = "/repos/{owner}/{repo}/issues/{issue_number}/sub_issues"
PARENT = "/repos/{owner}/{repo}/issues/{issue_number}/parent"
PARENTS = 4  # the two PRDs hold epics, the two epics hold tasks


def parent_reads(emu: Emulator) -> int:
    """What a rerun may read to know the links: nothing when lists carry the parent fields,
    one ``GET .../sub_issues`` per parent when they carry neither."""
    return 0 if emu.service.api.list_fields == "both" else PARENTS


def test_rerun_with_no_change_makes_zero_writes(emu: Emulator, workspace: Path) -> None:
    sync(emu, workspace)
    emu.stats.reset()
    result = sync(emu, workspace)
    assert writes(emu) == 0
    assert emu.stats.count(method="GET", template=SUB_ISSUES) == parent_reads(emu)
    assert emu.stats.count(method="GET", template=PARENT) == 0
    assert emu.stats.count(method="GET") == 1 + parent_reads(emu)
    assert all(o.action is ItemAction.UNCHANGED for o in result.outcomes)


def test_one_changed_file_makes_one_patch_and_nothing_else(emu: Emulator, workspace: Path) -> None:
    sync(emu, workspace)
    task = workspace / ".claude/epics/epic-001-cart/task-001.md"
    task.write_text(task.read_text().replace("Do step 1.", "Do step 1, carefully."))
    emu.stats.reset()
    result = sync(emu, workspace)
    total = 2 + parent_reads(emu)  # the listing, the PATCH (every issue trusted: no query)
    assert (emu.stats.count(method="PATCH"), writes(emu), emu.stats.total) == (1, 1, total)
    changed = [o for o in result.outcomes if o.action is ItemAction.UPDATED]
    assert [o.key for o in changed] == ["task-epic-001-001"]
    assert "carefully" in by_key(emu)["task-epic-001-001"][0]["body"]


def test_dry_run_writes_nothing_anywhere_and_tells_create_from_update(
    emu: Emulator, workspace: Path
) -> None:
    sync(emu, workspace, path=".claude")
    prd = workspace / ".claude/prds/prd-001-checkout.md"
    prd.write_text(prd.read_text().replace("Pay for the cart.", "Pay."))
    local_tree(workspace / ".claude", epic="epic-002", prd="prd-002", tasks=1)
    before = tree_digest(workspace)
    emu.stats.reset()
    result = sync(emu, workspace, dry_run=True, write_back=True)
    assert writes(emu) == 0
    assert tree_digest(workspace) == before
    actions = {o.key: o.action for o in result.outcomes}
    assert actions["prd-001"] is ItemAction.PLANNED_UPDATE
    assert actions["prd-002"] is ItemAction.PLANNED_CREATE
    assert actions["epic-001"] is ItemAction.UNCHANGED
    assert all(o.reason for o in result.outcomes)


def test_lost_create_answers_make_no_duplicates(emu: Emulator, workspace: Path) -> None:
    local_tree(workspace / ".claude", epic="epic-002", prd="prd-002", tasks=12)
    emu.set_faults(FaultConfig(drop_rate=0.3, methods=("POST",)))
    result = sync(emu, workspace)
    assert result.failed == 0, result.errors
    issues = by_key(emu)
    assert set(issues) == {o.key for o in result.outcomes}
    assert all(len(v) == 1 for v in issues.values()), {k: len(v) for k, v in issues.items()}
    recovered = [o for o in result.outcomes if "found by its marker" in (o.reason or "")]
    assert recovered, "the faults should have hit some creates"
    epic = issues["epic-002"][0]["number"]
    assert len(emu.sub_issues(REPO, epic)) == 12


def test_lost_and_failed_creates_and_timeouts_make_no_duplicates(
    emu: Emulator, workspace: Path
) -> None:
    local_tree(workspace / ".claude", epic="epic-002", prd="prd-002", tasks=12)
    emu.set_faults(
        FaultConfig(drop_rate=0.15, error_rate=0.15, timeout_rate=0.1, methods=("POST",))
    )
    first = sync(emu, workspace)
    emu.set_faults(FaultConfig())
    emu.stats.reset()
    second = sync(emu, workspace)
    issues = by_key(emu)
    assert set(issues) == {o.key for o in second.outcomes}
    assert all(len(v) == 1 for v in issues.values()), {k: len(v) for k, v in issues.items()}
    assert second.failed == 0
    # whatever the first run could not finish, the second did, creating nothing twice
    creates = emu.stats.operations("createIssue") + emu.stats.count(
        "POST", "/repos/{owner}/{repo}/issues"
    )
    assert creates <= first.failed


def test_labels_a_person_added_survive_an_update(emu: Emulator, workspace: Path) -> None:
    sync(emu, workspace)
    number = by_key(emu)["prd-001"][0]["number"]
    person(emu, "POST", f"/issues/{number}/labels", {"labels": ["customer-request"]})
    prd = workspace / ".claude/prds/prd-001-checkout.md"
    prd.write_text(prd.read_text().replace("priority: high", "priority: low"))
    sync(emu, workspace)
    labels = {label["name"] for label in by_key(emu)["prd-001"][0]["labels"]}
    assert labels == {"prd", "priority:low", "customer-request"}


def test_issue_a_person_closed_stays_closed_while_the_file_is_unchanged(
    emu: Emulator, workspace: Path
) -> None:
    sync(emu, workspace)
    number = by_key(emu)["epic-001"][0]["number"]
    person(emu, "PATCH", f"/issues/{number}", {"state": "closed", "title": "renamed by hand"})
    emu.stats.reset()
    result = sync(emu, workspace)
    assert writes(emu) == 0
    issue = by_key(emu)["epic-001"][0]
    assert (issue["state"], issue["title"]) == ("closed", "renamed by hand")
    assert {o.key: o.action for o in result.outcomes}["epic-001"] is ItemAction.UNCHANGED


def test_a_marked_issue_is_adopted_after_its_labels_were_removed(
    emu: Emulator, workspace: Path
) -> None:
    sync(emu, workspace)
    number = by_key(emu)["prd-001"][0]["number"]
    person(emu, "PATCH", f"/issues/{number}", {"labels": []})
    emu.stats.reset()
    sync(emu, workspace)
    assert writes(emu) == 0


def test_write_back_records_links_and_leaves_every_other_byte(
    emu: Emulator, workspace: Path
) -> None:
    base = workspace / ".claude"
    before = {p: p.read_text() for p in base.rglob("*.md")}
    sync(emu, workspace, write_back=True)
    issues = by_key(emu)
    prd_file = base / "prds/prd-001-checkout.md"
    number = issues["prd-001"][0]["number"]
    assert prd_file.read_text() == before[prd_file].replace(
        "github_issue: null", f"github_issue: {number}"
    )
    ccpm_file = base / "epics/search/001.md"
    url = issues["epics/search/001.md"][0]["html_url"]
    assert ccpm_file.read_text() == before[ccpm_file].replace(
        "github: [Will be updated when synced to GitHub]", f"github: {url}"
    )
    sync_map = json.loads((base / "sync-map.json").read_text())
    assert sync_map == {k: v[0]["number"] for k, v in issues.items() if "/" not in k}
    assert (base / "epics/search/001-analysis.md").read_text() == "not a work item\n"


def test_write_back_off_never_modifies_the_workspace(emu: Emulator, workspace: Path) -> None:
    before = tree_digest(workspace)
    sync(emu, workspace)
    assert tree_digest(workspace) == before


def test_rerun_after_write_back_makes_zero_writes(emu: Emulator, workspace: Path) -> None:
    sync(emu, workspace, write_back=True)
    emu.stats.reset()
    before = tree_digest(workspace)
    sync(emu, workspace, write_back=True)
    assert writes(emu) == 0
    assert tree_digest(workspace) == before


@pytest.mark.parametrize(("tasks", "failed"), [(100, 0), (101, 1)])
def test_sub_issue_cap_is_a_per_item_error(
    emu: Emulator, tmp_path: Path, tasks: int, failed: int
) -> None:
    local_tree(tmp_path / ".claude", tasks=tasks)
    result = sync(emu, tmp_path)
    assert result.failed == failed
    assert len(by_key(emu)) == tasks + 2
    epic = by_key(emu)["epic-001"][0]["number"]
    assert len(emu.sub_issues(REPO, epic)) == 100
    if failed:
        error = result.errors[0]
        assert error.issue_number is not None
        assert "100" in (error.error or "")


def test_server_without_sub_issues_warns_once(tmp_path: Path) -> None:
    with Emulator(limits="off", scale=1000, sub_issues=False) as emu:
        emu.add_token(TOKEN)
        emu.add_repo(REPO)
        local_tree(tmp_path / ".claude", tasks=3)
        result = sync(emu, tmp_path)
        assert result.failed == 0
        assert len([w for w in result.warnings if "sub-issues" in w]) == 1
        assert len([w for w in result.warnings if "parentIssueId" in w]) == 1
        # REST creates (its GraphQL has no parentIssueId either) and one link attempt
        assert emu.stats.count(method="POST") - emu.stats.operations("query") == 5 + 1


def test_close_removed_closes_the_issue_of_a_deleted_file(emu: Emulator, workspace: Path) -> None:
    sync(emu, workspace)
    (workspace / ".claude/epics/search/001.md").unlink()
    result = sync(emu, workspace, close_removed=True)
    issue = by_key(emu)["epics/search/001.md"][0]
    assert (issue["state"], issue["state_reason"]) == ("closed", "not_planned")
    assert [o.key for o in result.outcomes if o.action is ItemAction.CLOSED] == [
        "epics/search/001.md"
    ]


def test_bad_token_stops_the_run(emu: Emulator, workspace: Path) -> None:
    with pytest.raises(RunStop) as caught:
        sync(emu, workspace, github_token="ghs_wrong")
    assert isinstance(caught.value.cause, AuthError)
    assert "ghs_wrong" not in str(caught.value)
    assert emu.stats.total == 1


def test_missing_repository_stops_the_run(emu: Emulator, workspace: Path) -> None:
    with pytest.raises(NotFoundError):
        sync(emu, workspace, repository="octo/nothing")


def test_scan_errors_are_failed_outcomes_and_the_rest_syncs(emu: Emulator, workspace: Path) -> None:
    bad = workspace / ".claude/prds/prd-009-broken.md"
    bad.write_text("---\nid: prd-009\ntitle: [unclosed\n---\nx\n")
    result = sync(emu, workspace)
    failures = result.errors
    assert len(failures) == 1
    assert failures[0].path == ".claude/prds/prd-009-broken.md"
    assert failures[0].line is not None
    assert len(by_key(emu)) == len(KEYS)


def test_ghes_style_prefix_syncs_and_reruns_without_writes(tmp_path: Path) -> None:
    with Emulator(limits="off", scale=1000, prefix="/api/v3") as emu:
        emu.add_token(TOKEN)
        emu.add_repo(REPO)
        local_tree(tmp_path / ".claude", tasks=3)
        first = sync(emu, tmp_path)
        assert first.failed == 0
        assert len(by_key(emu)) == 5
        emu.stats.reset()
        sync(emu, tmp_path)
        assert writes(emu) == 0


def test_time_budget_stops_cleanly_and_the_next_run_carries_on(tmp_path: Path) -> None:
    # 82 creates (each child already under its parent) and the labels: more content creations
    # than fit in a 1-minute budget at 80 a minute.
    with Emulator(limits="github", scale=100) as emu:
        emu.add_token(TOKEN)
        emu.add_repo(REPO)
        local_tree(tmp_path / ".claude", tasks=80)
        paced = {"write_interval": 1, "creates_per_minute": 80, "creates_per_hour": 500}
        first = sync(emu, tmp_path, time_budget=1, **paced)
        assert first.failed == 0
        assert 0 < first.not_done < first.total
        second = sync(emu, tmp_path, **paced)
        assert second.failed == 0
        assert second.not_done == 0
        assert all(len(v) == 1 for v in by_key(emu).values())
        assert len(by_key(emu)) == 82
        assert emu.stats.violations == 0


def test_a_ccpm_file_renamed_to_its_issue_number_keeps_its_issue(
    emu: Emulator, workspace: Path
) -> None:
    # CCPM's own sync renames epics/<name>/001.md to <issue number>.md: a new key, same issue.
    sync(emu, workspace, write_back=True)
    number = by_key(emu)["epics/search/001.md"][0]["number"]
    base = workspace / ".claude/epics/search"
    (base / "001.md").rename(base / f"{number}.md")
    emu.stats.reset()
    result = sync(emu, workspace, write_back=True, close_removed=True)
    assert result.failed == 0
    assert emu.stats.count(method="POST") == emu.stats.operations("query")  # nothing created
    issues = by_key(emu)
    assert [i["number"] for i in issues[f"epics/search/{number}.md"]] == [number]
    assert "epics/search/001.md" not in issues
    assert all(len(found) == 1 for found in issues.values())
    assert all(i["state"] == "open" for i in emu.issues(REPO) if i["number"] == number)
