"""The marker's ``typed`` token: written, read, set on a body, and never part of the hash."""

from __future__ import annotations

from batchsync.marker import (
    Marker,
    ambiguous_markers,
    format_marker,
    parse_marker,
    remark,
    strip_marker,
    with_typed,
)

HASH = "0123456789abcdef"


def test_the_typed_token_is_written_and_read_back() -> None:
    line = format_marker("epics/my epic/001.md", HASH, typed=True)
    assert line == f"<!-- batchsync key=epics/my%20epic/001.md hash={HASH} typed -->"
    assert parse_marker(line) == Marker("epics/my epic/001.md", HASH, typed=True)


def test_a_marker_without_the_token_reads_as_never_typed() -> None:
    assert parse_marker(f"text\n\n<!-- batchsync key=a hash={HASH} -->") == Marker("a", HASH)


def test_an_unknown_token_is_no_marker() -> None:
    assert parse_marker(f"<!-- batchsync key=a hash={HASH} typedx -->") is None


def test_with_typed_changes_the_last_marker_alone_and_keeps_every_other_byte() -> None:
    body = (
        f"a person's edit\r\n\r\n<!-- batchsync key=k hash={'0' * 16} -->\r\n"
        f"{format_marker('k', HASH)}\r\nappended on GitHub\r\n"
    )
    typed = with_typed(body)
    assert typed == body.replace(format_marker("k", HASH), format_marker("k", HASH, typed=True))
    assert parse_marker(typed) == Marker("k", HASH, typed=True)
    assert with_typed(typed) == typed
    assert with_typed(typed, False) == body


def test_with_typed_leaves_a_body_without_a_marker_as_it_is() -> None:
    assert with_typed("no marker here") == "no marker here"


def test_the_token_is_stripped_with_the_marker() -> None:
    assert strip_marker(f"text\n\n{format_marker('k', HASH, typed=True)}") == "text"


def test_marker_lines_of_different_identities_are_no_marker():
    ours = format_marker("task-001", "a" * 16, namespace=".claude")
    for pasted in (
        format_marker("task-002", "b" * 16, namespace=".claude"),  # another item's
        format_marker("task-001", "b" * 16, namespace="team-a"),  # another tree's
    ):
        body = f"Do it.\n\n{ours}\n\nQuoted by a person:\n{pasted}"
        assert parse_marker(body) is None
        assert [m.key for m in ambiguous_markers(body)] == [
            "task-001",
            parse_marker(pasted).key,  # type: ignore[union-attr]
        ]


def test_marker_lines_of_one_identity_are_that_marker_the_last_wins():
    first = format_marker("task-001", "a" * 16, namespace=".claude")
    last = format_marker("task-001", "b" * 16, namespace=".claude", typed=True)
    body = f"Do it.\n\n{first}\nA person's note.\n{last}"
    assert ambiguous_markers(body) == ()
    assert parse_marker(body) == Marker("task-001", "b" * 16, typed=True, namespace=".claude")


def test_a_new_namespace_renames_every_copy_of_the_marker_and_no_other_line():
    old = format_marker("task-001", "a" * 16)
    other = format_marker("task-002", "c" * 16, namespace=".claude")
    body = f"Do it.\n\n{old}\nA person's note, and a copy:\r\n{old}\r\nappended"
    renamed = remark(body, Marker("task-001", "a" * 16, namespace=".claude"))
    new = format_marker("task-001", "a" * 16, namespace=".claude")
    assert renamed == body.replace(old, new)  # the copy too: one identity, not a paste
    assert ambiguous_markers(renamed) == ()
    assert parse_marker(renamed) == Marker("task-001", "a" * 16, namespace=".claude")
    pasted = f"{body}\n{other}"  # another identity's line is never touched
    assert remark(pasted, Marker("task-002", "d" * 16)).count(old) == 2


def test_a_marker_is_a_trees_when_it_names_it_or_no_tree():
    assert Marker("k", HASH).in_tree(".claude")  # written before namespaces
    assert Marker("k", HASH, namespace=".claude").in_tree(".claude")
    assert not Marker("k", HASH, namespace="team-a").in_tree(".claude")
