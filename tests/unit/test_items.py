"""Scanning trees of work items in both layouts into WorkItems and per-item errors."""

import os
import shutil
import textwrap
from pathlib import Path

import pytest

from batchsync import items
from batchsync.items import (
    Kind,
    Layout,
    LinkSource,
    NumberOutOfRange,
    bounded_number,
    issue_number,
    scan,
)
from batchsync.marker import REMOVED
from batchsync.render import BODY_LIMIT, render
from trees import write_file

FIXTURES = Path(__file__).parent.parent / "fixtures" / "trees"


def write(root: Path, rel: str, text: str) -> Path:
    return write_file(root, rel, textwrap.dedent(text).lstrip("\n"))


def by_key(result):
    return {item.key: item for item in result.items}


@pytest.fixture
def mixed(tmp_path):
    """Both fixture layouts in one base folder, inside a workspace."""
    base = tmp_path / "repo" / ".claude"
    shutil.copytree(FIXTURES / "local", base)
    shutil.copytree(FIXTURES / "ccpm", base, dirs_exist_ok=True)
    return base


LOCAL_KEYS = ["prd-001", "prd-002", "epic-001", "task-epic-001-001", "task-epic-001-002"]
CCPM_KEYS = [
    "prds/invoices.md",
    "prds/payments.md",
    "epics/invoices/epic.md",
    "epics/payments/epic.md",
    "epics/payments/001.md",
    "epics/payments/002.md",
    "epics/payments/1201.md",
]


@pytest.mark.parametrize(
    ("folder", "layout", "keys"),
    [
        pytest.param("local", Layout.LOCAL, LOCAL_KEYS, id="local-keyed-by-id"),
        pytest.param("ccpm", Layout.CCPM, CCPM_KEYS, id="ccpm-keyed-by-path-noise-skipped"),
    ],
)
def test_a_layouts_items_in_order_without_errors(folder: str, layout: Layout, keys: list[str]):
    result = scan(FIXTURES / folder)
    assert result.errors == ()
    assert [i.key for i in result.items] == keys
    assert {i.layout for i in result.items} == {layout}


def test_local_layout_fields():
    task = by_key(scan(FIXTURES / "local"))["task-epic-001-002"]
    assert task.kind is Kind.TASK
    assert task.title == "Cart page"
    assert task.path == "epics/epic-001-cart/task-002.md"
    assert task.status == "pending"
    assert task.priority == "medium"
    assert task.estimated_hours == 2.5
    assert task.dependencies == ("task-epic-001-001",)
    assert task.body == "\nList the items with their prices and a total.\n"
    assert task.body_line == 11
    assert task.line_of("status") == 5
    assert task.link_field == "github_issue"


def test_local_parents_from_prd_id_and_epic_id():
    items = by_key(scan(FIXTURES / "local"))
    assert items["prd-001"].parent_key is None
    assert items["epic-001"].parent_key == "prd-001"
    assert items["task-epic-001-001"].parent_key == "epic-001"


def test_local_labels_from_a_list():
    assert by_key(scan(FIXTURES / "local"))["prd-002"].labels == ("finance", "needs review")


def test_ccpm_title_from_name_and_nested_extra_fields_accepted():
    items = by_key(scan(FIXTURES / "ccpm"))
    assert items["prds/invoices.md"].title == "invoices"
    assert items["epics/payments/002.md"].title == "Wallets"


def test_ccpm_epic_parent_from_prd_path():
    assert (
        by_key(scan(FIXTURES / "ccpm"))["epics/payments/epic.md"].parent_key == "prds/payments.md"
    )


def test_ccpm_epic_parent_from_folder_name_without_prd_field():
    assert (
        by_key(scan(FIXTURES / "ccpm"))["epics/invoices/epic.md"].parent_key == "prds/invoices.md"
    )


def test_ccpm_task_parent_is_its_folders_epic():
    assert by_key(scan(FIXTURES / "ccpm"))["epics/payments/001.md"].parent_key == (
        "epics/payments/epic.md"
    )


def test_ccpm_depends_on_numbers_become_task_keys():
    task = by_key(scan(FIXTURES / "ccpm"))["epics/payments/002.md"]
    assert task.dependencies == ("epics/payments/001.md", "epics/payments/1201.md")


def test_ccpm_depends_on_unknown_number_is_an_issue_reference(tmp_path):
    write(tmp_path, "epics/e/epic.md", "---\nname: e\n---\n")
    write(tmp_path, "epics/e/001.md", "---\nname: t\ndepends_on: [77, '#78']\n---\n")
    task = by_key(scan(tmp_path))["epics/e/001.md"]
    assert task.dependencies == ("#77", "#78")


@pytest.mark.parametrize(
    ("key", "link", "source", "url"),
    [
        ("prds/payments.md", None, None, None),
        (
            "epics/payments/epic.md",
            1200,
            LinkSource.FRONTMATTER,
            "https://github.com/acme/shop/issues/1200",
        ),
        ("epics/payments/001.md", None, None, None),
        ("epics/invoices/epic.md", 1300, LinkSource.FRONTMATTER, None),
    ],
)
def test_ccpm_links(key, link, source, url):
    item = by_key(scan(FIXTURES / "ccpm"))[key]
    assert (item.link, item.link_source, item.link_url) == (link, source, url)
    assert item.link_field == "github"


@pytest.mark.parametrize(
    ("key", "link", "source"),
    [
        ("prd-001", 100, LinkSource.FRONTMATTER),
        ("prd-002", 101, LinkSource.SYNC_MAP),
        ("epic-001", None, None),
        ("task-epic-001-001", 103, LinkSource.SYNC_MAP),
        ("task-epic-001-002", 104, LinkSource.FRONTMATTER),
    ],
)
def test_local_links_from_frontmatter_else_sync_map(key, link, source):
    item = by_key(scan(FIXTURES / "local"))[key]
    assert (item.link, item.link_source) == (link, source)


def test_sync_map_is_returned():
    result = scan(FIXTURES / "local")
    assert dict(result.sync_map) == {"prd-001": 100, "prd-002": 101, "task-epic-001-001": 103}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (123, (123, None)),
        ("123", (123, None)),
        ("#123", (123, None)),
        ("https://github.com/o/r/issues/123", (123, "https://github.com/o/r/issues/123")),
        ("https://ghe.example.com/o/r/issues/9/", (9, "https://ghe.example.com/o/r/issues/9/")),
        ("https://github.com/o/r/pull/5", (None, None)),
        (None, (None, None)),
        (["Will be updated when synced to GitHub"], (None, None)),
        ("[Will be updated when synced to GitHub]", (None, None)),
        ("TBD", (None, None)),
        (0, (None, None)),
        (True, (None, None)),
    ],
)
def test_issue_number_from_link_values(value, expected):
    assert issue_number(value) == expected


def test_both_layouts_side_by_side(mixed):
    result = scan(mixed, workspace=mixed.parent)
    assert result.errors == ()
    assert len(result.items) == 12
    assert {i.layout for i in result.items} == {Layout.LOCAL, Layout.CCPM}


def test_items_sorted_parents_first_then_by_key(mixed):
    items = scan(mixed).items
    order = {Kind.PRD: 0, Kind.EPIC: 1, Kind.TASK: 2}
    assert [(order[i.kind], i.key) for i in items] == sorted((order[i.kind], i.key) for i in items)
    assert items[0].kind is Kind.PRD
    assert items[-1].kind is Kind.TASK


def test_kinds_filter_keeps_parents_resolved(mixed):
    result = scan(mixed, kinds=[Kind.TASK])
    assert {i.kind for i in result.items} == {Kind.TASK}
    assert by_key(result)["epics/payments/001.md"].parent_key == "epics/payments/epic.md"


def test_title_from_first_heading(tmp_path):
    write(tmp_path, "prds/p.md", "---\nstatus: open\n---\n\nintro\n\n# The heading title\n")
    item = scan(tmp_path).items[0]
    assert item.title == "The heading title"


def test_no_frontmatter_uses_heading(tmp_path):
    write(tmp_path, "prds/p.md", "# Plain markdown\n\nNo fields at all.\n")
    item = scan(tmp_path).items[0]
    assert (item.title, item.key, item.has_frontmatter) == ("Plain markdown", "prds/p.md", False)


def errors_of(tmp_path, rel, content, workspace=None):
    write_file(tmp_path, rel, content)
    return scan(tmp_path, workspace=workspace)


@pytest.mark.parametrize(
    ("content", "line", "words"),
    [
        pytest.param("---\nstatus: open\n---\nno heading\n", 1, "no title", id="missing-title"),
        pytest.param("---\ntitle: ''\nname:\n---\n", 1, "no title", id="empty-title-and-name"),
        pytest.param("", 1, "empty file", id="empty-file"),
        pytest.param("\n \n", 1, "empty file", id="blank-file"),
        pytest.param("---\ntitle: [a, b]\n---\n", 2, "`title` is a list", id="title-list"),
        pytest.param("---\ntitle: A\nstatus: {a: 1}\n---\n", 3, "`status` is a mapping", id="st"),
        pytest.param("---\nid: [1]\ntitle: A\n---\n", 2, "`id` is empty", id="id-list"),
        pytest.param("---\ntitle: A\nlabels: [\n---\n", 4, "not valid YAML", id="bad-yaml"),
        pytest.param("---\n- a\n---\n", 2, "is a list", id="yaml-list"),
        pytest.param(b"---\ntitle: caf\xe9\n---\n", 2, "not UTF-8", id="latin1"),
        pytest.param(b"\x00\x01\x02", None, "binary", id="binary"),
        pytest.param(
            "---\ntitle: A\n---\n" + "x" * BODY_LIMIT, 4, "issue body would be", id="long-body"
        ),
        pytest.param("---\ntitle: " + "t" * 251 + "\n---\n", 2, "title would be", id="long-title"),
        pytest.param("intro\n\n# " + "t" * 251 + "\n", 3, "title would be", id="long-heading"),
    ],
)
def test_bad_file_is_one_error_with_path_and_line(tmp_path, content, line, words):
    result = errors_of(tmp_path, "prds/p.md", content)
    assert result.items == ()
    assert len(result.errors) == 1
    error = result.errors[0]
    assert error.path == (tmp_path / "prds/p.md").as_posix()
    assert error.line == line
    assert words in error.message


def test_body_at_the_limit_is_accepted_one_more_character_is_not(tmp_path):
    write(tmp_path, "prds/p.md", "---\ntitle: A\n---\nx")
    (item,) = scan(tmp_path).items
    # the longest marker: typed, and flagged once closed as removed
    room = BODY_LIMIT - len(render(item, {}, typed=True).body) - len(f" {REMOVED}")
    write(tmp_path, "prds/p.md", "---\ntitle: A\n---\n" + "x" * (1 + room))
    assert scan(tmp_path).errors == ()
    write(tmp_path, "prds/p.md", "---\ntitle: A\n---\n" + "x" * (2 + room))
    (error,) = scan(tmp_path).errors
    assert "65,536" in error.message


def test_one_bad_file_does_not_stop_the_others(tmp_path):
    write(tmp_path, "prds/a.md", "---\ntitle: A\n---\n")
    write(tmp_path, "prds/b.md", "---\ntitle: [\n---\n")
    write(tmp_path, "prds/c.md", "---\ntitle: C\n---\n")
    result = scan(tmp_path)
    assert [i.key for i in result.items] == ["prds/a.md", "prds/c.md"]
    assert [e.path.rsplit("/", 1)[1] for e in result.errors] == ["b.md"]


def test_duplicate_ids_are_errors_for_both_items(tmp_path):
    write(tmp_path, "prds/prd-001-a.md", "---\nid: prd-001\ntitle: A\n---\n")
    write(tmp_path, "prds/prd-002-b.md", "---\ntitle: B\nid: prd-001\n---\n")
    result = scan(tmp_path, workspace=tmp_path)
    assert result.items == ()
    assert [(e.path, e.line, e.key) for e in result.errors] == [
        ("prds/prd-001-a.md", 2, "prd-001"),
        ("prds/prd-002-b.md", 3, "prd-001"),
    ]
    assert "prds/prd-002-b.md" in result.errors[0].message


def test_error_paths_are_relative_to_the_workspace(tmp_path):
    base = tmp_path / ".claude"
    write(base, "prds/p.md", "---\nstatus: open\n---\n")
    assert scan(base, workspace=tmp_path).errors[0].path == ".claude/prds/p.md"


def test_symlinked_file_leaving_the_workspace_is_not_followed(tmp_path):
    outside = write(tmp_path, "outside/secret.md", "---\ntitle: Secret\n---\n")
    base = tmp_path / "repo" / ".claude"
    (base / "prds").mkdir(parents=True)
    (base / "prds" / "s.md").symlink_to(outside)
    result = scan(base, workspace=tmp_path / "repo")
    assert result.items == ()
    assert [(e.path, e.line) for e in result.errors] == [(".claude/prds/s.md", None)]
    assert "symlink" in result.errors[0].message


def test_symlinked_epic_folder_leaving_the_workspace_is_not_followed(tmp_path):
    write(tmp_path, "outside/e/epic.md", "---\nname: e\n---\n")
    base = tmp_path / "repo"
    (base / "epics").mkdir(parents=True)
    (base / "epics" / "e").symlink_to(tmp_path / "outside" / "e")
    result = scan(base, workspace=base)
    assert result.items == ()
    assert [e.path for e in result.errors] == ["epics/e"]


def test_symlink_inside_the_workspace_is_followed(tmp_path):
    target = write(tmp_path, "docs/p.md", "---\ntitle: Shared\n---\n")
    (tmp_path / "prds").mkdir()
    (tmp_path / "prds" / "p.md").symlink_to(target)
    result = scan(tmp_path, workspace=tmp_path)
    assert [i.title for i in result.items] == ["Shared"]


def test_missing_base_folder_is_one_error(tmp_path):
    result = scan(tmp_path / "nope", workspace=tmp_path)
    assert [(e.path, e.line) for e in result.errors] == [("nope", None)]


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        pytest.param('{"prd-001": 1,\n "x": }', 2, "not valid JSON", id="bad-json"),
        pytest.param("[1, 2]", 1, "must be an object", id="list"),
        pytest.param(b'{"a": "caf\xe9"}', 1, "not UTF-8", id="latin1"),
    ],
)
def test_bad_sync_map_is_one_error_and_items_still_scan(tmp_path, text, line, words):
    write(tmp_path, "prds/prd-001-a.md", "---\nid: prd-001\ntitle: A\n---\n")
    path = tmp_path / "sync-map.json"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    result = scan(tmp_path, workspace=tmp_path)
    assert [i.key for i in result.items] == ["prd-001"]
    assert [(e.path, e.line) for e in result.errors] == [("sync-map.json", line)]
    assert words in result.errors[0].message


def test_sync_map_bad_entries_reported_once_and_good_ones_kept(tmp_path):
    (tmp_path / "sync-map.json").write_text('{"a": 1, "b": "soon", "c": null, "d": "#4"}')
    result = scan(tmp_path)
    assert dict(result.sync_map) == {"a": 1, "d": 4}
    assert len(result.errors) == 1
    assert "'b', 'c'" in result.errors[0].message


def test_sync_map_grouped_form_is_read(tmp_path):
    (tmp_path / "sync-map.json").write_text(
        '{"prd-to-issue": {"prd-001": 5}, "task-to-issue": {"t-1": 6}, '
        '"metadata": {"lastSync": "2025-01-01"}}'
    )
    result = scan(tmp_path)
    assert result.errors == ()
    assert dict(result.sync_map) == {"prd-001": 5, "t-1": 6}


def test_archived_epics_are_parsed_apart_and_non_task_files_skipped(tmp_path):
    write(tmp_path, "prds/old.md", "---\nname: old\n---\n")
    write(tmp_path, "epics/archived/old/epic.md", "---\nname: old\nprd: prds/old.md\n---\n")
    write(
        tmp_path, "epics/archived/old/001.md", "---\nname: t\ngithub: https://x/o/r/issues/9\n---\n"
    )
    write(tmp_path, "epics/.archived/older/epic.md", "---\nname: older\n---\n")
    write(tmp_path, "epics/.archived/older/002.md", "---\n[\n")  # broken, archived: no error
    write(tmp_path, "epics/e/epic.md", "---\nname: e\n---\n")
    write(tmp_path, "epics/e/notes.md", "not valid: [\n")
    write(tmp_path, "epics/e/002-analysis.md", "---\n[\n")
    write(tmp_path, "prds/readme.txt", "x")
    result = scan(tmp_path)
    assert result.errors == ()
    assert [i.key for i in result.items] == ["prds/old.md", "epics/e/epic.md"]
    archived = {i.key: i for i in result.archived}
    assert list(archived) == [
        "epics/.archived/older/epic.md",
        "epics/archived/old/epic.md",
        "epics/archived/old/001.md",
    ]
    assert archived["epics/archived/old/epic.md"].parent_key == "prds/old.md"
    assert archived["epics/archived/old/001.md"].parent_key == "epics/archived/old/epic.md"
    assert archived["epics/archived/old/001.md"].link == 9


def test_archived_item_never_clashes_with_a_live_key(tmp_path):
    text = "---\nid: epic-001\ntitle: E\n---\n"
    write(tmp_path, "epics/epic-001-a/epic.md", text)
    write(tmp_path, "epics/archived/epic-001-a/epic.md", text)
    result = scan(tmp_path)
    assert result.errors == ()
    assert [i.key for i in result.items] == [i.key for i in result.archived] == ["epic-001"]


def test_unreadable_folder_is_recorded_not_swallowed(tmp_path, monkeypatch):
    write(tmp_path, "prds/a.md", "---\ntitle: A\n---\n")
    write(tmp_path, "epics/locked/epic.md", "---\nname: e\n---\n")
    real = os.scandir
    locked = tmp_path / "epics" / "locked"

    def scandir(path):
        if Path(path) == locked:  # the container runs as root: chmod 000 would not stop it
            raise PermissionError(13, "Permission denied")
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    result = scan(tmp_path, workspace=tmp_path)
    assert [i.key for i in result.items] == ["prds/a.md"]
    assert [(e.path, e.line) for e in result.unreadable] == [("epics/locked", None)]
    assert "Permission denied" in result.unreadable[0].message
    assert result.errors == result.unreadable


def test_unreadable_file_is_recorded_whatever_kinds_are_wanted(tmp_path, monkeypatch):
    write(tmp_path, "prds/a.md", "---\ntitle: A\n---\n")
    write(tmp_path, "epics/e/epic.md", "---\nname: e\n---\n")
    real = open

    def fake_open(path, *args, **kwargs):
        if str(path).endswith("epic.md"):
            raise OSError(5, "Input/output error")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(items, "open", fake_open, raising=False)
    result = scan(tmp_path, kinds=[Kind.PRD])
    assert [e.path for e in result.unreadable] == [f"{tmp_path.as_posix()}/epics/e/epic.md"]
    assert "Input/output error" in result.unreadable[0].message
    assert result.unreadable[0] in result.errors


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_folder_by_its_mode(tmp_path):
    write(tmp_path, "epics/locked/epic.md", "---\nname: e\n---\n")
    (tmp_path / "epics" / "locked").chmod(0)
    try:
        result = scan(tmp_path, workspace=tmp_path)
    finally:
        (tmp_path / "epics" / "locked").chmod(0o755)
    assert [e.path for e in result.unreadable] == ["epics/locked"]


def test_local_task_without_epic_id_takes_its_folders_epic(tmp_path):
    write(tmp_path, "epics/epic-007-x/epic.md", "---\nid: epic-007\ntitle: X\n---\n")
    write(tmp_path, "epics/epic-007-x/task-001.md", "---\nid: t-1\ntitle: T\n---\n")
    assert by_key(scan(tmp_path))["t-1"].parent_key == "epic-007"


def test_layout_follows_the_file_not_the_folder(tmp_path):
    write(tmp_path, "prds/prd-003-x.md", "---\ntitle: X\n---\n")
    write(tmp_path, "prds/y.md", "---\nid: prd-004\ntitle: Y\n---\n")
    items = by_key(scan(tmp_path))
    assert items["prds/prd-003-x.md"].layout is Layout.LOCAL
    assert items["prd-004"].layout is Layout.LOCAL


def test_sample_tree_scans_clean():
    sample = Path(__file__).parents[2] / "src" / "batchsync" / "sample_tree"
    result = scan(sample)
    assert result.errors == ()
    assert 12 <= len(result.items) <= 15
    assert {i.layout for i in result.items} == {Layout.LOCAL, Layout.CCPM}
    assert {i.kind for i in result.items} == set(Kind)


def test_symlink_loop_is_reported_not_followed(tmp_path):
    (tmp_path / "prds").mkdir()
    (tmp_path / "prds" / "a.md").symlink_to(tmp_path / "prds" / "b.md")
    (tmp_path / "prds" / "b.md").symlink_to(tmp_path / "prds" / "a.md")
    write(tmp_path, "prds/c.md", "---\ntitle: C\n---\n")
    result = scan(tmp_path, workspace=tmp_path)
    assert [i.key for i in result.items] == ["prds/c.md"]
    assert [e.path for e in result.errors] == ["prds/a.md", "prds/b.md"]


def test_dependencies_as_comma_text_and_odd_entries(tmp_path):
    write(tmp_path, "prds/prd-001-a.md", "---\nid: prd-001\ntitle: A\n---\n")
    write(
        tmp_path, "prds/prd-002-b.md", "---\nid: prd-002\ntitle: B\ndependencies: prd-001, x\n---\n"
    )
    write(
        tmp_path,
        "prds/prd-003-c.md",
        "---\nid: prd-003\ntitle: C\ndependencies:\n  - {a: 1}\n  - prd-001\n---\n",
    )
    items = by_key(scan(tmp_path))
    assert items["prd-002"].dependencies == ("prd-001", "x")
    assert items["prd-003"].dependencies == ("prd-001",)


# --- numbers from outside are bounded before int() ---------------------------------------------

HUGE = "9" * 5_000


@pytest.mark.parametrize(
    ("rel", "text", "line", "field"),
    [
        (
            "prds/a.md",
            f"---\nname: A\ngithub: https://github.com/o/r/issues/{HUGE}\n---\n",
            3,
            "github",
        ),
        (
            "prds/a.md",
            f'---\nid: prd-1\ntitle: A\ngithub_issue: "#{HUGE}"\n---\n',
            4,
            "github_issue",
        ),
        ("prds/a.md", f"---\nid: prd-1\ntitle: A\ngithub_issue: {HUGE}\n---\n", 4, "github_issue"),
        ("prds/a.md", f"---\nid: prd-1\ntitle: A\ngithub_issue: {2**31}\n---\n", 4, "github_issue"),
        ("epics/e/001.md", f"---\nname: T\ndepends_on: [1, '#{HUGE}']\n---\n", 3, "depends_on"),
        ("epics/e/001.md", f"---\nname: T\ndependencies: {2**31}\n---\n", 3, "dependencies"),
    ],
)
def test_out_of_range_issue_number_is_an_item_error_with_its_line(tmp_path, rel, text, line, field):
    write(tmp_path, rel, text)
    write(tmp_path, "prds/ok.md", "---\nname: fine\ngithub: https://github.com/o/r/issues/7\n---\n")
    result = scan(tmp_path, workspace=tmp_path)
    (error,) = result.errors
    assert (error.path, error.line) == (rel, line)
    assert f"`{field}` names issue" in error.message
    assert "out of range" in error.message
    assert len(error.message) < 300  # the 5,000 digits are not echoed
    assert [i.link for i in result.items] == [7]


def test_out_of_range_sync_map_value_is_one_error_with_its_line(tmp_path):
    (tmp_path / "sync-map.json").write_text(
        '{\n  "prd-001": 5,\n  "prd-002": ' + HUGE + ',\n  "prd-003": "#' + HUGE + '"\n}\n'
    )
    result = scan(tmp_path, workspace=tmp_path)
    (error,) = result.errors
    assert (error.path, error.line) == ("sync-map.json", 3)
    assert "'prd-002' names issue" in error.message
    assert "1 more" in error.message
    assert dict(result.sync_map) == {"prd-001": 5}


@pytest.mark.parametrize(
    ("digits", "expected"),
    [("1", 1), ("007", 7), ("0", 0), (str(2**31 - 1), 2**31 - 1), ("0" * 5000 + "12", 12)],
)
def test_bounded_number_reads_what_fits(digits, expected):
    assert bounded_number(digits) == expected


@pytest.mark.parametrize("digits", [str(2**31), HUGE, "1" * 11])
def test_bounded_number_refuses_more_than_fits(digits):
    with pytest.raises(NumberOutOfRange, match="out of range"):
        bounded_number(digits)


@pytest.mark.parametrize("digits", ["", "-1", "1_000", "١٢", "²", " 1", "0x10"])
def test_bounded_number_refuses_anything_but_ascii_digits(digits):
    with pytest.raises(ValueError, match="not a number"):
        bounded_number(digits)


def test_issue_number_takes_only_ascii_digits():
    assert issue_number("https://github.com/o/r/issues/١٢") == (None, None)
    assert issue_number("#²") == (None, None)


def test_hex_number_too_long_for_text_is_kept_as_text(tmp_path):
    # str() of a 5,000-digit int raises: YAML's hex form must never become one.
    huge = "0x" + "f" * 5000
    write(tmp_path, "prds/a.md", f"---\nname: A\nestimated_hours: {huge}\ngithub: {huge}\n---\n")
    write(tmp_path, "prds/b.md", f"---\nname: {'0x' + 'f' * 200}\n---\n")
    a, b = scan(tmp_path).items
    assert (a.estimated_hours, a.link) == (None, None)
    assert b.title == "0x" + "f" * 200


def parents_tree(base: Path) -> None:
    write(base, "prds/prd-001-a.md", "---\nid: prd-001\ntitle: A\n---\n")
    write(base, "prds/prd-002-b.md", "---\nid: prd-002\ntitle: [\n---\n")  # broken
    write(base, "epics/e1/epic.md", "---\nid: epic-001\ntitle: E1\nprd_id: prd-999\n---\n")
    write(base, "epics/e2/epic.md", "---\nid: epic-002\ntitle: E2\nprd_id: prd-002\n---\n")
    write(base, "epics/e3/epic.md", "---\nid: epic-003\ntitle: E3\nprd_id: prd-001\n---\n")
    write(base, "epics/e3/task-1.md", "---\nid: task-1\ntitle: T1\nepic_id: epic-404\n---\n")
    write(base, "epics/e3/task-2.md", "---\nid: task-2\ntitle: T2\nepic_id: epic-003\n---\n")


def test_a_local_parent_that_is_missing_or_failed_is_a_warning_naming_the_field(tmp_path):
    parents_tree(tmp_path)
    result = scan(tmp_path)
    warned = {(w.path.rsplit("/", 2)[-2], w.line): w.message for w in result.warnings}
    assert warned == {
        ("e1", 4): "`prd_id` names 'prd-999', which is no work item of this run (not in the "
        "tree, or its file has an error): synced without a parent link",
        ("e2", 4): "`prd_id` names 'prd-002', which is no work item of this run (not in the "
        "tree, or its file has an error): synced without a parent link",
        ("e3", 4): "`epic_id` names 'epic-404', which is no work item of this run (not in the "
        "tree, or its file has an error): synced without a parent link",
    }
    # the items are still synced, each with the parent its file names
    assert by_key(result)["epic-001"].parent_key == "prd-999"


def test_a_parent_left_out_by_the_type_is_no_missing_parent(tmp_path):
    parents_tree(tmp_path)
    result = scan(tmp_path, kinds=[Kind.TASK])
    assert [w.message.split(" names ")[1].split(",")[0] for w in result.warnings] == ["'epic-404'"]


def test_a_folder_without_prds_or_epics_is_a_warning_naming_it(tmp_path):
    write(tmp_path, "repo/notes/readme.md", "# hello\n")
    result = scan(tmp_path / "repo" / "notes", workspace=tmp_path / "repo")
    assert [(w.path, w.line) for w in result.warnings] == [("notes", None)]
    assert "holds neither prds/ nor epics/" in result.warnings[0].message
    write(tmp_path, "repo/notes/epics/.keep", "")
    assert scan(tmp_path / "repo" / "notes", workspace=tmp_path / "repo").warnings == ()
