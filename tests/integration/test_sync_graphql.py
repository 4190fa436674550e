"""A sync through GraphQL createIssue against the emulator: one write per new item, exactly once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from batchsync.config import load_settings
from batchsync.emulator import Emulator, FaultConfig, GraphQLConfig, LimitConfig, ManualClock
from batchsync.render import parse_marker
from batchsync.results import BatchResult
from batchsync.sync import run
from emulated import run_overrides

TOKEN = "ghs_graphql_sync"
REPO = "octo/graphql"
LINKS = "/repos/{owner}/{repo}/issues/{issue_number}/sub_issues"
REST_CREATE = "/repos/{owner}/{repo}/issues"


def write_tree(base: Path, *, epics: int = 2, tasks: int = 5) -> int:
    """One PRD, ``epics`` epics under it, ``tasks`` tasks under each; returns the item count."""
    (base / "prds").mkdir(parents=True, exist_ok=True)
    (base / "prds/prd-001.md").write_text(
        "---\nid: prd-001\ntitle: Shop\nstatus: open\npriority: high\n---\n\nThe shop.\n"
    )
    for e in range(1, epics + 1):
        folder = base / f"epics/epic-{e:03}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "epic.md").write_text(
            f"---\nid: epic-{e:03}\ntitle: Epic {e}\nprd_id: prd-001\nstatus: open\n---\n\nE.\n"
        )
        for t in range(1, tasks + 1):
            status = "done" if t == tasks else "open"
            (folder / f"task-{t:03}.md").write_text(
                f"---\nid: task-{e:03}-{t:03}\ntitle: Task {t}\nepic_id: epic-{e:03}\n"
                f"status: {status}\n---\n\nT.\n"
            )
    return 1 + epics + epics * tasks


def emulator(**kw: Any) -> Emulator:
    emu = Emulator(clock=ManualClock(1_800_000_000.0), **kw)
    emu.add_token(TOKEN)
    emu.add_repo(REPO)
    return emu


def sync(emu: Emulator, workspace: Path, **changes: object) -> BatchResult:
    given = run_overrides(emu, workspace, token=TOKEN, repo=REPO, **changes)
    return run(load_settings(given, env={}), clock=emu.clock.now, sleep=emu.clock.sleep)


def hierarchy(emu: Emulator) -> dict[str, tuple[int, str | None]]:
    """Each item key: (how many issues carry it, the key of its issue's parent)."""
    issues = emu.issues(REPO)
    keys = {i["number"]: (parse_marker(i["body"]) or parse_marker("")) for i in issues}
    out: dict[str, tuple[int, str | None]] = {}
    for issue in issues:
        marker = keys[issue["number"]]
        if marker is None:
            continue
        parent_url = issue.get("parent_issue_url")
        parent = None
        if parent_url:
            found = keys[int(parent_url.rsplit("/", 1)[1])]
            parent = found.key if found else None
        count = out.get(marker.key, (0, None))[0] + 1
        out[marker.key] = (count, parent)
    return out


def assert_tree_linked(emu: Emulator, items: int) -> None:
    found = hierarchy(emu)
    assert len(found) == items
    assert all(count == 1 for count, _ in found.values())
    assert found["prd-001"][1] is None
    assert found["epic-001"][1] == "prd-001"
    assert found["task-001-001"][1] == "epic-001"
    assert found["task-002-005"][1] == "epic-002"


def test_a_fresh_sync_creates_every_child_under_its_parent_in_one_request(tmp_path: Path) -> None:
    with emulator(limits="github") as emu:
        items = write_tree(tmp_path / ".claude")
        result = sync(emu, tmp_path)
        assert result.failed == 0
        assert result.warnings == ()
        # the first create of each new label set goes through REST, which makes the labels
        # (the PRD's, the first epic's, the first task's); only those two children need a link
        rest = emu.stats.count("POST", REST_CREATE)
        assert rest == 3
        assert emu.stats.operations("createIssue") == items - rest
        assert emu.stats.count("POST", LINKS) == 2
        assert emu.stats.count("POST", "/repos/{owner}/{repo}/labels") == 0
        assert emu.stats.operations("query") == 1  # node ids and labels, once per run
        assert_tree_linked(emu, items)
        emu.stats.reset()
        again = sync(emu, tmp_path)
        assert again.failed == 0
        assert emu.stats.total <= 15
        assert emu.stats.writes() == 0
        assert emu.stats.operations("query") == 0  # every issue is trusted: nothing to ask


def test_a_server_without_graphql_gets_rest_creates_and_links_with_one_warning(
    tmp_path: Path,
) -> None:
    with emulator(limits="github", graphql=None) as emu:
        items = write_tree(tmp_path / ".claude")
        result = sync(emu, tmp_path)
        assert result.failed == 0
        assert len(result.warnings) == 1
        assert "404" in result.warnings[0]
        assert emu.stats.count("POST", "/graphql") == 1
        assert emu.stats.count("POST", REST_CREATE) == items
        assert emu.stats.count("POST", LINKS) == items - 1
        assert_tree_linked(emu, items)


def test_a_schema_without_parent_issue_id_gets_rest_creates_and_links(tmp_path: Path) -> None:
    with emulator(limits="github", graphql=GraphQLConfig(parent_issue_id=False)) as emu:
        items = write_tree(tmp_path / ".claude")
        result = sync(emu, tmp_path)
        assert result.failed == 0
        assert ["parentIssueId" in w for w in result.warnings] == [True]
        assert emu.stats.operations("createIssue") == 0
        assert emu.stats.count("POST", LINKS) == items - 1
        assert_tree_linked(emu, items)


def test_lost_answers_are_found_by_marker_and_nothing_is_created_twice(tmp_path: Path) -> None:
    with emulator(limits="github", faults=FaultConfig(drop_rate=0.3), seed=3) as emu:
        items = write_tree(tmp_path / ".claude")
        first = sync(emu, tmp_path)
        emu.set_faults(FaultConfig())
        recovered = [o for o in first.outcomes if "found by its marker" in (o.reason or "")]
        assert recovered, "the faults should have hit some creates"
        if first.failed or first.not_done:
            assert sync(emu, tmp_path).failed == 0
        assert_tree_linked(emu, items)
        assert emu.stats.count("POST", LINKS, 422) == 0  # a found child is not linked twice


@pytest.mark.parametrize("too_quickly", [1.0, 0.0], ids=["200 too quickly", "403/429"])
def test_github_counting_the_link_twice_slows_the_run_and_fails_nothing(
    tmp_path: Path, too_quickly: float
) -> None:
    limits = LimitConfig.github(retry_after_rate=0.0)
    twice = GraphQLConfig(link_counts_twice=True, too_quickly_rate=too_quickly)
    with emulator(limits=limits, graphql=twice) as emu:
        items = write_tree(tmp_path / ".claude", epics=2, tasks=40)
        result = sync(emu, tmp_path, write_interval=1, creates_per_minute=80, creates_per_hour=500)
        assert result.failed == 0
        assert result.not_done == 0
        assert emu.stats.secondary_limits >= 1  # "was submitted too quickly", then adapted
        assert emu.stats.secondary_limits <= 2
        assert emu.stats.violations == 0
        assert_tree_linked(emu, items)
