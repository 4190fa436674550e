"""``sync.main`` (the terminal command) and the parity API, against the emulator."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from batchsync.config import Settings, load_settings
from batchsync.emulator import Emulator
from batchsync.items import Kind
from batchsync.processor import BatchProcessor
from batchsync.ratelimit import Limits
from batchsync.results import BatchResult, ItemAction
from batchsync.sync import batch_sync_all, batch_sync_epics, batch_sync_prds, main

TOKEN = "ghs_entrytoken"
REPO = "octo/entry"


def write_tree(base: Path) -> None:
    (base / "prds").mkdir(parents=True)
    (base / "epics/epic-001-a").mkdir(parents=True)
    (base / "prds/prd-001-a.md").write_text("---\nid: prd-001\ntitle: A\n---\nPRD body\n")
    (base / "epics/epic-001-a/epic.md").write_text(
        "---\nid: epic-001\ntitle: Epic A\nprd_id: prd-001\n---\nEpic body\n"
    )
    (base / "epics/epic-001-a/task-001.md").write_text(
        "---\nid: task-001\ntitle: Task A\nepic_id: epic-001\n---\nTask body\n"
    )


WORK_ITEMS = write_tree  # the workspace fixture (tests/conftest.py)


def settings(emu: Emulator, workspace: Path, **overrides: object) -> Settings:
    given: dict[str, object] = {
        "github_token": TOKEN,
        "repository": REPO,
        "api_url": emu.url,
        "workspace": str(workspace),
        "write_interval": 0,
    }
    given.update(overrides)
    return load_settings(given, env={})


def call_main(s: Settings) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(s, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_main_prints_a_summary_and_exits_0(emu: Emulator, workspace: Path) -> None:
    code, out, _ = call_main(settings(emu, workspace))
    assert code == 0
    assert out.splitlines()[0].startswith(f"batchsync: 3 items in {REPO}: 3 created")


def test_main_dry_run_lists_the_plan(emu: Emulator, workspace: Path) -> None:
    code, out, _ = call_main(settings(emu, workspace, dry_run=True))
    assert code == 0
    assert "dry run" in out
    assert "  would-create prd-001 (.claude/prds/prd-001-a.md): no issue carries its marker" in out
    assert emu.stats.writes() == 0  # the GraphQL query is no write


def test_main_exits_1_when_an_item_failed(emu: Emulator, workspace: Path) -> None:
    (workspace / ".claude/prds/prd-002-bad.md").write_text("---\nid: [broken\n---\n")
    code, out, _ = call_main(settings(emu, workspace))
    assert code == 1
    assert "error: .claude/prds/prd-002-bad.md:" in out


def test_main_exits_0_on_failures_without_fail_on_error(emu: Emulator, workspace: Path) -> None:
    (workspace / ".claude/prds/prd-002-bad.md").write_text("---\nid: [broken\n---\n")
    code, _, _ = call_main(settings(emu, workspace, fail_on_error=False))
    assert code == 0


def test_main_exits_2_on_a_bad_token_without_showing_it(emu: Emulator, workspace: Path) -> None:
    code, out, err = call_main(settings(emu, workspace, github_token="ghs_nope"))
    assert code == 2
    assert "GITHUB_TOKEN" in err
    assert "ghs_nope" not in out + err


def test_main_exits_2_without_a_token(emu: Emulator, workspace: Path) -> None:
    code, _, err = call_main(settings(emu, workspace, github_token=None))
    assert code == 2
    assert "github-token" in err


def test_main_exits_2_for_an_unknown_repository(emu: Emulator, workspace: Path) -> None:
    code, _, err = call_main(settings(emu, workspace, repository="octo/missing"))
    assert code == 2
    assert "octo/missing" in err


def processor(emu: Emulator) -> BatchProcessor:
    limits = Limits(write_interval=0)
    return BatchProcessor(3, limits, clock=emu.clock.now, sleep=emu.clock.sleep)


def sync_all(emu: Emulator, workspace: Path, **options: Any) -> BatchResult:
    """``batch_sync_all`` over the workspace's tree, with a processor on the emulator's clock."""
    common = {"repo": REPO, "token": TOKEN, "api_url": emu.url, "processor": processor(emu)}
    return batch_sync_all(base_path=workspace / ".claude", **common, **options)


def test_batch_sync_all_returns_the_original_result_fields(emu: Emulator, workspace: Path) -> None:
    progress: list[tuple[int, int]] = []
    result = sync_all(
        emu, workspace, on_progress=lambda done, total, _item: progress.append((done, total))
    )
    assert (result.total, result.succeeded, result.failed, result.errors) == (3, 3, 0, ())
    assert result.duration >= 0
    assert result.rate_limit is not None
    assert result.rate_limit.remaining is not None
    assert [(o.key, o.action) for o in result.outcomes] == [
        ("prd-001", ItemAction.CREATED),
        ("epic-001", ItemAction.CREATED),
        ("task-001", ItemAction.CREATED),
    ]
    assert all(o.issue_number and o.url for o in result.outcomes)
    assert progress == [(1, 3), (2, 3), (3, 3)]


def test_batch_sync_prds_then_epics_share_one_processor(emu: Emulator, workspace: Path) -> None:
    shared = processor(emu)
    common = {"base_path": workspace / ".claude", "repo": REPO, "api_url": emu.url}
    prds = batch_sync_prds(token=TOKEN, processor=shared, **common)
    epics = batch_sync_epics(token=TOKEN, processor=shared, **common)
    assert [o.kind for o in prds.outcomes] == [Kind.PRD.value]
    assert [o.kind for o in epics.outcomes] == [Kind.EPIC.value]
    epic_issue = epics.outcomes[0].issue_number
    assert emu.sub_issues(REPO, prds.outcomes[0].issue_number or 0) == [epic_issue]


def test_batch_sync_all_dry_run_writes_nothing(emu: Emulator, workspace: Path) -> None:
    result = sync_all(emu, workspace, dry_run=True)
    assert {o.action for o in result.outcomes} == {ItemAction.PLANNED_CREATE}
    assert emu.stats.writes() == 0  # the GraphQL query is no write


def test_a_dry_run_promises_no_parent_that_is_missing_or_failed(
    emu: Emulator, tmp_path: Path
) -> None:
    base = tmp_path / ".claude"
    (base / "prds").mkdir(parents=True)
    (base / "epics/e1").mkdir(parents=True)
    (base / "prds/prd-002-b.md").write_text("---\nid: prd-002\ntitle: [\n---\n")  # broken
    (base / "epics/e1/epic.md").write_text("---\nid: epic-001\ntitle: E\nprd_id: prd-002\n---\n")
    (base / "epics/e1/task-001.md").write_text(
        "---\nid: task-001\ntitle: T\nepic_id: epic-404\n---\n"
    )
    code, out, _ = call_main(settings(emu, tmp_path, dry_run=True))
    assert code == 1  # the broken PRD
    assert "created in this run" not in out
    assert "warning: .claude/epics/e1/epic.md:4: `prd_id` names 'prd-002'" in out
    assert "warning: .claude/epics/e1/task-001.md:4: `epic_id` names 'epic-404'" in out
