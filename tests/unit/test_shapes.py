"""The shapes of real CCPM and ClaudeAutoPM trees (tests/fixtures/shapes), every file accounted."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from batchsync.items import FileClass, Kind, ScanResult, scan

SHAPES = Path(__file__).parent.parent / "fixtures" / "shapes"


def scanned(shape: str, tmp_path: Path) -> ScanResult:
    workspace = tmp_path / shape
    shutil.copytree(SHAPES / shape, workspace)
    return scan(workspace / ".claude", workspace=workspace)


def on_disk(base: Path) -> set[str]:
    found = set()
    for folder in ("prds", "epics"):
        for root, _, names in os.walk(base / folder):
            found.update(Path(root, n).relative_to(base.parent).as_posix() for n in names)
    return found


def classes(result: ScanResult) -> dict[str, FileClass]:
    return {f.path: f.cls for f in result.files}


def keys(result: ScanResult) -> dict[str, object]:
    return {item.path: item for item in result.items}


@pytest.mark.parametrize("shape", sorted(p.name for p in SHAPES.iterdir()))
def test_every_file_of_every_shape_is_in_exactly_one_class(shape: str, tmp_path: Path) -> None:
    result = scanned(shape, tmp_path)
    paths = [f.path for f in result.files]
    assert len(paths) == len(set(paths))  # one class each
    assert set(paths) == on_disk(tmp_path / shape / ".claude")  # none left out
    assert result.count(FileClass.ITEM) == len(result.items)
    failed = {e.path for e in result.errors}
    assert {p for p, c in classes(result).items() if c is FileClass.ERROR} == failed


def test_tasks_in_a_tasks_folder_with_slug_names_and_url_links(tmp_path: Path) -> None:
    result = scanned("tasks-folder", tmp_path)
    assert result.errors == ()
    items = keys(result)
    first = items["epics/ingest/tasks/001-parse-feed.md"]
    second = items["epics/ingest/tasks/002-store-rows.md"]
    assert (first.kind, first.parent_key, first.priority) == (
        Kind.TASK,
        "epics/ingest/epic.md",
        "P1",
    )
    assert second.dependencies == ("epics/ingest/tasks/001-parse-feed.md",)
    assert items["epics/ingest/epic.md"].parent_key == "prds/ingest.md"


def test_two_files_claiming_one_task_number_are_both_errors(tmp_path: Path) -> None:
    result = scanned("number-claims", tmp_path)
    errors = {e.path.rsplit("/", 1)[-1]: e.message for e in result.errors}
    assert set(errors) == {"001.md", "001-invoice-numbers.md"}
    assert all("task number 1 is claimed by 2 files" in m for m in errors.values())
    items = keys(result)
    assert "epics/billing/001.md" not in items
    # 084.md still names the old local number 002: text and a warning, never issue #2.
    assert items["epics/billing/084.md"].dependencies == ("002",)
    assert items["epics/billing/085.md"].dependencies == ("epics/billing/084.md",)
    (warning,) = result.warnings
    assert "depends on task 002" in warning.message
    assert items["epics/billing/epic.md"].parent_key == "prds/billing.md"  # prd: by name


def test_several_task_schemas_in_one_tree(tmp_path: Path) -> None:
    result = scanned("schemas", tmp_path)
    assert (result.errors, result.warnings) == ((), ())
    items = {item.title: item for item in result.items if item.kind is not Kind.PRD}
    assert items["Authentication"].key == "epics/api/001.md"  # title for name
    assert items["Rate limits"].key == "api-rate-limits"  # id, no name
    assert items["Rate limits"].parent_key == "epics/api/epic.md"
    assert items["Pagination"].dependencies == ("epics/api/001.md",)  # depends_on
    assert items["Errors"].dependencies == ("epics/api/001.md", "epics/api/003.md")  # text list
    assert items["Public API"].parent_key == "prds/api.md"


def test_files_without_frontmatter_take_the_heading_with_a_warning(tmp_path: Path) -> None:
    result = scanned("no-frontmatter", tmp_path)
    items = keys(result)
    assert items["prds/exports.md"].title == "Exports"
    assert items["epics/exports/001.md"].title == "Task: CSV writer"
    assert not items["epics/exports/001.md"].has_frontmatter
    assert sorted(w.path for w in result.warnings) == [
        ".claude/epics/exports/001.md",
        ".claude/prds/exports.md",
    ]
    (error,) = result.errors
    assert error.path == ".claude/epics/exports/002.md"
    assert "no title" in error.message


def test_numbered_prds_with_task_like_fields(tmp_path: Path) -> None:
    result = scanned("prd-variants", tmp_path)
    assert (result.errors, result.warnings) == ((), ())
    items = {item.key: item for item in result.items}
    assert items["PRD-01"].title == "Data loader"
    assert items["PRD-02"].dependencies == ("PRD-01",)


def test_epics_naming_their_prd_by_name_empty_or_missing(tmp_path: Path) -> None:
    result = scanned("epic-prd-refs", tmp_path)
    items = keys(result)
    assert items["epics/search-ui/epic.md"].parent_key == "prds/search.md"
    assert items["epics/search-api/epic.md"].parent_key is None
    assert items["epics/search-ranking/epic.md"].parent_key is None
    warned = {w.path.rsplit("/", 2)[-2]: w.message for w in result.warnings}
    assert "is empty" in warned["search-api"]
    assert "'.claude/prds/ranking.md', which is not in the tree" in warned["search-ranking"]
    (error,) = result.errors
    assert error.path == ".claude/epics/search-index/epic.md"
    assert error.line == 3
    assert "without its owner or repository" in error.message


def test_archives_and_bookkeeping_files(tmp_path: Path) -> None:
    result = scanned("archives", tmp_path)
    assert result.errors == ()
    assert [i.key for i in result.items] == [
        "prds/mail.md",
        "epics/mail/epic.md",
        "epics/mail/001.md",
    ]
    assert {i.key for i in result.archived} == {
        "epics/archived/newsletter/epic.md",
        "epics/archived/newsletter/001.md",
        "epics/.archived/digest/epic.md",
    }
    by_path = {f.path: f for f in result.files}
    broken = by_path[".claude/epics/.archived/digest/002.md"]
    assert (broken.cls, broken.why.startswith("archived, never synced (not parsed")) == (
        FileClass.ARCHIVED,
        True,
    )
    assert result.count(FileClass.OTHER) == 15
    assert "analysis notes" in by_path[".claude/epics/mail/001-analysis.md"].why
    assert "directly in epics/" in by_path[".claude/epics/mail-ARCHIVE_SUMMARY.md"].why
    assert "updates/" in by_path[".claude/epics/mail/updates/001/stream-A.md"].why
    assert "not a markdown file" in by_path[".claude/epics/mail/epic.md.bak"].why


def test_messy_yaml_is_lenient_where_nothing_depends_on_it(tmp_path: Path) -> None:
    result = scanned("messy-yaml", tmp_path)
    items = {item.title: item for item in result.items}
    assert set(items) == {"Dates nobody reads", "Fix: the date parser", "Agents", "数据导入",
                          "解析客户文件", "Long body"}  # fmt: skip
    assert items["解析客户文件"].key == "epics/数据导入/001.md"
    assert len(items["Long body"].body.encode()) > 56_000
    (error,) = result.errors  # a field batchsync reads, written twice
    assert (error.path, error.line) == (".claude/epics/dates/001.md", 4)
    assert "`status` is written 2 times (lines 3, 4)" in error.message
    said = " | ".join(w.message for w in result.warnings)
    assert "`name` has an unquoted `: `" in said
    assert "`agents` is not valid YAML" in said
    assert "`agent` is written 2 times; the last one counts" in said


def test_kinds_not_selected_are_accounted_for_too(tmp_path: Path) -> None:
    workspace = tmp_path / "w"
    shutil.copytree(SHAPES / "tasks-folder", workspace)
    result = scan(workspace / ".claude", workspace=workspace, kinds=[Kind.TASK])
    assert result.count(FileClass.ITEM) == 2
    assert result.count(FileClass.OTHER) == 2  # the PRD and the epic: not selected
    assert {f.path for f in result.files} == on_disk(workspace / ".claude")
