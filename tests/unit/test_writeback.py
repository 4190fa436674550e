"""Write-back of issue links into files and the sync map."""

from __future__ import annotations

import json
import os
import re
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from batchsync.errors import ItemError
from batchsync.frontmatter import decode, parse_document
from batchsync.items import Kind, Layout, LinkSource, WorkItem
from batchsync.writeback import WriteBack, atomic_write, set_link_field

LOCAL_TEXT = (
    "---\n"
    "id: task-001\n"
    "title: Parser   # keep this comment\n"
    "github_issue: null\n"
    "dependencies: [task-002]\n"
    "---\n"
    "\n"
    "# Body stays   \n"
    "trailing spaces and all\n"
)


def local_item(path: str = "epics/e/task-001.md", **kw: object) -> WorkItem:
    fields: dict[str, object] = {
        "kind": Kind.TASK,
        "key": "task-001",
        "title": "Parser",
        "path": path,
        "layout": Layout.LOCAL,
    }
    fields.update(kw)
    return WorkItem(**fields)  # type: ignore[arg-type]


def test_set_link_field_replaces_only_the_link_line() -> None:
    updated = set_link_field(LOCAL_TEXT, "github_issue", "42")
    assert updated == LOCAL_TEXT.replace("github_issue: null", "github_issue: 42")


# set_link_field on one text: (text, field, value, the text it returns).
SET_LINK_FIELD = [
    pytest.param(
        "---\nname: x\n---\nbody\n",
        "github",
        "https://h/o/r/issues/3",
        "---\nname: x\ngithub: https://h/o/r/issues/3\n---\nbody\n",
        id="adds-a-missing-field-at-the-end-of-the-frontmatter",
    ),
    pytest.param(
        "---\r\nname: x\r\ngithub: [Will be updated when synced to GitHub]\r\n---\r\nb\r\n",
        "github",
        "u",
        "---\r\nname: x\r\ngithub: u\r\n---\r\nb\r\n",
        id="keeps-crlf-line-endings",
    ),
    pytest.param(
        "---\rname: x\rgithub: old\r---\rbody\r",
        "github",
        "u",
        "---\rname: x\rgithub: u\r---\rbody\r",
        id="keeps-cr-only-line-endings",
    ),
    pytest.param(
        "---\rname: x\r---\r",
        "github",
        "u",
        "---\rname: x\rgithub: u\r---\r",
        id="adds-a-field-with-cr-only-line-endings",
    ),
    pytest.param(
        "# T\r", "github", "u", "---\rgithub: u\r---\r# T\r", id="adds-a-cr-only-frontmatter"
    ),
    pytest.param(
        "---\ngithub:\n  url: old\n  n: 1\nname: x\n---\n",
        "github",
        "u",
        "---\ngithub: u\nname: x\n---\n",
        id="replaces-an-indented-multiline-value",
    ),
    pytest.param(
        "---\ngithub:\n- a\n- b\nname: x\n---\n",
        "github",
        "u",
        "---\ngithub: u\nname: x\n---\n",
        id="replaces-a-list-written-at-the-keys-indentation",
    ),
    # YAML reads `github: old`, a blank line and `  more` as one value: all of it goes.
    pytest.param(
        "---\ngithub: old\n\n  more\nname: x\n\n---\n",
        "github",
        "u",
        "---\ngithub: u\nname: x\n\n---\n",
        id="replaces-a-value-folded-across-a-blank-line",
    ),
    pytest.param(
        "---\nmeta:\n  github: nested\n---\n",
        "github",
        "u",
        "---\nmeta:\n  github: nested\ngithub: u\n---\n",
        id="does-not-touch-a-nested-field-of-the-same-name",
    ),
    pytest.param(
        "---\ngithub: a\nname: x\ngithub: b\n---\n",
        "github",
        "u",
        "---\ngithub: u\nname: x\ngithub: u\n---\n",
        id="sets-every-copy-of-a-repeated-field",
    ),
    pytest.param(
        "\ufeff---\nid: a\n---\n",
        "github_issue",
        "5",
        "\ufeff---\nid: a\ngithub_issue: 5\n---\n",
        id="keeps-a-byte-order-mark",
    ),
    pytest.param(
        "# Title\n",
        "github",
        "u",
        "---\ngithub: u\n---\n# Title\n",
        id="gives-a-file-without-frontmatter-one",
    ),
    pytest.param(
        "---\nname: x\n...\nbody\n---\nnot frontmatter: here\n",
        "github",
        "u",
        "---\nname: x\ngithub: u\n...\nbody\n---\nnot frontmatter: here\n",
        id="ends-the-block-at-a-dots-line-as-the-scanner-does",
    ),
    # U+2028 and form feed are not line breaks to the scanner: not to write-back either.
    pytest.param(
        "---\nname: a\u2028b\x0cc\n---\nbody\n",
        "github",
        "u",
        "---\nname: a\u2028b\x0cc\ngithub: u\n---\nbody\n",
        id="splits-lines-only-where-the-scanner-does",
    ),
]


@pytest.mark.parametrize(("text", "field", "value", "expected"), SET_LINK_FIELD)
def test_set_link_field(text: str, field: str, value: str, expected: str) -> None:
    assert set_link_field(text, field, value) == expected


def test_set_link_field_refuses_an_unclosed_frontmatter() -> None:
    with pytest.raises(ItemError, match="never closed"):
        set_link_field("---\nid: a\n", "github", "u")


def test_atomic_write_replaces_content_and_keeps_the_mode(tmp_path: Path) -> None:
    target = tmp_path / "f.md"
    target.write_text("old")
    target.chmod(0o640)
    atomic_write(target, b"new")
    assert target.read_bytes() == b"new"
    assert target.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["f.md"]


def test_atomic_write_removes_temporary_files_left_by_a_killed_run(tmp_path: Path) -> None:
    target = tmp_path / "f.md"
    target.write_text("old")
    (tmp_path / ".f.md.abc123.tmp").write_text("half")
    (tmp_path / ".other.md.abc123.tmp").write_text("not ours to judge")
    atomic_write(target, b"new")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.md.abc123.tmp", "f.md"]


def test_atomic_write_leaves_the_old_file_when_the_rename_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "f.md"
    target.write_text("old")

    def broken_replace(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        atomic_write(target, b"new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.md"]


def make_local_tree(tmp_path: Path) -> Path:
    file = tmp_path / "epics" / "e" / "task-001.md"
    file.parent.mkdir(parents=True)
    file.write_text(LOCAL_TEXT)
    return file


def test_record_local_item_writes_frontmatter_and_sync_map(tmp_path: Path) -> None:
    file = make_local_tree(tmp_path)
    (tmp_path / "sync-map.json").write_text('{"prd-001": 100}')
    writer = WriteBack(tmp_path, {"prd-001": 100})
    assert writer.record(local_item(), 42, "https://github.com/o/r/issues/42")
    assert file.read_text() == LOCAL_TEXT.replace("github_issue: null", "github_issue: 42")
    assert json.loads((tmp_path / "sync-map.json").read_text()) == {"prd-001": 100, "task-001": 42}


def test_record_creates_the_sync_map_when_missing(tmp_path: Path) -> None:
    make_local_tree(tmp_path)
    WriteBack(tmp_path, {}).record(local_item(), 7, "u")
    assert json.loads((tmp_path / "sync-map.json").read_text()) == {"task-001": 7}


def test_record_is_a_no_op_when_links_are_current(tmp_path: Path) -> None:
    file = make_local_tree(tmp_path)
    (tmp_path / "sync-map.json").write_text('{"task-001": 42}')
    before = file.stat().st_mtime_ns
    item = local_item(link=42, link_source=LinkSource.FRONTMATTER)
    assert not WriteBack(tmp_path, {"task-001": 42}).record(item, 42, "u")
    assert file.stat().st_mtime_ns == before


def test_record_ccpm_item_writes_the_url_and_no_sync_map(tmp_path: Path) -> None:
    file = tmp_path / "epics" / "auth" / "001.md"
    file.parent.mkdir(parents=True)
    file.write_text("---\nname: Login\ngithub: [Will be updated when synced to GitHub]\n---\nx\n")
    item = local_item(path="epics/auth/001.md", key="epics/auth/001.md", layout=Layout.CCPM)
    WriteBack(tmp_path, {}).record(item, 9, "https://github.com/o/r/issues/9")
    assert file.read_text() == "---\nname: Login\ngithub: https://github.com/o/r/issues/9\n---\nx\n"
    assert not (tmp_path / "sync-map.json").exists()


def test_record_keeps_sync_map_entries_written_since_the_scan(tmp_path: Path) -> None:
    make_local_tree(tmp_path)
    writer = WriteBack(tmp_path, {})
    (tmp_path / "sync-map.json").write_text('{"other": 1}')
    writer.record(local_item(), 2, "u")
    assert json.loads((tmp_path / "sync-map.json").read_text()) == {"other": 1, "task-001": 2}


def test_record_refuses_to_overwrite_a_broken_sync_map(tmp_path: Path) -> None:
    make_local_tree(tmp_path)
    (tmp_path / "sync-map.json").write_text("{not json")
    with pytest.raises(ItemError, match=r"sync-map\.json"):
        WriteBack(tmp_path, {}, workspace=tmp_path).record(local_item(), 2, "u")
    assert (tmp_path / "sync-map.json").read_text() == "{not json"


def test_record_names_the_file_relative_to_the_workspace_on_failure(tmp_path: Path) -> None:
    base = tmp_path / ".claude"
    base.mkdir()
    with pytest.raises(ItemError) as caught:
        WriteBack(base, {}, workspace=tmp_path).record(local_item(), 2, "u")
    assert caught.value.path == ".claude/epics/e/task-001.md"
    assert "#2" in caught.value.message


def test_concurrent_records_keep_every_sync_map_entry(tmp_path: Path) -> None:
    items = []
    for n in range(20):
        file = tmp_path / f"t{n}.md"
        file.write_text(f"---\nid: t{n}\n---\n")
        items.append(local_item(path=f"t{n}.md", key=f"t{n}"))
    writer = WriteBack(tmp_path, {})
    threads = [
        threading.Thread(target=writer.record, args=(item, n, "u")) for n, item in enumerate(items)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert json.loads((tmp_path / "sync-map.json").read_text()) == {f"t{n}": n for n in range(20)}


def test_record_puts_a_link_known_only_from_the_sync_map_into_the_file(tmp_path: Path) -> None:
    file = make_local_tree(tmp_path)
    (tmp_path / "sync-map.json").write_text('{"task-001": 42}')
    item = local_item(link=42, link_source=LinkSource.SYNC_MAP)
    assert WriteBack(tmp_path, {"task-001": 42}).record(item, 42, "u")
    assert "github_issue: 42\n" in file.read_text()
    assert json.loads((tmp_path / "sync-map.json").read_text()) == {"task-001": 42}


def test_record_replaces_a_stale_link(tmp_path: Path) -> None:
    file = make_local_tree(tmp_path)
    file.write_text(LOCAL_TEXT.replace("github_issue: null", "github_issue: 7"))
    item = local_item(link=7, link_source=LinkSource.FRONTMATTER)
    assert WriteBack(tmp_path, {}).record(item, 42, "u")
    assert "github_issue: 42\n" in file.read_text()


# --- one frontmatter rule, reading and writing --------------------------------------------------


_LINES = ["---", "--- ", "...", "----", "name: x", "github: old", "  more", "", "# h", "text"]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(_LINES), max_size=9),
    st.sampled_from(["\n", "\r\n", "\r"]),
    st.booleans(),
)
def test_what_write_back_writes_the_scanner_reads(
    lines: list[str], newline: str, bom: bool
) -> None:
    text = ("\ufeff" if bom else "") + newline.join(lines) + (newline if lines else "")
    try:
        before = parse_document(decode(text.encode(), "x.md"), "x.md")
    except ItemError:
        return  # unclosed or not YAML: the item fails at scan, write-back never runs
    updated = set_link_field(text, "github", "https://h/o/r/issues/5")
    after = parse_document(decode(updated.encode(), "x.md"), "x.md")
    assert after.fields["github"] == "https://h/o/r/issues/5"
    assert after.body == before.body
    assert {k: v for k, v in after.fields.items() if k != "github"} == {
        k: v for k, v in before.fields.items() if k != "github"
    }
    assert updated.startswith("\ufeff") == bom
    if lines:
        assert set(re.findall(r"\r\n|\r|\n", updated)) == {newline}


def test_record_reads_and_writes_a_sync_map_with_a_bom_and_crlf(tmp_path: Path) -> None:
    make_local_tree(tmp_path)
    (tmp_path / "sync-map.json").write_bytes(b'\xef\xbb\xbf{\r\n  "prd-001": 100\r\n}\r\n')
    WriteBack(tmp_path, {"prd-001": 100}).record(local_item(), 42, "u")
    data = (tmp_path / "sync-map.json").read_bytes()
    assert data == b'\xef\xbb\xbf{\r\n  "prd-001": 100,\r\n  "task-001": 42\r\n}\r\n'


def test_record_writes_through_a_symlink_inside_the_workspace(tmp_path: Path) -> None:
    real = tmp_path / "shared" / "task.md"
    real.parent.mkdir()
    real.write_text(LOCAL_TEXT)
    link = tmp_path / "epics" / "e" / "task-001.md"
    link.parent.mkdir(parents=True)
    link.symlink_to(real)
    (tmp_path / "sync-map.json").symlink_to(tmp_path / "shared" / "map.json")
    WriteBack(tmp_path, {}, workspace=tmp_path).record(local_item(), 42, "u")
    assert link.is_symlink()
    assert real.read_text() == LOCAL_TEXT.replace("github_issue: null", "github_issue: 42")
    assert (tmp_path / "sync-map.json").is_symlink()
    assert json.loads((tmp_path / "shared" / "map.json").read_text()) == {"task-001": 42}


@pytest.mark.parametrize("what", ["file", "sync map"])
def test_record_refuses_a_symlink_leading_out_of_the_workspace(tmp_path: Path, what: str) -> None:
    workspace = tmp_path / "ws"
    outside = tmp_path / "outside.txt"
    outside.write_text(LOCAL_TEXT)
    file = make_local_tree(workspace)
    if what == "file":
        file.unlink()
        file.symlink_to(outside)
    else:
        (workspace / "sync-map.json").symlink_to(outside)
    with pytest.raises(ItemError, match="outside the workspace") as caught:
        WriteBack(workspace, {}, workspace=workspace).record(local_item(), 42, "u")
    expected = "epics/e/task-001.md" if what == "file" else "sync-map.json"
    assert caught.value.path == expected
    assert outside.read_text() == LOCAL_TEXT


def test_record_refuses_a_symlink_to_a_device(tmp_path: Path) -> None:
    make_local_tree(tmp_path)
    (tmp_path / "sync-map.json").symlink_to("/dev/zero")
    with pytest.raises(ItemError, match="outside the workspace"):
        WriteBack(tmp_path, {}, workspace=tmp_path).record(local_item(), 42, "u")


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give files to another user")
def test_record_keeps_mode_owner_and_group_and_new_files_take_the_folders(tmp_path: Path) -> None:
    # A container action runs as root on a checkout owned by the runner's user.
    file = make_local_tree(tmp_path)
    os.chown(tmp_path, 1000, 1001)
    os.chown(file, 1002, 1003)
    file.chmod(0o640)
    WriteBack(tmp_path, {}, workspace=tmp_path).record(local_item(), 42, "u")
    changed = file.stat()
    assert "github_issue: 42" in file.read_text()
    assert (changed.st_uid, changed.st_gid, changed.st_mode & 0o7777) == (1002, 1003, 0o640)
    created = (tmp_path / "sync-map.json").stat()
    assert (created.st_uid, created.st_gid, created.st_mode & 0o777) == (1000, 1001, 0o644)


def test_record_leaves_a_file_alone_when_its_owner_cannot_be_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = make_local_tree(tmp_path)
    real_stat = os.stat

    def other_owner(path: object, *args: object, **kwargs: object) -> os.stat_result:
        st = real_stat(path, *args, **kwargs)  # type: ignore[arg-type]
        if Path(str(path)) == file:  # the file belongs to someone else
            return os.stat_result((st.st_mode, 0, 0, 1, st.st_uid + 1, st.st_gid, *st[6:]))
        return st

    def refused(*args: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "stat", other_owner)
    monkeypatch.setattr(os, "chown", refused)
    with pytest.raises(ItemError, match="cannot keep the file's owner"):
        WriteBack(tmp_path, {}, workspace=tmp_path).record(local_item(), 42, "u")
    monkeypatch.undo()
    assert file.read_text() == LOCAL_TEXT
    assert [p.name for p in file.parent.iterdir()] == ["task-001.md"]


def test_record_keeps_an_issue_url_in_a_local_link_field(tmp_path: Path) -> None:
    file = make_local_tree(tmp_path)
    file.write_text(
        LOCAL_TEXT.replace("github_issue: null", "github_issue: https://h/o/r/issues/7")
    )
    item = local_item(link=7, link_source=LinkSource.FRONTMATTER, link_url="https://h/o/r/issues/7")
    assert WriteBack(tmp_path, {}).record(item, 42, "https://h/o/r/issues/42")
    assert "github_issue: https://h/o/r/issues/42\n" in file.read_text()


def test_record_leaves_a_file_it_cannot_edit_safely_as_it_was(tmp_path: Path) -> None:
    # An indented frontmatter block reads fine, but a line added at the margin would break it.
    file = tmp_path / "epics" / "e" / "001.md"
    file.parent.mkdir(parents=True)
    file.write_text("---\n  name: x\n---\nbody\n")
    item = local_item(path="epics/e/001.md", key="epics/e/001.md", layout=Layout.CCPM)
    with pytest.raises(ItemError, match="laid out in a way write-back cannot edit"):
        WriteBack(tmp_path, {}).record(item, 9, "https://h/o/r/issues/9")
    assert file.read_text() == "---\n  name: x\n---\nbody\n"
