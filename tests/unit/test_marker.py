"""The marker's ``typed`` token: written, read, set on a body, and never part of the hash."""

from __future__ import annotations

from batchsync.marker import Marker, format_marker, parse_marker, strip_marker, with_typed

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
        f"a person's edit\r\n\r\n<!-- batchsync key=old hash={'0' * 16} -->\r\n"
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
