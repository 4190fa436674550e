"""Rendering work items as issues, and the hidden marker."""

from __future__ import annotations

import dataclasses
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from batchsync.errors import ItemError
from batchsync.items import Kind, Layout, WorkItem
from batchsync.marker import REMOVED, remark
from batchsync.render import (
    BODY_LIMIT,
    LABEL_LIMIT,
    LABELS_LIMIT,
    TITLE_LIMIT,
    Marker,
    check_limits,
    close_comment,
    format_marker,
    is_managed_label,
    marked_typed,
    parse_marker,
    render,
    restate,
    strip_marker,
    written_blockers,
    written_status,
)


def make_item(**changes: object) -> WorkItem:
    base = WorkItem(
        kind=Kind.TASK,
        key="task-001",
        title="Write the parser",
        path="epics/epic-001-core/task-001.md",
        layout=Layout.LOCAL,
        body="## Goal\n\nParse things.\n",
        status="open",
        priority="High",
        parent_key="epic-001",
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_title_carries_the_kind_prefix() -> None:
    assert render(make_item(), {}).title == "[TASK] Write the parser"
    assert render(make_item(kind=Kind.PRD), {}).title == "[PRD] Write the parser"


def test_title_is_folded_to_one_line() -> None:
    assert render(make_item(title="Two\nlines  here"), {}).title == "[TASK] Two lines here"


def test_labels_are_kind_priority_then_frontmatter_labels() -> None:
    rendered = render(make_item(labels=("backend", "Task", "backend")), {})
    assert rendered.labels == ("task", "priority:high", "backend")


def test_labels_without_priority_are_kind_and_frontmatter_labels() -> None:
    assert render(make_item(priority=None, labels=("ui",)), {}).labels == ("task", "ui")


def test_parent_line_uses_the_issue_number_when_known() -> None:
    assert "- **Parent:** #12" in render(make_item(), {"epic-001": 12}).body


def test_parent_line_names_the_key_while_the_parent_has_no_issue() -> None:
    assert "- **Parent:** `epic-001`" in render(make_item(), {}).body


def test_dependencies_are_issue_numbers_where_known() -> None:
    item = make_item(dependencies=("task-002", "#7", "task-003"))
    body = render(item, {"task-002": 20}).body
    assert "- **Dependencies:** #20, #7, `task-003`" in body


def test_metadata_lines_come_before_the_rule_and_the_markdown_body() -> None:
    body = render(make_item(estimated_hours=8.0), {"epic-001": 3}).body
    meta, rest = body.split("\n\n---\n\n", 1)
    assert meta.splitlines() == [
        "- **Status:** open",
        "- **Priority:** High",
        "- **Parent:** #3",
        "- **Estimated hours:** 8",
    ]
    assert rest.startswith("## Goal\n\nParse things.\n\n<!-- batchsync ")


def test_fractional_hours_are_kept() -> None:
    assert "- **Estimated hours:** 2.5" in render(make_item(estimated_hours=2.5), {}).body


def test_marker_is_the_last_line_and_names_key_and_hash() -> None:
    rendered = render(make_item(), {})
    last = rendered.body.splitlines()[-1]
    assert last == format_marker("task-001", rendered.content_hash)
    assert parse_marker(rendered.body) == parse_marker(last)
    marker = parse_marker(rendered.body)
    assert marker is not None
    assert (marker.key, marker.content_hash) == ("task-001", rendered.content_hash)


def test_rendering_is_deterministic() -> None:
    assert render(make_item(), {"epic-001": 4}) == render(make_item(), {"epic-001": 4})


@pytest.mark.parametrize(
    "change",
    [
        {"title": "Another title"},
        {"body": "Other text"},
        {"labels": ("extra",)},
        {"status": "done"},
        {"priority": "low"},
    ],
)
def test_hash_changes_with_title_body_labels_and_state(change: dict[str, object]) -> None:
    assert render(make_item(), {}).content_hash != render(make_item(**change), {}).content_hash


def test_hash_changes_when_the_parent_gets_its_number() -> None:
    assert render(make_item(), {}).content_hash != render(make_item(), {"epic-001": 9}).content_hash


def test_hash_ignores_label_order_and_case() -> None:
    one = render(make_item(labels=("a", "B")), {})
    two = render(make_item(labels=("b", "A")), {})
    assert one.content_hash == two.content_hash


@pytest.mark.parametrize("status", ["completed", "Complete", "closed", "DONE", " done "])
def test_closed_like_status_closes_the_issue(status: str) -> None:
    rendered = render(make_item(status=status), {})
    assert (rendered.state, rendered.state_reason) == ("closed", "completed")


@pytest.mark.parametrize("status", ["open", "in-progress", "blocked", None])
def test_other_statuses_keep_the_issue_open(status: str | None) -> None:
    rendered = render(make_item(status=status), {})
    assert (rendered.state, rendered.state_reason) == ("open", None)


def test_crlf_file_body_renders_like_lf() -> None:
    crlf = render(make_item(body="line one\r\nline two\r\n"), {})
    lf = render(make_item(body="line one\nline two\n"), {})
    assert crlf == lf


def test_marker_inside_the_file_body_is_not_kept() -> None:
    body = "text\n<!-- batchsync key=other hash=0123456789abcdef -->\n"
    rendered = render(make_item(body=body), {})
    marker = parse_marker(rendered.body)
    assert marker is not None
    assert marker.key == "task-001"
    assert rendered.body.count("<!-- batchsync") == 1


def test_body_over_githubs_limit_is_an_item_error_naming_the_file() -> None:
    with pytest.raises(ItemError) as caught:
        render(make_item(body="x" * BODY_LIMIT), {})
    assert caught.value.path == "epics/epic-001-core/task-001.md"
    assert "65,536" in str(caught.value)


def test_key_with_spaces_and_comment_end_is_encoded_in_the_marker() -> None:
    line = format_marker("epics/my epic/a-->b.md", "0" * 16)
    assert line.count("-->") == 1
    marker = parse_marker(line)
    assert marker is not None
    assert marker.key == "epics/my epic/a-->b.md"


@given(st.text(min_size=1, max_size=60))
def test_any_key_round_trips_through_the_marker(key: str) -> None:
    marker = parse_marker(format_marker(key, "abcdef0123456789"))
    assert marker is not None
    assert marker.key == key


def test_parse_marker_finds_none_in_a_plain_body() -> None:
    assert parse_marker("just text") is None
    assert parse_marker("") is None
    assert parse_marker(None) is None


def test_parse_marker_survives_text_appended_after_it_and_crlf() -> None:
    body = "a\r\n\r\n<!-- batchsync key=prd-1 hash=00112233445566aa -->\r\nadded on GitHub\r\n"
    marker = parse_marker(body)
    assert marker is not None
    assert (marker.key, marker.content_hash) == ("prd-1", "00112233445566aa")


def test_parse_marker_takes_the_last_of_several_of_one_item() -> None:
    body = (
        "<!-- batchsync key=k hash=0000000000000000 -->\n"
        "<!-- batchsync key=k hash=1111111111111111 -->"
    )
    marker = parse_marker(body)
    assert marker is not None
    assert marker.content_hash == "1" * 16


def test_parse_marker_ignores_a_malformed_hash() -> None:
    assert parse_marker("<!-- batchsync key=a hash=xyz -->") is None


def test_the_typed_token_is_in_the_marker_and_never_in_the_hash() -> None:
    plain = render(make_item(), {})
    marked = render(make_item(), {}, typed=True)
    assert marked.content_hash == plain.content_hash
    assert marked_typed(plain, True) == marked
    assert marked_typed(marked, False) == plain
    closed = restate(marked, "closed")
    assert closed.typed
    assert parse_marker(closed.body) == Marker("task-001", closed.content_hash, typed=True)


def test_strip_marker_removes_the_marker_line() -> None:
    rendered = render(make_item(), {})
    assert "batchsync" not in strip_marker(rendered.body)
    assert strip_marker(rendered.body).endswith("Parse things.")


@pytest.mark.parametrize(
    ("label", "managed"),
    [("task", True), ("PRD", True), ("priority:low", True), ("bug", False), ("epic-x", False)],
)
def test_managed_labels_are_the_kinds_and_priorities(label: str, managed: bool) -> None:
    assert is_managed_label(label) is managed


def test_restate_changes_only_state_and_hash() -> None:
    closed = render(make_item(status="done"), {})
    opened = restate(closed, "open")
    assert (opened.state, opened.title, opened.labels) == ("open", closed.title, closed.labels)
    assert opened.content_hash != closed.content_hash
    assert strip_marker(opened.body) == strip_marker(closed.body)


def test_restate_back_gives_the_original() -> None:
    closed = render(make_item(status="done"), {})
    assert restate(restate(closed, "open"), "closed") == closed


def test_restate_to_open_hashes_like_an_open_item_with_that_status_line() -> None:
    rendered = render(make_item(status="open"), {})
    assert restate(rendered, "open") == rendered


# --- GitHub's limits, on the rendered issue ------------------------------------------------------


def test_title_of_exactly_the_limit_is_accepted_one_more_is_not() -> None:
    room = TITLE_LIMIT - len("[TASK] ")
    assert len(render(make_item(title="t" * room), {}).title) == TITLE_LIMIT
    with pytest.raises(ItemError, match="title would be 257 characters") as caught:
        render(make_item(title="t" * (room + 1), title_line=3), {})
    assert (caught.value.line, caught.value.path) == (3, "epics/epic-001-core/task-001.md")


def test_title_is_counted_in_characters_not_bytes() -> None:
    title = "同步" * 124  # 248 characters, 744 bytes of UTF-8
    assert len(render(make_item(title=title), {}).title) == 255


def test_label_of_the_limit_is_accepted_one_more_names_the_labels_line() -> None:
    render(make_item(labels=("l" * LABEL_LIMIT,)), {})
    item = make_item(labels=("ok", "l" * (LABEL_LIMIT + 1)), lines={"labels": 7})
    with pytest.raises(ItemError, match="51 characters; GitHub accepts at most 50") as caught:
        render(item, {})
    assert caught.value.line == 7
    assert "`labels`" in caught.value.message


def test_priority_label_too_long_names_the_priority_field() -> None:
    priority = "p" * (LABEL_LIMIT - len("priority:"))
    assert f"priority:{priority}" in render(make_item(priority=priority), {}).labels
    item = make_item(priority=priority + "p", lines={"priority": 5})
    with pytest.raises(ItemError, match="shorten `priority`") as caught:
        render(item, {})
    assert caught.value.line == 5


def test_more_labels_than_an_issue_may_carry_is_an_item_error() -> None:
    # The kind and priority labels count too.
    fits = tuple(f"l{n}" for n in range(LABELS_LIMIT - 2))
    assert len(render(make_item(labels=fits), {}).labels) == LABELS_LIMIT
    item = make_item(labels=(*fits, "one-more"), lines={"labels": 4})
    with pytest.raises(ItemError, match="carry 101 labels") as caught:
        render(item, {})
    assert caught.value.line == 4


@pytest.mark.parametrize(
    ("changes", "field", "line"),
    [
        ({"title": "a\0b", "lines": {"name": 2}}, "title", 2),
        ({"status": "open\0", "lines": {"status": 3}}, "status", 3),
        ({"priority": "\0", "lines": {"priority": 4}}, "priority", 4),
        ({"labels": ("x\0",), "lines": {"labels": 5}}, "labels", 5),
    ],
)
def test_nul_character_is_an_item_error_naming_its_field(
    changes: dict[str, object], field: str, line: int
) -> None:
    with pytest.raises(ItemError, match=f"`{field}` holds a NUL") as caught:
        render(make_item(**changes), {})
    assert caught.value.line == line


def test_body_limit_counts_the_metadata_and_the_marker() -> None:
    # measured with the longest marker (``typed``, `` removed`` once closed as removed): an
    # issue typed or closed later must still fit
    flagged = len(f" {REMOVED}")
    room = BODY_LIMIT - len(render(make_item(body="x"), {}, typed=True).body) - flagged
    fits = render(make_item(body="x" * (1 + room)), {}, typed=True).body
    assert len(fits) + flagged == BODY_LIMIT
    with pytest.raises(ItemError, match="65,537 characters") as caught:
        render(make_item(body="x" * (2 + room), body_line=9), {})
    assert caught.value.line == 9


def _outcome(fn: object, item: WorkItem) -> str | None:
    try:
        fn(item, {"epic-001": 12})  # type: ignore[operator]
    except ItemError as error:
        return str(error)
    return None


@given(
    st.integers(min_value=-3, max_value=3),
    st.integers(min_value=-2, max_value=2),
    st.sampled_from(["task-001", "k" * 40, "épique/ü 1"]),
)
def test_check_limits_says_exactly_what_render_says(
    body_delta: int, title_delta: int, key: str
) -> None:
    # The scan's check and the sync's render are one policy: they must never disagree.
    base = make_item(key=key, body="x")
    room = BODY_LIMIT - len(render(base, {"epic-001": 12}, typed=True).body)
    title = "t" * (TITLE_LIMIT - len("[TASK] ") + title_delta)
    item = make_item(key=key, body="x" * (1 + room + body_delta), title=title)
    assert _outcome(check_limits, item) == _outcome(render, item)


# ---- the close comment: an item key is shown, never interpreted ------------------------------

_COMMONMARK = MarkdownIt("commonmark")
_LEAD = "Closed as not planned by batchsync: the work item "
_TAIL = " no longer exists in the synced tree."


def _inline(comment: str) -> list[tuple[str, str]]:
    """The comment's inline tokens as (type, content), as a CommonMark renderer reads them."""
    blocks = _COMMONMARK.parse(comment)
    assert [b.type for b in blocks] == ["paragraph_open", "inline", "paragraph_close"], blocks
    children = blocks[1].children or []
    return [(t.type, t.content) for t in children]


def _shows_only_the_key(key: str) -> None:
    tokens = _inline(close_comment(key))
    assert tokens[0] == ("text", _LEAD)
    assert tokens[1][0] == "code_inline"
    assert tokens[2:] == [("text", _TAIL)]
    shown = tokens[1][1]
    assert shown.replace("\u2060", "") == "".join(c if c.isprintable() else " " for c in key)
    assert "@" not in shown.replace("@\u2060", "")  # no @ a renderer could read as a mention


@pytest.mark.parametrize(
    "key",
    [
        "task-002",
        "a`b",
        "x` @mallory `y",
        "``@team/admins``",
        "`",
        " ` ",
        "a```b``c",
        "line\n\nWake up @mallory\n\n# heading",
        "@octocat",
        "epics/x/`rm -rf`.md",
        "tab\there\r\nand\u2028more",
    ],
)
def test_the_close_comment_shows_any_key_as_one_code_span(key: str) -> None:
    _shows_only_the_key(key)


@given(st.text(min_size=1, max_size=40))
def test_no_key_breaks_out_of_the_close_comments_code_span(key: str) -> None:
    _shows_only_the_key(key)


def test_an_unknown_dependency_key_is_one_code_span_in_the_body() -> None:
    body = render(make_item(dependencies=("a` @mallory `b", "task-002")), {}).body
    line = next(x for x in body.split("\n") if x.startswith("- **Dependencies:** "))
    tokens = _inline(line.removeprefix("- "))
    spans = [content for kind, content in tokens if kind == "code_inline"]
    assert spans == ["a` @\u2060mallory `b", "task-002"]
    assert "@mallory" not in line


# ---- the marker: today's and older markers read the same ---------------------------------


def test_a_marker_written_before_namespaces_and_flags_reads_as_before() -> None:
    old = "text\n\n<!-- batchsync key=epics/a%20b/001.md hash=0123456789abcdef -->"
    assert parse_marker(old) == Marker("epics/a b/001.md", "0123456789abcdef")


@pytest.mark.parametrize("flag", ["", "removed", "kept"])
@pytest.mark.parametrize("namespace", ["", ".claude", "docs/work items", "a-->b"])
def test_a_marker_round_trips_its_namespace_and_flag(namespace: str, flag: str) -> None:
    line = format_marker("prd-001", "0" * 16, namespace=namespace, flag=flag)
    assert "-->" not in line[:-3]
    assert parse_marker(f"body\n\n{line}") == Marker(
        "prd-001", "0" * 16, namespace=namespace, flag=flag
    )


def test_remark_rewrites_only_the_last_marker_line() -> None:
    body = (
        f"Person's text\n{format_marker('k', '1' * 16)}\n\nmore\n\n{format_marker('k', '2' * 16)}"
    )
    flagged = remark(body, Marker("k", "2" * 16, flag="removed"))
    assert flagged == body.replace(
        format_marker("k", "2" * 16), format_marker("k", "2" * 16, flag="removed")
    )
    assert parse_marker(flagged) == Marker("k", "2" * 16, flag="removed")


@pytest.mark.parametrize(
    "dependency",
    ["see #3 later", "foo,#3", "#3 and #4", "a`, #3, `b", "x``, #3, ``y", "#٣", "#3\u2028#4"],
)
def test_a_dependency_rendered_as_text_names_no_blocker_whatever_it_holds(dependency: str) -> None:
    item = make_item(dependencies=("task-002", dependency), status="open")
    body = render(item, {"task-002": 2}, blocks=True).body
    assert written_blockers(body) == {2}  # the renderer's own #2 only, never a #3 in text


@given(st.lists(st.text(min_size=1), max_size=4))
def test_only_the_references_the_renderer_numbered_are_read_back(dependencies: list[str]) -> None:
    numbers = {"task-002": 2, "task-005": 5}
    item = make_item(dependencies=("task-002", *dependencies, "task-005"))
    numbered = {2, 5} | {int(d[1:]) for d in dependencies if re.fullmatch("#[0-9]{1,12}", d)}
    assert written_blockers(render(item, numbers, blocks=True).body) == numbered


@pytest.mark.parametrize(
    "body",
    [
        "Intro\n\n- **Blocked by:** #3\n\n---\n\ntext",  # a person's text above
        "- **Blocked by:** #3\n- **Status:** open\n\n---\n\ntext",  # not the renderer's order
        "- **Blocked by:** #3\n- **Blocked by:** #4\n\n---\n\ntext",  # twice
        "- **Blocked by:** #3 \n\n---\n\ntext",  # not a list it wrote
        "- **Blocked by:** #3,#4\n\n---\n\ntext",
        "- **Blocked by:** #3\n\ntext",  # no rule
        "---\n\n- **Blocked by:** #3\n\n---\n\ntext",  # below the rule
    ],
)
def test_metadata_batchsync_did_not_write_names_no_blocker(body: str) -> None:
    assert written_blockers(body) == frozenset()


def test_the_status_line_is_read_back_from_the_renderer_s_own_metadata_only() -> None:
    body = render(make_item(status="in progress", dependencies=("#4",)), {}, blocks=True).body
    assert written_status(body) == "in progress"
    assert written_blockers(body) == {4}
    assert written_status("---\n\n- **Status:** closed\n\n---\n\nx") is None
    assert written_status("Hi\n- **Status:** closed\n\n---\n\nx") is None
    assert written_status("- **Priority:** x\n- **Status:** closed\n\n---\n\nx") is None
